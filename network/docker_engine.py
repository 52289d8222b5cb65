"""The Docker engine the docker runtime talks to: an engine that already answers, or Debian's dockerd started here.

When no engine answers on the default socket (or ``DOCKER_HOST``), and we are root, the launcher starts
Debian's ``dockerd`` (package ``docker.io``, installed with apt-get if missing) with
``--bridge=none --iptables=false --ip-forward=false``: no bridge network, no firewall or forwarding
changes, so containers can only use host networking and nothing leaves loopback. Its pidfile and log
live in ``TRADEFIN_DOCKERD_DIR`` (default ``/var/lib/tradefin-dockerd``), outside any repository. The
engine is shared by every network of the machine and keeps running after the command that started it;
:func:`stop_engine` stops it (only an engine this module started).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import docker
from docker.errors import DockerException
from requests.exceptions import RequestException

from .errors import NetworkError
from .processes import exclusive, process_alive, wait_exited
from .runtime.native import tail
from .waiting import NotReadyError, wait_for

log = logging.getLogger(__name__)

DEFAULT_SOCKET = "/var/run/docker.sock"
DOCKERD_FLAGS = ("--bridge=none", "--iptables=false", "--ip-forward=false")
ENGINE_START_TIMEOUT = 60.0
_SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")

Note = Callable[[str], None]


class DockerEngineError(NetworkError):
    """No Docker engine answers and none could be started."""


def _noop(_: str) -> None:
    return None


def engine_dir() -> Path:
    """Where the dockerd started by tradefin keeps its pidfile and log."""
    override = os.environ.get("TRADEFIN_DOCKERD_DIR")
    return Path(override) if override else Path("/var/lib/tradefin-dockerd")


def pidfile() -> Path:
    return engine_dir() / "dockerd.pid"


def logfile() -> Path:
    return engine_dir() / "dockerd.log"


def _uses_default_socket() -> bool:
    host = os.environ.get("DOCKER_HOST", "")
    return host in ("", f"unix://{DEFAULT_SOCKET}")


def connect(timeout: float = 10.0) -> docker.DockerClient | None:
    """A client of the engine at ``DOCKER_HOST`` (default socket), or None when no engine answers."""
    if _uses_default_socket() and not Path(DEFAULT_SOCKET).exists():
        return None
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except (DockerException, RequestException, OSError) as exc:
        log.debug("no Docker engine answers: %s", exc)
        return None
    return client


def find_program(name: str) -> str | None:
    """``name`` on PATH or in the system directories (sbin is often off a user's PATH)."""
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SYSTEM_PATH))


def _system_env() -> dict[str, str]:
    env = dict(os.environ)
    path = env.get("PATH", "").split(os.pathsep)
    env["PATH"] = os.pathsep.join([p for p in path if p] + [p for p in _SYSTEM_PATH if p not in path])
    return env


def apt_install(package: str, program: str, note: Note = _noop) -> str:
    """Install the Debian ``package`` that provides ``program`` (root only); return the program's path."""
    found = find_program(program)
    if found:
        return found
    if os.geteuid() != 0 or not find_program("apt-get"):
        raise DockerEngineError(
            f"{program} is not installed; install it with `sudo apt-get install {package}` (Debian/Ubuntu)"
        )
    note(f"installing the Debian package {package} (provides {program})")
    env = {**_system_env(), "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    result = subprocess.run(install, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run(["apt-get", "update"], capture_output=True, text=True, check=False, env=env)
        result = subprocess.run(install, capture_output=True, text=True, check=False, env=env)
    found = find_program(program)
    if result.returncode != 0 or not found:
        output = (result.stderr or result.stdout).strip()[-2000:]
        raise DockerEngineError(f"`apt-get install {package}` failed:\n{output}")
    return found


def _our_dockerd_pid() -> int | None:
    try:
        pid = int(pidfile().read_text().strip())
    except (OSError, ValueError):
        return None
    if not process_alive(pid):
        return None
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    return pid if comm == "dockerd" else None


def dockerd_argv(dockerd: str) -> list[str]:
    """The command line of the engine tradefin starts."""
    return [dockerd, *DOCKERD_FLAGS, f"--pidfile={pidfile()}", f"--host=unix://{DEFAULT_SOCKET}"]


def ensure_engine(note: Note = _noop) -> docker.DockerClient:
    """A client of a running engine; starts Debian's dockerd when none answers (root only)."""
    client = connect()
    if client is not None:
        return client
    if not _uses_default_socket():
        raise DockerEngineError(
            f"no Docker engine answers at DOCKER_HOST={os.environ['DOCKER_HOST']}; start it, or unset DOCKER_HOST "
            "to let tradefin start Debian's dockerd on the default socket"
        )
    if os.geteuid() != 0:
        raise DockerEngineError(
            f"no Docker engine answers at unix://{DEFAULT_SOCKET}, and starting one needs root. Install and "
            "start it: `sudo apt-get install docker.io && sudo dockerd "
            f"{' '.join(DOCKERD_FLAGS)} &` (or run tradefin as root), then add yourself to the docker group"
        )
    dockerd = apt_install("docker.io", "dockerd", note)
    with exclusive(engine_dir() / "start.lock"):
        client = connect()  # another tradefin may have started it while we waited
        if client is not None:
            return client
        return _start_dockerd(dockerd, note)


def _start_dockerd(dockerd: str, note: Note) -> docker.DockerClient:
    engine_dir().mkdir(parents=True, exist_ok=True)
    argv = dockerd_argv(dockerd)
    note(f"starting the Docker engine: {' '.join(argv)} (log: {logfile()})")
    started = time.monotonic()
    with logfile().open("ab") as out:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True, close_fds=True, env=_system_env(), cwd=engine_dir())

    def exited() -> str | None:
        return None if process.poll() is None else f"dockerd exited with status {process.returncode}"

    try:
        client = wait_for(connect, timeout=ENGINE_START_TIMEOUT, what="the Docker engine to answer",
                          interval=0.1, fail_fast=exited)
    except NotReadyError as exc:
        if process.poll() is None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        raise DockerEngineError(f"{exc}; its log ends with:\n{tail(logfile(), 20)}") from exc
    note(f"Docker engine ready in {time.monotonic() - started:.1f}s (pid {process.pid})")
    return client


def stop_engine(timeout: float = 30.0) -> bool:
    """Stop the dockerd that tradefin started (running containers are stopped by it); False if none."""
    pid = _our_dockerd_pid()
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_exited(pid, timeout, interval=0.1):
        return True
    raise DockerEngineError(f"dockerd (pid {pid}) did not stop within {timeout:.0f}s; see {logfile()}")
