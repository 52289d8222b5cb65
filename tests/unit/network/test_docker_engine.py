"""Starting Debian's dockerd: the flags that keep traffic on loopback, and the clear failures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tradefin.network import docker_engine
from tradefin.network.docker_engine import DockerEngineError


def test_dockerd_keeps_off_the_host_network_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEFIN_DOCKERD_DIR", str(tmp_path))
    argv = docker_engine.dockerd_argv("/usr/sbin/dockerd")
    assert argv[0] == "/usr/sbin/dockerd"
    for flag in ("--bridge=none", "--iptables=false", "--ip-forward=false"):
        assert flag in argv
    assert f"--pidfile={tmp_path}/dockerd.pid" in argv
    assert "--host=unix:///var/run/docker.sock" in argv
    assert docker_engine.logfile() == tmp_path / "dockerd.log"


def test_engine_dir_defaults_outside_any_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEFIN_DOCKERD_DIR", raising=False)
    assert docker_engine.engine_dir() == Path("/var/lib/tradefin-dockerd")


def test_unreachable_docker_host_is_reported_not_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    assert docker_engine.connect(timeout=2) is None
    with pytest.raises(DockerEngineError, match="DOCKER_HOST"):
        docker_engine.ensure_engine()


def test_non_root_gets_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(docker_engine, "connect", lambda timeout=10.0: None)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(DockerEngineError, match=r"apt-get install docker\.io.*--bridge=none --iptables=false"):
        docker_engine.ensure_engine()


def test_missing_package_without_root_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_engine, "find_program", lambda name: None)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(DockerEngineError, match="sudo apt-get install debootstrap"):
        docker_engine.apt_install("debootstrap", "debootstrap")


def test_installed_program_is_found_without_apt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_engine, "find_program", lambda name: f"/usr/sbin/{name}")
    assert docker_engine.apt_install("docker.io", "dockerd") == "/usr/sbin/dockerd"


def test_stop_engine_leaves_engines_it_did_not_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEFIN_DOCKERD_DIR", str(tmp_path))
    assert docker_engine.stop_engine() is False  # no pidfile
    (tmp_path / "dockerd.pid").write_text("1\n")  # pid 1 is not a dockerd we started
    assert docker_engine.stop_engine() is False
