"""The READMEs' whole-program examples, as printed, run against the session network: the gateway
client's quick starts and the letter-of-credit and payments bank apps.

Each example is taken from its README unchanged and run by a Python process of its own in a fresh
directory whose ``.tradefin`` is the session network's working directory, as after ``tradefin network
up`` in that directory. A README whose example no longer runs fails here, not in a reader's terminal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.readme import GATEWAY_EXAMPLES, command_line_walkthrough, example, letter_of_credit_app, payments_app
from tradefin.network.network import FabricNetwork


def test_example_is_found_whole() -> None:
    code = example("README.md", "## Gateway client")
    assert code.startswith("from pathlib import Path\n")
    assert code.rstrip().endswith("break")


def _run(fabric_network: FabricNetwork, tmp_path: Path, code: str, shell: bool = False) -> list[str]:
    """Run ``code`` as a program of its own (or a bash script, ``-euo pipefail``, with this Python's
    ``tradefin`` and ``python3`` first on its PATH) in ``tmp_path``, whose ``.tradefin`` is the network's
    workdir."""
    link = tmp_path / ".tradefin"
    if not link.is_symlink():
        link.symlink_to(fabric_network.layout.root, target_is_directory=True)
    script = tmp_path / ("example.sh" if shell else "example.py")
    script.write_text(code)
    command = ["bash", "-euo", "pipefail", str(script)] if shell else [sys.executable, str(script)]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    completed = subprocess.run(
        command, cwd=tmp_path, env={**os.environ, "PATH": path}, capture_output=True, text=True, timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout.splitlines()


@pytest.mark.parametrize(("readme", "heading"), GATEWAY_EXAMPLES, ids=[readme for readme, _ in GATEWAY_EXAMPLES])
def test_gateway_quick_start_runs(fabric_network: FabricNetwork, tmp_path: Path, readme: str, heading: str) -> None:
    lines = _run(fabric_network, tmp_path, example(readme, heading))

    assert lines[0] == "b'hello'"  # evaluated after the submit committed
    # the channel's first chaincode event, read from block 0 (the example's own kv.put, or an earlier one):
    # its block number, then its name and payload (a bytes repr: quoted with ' or, when it holds ', with ")
    assert len(lines) == 2 and re.fullmatch(r"\d+ .+ b(['\"]).*\1", lines[1]), lines
    assert (tmp_path / "events.checkpoint.json").is_file()  # the checkpoint was written where it says


def test_letter_of_credit_bank_app_runs(fabric_network: FabricNetwork, tmp_path: Path) -> None:
    lines = _run(fabric_network, tmp_path, letter_of_credit_app())

    # what the README says it prints: the credit issued and advised, each with its block, the refusal,
    # then the credit's history newest first, the advice by the transaction that line 2 names
    assert len(lines) == 6, lines
    assert re.fullmatch(r"\S+ CREDIT_STATE_ISSUED in block \d+", lines[0]), lines
    assert re.fullmatch(r"advised in block \d+ by [0-9a-f]{12}", lines[1]), lines
    assert lines[2] == "ERR_INVALID_INPUT documents a presentation contains at least one document"
    assert lines[3] == f"3 CREDIT_STATE_ADVISED {lines[1].rsplit(' ', 1)[1]}", lines
    assert re.fullmatch(r"2 CREDIT_STATE_ISSUED [0-9a-f]{12}", lines[4]), lines
    assert re.fullmatch(r"1 CREDIT_STATE_DRAFT_APPLICATION [0-9a-f]{12}", lines[5]), lines


def test_payments_bank_app_runs_and_runs_again(fabric_network: FabricNetwork, tmp_path: Path) -> None:
    first = _run(fabric_network, tmp_path, payments_app())
    again = _run(fabric_network, tmp_path, payments_app())  # the configuration and the open channel reused

    for lines, cycle in ((first, 1), (again, 2)):
        # the credit app's six lines, then what the README says the payments part prints
        assert len(lines) == 9, lines
        assert re.fullmatch(r"[0-9a-f-]{36} PAYMENT_STATUS_ACCC in block \d+", lines[6]), lines
        assert lines[7].startswith(f"cycle {cycle} BATCH_STATUS_SETTLED in block "), lines
        assert lines[8] == "EUCBDEFF balance EUR 0.00", lines


def test_command_line_walkthrough_runs(fabric_network: FabricNetwork, tmp_path: Path) -> None:
    lines = _run(fabric_network, tmp_path, command_line_walkthrough(), shell=True)

    text = "\n".join(lines)
    assert "BIC directory: ASTBHKHH Bank1MSP, EUCBDEFF Bank2MSP" in text  # pay governance
    assert re.search(r"payment \S+ on ASTBHKHH-EUCBDEFF-CNY, cycle 1: ACSP -> ACCC", text), text
    assert "batch 1 settled by Euro Commerce Bank" in text, text
    shown = json.loads("\n".join(lines[lines.index("{") :]))  # the last command's --json
    assert shown["channel"]["last_settled_cycle"] == "1"
    balances = {side["bic"]: side for side in shown["balances"]}
    assert balances["ASTBHKHH"]["balance"] == "5000000"  # the deposit again: the net went outside the ledger
    assert balances["EUCBDEFF"].get("balance", "0") == "0"
