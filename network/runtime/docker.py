"""Docker runtime: every unit is a container of its own, on the host network, driven through the Docker SDK.

* Images come from :mod:`tradefin.network.images` (built here by default; see there).
* One container per unit, named ``<network>-<hash of the working directory>-<unit>``, so two working
  directories never collide; labels say which working directory and unit it belongs to.
* ``network_mode=host``: the generated configs bind 127.0.0.1 only, so the containers serve on loopback,
  exactly like the native runtime, and the engine needs no bridge (it is started with ``--bridge=none``).
* Every directory of ``unit.mounts`` (the working directory) is bind-mounted at the same path, so the
  absolute paths in core.yaml, orderer.yaml and the chaincode server's arguments hold inside.
* Containers run as the invoking user (files in the working directory stay theirs), under a minimal init
  (``--init``) so that SIGTERM reaches the program and zombies are reaped. Restart policy: none.
* ``remove`` appends the container's output to ``logs/<unit>.log`` before removing it, so logs survive
  ``network down``; ledgers live in the bind-mounted working directory and survive too.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import threading
from pathlib import Path
from typing import Any

import docker
from docker.errors import APIError, DockerException, NotFound
from docker.types import LogConfig
from requests.exceptions import ConnectionError as EngineGone
from requests.exceptions import RequestException

from ..docker_engine import DockerEngineError, connect, ensure_engine
from ..fabric import FabricInstallation
from ..images import PROGRAM_ENTRYPOINTS, ImageError, Images
from ..layout import Layout
from ..processes import resident_bytes
from ..progress import Progress, SilentProgress
from . import Unit, UnitError
from .native import tail

LABEL_WORKDIR = "tradefin.workdir"
LABEL_NETWORK = "tradefin.network"
LABEL_UNIT = "tradefin.unit"
LABEL_KIND = "tradefin.kind"
LOG_OPTIONS = {"max-size": "50m", "max-file": "2"}
_ENGINE_ERRORS = (APIError, DockerException, RequestException)


def workdir_hash(workdir: Path) -> str:
    """Eight hex digits naming a working directory in container names."""
    return hashlib.sha256(str(workdir).encode()).hexdigest()[:8]


def container_name(network: str, workdir: Path, unit: str) -> str:
    """``<network>-<workdir hash>-<unit>``, restricted to the characters Docker accepts in names."""
    raw = f"{network}-{workdir_hash(workdir)}-{unit}"
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", raw)
    return name if name[0].isalnum() else f"x{name}"


def container_labels(layout: Layout, unit: Unit) -> dict[str, str]:
    return {LABEL_WORKDIR: str(layout.root), LABEL_NETWORK: layout.spec.name, LABEL_UNIT: unit.name,
            LABEL_KIND: unit.kind}


def container_options(unit: Unit, image: str, layout: Layout, user: str | None = None) -> dict[str, Any]:
    """Keyword arguments of ``client.containers.create`` for ``unit`` running in ``image``."""
    try:
        entrypoint = list(PROGRAM_ENTRYPOINTS[unit.program])
    except KeyError:
        raise UnitError(f"{unit.name}: the docker runtime has no image for the program {unit.program!r}") from None
    return {
        "image": image,
        "name": container_name(layout.spec.name, layout.root, unit.name),
        "entrypoint": entrypoint,
        "command": list(unit.args) or None,
        "environment": dict(unit.env),
        "labels": container_labels(layout, unit),
        "network_mode": "host",
        "volumes": {str(path): {"bind": str(path), "mode": "rw"} for path in unit.mounts},
        "restart_policy": {"Name": "no"},
        "init": True,
        "user": user if user is not None else f"{os.getuid()}:{os.getgid()}",
        "log_config": LogConfig(type=LogConfig.types.JSON, config=dict(LOG_OPTIONS)),
    }


def _children(pid: int) -> list[int]:
    children: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                children += [int(c) for c in (task / "children").read_text().split()]
    return children


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants (the init, the program and its helpers)."""
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        total += resident_bytes(current) or 0
        pending += _children(current)
    return total


class DockerRuntime:
    """Runs orderers, peers and chaincode servers as containers of a local Docker engine."""

    name = "docker"

    def __init__(self, fabric: FabricInstallation, layout: Layout, images: str = "local",
                 progress: Progress | None = None) -> None:
        self.fabric = fabric
        self.layout = layout
        self.image_set = images
        self.progress: Progress = progress or SilentProgress()
        self._client: docker.DockerClient | None = None
        self._images: Images | None = None
        self._lock = threading.Lock()

    # --- engine and images -----------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        self.progress.note(text)

    def _engine(self) -> docker.DockerClient | None:
        """A client of the engine if one answers; never starts one (status, stop and logs must not)."""
        with self._lock:
            if self._client is None:
                self._client = connect()
            return self._client

    def _started_engine(self) -> docker.DockerClient:
        with self._lock:
            if self._client is None:
                self._client = ensure_engine(self._note)
            return self._client

    @property
    def images(self) -> Images:
        """The image set of this runtime (starts the engine if needed)."""
        client = self._started_engine()
        with self._lock:
            if self._images is None:
                self._images = Images(client, self.fabric, self.image_set, note=self._note)
            return self._images

    def prepare(self) -> None:
        """Start an engine if none answers, then make sure every image exists (built or pulled)."""
        images = self.images
        for program in ("orderer", "peer", "chaincode"):
            images.image_for(program)
        self.layout.logs.mkdir(parents=True, exist_ok=True)

    # --- units -----------------------------------------------------------------------------------------

    def start(self, unit: Unit) -> dict[str, object]:
        try:
            image = self.images.image_for(unit.program)
        except (ImageError, DockerEngineError) as exc:
            raise UnitError(f"{unit.name}: {exc}") from exc
        client = self._started_engine()
        options = container_options(unit, image, self.layout)
        name = options["name"]
        self._clear_stale(client, name, unit.name)
        try:
            container = client.containers.create(**options)
            container.start()
        except _ENGINE_ERRORS as exc:
            raise UnitError(f"{unit.name}: cannot start container {name}: {exc}") from exc
        return {"runtime": self.name, "unit": unit.name, "container": name, "id": container.id, "image": image}

    def _clear_stale(self, client: docker.DockerClient, name: str, unit: str) -> None:
        """Remove a leftover container of the same name (from a lost state file or a crash)."""
        try:
            old = client.containers.get(name)
        except NotFound:
            return
        except _ENGINE_ERRORS as exc:
            raise UnitError(f"{unit}: cannot inspect container {name}: {exc}") from exc
        if old.labels.get(LABEL_WORKDIR) != str(self.layout.root):
            raise UnitError(f"{unit}: a container named {name} exists and belongs to another working directory "
                            f"({old.labels.get(LABEL_WORKDIR)}); remove it with `docker rm -f {name}`")
        self._save_logs(client, str(old.id), unit)
        try:
            old.remove(force=True, v=True)
        except _ENGINE_ERRORS as exc:
            raise UnitError(f"{unit}: cannot remove the leftover container {name}: {exc}") from exc

    def _inspect(self, handle: dict[str, object]) -> dict[str, Any] | None:
        client = self._engine()
        container = handle.get("id")
        if client is None or not isinstance(container, str):
            return None
        try:
            attrs: dict[str, Any] = client.api.inspect_container(container)
        except (NotFound, EngineGone):  # an engine that went away took its containers with it
            return None
        except _ENGINE_ERRORS as exc:
            raise UnitError(f"{handle.get('unit')}: cannot inspect container {handle.get('container')}: {exc}") from exc
        return attrs

    def is_running(self, handle: dict[str, object]) -> bool:
        attrs = self._inspect(handle)
        return attrs is not None and bool(attrs.get("State", {}).get("Running"))

    def stop(self, handle: dict[str, object], timeout: float = 10.0) -> None:
        """``docker stop``: SIGTERM, then SIGKILL after ``timeout`` seconds; ``timeout=0`` is ``docker kill``
        (SIGKILL at once, as the native runtime does); a stopped container is left alone."""
        client = self._engine()
        if client is None or not isinstance(handle.get("id"), str):
            return
        try:
            if timeout <= 0:
                client.api.kill(str(handle["id"]))
            else:
                client.api.stop(str(handle["id"]), timeout=max(1, math.ceil(timeout)))
        except (NotFound, EngineGone):
            return
        except APIError as exc:
            if exc.status_code == 409:  # kill: the container is not running (stop leaves such a one alone)
                return
            raise UnitError(f"{handle.get('unit')}: cannot stop container {handle.get('container')}: {exc}") from exc
        except _ENGINE_ERRORS as exc:
            raise UnitError(f"{handle.get('unit')}: cannot stop container {handle.get('container')}: {exc}") from exc

    def remove(self, handle: dict[str, object]) -> None:
        """Keep the container's output in ``logs/<unit>.log``, then remove the container and its volumes."""
        client = self._engine()
        if client is None or not isinstance(handle.get("id"), str):
            return
        container = str(handle["id"])
        self._save_logs(client, container, str(handle.get("unit", container)))
        try:
            client.api.remove_container(container, v=True, force=True)
        except (NotFound, EngineGone):
            return
        except _ENGINE_ERRORS as exc:
            raise UnitError(f"{handle.get('unit')}: cannot remove container {handle.get('container')}: {exc}") from exc

    def _save_logs(self, client: docker.DockerClient, container: str, unit: str) -> None:
        with contextlib.suppress(*_ENGINE_ERRORS, OSError):
            output: bytes = client.api.logs(container, stdout=True, stderr=True)
            if output:
                self.layout.logs.mkdir(parents=True, exist_ok=True)
                with self.layout.log(unit).open("ab") as log:
                    log.write(output)

    def logs(self, handle: dict[str, object], lines: int) -> str:
        client = self._engine()
        container = handle.get("id")
        if client is not None and isinstance(container, str):
            try:
                output: bytes = client.api.logs(container, stdout=True, stderr=True, tail=lines)
                return output.decode(errors="replace")
            except (NotFound, EngineGone):
                pass
            except _ENGINE_ERRORS as exc:
                raise UnitError(f"{handle.get('unit')}: cannot read the logs of {handle.get('container')}: {exc}") \
                    from exc
        return tail(self.layout.log(str(handle.get("unit", ""))), lines)

    def memory_bytes(self, handle: dict[str, object]) -> int | None:
        """RSS of the container's processes, read from /proc (the engine runs on this host)."""
        attrs = self._inspect(handle)
        if attrs is None or not attrs.get("State", {}).get("Running"):
            return None
        pid = attrs["State"].get("Pid")
        if not isinstance(pid, int) or pid <= 0:
            return None
        try:  # the pid must be this container's in our pid namespace (not a remote engine's)
            if str(attrs["Id"]) not in Path(f"/proc/{pid}/cgroup").read_text():
                return None
        except OSError:
            return None
        return tree_rss_bytes(pid) or None

    # --- housekeeping ------------------------------------------------------------------------------------

    def containers(self) -> list[str]:
        """Names of every container (running or not) that belongs to this working directory."""
        client = self._engine()
        if client is None:
            return []
        try:
            found = client.containers.list(all=True, filters={"label": f"{LABEL_WORKDIR}={self.layout.root}"})
        except _ENGINE_ERRORS as exc:
            raise UnitError(f"cannot list the containers of {self.layout.root}: {exc}") from exc
        return sorted(str(c.name) for c in found)

    def remove_all(self) -> list[str]:
        """Remove every container of this working directory, including ones the state file lost track of."""
        client = self._engine()
        removed = []
        for name in self.containers():
            assert client is not None
            try:
                container = client.containers.get(name)
                self._save_logs(client, str(container.id), str(container.labels.get(LABEL_UNIT, name)))
                container.remove(force=True, v=True)
                removed.append(name)
            except NotFound:
                continue
            except _ENGINE_ERRORS as exc:
                raise UnitError(f"cannot remove container {name}: {exc}") from exc
        return removed
