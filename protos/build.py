"""Regenerate the Python modules of the schema from the ``.proto`` files beside this module.

Usage (from a checkout)::

    python -m tradefin.protos.build           # rewrite the committed *_pb2.py / *_pb2.pyi
    python -m tradefin.protos.build --check   # exit 1 if the committed modules are stale

The ``.proto`` files import each other as ``tradefin/protos/<file>.proto``, so protoc is run on an
include root in which ``tradefin/protos`` points at this folder; the generated modules therefore import
``from tradefin.protos import common_pb2``, which works in a checkout and installed. ``.pyi`` stubs come
from mypy-protobuf's ``protoc-gen-mypy`` plugin. Needs the dev extras (grpcio-tools, mypy-protobuf).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

PROTO_DIR = Path(__file__).resolve().parent
_PACKAGE_PATH = Path("tradefin", "protos")
_GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi")


class ProtoBuildError(RuntimeError):
    """protoc or one of its plugins failed, or a tool is missing."""


def proto_files() -> list[str]:
    """Names of the schema's ``.proto`` files, sorted."""
    return sorted(path.name for path in PROTO_DIR.glob("*.proto"))


def _mypy_plugin() -> str:
    beside_python = Path(sys.executable).parent / "protoc-gen-mypy"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("protoc-gen-mypy")
    if found is None:
        raise ProtoBuildError("protoc-gen-mypy not found: install the dev extras (mypy-protobuf)")
    return found


def generate(output_dir: Path) -> dict[str, bytes]:
    """Compile every ``.proto`` file into ``output_dir`` and return the generated files by name."""
    try:
        from grpc_tools import protoc  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ProtoBuildError("grpcio-tools is not installed: install the dev extras") from exc
    well_known = Path(protoc.__file__).resolve().parent / "_proto"
    with tempfile.TemporaryDirectory(prefix="tradefin-protos-") as include_root:
        package_dir = Path(include_root, _PACKAGE_PATH)
        package_dir.parent.mkdir(parents=True)
        package_dir.symlink_to(PROTO_DIR, target_is_directory=True)
        arguments = [
            "protoc",
            f"--proto_path={include_root}",
            f"--proto_path={well_known}",
            f"--plugin=protoc-gen-mypy={_mypy_plugin()}",
            f"--python_out={output_dir}",
            f"--mypy_out={output_dir}",
            *(str(_PACKAGE_PATH / name) for name in proto_files()),
        ]
        if protoc.main(arguments) != 0:
            raise ProtoBuildError("protoc failed; see its messages above")
    generated_dir = output_dir / _PACKAGE_PATH
    return {
        path.name: path.read_bytes()
        for path in sorted(generated_dir.iterdir())
        if path.name.endswith(_GENERATED_SUFFIXES)
    }


def committed() -> dict[str, bytes]:
    """The generated modules currently beside the ``.proto`` files, by name."""
    return {
        path.name: path.read_bytes()
        for path in sorted(PROTO_DIR.iterdir())
        if path.name.endswith(_GENERATED_SUFFIXES)
    }


def stale_files() -> list[str]:
    """Names of generated files that differ from a fresh build, are missing, or are left over."""
    with tempfile.TemporaryDirectory(prefix="tradefin-protos-out-") as output_dir:
        fresh = generate(Path(output_dir))
    current = committed()
    return sorted(name for name in fresh.keys() | current.keys() if fresh.get(name) != current.get(name))


def rebuild() -> list[str]:
    """Regenerate the modules in place; return the names of the files written or removed."""
    with tempfile.TemporaryDirectory(prefix="tradefin-protos-out-") as output_dir:
        fresh = generate(Path(output_dir))
    current = committed()
    changed = []
    for name in sorted(current.keys() - fresh.keys()):
        (PROTO_DIR / name).unlink()
        changed.append(name)
    for name, content in fresh.items():
        if current.get(name) != content:
            (PROTO_DIR / name).write_bytes(content)
            changed.append(name)
    return sorted(changed)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: regenerate, or with ``--check`` report stale modules (exit status 1)."""
    parser = argparse.ArgumentParser(
        prog="python -m tradefin.protos.build", description="Regenerate the schema's Python modules."
    )
    parser.add_argument("--check", action="store_true", help="only report stale generated modules")
    options = parser.parse_args(argv)
    try:
        names = stale_files() if options.check else rebuild()
    except ProtoBuildError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    verb = "stale" if options.check else "written"
    for name in names:
        sys.stdout.write(f"{verb}: {name}\n")
    if options.check and names:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
