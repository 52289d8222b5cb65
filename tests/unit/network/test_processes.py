"""Directories replaced whole (a finished block replaces the target, a failed one leaves no trace), and
what /proc tells about a process."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tradefin.network.processes import (
    process_alive,
    replaced_directory,
    resident_bytes,
    start_ticks,
    wait_exited,
)


def test_a_finished_block_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "release"
    target.mkdir(parents=True)
    (target / "old").write_text("old")
    with replaced_directory(target) as staging:
        (staging / "new").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["release"]


def test_a_failed_block_keeps_the_target_and_removes_what_it_made(tmp_path: Path) -> None:
    target = tmp_path / "release"
    target.mkdir()
    (target / "old").write_text("old")
    with pytest.raises(RuntimeError), replaced_directory(target) as staging:
        (staging / "half").write_text("half")
        raise RuntimeError("build failed")
    assert sorted(p.name for p in target.iterdir()) == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["release"]


def test_wait_exited_reaps_our_child_and_gives_up_on_a_live_one() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert start_ticks(child.pid) == start_ticks(child.pid) is not None
        assert (resident_bytes(child.pid) or 0) > 0
        assert wait_exited(child.pid, 0.2) is False
        child.terminate()
        assert wait_exited(child.pid, 5.0) is True
        assert not process_alive(child.pid)
    finally:
        child.kill()
        child.wait()
