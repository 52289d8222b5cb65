"""The project's static checks, run by the test command so that CI holds them too: ``ruff`` and
``mypy --strict`` over the code, and ``mypy --strict`` over the READMEs' whole programs as a user's
script that copies them would be checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.readme import ROOT, whole_programs


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def test_ruff_finds_nothing() -> None:
    checked = _run("ruff", "check", ".")
    assert checked.returncode == 0, checked.stdout[-5000:] + checked.stderr[-2000:]


def test_mypy_strict_finds_nothing() -> None:
    checked = _run("mypy")  # strict, over the files pyproject.toml names
    assert checked.returncode == 0, checked.stdout[-5000:] + checked.stderr[-2000:]


def test_the_readme_programs_pass_mypy_strict(tmp_path: Path) -> None:
    programs = whole_programs()
    assert len(programs) == 4
    for name, code in programs.items():
        (tmp_path / f"{name}.py").write_text(code)
    checked = _run("mypy", "--strict", *sorted(str(path) for path in tmp_path.glob("*.py")))
    assert checked.returncode == 0, checked.stdout[-5000:] + checked.stderr[-2000:]


@pytest.mark.parametrize(
    ("tool", "broken"),
    [(("mypy", "--strict"), "x: int = 'one'\n"), (("ruff", "check", "--no-cache"), "import os\n")],
    ids=["mypy", "ruff"],
)
def test_the_checks_fail_on_a_fault(tmp_path: Path, tool: tuple[str, ...], broken: str) -> None:
    """A type error fails mypy and an unused import fails ruff: the checks above can fail."""
    source = tmp_path / "faulty.py"
    source.write_text(broken)
    assert _run(*tool, str(source)).returncode != 0
