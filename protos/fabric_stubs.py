"""Type stubs for Fabric's own protobuf modules (the ``hyperledger-fabric-protos`` package,
``fabric_protos``), shipped as the stub-only package ``fabric_protos-stubs`` (PEP 561).

``fabric_protos`` says it is typed (``py.typed``) but ships no stubs, so a type checker sees none of
its messages: an application decoding a block's envelopes (``common_pb2.Payload.FromString(...)``) got
``Module has no attribute "Payload"``. The stubs are mypy-protobuf's, made from the descriptors of the
installed (pinned) ``fabric_protos`` modules themselves -- no ``.proto`` file is needed -- with their
file names placed under ``fabric_protos/`` so that the stubs import each other as the modules do.

Usage (from a checkout, with the dev extras)::

    python -m tradefin.protos.fabric_stubs           # rewrite fabric_protos-stubs/ at the repository root
    python -m tradefin.protos.fabric_stubs --check   # exit 1 if the committed stubs are stale
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2

from tradefin.protos.build import ProtoBuildError, _mypy_plugin

#: Where the committed stub package lives: the repository root (beside ``tradefin/``).
STUBS_DIR = Path(__file__).resolve().parents[1] / "fabric_protos-stubs"
_PREFIX = "fabric_protos/"


def _descriptors() -> dict[str, descriptor_pb2.FileDescriptorProto]:
    """Every ``fabric_protos`` module's file descriptor and those they import, dependencies first."""
    import fabric_protos

    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}

    def add(descriptor: Any) -> None:
        if descriptor.name in files:
            return
        for dependency in descriptor.dependencies:
            add(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        descriptor.CopyToProto(proto)
        files[descriptor.name] = proto

    found = pkgutil.walk_packages(fabric_protos.__path__, "fabric_protos.")
    modules = sorted(info.name for info in found if info.name.endswith("_pb2"))
    for name in modules:
        add(importlib.import_module(name).DESCRIPTOR)
    return files


def _placed(name: str) -> str:
    """A Fabric proto file's name under ``fabric_protos/`` (``common/common.proto`` ->
    ``fabric_protos/common/common.proto``); protobuf's own files keep theirs."""
    return name if name.startswith("google/") else _PREFIX + name


def generate() -> dict[str, str]:
    """The stub package's files by path relative to ``fabric_protos-stubs/``."""
    request = plugin_pb2.CodeGeneratorRequest()
    for name, proto in _descriptors().items():
        placed = request.proto_file.add()
        placed.CopyFrom(proto)
        placed.name = _placed(name)
        dependencies = [_placed(dependency) for dependency in placed.dependency]
        del placed.dependency[:]
        placed.dependency.extend(dependencies)
        if not name.startswith("google/"):
            request.file_to_generate.append(placed.name)
    completed = subprocess.run(
        [_mypy_plugin()], input=request.SerializeToString(), capture_output=True, check=False
    )
    if completed.returncode != 0:
        raise ProtoBuildError(f"protoc-gen-mypy failed: {completed.stderr.decode(errors='replace')}")
    response = plugin_pb2.CodeGeneratorResponse.FromString(completed.stdout)
    if response.error:
        raise ProtoBuildError(f"protoc-gen-mypy: {response.error}")
    stubs = {file.name.removeprefix(_PREFIX): file.content for file in response.file}
    packages = {str(Path(path).parent) for path in stubs}
    for package in sorted(packages | {"."}):
        parts = Path(package).parts
        for depth in range(len(parts) + 1):  # every folder on the way is a package of the stub package
            stubs.setdefault(str(Path(*parts[:depth], "__init__.pyi")), "")
    return dict(sorted(stubs.items()))


def _committed() -> dict[str, str]:
    return {
        str(path.relative_to(STUBS_DIR)): path.read_text(encoding="utf-8")
        for path in sorted(STUBS_DIR.rglob("*.pyi"))
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tradefin.protos.fabric_stubs", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed stubs are stale")
    arguments = parser.parse_args(argv)
    stubs = generate()
    if arguments.check:
        stale = sorted(set(stubs.items()) ^ set(_committed().items()))
        for path, _ in stale:
            print(f"stale: fabric_protos-stubs/{path}", file=sys.stderr)
        return 1 if stale else 0
    for path in _committed():
        if path not in stubs:
            (STUBS_DIR / path).unlink()
    for path, content in stubs.items():
        target = STUBS_DIR / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            target.write_text(content, encoding="utf-8")
            print(f"written: fabric_protos-stubs/{path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
