"""The ``tradefin`` command's own behaviour, without a network: exit codes and signals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tradefin.cli import main


def test_network_info_without_a_network_fails_and_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--workdir", str(tmp_path), "network", "info"])
    assert result.exit_code == 1
    assert "no network in" in result.output
    assert not (tmp_path / "state.json").exists()  # nothing was made up or created


def test_sigterm_ends_a_command_like_ctrl_c_so_that_its_clean_up_runs() -> None:
    script = (
        "import os, signal, time\n"
        "from tradefin.cli import _stop_on_termination\n"
        "_stop_on_termination()\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    print('cleaned up')\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=30)
    assert completed.stdout.strip() == "cleaned up"
    assert completed.returncode == 0


def test_a_payment_command_that_commits_invalid_fails_in_one_line() -> None:
    import click

    from tradefin.cli.payments import payment_errors
    from tradefin.gateway import CommitError
    from tradefin.gateway.status import Status

    @click.command()
    @payment_errors
    def conflicting() -> None:
        raise CommitError(Status("a" * 64, 11, 42))  # MVCC_READ_CONFLICT

    result = CliRunner().invoke(conflicting, [])
    assert result.exit_code == 1
    assert "the gateway failed" in result.output and "MVCC_READ_CONFLICT" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
