"""The chaincode server image: Debian bookworm's python3 plus the project's wheel, built without a registry.

Two steps, each cached by a tag derived from its inputs:

1. The base image ``tradefin/debian-python:bookworm-<recipe digest>``: a minimal root filesystem made
   with ``debootstrap --variant=minbase --include=python3 bookworm``, trimmed (no .deb cache, apt lists,
   docs, man pages or locales) and imported with ``docker import``. The Debian mirror is the one this
   machine's apt sources name (or ``TRADEFIN_DEBIAN_MIRROR``); it is never written into the repository.
2. The dependencies image ``tradefin/chaincode-deps:<dependencies key>-<digest>``: a virtual environment
   at ``/opt/tradefin`` holding the project's dependency wheels, built on this machine by a CPython 3.11
   (the ABI of bookworm's python3.11) and installed with ``pip install --no-index --find-links``. pip
   runs from its wheel (kept at /tools/pip.whl, never installed). Rebuilt only when the declared
   dependencies change.
3. The server image ``tradefin/chaincode:<version>-<inputs digest>``: the project's own wheel installed
   into that venv (about a second). Rebuilt only when the project's packaged sources change.

Builds run with no network at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import NetworkError
from .context import BuildContext

BASE_REPOSITORY = "tradefin/debian-python"
CHAINCODE_REPOSITORY = "tradefin/chaincode"
DEPS_REPOSITORY = "tradefin/chaincode-deps"
SUITE = "bookworm"
VENV = "/opt/tradefin"
PYTHON = f"{VENV}/bin/python3"
ENTRYPOINT = (PYTHON, "-m", "tradefin.chaincode")
PIP_WHEEL = "/tools/pip.whl"  # pip runs from its wheel at build time; it is never installed
DISTRIBUTION = "fabric-tradefin"
# The ABI of bookworm's python3 (3.11): wheels built on the host must match it.
TARGET_PYTHON = (3, 11)

Note = Callable[[str], None]


class ImageInputError(NetworkError):
    """An input of an image (mirror, sources, wheels, root filesystem) could not be prepared."""


# --- base image: debootstrap --------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseRecipe:
    """How the Debian root filesystem is made; its digest names the base image."""

    suite: str = SUITE
    variant: str = "minbase"
    include: tuple[str, ...] = ("python3",)
    # Removed after debootstrap: nothing at run time reads them.
    prune: tuple[str, ...] = (
        "var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/info",
        "usr/share/locale", "var/log", "var/cache/debconf",
    )
    revision: int = 1  # bump when the way the root filesystem is made changes

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True).encode()).hexdigest()

    def tag(self) -> str:
        return f"{BASE_REPOSITORY}:{self.suite}-{self.digest()[:12]}"

    def debootstrap_argv(self, debootstrap: str, target: Path, mirror: str) -> list[str]:
        return [debootstrap, f"--variant={self.variant}", f"--include={','.join(self.include)}", self.suite,
                str(target), mirror]


def _deb822_stanzas(text: str) -> Iterator[dict[str, str]]:
    stanza: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        if not line.strip():
            if stanza:
                yield stanza
            stanza, key = {}, ""
            continue
        if line[0] in " \t" and key:
            stanza[key] += " " + line.strip()
            continue
        if ":" in line:
            key, value = line.split(":", 1)
            key = key.strip().lower()
            stanza[key] = value.strip()
    if stanza:
        yield stanza


def _mirror_candidates(apt_dir: Path) -> Iterator[tuple[str, list[str]]]:
    """(URI, suites) of every enabled binary ``deb`` source of this machine."""
    sources_dir = apt_dir / "sources.list.d"
    for path in sorted(sources_dir.glob("*.sources")) if sources_dir.is_dir() else []:
        for stanza in _deb822_stanzas(path.read_text(errors="replace")):
            if "deb" not in stanza.get("types", "").split() or stanza.get("enabled", "yes").lower() == "no":
                continue
            for uri in stanza.get("uris", "").split():
                yield uri, stanza.get("suites", "").split()
    list_files = [apt_dir / "sources.list"]
    if sources_dir.is_dir():
        list_files += sorted(sources_dir.glob("*.list"))
    for path in list_files:
        if not path.is_file():
            continue
        for line in path.read_text(errors="replace").splitlines():
            words = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
            if len(words) >= 3 and words[0] == "deb":
                yield words[1], [words[2]]


def debian_mirror(apt_dir: Path = Path("/etc/apt"), suite: str = SUITE) -> str:
    """The Debian archive this machine installs from: ``TRADEFIN_DEBIAN_MIRROR``, else its apt sources.

    A source that lists ``suite`` wins; security and update suites are never used as the archive.
    """
    override = os.environ.get("TRADEFIN_DEBIAN_MIRROR")
    if override:
        return override
    fallback = None
    for uri, suites in _mirror_candidates(apt_dir):
        if not uri.startswith(("http://", "https://", "file:/")) or "security" in uri:
            continue
        main_suites = [s for s in suites if "-" not in s and "/" not in s]
        if suite in main_suites:
            return uri
        if main_suites and fallback is None:
            fallback = uri
    if fallback is not None:
        return fallback
    raise ImageInputError(
        f"no Debian archive found in {apt_dir}/sources.list(.d) for debootstrap; "
        "set TRADEFIN_DEBIAN_MIRROR to a Debian mirror URL"
    )


def make_rootfs(recipe: BaseRecipe, target: Path, mirror: str, debootstrap: str) -> None:
    """Run debootstrap into ``target`` (an empty or absent directory) and trim the result."""
    argv = recipe.debootstrap_argv(debootstrap, target, mirror)
    result = subprocess.run(argv, capture_output=True, text=True, check=False,
                            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if result.returncode != 0:
        detail = (result.stdout + result.stderr).strip().splitlines()[-15:]
        log = target / "debootstrap" / "debootstrap.log"
        if log.is_file():
            detail += log.read_text(errors="replace").splitlines()[-15:]
        raise ImageInputError(f"debootstrap failed ({' '.join(argv[:-2])} ...):\n" + "\n".join(detail))
    for relative in recipe.prune:
        path = target / relative
        if path.is_dir() and not path.is_symlink():
            for child in path.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()


def rootfs_tar(rootfs: Path, out: Path) -> None:
    """Tar ``rootfs`` for ``docker import``; /dev, /proc and /sys stay empty (the engine provides them)."""
    argv = ["tar", "--numeric-owner", "--one-file-system", "-C", str(rootfs), "-cf", str(out),
            "--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*", "."]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ImageInputError(f"tar of the root filesystem failed: {result.stderr.strip()}")


def base_import_changes(recipe: BaseRecipe) -> list[str]:
    """Dockerfile instructions applied by ``docker import`` to the base image."""
    return [
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        f"LABEL tradefin.image=debian-python tradefin.inputs={recipe.digest()}",
    ]


# --- the project's wheels ------------------------------------------------------------------------------


def project_root() -> Path:
    """The source tree holding pyproject.toml (``TRADEFIN_SOURCE_DIR`` or the checkout of this module)."""
    override = os.environ.get("TRADEFIN_SOURCE_DIR")
    root = Path(override).resolve() if override else Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / "tradefin").is_dir():
        raise ImageInputError(
            f"the chaincode image is built from a source checkout and {root} is not one; "
            "set TRADEFIN_SOURCE_DIR to a fabric-tradefin checkout"
        )
    return root


_TOP_LEVEL_FILES = ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "setup.py", "MANIFEST.in")
_SKIPPED_DIRS = {"__pycache__"}
_SKIPPED_SUFFIXES = (".pyc", ".pyo", ".so", ".swp")


def source_files(root: Path) -> list[tuple[str, Path]]:
    """(path in the wheel's source tree, file) of every packaged source; links are followed."""
    files = [(name, root / name) for name in _TOP_LEVEL_FILES if (root / name).is_file()]
    package = root / "tradefin"
    for directory, dirnames, filenames in os.walk(package, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS and not d.startswith("."))
        for filename in sorted(filenames):
            if filename.endswith(_SKIPPED_SUFFIXES) or filename.startswith("."):
                continue
            path = Path(directory) / filename
            files.append((str(path.relative_to(root)), path))
    return files


def dependencies(root: Path) -> list[str]:
    """The project's declared run-time dependencies (pyproject.toml ``[project] dependencies``)."""
    with (root / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle).get("project", {})
    return [str(dep) for dep in project.get("dependencies", [])]


def project_version(root: Path) -> str:
    with (root / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle).get("project", {}).get("version", "0"))


def dependencies_key(deps: list[str]) -> str:
    """Names the cached dependency wheels: the requirement strings and the target interpreter."""
    text = json.dumps({"deps": sorted(deps), "python": "cp{}{}".format(*TARGET_PYTHON), "machine": os.uname().machine})
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def inputs_digest(root: Path, base_tag: str, dockerfile: str) -> str:
    """Digest of everything the chaincode image is made of (sources, dependencies, base, Dockerfile)."""
    digest = hashlib.sha256()
    digest.update(f"base {base_tag}\n".encode())
    digest.update(f"dockerfile {hashlib.sha256(dockerfile.encode()).hexdigest()}\n".encode())
    digest.update(f"deps {dependencies_key(dependencies(root))}\n".encode())
    for relative, path in source_files(root):
        digest.update(f"{relative} {hashlib.sha256(path.read_bytes()).hexdigest()}\n".encode())
    return digest.hexdigest()


def check_host_python() -> None:
    if sys.implementation.name != "cpython" or sys.version_info[:2] != TARGET_PYTHON:
        raise ImageInputError(
            "the chaincode image installs wheels built on this machine for bookworm's CPython "
            f"{'.'.join(map(str, TARGET_PYTHON))}; run tradefin with a CPython "
            f"{'.'.join(map(str, TARGET_PYTHON))} interpreter (this one is {sys.version.split()[0]})"
        )


def _pip(args: list[str], what: str) -> None:
    argv = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()[-3000:]
        raise ImageInputError(f"{what} failed:\n$ pip {' '.join(args)}\n{output}")


def build_dependency_wheels(deps: list[str], out: Path) -> None:
    """Binary wheels of ``deps`` (transitively) plus pip's own wheel, into ``out``."""
    _pip(["wheel", "--only-binary=:all:", "--wheel-dir", str(out), *deps, "pip"], "building the dependency wheels")


def build_project_wheel(root: Path, work: Path, out: Path) -> Path:
    """Build the project's wheel from a copy of its packaged sources (the checkout stays untouched)."""
    tree = work / "src"
    for relative, path in source_files(root):
        target = tree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    out.mkdir(parents=True, exist_ok=True)
    _pip(["wheel", "--no-deps", "--wheel-dir", str(out), str(tree)], "building the project's wheel")
    wheels = sorted(out.glob(f"{DISTRIBUTION.replace('-', '_')}-*.whl"))
    if not wheels:
        raise ImageInputError(f"pip built no {DISTRIBUTION} wheel in {out}")
    return wheels[-1]


# --- the server image: dependencies, then the project ------------------------------------------------------


def _pip_install(*args: str) -> list[str]:
    """pip run from its wheel (not installed anywhere) with the venv's python; never touches a network."""
    return [PYTHON, PIP_WHEEL + "/pip", "install", "--no-index", "--no-cache-dir", "--disable-pip-version-check",
            "--no-warn-script-location", *args]


def deps_dockerfile(base_tag: str) -> str:
    """The dependencies image: a venv holding every dependency wheel (multi-stage: no wheels left behind)."""
    return "\n".join([
        "# fabric-tradefin chaincode server dependencies: a venv with the project's dependency wheels.",
        f"FROM {base_tag} AS install",
        "LABEL tradefin.stage=install",
        "COPY tools/ /tools/",
        "COPY wheels/ /wheels/",
        f'RUN ["/usr/bin/python3", "-m", "venv", "--without-pip", "{VENV}"]',
        f"RUN {json.dumps(_pip_install('--find-links', '/wheels', '--requirement', '/wheels/requirements.txt'))}",
        "",
        f"FROM {base_tag}",
        f"COPY --from=install {VENV} {VENV}",
        "COPY tools/ /tools/",
        f"ENV PATH={VENV}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PYTHONUNBUFFERED=1",
        "LABEL tradefin.image=chaincode-deps",
    ]) + "\n"


def deps_context(base_tag: str, deps: list[str], dependency_wheels: list[Path]) -> BuildContext:
    """Dependency wheels, a requirements file naming ``deps``, and pip's wheel as ``tools/pip.whl``."""
    context = BuildContext(deps_dockerfile(base_tag))
    pip_wheels = [w for w in dependency_wheels if w.name.startswith("pip-")]
    if not pip_wheels:
        raise ImageInputError("pip's own wheel is missing from the dependency wheels")
    for wheel in dependency_wheels:
        if wheel not in pip_wheels:
            context.add_file(f"wheels/{wheel.name}", wheel, 0o644)
    context.add_file("tools/pip.whl", pip_wheels[-1], 0o644)
    context.add_bytes("wheels/requirements.txt", "".join(f"{dep}\n" for dep in deps).encode(), 0o644)
    return context


def deps_tag(base_tag: str, deps: list[str]) -> str:
    digest = hashlib.sha256(f"{base_tag}\n{dependencies_key(deps)}\n{deps_dockerfile(base_tag)}".encode())
    return f"{DEPS_REPOSITORY}:{dependencies_key(deps)}-{digest.hexdigest()[:12]}"


def chaincode_dockerfile(deps_image: str) -> str:
    """The server image: the project's wheel installed into the dependencies image's venv."""
    requirements = "/project/requirements.txt"
    return "\n".join([
        "# fabric-tradefin chaincode server image: the project's wheel on top of its dependencies.",
        f"FROM {deps_image}",
        "COPY project/ /project/",
        f"RUN {' '.join(_pip_install('--requirement', requirements))} && rm -rf /project",
        "LABEL tradefin.image=chaincode",
        f"ENTRYPOINT {json.dumps(list(ENTRYPOINT))}",
    ]) + "\n"


def chaincode_context(deps_image: str, project_wheel: Path) -> BuildContext:
    """The project's wheel and a requirements file naming it."""
    context = BuildContext(chaincode_dockerfile(deps_image))
    context.add_file(f"project/{project_wheel.name}", project_wheel, 0o644)
    context.add_bytes("project/requirements.txt", f"/project/{project_wheel.name}\n".encode(), 0o644)
    return context


def chaincode_tag(version: str, digest: str) -> str:
    return f"{CHAINCODE_REPOSITORY}:{version}-{digest[:12]}"
