"""Directories replaced whole: a finished block replaces the target, a failed one leaves no trace."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradefin.network.processes import replaced_directory


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
