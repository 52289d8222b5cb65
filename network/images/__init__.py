"""Container images of the docker runtime, built here from our own recipes (nothing is pulled by default).

* ``local`` (default): ``tradefin/fabric-peer`` and ``tradefin/fabric-orderer`` (``FROM scratch`` with the
  launcher's static binaries) and ``tradefin/chaincode`` (bookworm's python3 plus the project's wheels).
* ``official``: ``hyperledger/fabric-peer:3.1.5`` and ``hyperledger/fabric-orderer:3.1.5``, used if present
  and pulled otherwise; the chaincode server image is still ours.

Every local image is tagged with a digest of its inputs and built only when no image has that tag, so a
rebuild happens exactly when a binary, a recipe or the project's code changes. Builds of the same image
by several processes are serialised with a lock file.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import docker
from docker.errors import APIError, BuildError, DockerException, ImageNotFound
from requests.exceptions import RequestException

from ..docker_engine import apt_install
from ..errors import NetworkError
from ..fabric import FabricInstallation, cache_root
from ..processes import exclusive, replaced_directory
from . import fabric_images, python_image
from .context import BuildContext

IMAGE_SETS = ("local", "official")
OFFICIAL_FABRIC_VERSION = "3.1.5"
OFFICIAL_IMAGES = {
    "peer": f"hyperledger/fabric-peer:{OFFICIAL_FABRIC_VERSION}",
    "orderer": f"hyperledger/fabric-orderer:{OFFICIAL_FABRIC_VERSION}",
}
# Where each program lives in the images (ours and the official ones agree).
PROGRAM_ENTRYPOINTS: dict[str, tuple[str, ...]] = {
    "peer": (fabric_images.PEER_PROGRAM,),
    "orderer": (fabric_images.ORDERER_PROGRAM,),
    "chaincode": python_image.ENTRYPOINT,
}

Note = Callable[[str], None]

__all__ = ["IMAGE_SETS", "OFFICIAL_IMAGES", "PROGRAM_ENTRYPOINTS", "BuildContext", "ImageError", "Images"]


class ImageError(NetworkError):
    """An image could not be built, imported or pulled."""


def _noop(_: str) -> None:
    return None


def docker_cache_dir() -> Path:
    """Per-user cache of the docker runtime (dependency wheels, lock files, scratch space)."""
    return cache_root() / "docker"


def _build_log_tail(log: Iterable[object], lines: int = 20) -> str:
    texts: list[str] = []
    for chunk in log:
        if isinstance(chunk, dict):
            texts.extend(str(chunk.get("stream") or chunk.get("error") or "").splitlines())
    return "\n".join(texts[-lines:])


class Images:
    """Finds or makes the image of every program (``peer``, ``orderer``, ``chaincode``); thread-safe."""

    def __init__(self, client: docker.DockerClient, fabric: FabricInstallation, images: str = "local",
                 note: Note = _noop, cache_dir: Path | None = None) -> None:
        if images not in IMAGE_SETS:
            raise ImageError(f"unknown image set {images!r}; use one of {', '.join(IMAGE_SETS)}")
        self.client = client
        self.fabric = fabric
        self.images = images
        self.note = note
        self.cache_dir = cache_dir or docker_cache_dir()
        self._tags: dict[str, str] = {}
        self._lock = threading.Lock()
        self.build_seconds: dict[str, float] = {}

    def image_for(self, program: str) -> str:
        """The tag of the image that runs ``program``, building or pulling it first if needed."""
        with self._lock:
            tag = self._tags.get(program)
            if tag is None:
                tag = self._ensure(program)
                self._tags[program] = tag
            return tag

    def _ensure(self, program: str) -> str:
        if program in OFFICIAL_IMAGES and self.images == "official":
            return self._official(OFFICIAL_IMAGES[program])
        if program == "peer":
            return self._fabric_image(fabric_images.PEER_REPOSITORY, fabric_images.peer_context(self.fabric))
        if program == "orderer":
            return self._fabric_image(fabric_images.ORDERER_REPOSITORY, fabric_images.orderer_context(self.fabric))
        if program == "chaincode":
            return self._chaincode_image()
        raise ImageError(f"no image runs the program {program!r}")

    # --- presence, locks, builds -------------------------------------------------------------------------

    def present(self, tag: str) -> bool:
        try:
            self.client.images.get(tag)
        except ImageNotFound:
            return False
        except (APIError, DockerException, RequestException) as exc:
            raise ImageError(f"cannot inspect image {tag}: {exc}") from exc
        return True

    def _lock_path(self, tag: str) -> Path:
        return self.cache_dir / "locks" / (re.sub(r"[^A-Za-z0-9_.-]", "_", tag) + ".lock")

    def build(self, tag: str, context: BuildContext, labels: dict[str, str]) -> None:
        """``docker build`` of ``context`` with no network; the tag is applied only on success."""
        started = time.monotonic()
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=self.cache_dir) as tar:
            context.write_tar(tar)
            size = tar.tell()
            tar.seek(0)
            try:
                self.client.images.build(fileobj=tar, custom_context=True, tag=tag, rm=True, forcerm=True,
                                         pull=False, network_mode="none", labels=labels)
            except BuildError as exc:
                raise ImageError(f"building {tag} failed: {exc.msg}\n{_build_log_tail(exc.build_log)}") from exc
            except (APIError, DockerException) as exc:
                raise ImageError(f"building {tag} failed: {exc}") from exc
        seconds = time.monotonic() - started
        self.build_seconds[tag] = seconds
        self.note(f"built {tag} in {seconds:.1f}s (context {size / 1e6:.0f} MB)")

    def _made_once(self, tag: str, make: Callable[[], None]) -> str:
        """``tag``, made by ``make`` unless the engine has it; one process makes it while the others wait."""
        if not self.present(tag):
            with exclusive(self._lock_path(tag)):
                if not self.present(tag):
                    make()
        return tag

    def _fabric_image(self, repository: str, context: BuildContext) -> str:
        digest = context.digest()
        tag = fabric_images.image_tag(repository, self.fabric, digest)
        return self._made_once(tag, lambda: self.build(tag, context, {"tradefin.inputs": digest}))

    def _official(self, reference: str) -> str:
        if self.present(reference):
            return reference
        repository, tag = reference.rsplit(":", 1)
        self.note(f"pulling {reference}")
        try:
            self.client.images.pull(repository, tag=tag)
        except (APIError, DockerException) as exc:
            reason = getattr(exc, "explanation", None) or str(exc)
            raise ImageError(
                f"cannot pull {reference}: {reason}. The official images need a reachable registry "
                "(docker.io or ghcr.io); without one, load them with `docker load`, or use the images "
                "built here from the same Fabric binaries (--images local, the default)"
            ) from exc
        return reference

    # --- chaincode server ------------------------------------------------------------------------------

    def base_image(self) -> str:
        """The Debian bookworm + python3 base image, made once with debootstrap and ``docker import``."""
        recipe = python_image.BaseRecipe()
        tag = recipe.tag()
        return self._made_once(tag, lambda: self._import_base(recipe, tag))

    def _import_base(self, recipe: python_image.BaseRecipe, tag: str) -> None:
        mirror = python_image.debian_mirror()
        debootstrap = apt_install("debootstrap", "debootstrap", self.note)
        self.note(f"making the {recipe.suite} root filesystem of the chaincode image with debootstrap "
                  "(about 40 s, once)")
        started = time.monotonic()
        work = Path(tempfile.mkdtemp(prefix="rootfs.", dir=self.cache_dir))
        try:
            python_image.make_rootfs(recipe, work / "rootfs", mirror, debootstrap)
            made = time.monotonic()
            python_image.rootfs_tar(work / "rootfs", work / "rootfs.tar")
            repository, version = tag.rsplit(":", 1)
            try:
                self.client.api.import_image(src=str(work / "rootfs.tar"), repository=repository, tag=version,
                                             changes=python_image.base_import_changes(recipe))
            except (APIError, DockerException) as exc:
                raise ImageError(f"docker import of {tag} failed: {exc}") from exc
            size = (work / "rootfs.tar").stat().st_size
        finally:
            shutil.rmtree(work, ignore_errors=True)
        seconds = time.monotonic() - started
        self.build_seconds[tag] = seconds
        self.note(f"imported {tag} in {seconds:.1f}s (debootstrap {made - started:.1f}s, {size / 1e6:.0f} MB)")

    def _chaincode_image(self) -> str:
        root = python_image.project_root()
        deps_image = self.deps_image(root)
        dockerfile = python_image.chaincode_dockerfile(deps_image)
        digest = python_image.inputs_digest(root, deps_image, dockerfile)
        tag = python_image.chaincode_tag(python_image.project_version(root), digest)

        def make() -> None:
            started = time.monotonic()
            work = Path(tempfile.mkdtemp(prefix="chaincode.", dir=self.cache_dir))
            try:
                project_wheel = python_image.build_project_wheel(root, work, work / "dist")
                self.note(f"project wheel built in {time.monotonic() - started:.1f}s")
                self.build(tag, python_image.chaincode_context(deps_image, project_wheel), {"tradefin.inputs": digest})
            finally:
                shutil.rmtree(work, ignore_errors=True)
            self._remove_stale(python_image.CHAINCODE_REPOSITORY, keep=tag)

        return self._made_once(tag, make)

    def deps_image(self, root: Path) -> str:
        """The base image plus a venv holding the project's dependencies; rebuilt when they change."""
        base = self.base_image()
        deps = python_image.dependencies(root)
        tag = python_image.deps_tag(base, deps)

        def make() -> None:
            wheels = self.dependency_wheels(root)
            self.build(tag, python_image.deps_context(base, deps, wheels), {"tradefin.inputs": tag})
            self._remove_stale(python_image.DEPS_REPOSITORY, keep=tag)

        return self._made_once(tag, make)

    def dependency_wheels(self, root: Path) -> list[Path]:
        """The project's dependency wheels (and pip's), built once per dependency list and cached."""
        python_image.check_host_python()
        deps = python_image.dependencies(root)
        target = self.cache_dir / "wheels" / python_image.dependencies_key(deps)
        with exclusive(target.with_suffix(".lock")):
            if not (target / "complete").is_file():
                self.note("building the dependency wheels of the chaincode image (pip wheel)")
                with replaced_directory(target) as staging:
                    python_image.build_dependency_wheels(deps, staging)
                    (staging / "complete").write_text("\n".join(deps) + "\n")
        return sorted(target.glob("*.whl"))

    def _remove_stale(self, repository: str, keep: str) -> None:
        """Drop older builds of ``repository`` that no container uses, and the install stages left behind."""
        with contextlib.suppress(APIError, DockerException):
            for image in self.client.images.list(name=repository):
                if keep in image.tags:
                    continue
                for old in image.tags:
                    with contextlib.suppress(APIError, DockerException):
                        self.client.images.remove(old, noprune=False)  # refused while a container uses it
            self.client.images.prune(filters={"dangling": True, "label": "tradefin.stage=install"})
