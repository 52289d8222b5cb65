"""The READMEs' whole-program examples, as printed, run against the session network: the gateway
client's quick starts and the letter-of-credit bank app.

Each example is taken from its README unchanged and run by a Python process of its own in a fresh
directory whose ``.tradefin`` is the session network's working directory, as after ``tradefin network
up`` in that directory. A README whose example no longer runs fails here, not in a reader's terminal.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tradefin.network.network import FabricNetwork

ROOT = Path(__file__).resolve().parents[2]
#: (README, the heading of the section whose first Python block is the gateway quick start)
GATEWAY_EXAMPLES = [
    ("README.md", "## Gateway client"),
    ("gateway/README.md", "## Quick start"),
]


def example(readme: str, heading: str) -> str:
    """The first ```python block after ``heading`` (and before the next heading of its level)."""
    text = (ROOT / readme).read_text()
    start = text.index(f"\n{heading}\n")
    level = heading.split(" ", 1)[0]
    end = text.find(f"\n{level} ", start + len(heading) + 2)
    section = text[start : end if end >= 0 else len(text)]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found is not None, f"{readme} has no Python example under {heading!r}"
    return found.group(1)


def test_example_is_found_whole() -> None:
    code = example("README.md", "## Gateway client")
    assert code.startswith("from pathlib import Path\n")
    assert code.rstrip().endswith("break")


def _run(fabric_network: FabricNetwork, tmp_path: Path, code: str) -> list[str]:
    """Run ``code`` as a program of its own in ``tmp_path``, whose ``.tradefin`` is the network's workdir."""
    (tmp_path / ".tradefin").symlink_to(fabric_network.layout.root, target_is_directory=True)
    script = tmp_path / "example.py"
    script.write_text(code)
    completed = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
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
    lines = _run(fabric_network, tmp_path, example("README.md", "## Letters of credit"))

    # what the README says it prints: the credit issued and advised, each with its block, then the refusal
    assert len(lines) == 3, lines
    assert re.fullmatch(r"\S+ CREDIT_STATE_ISSUED in block \d+", lines[0]), lines
    assert re.fullmatch(r"advised in block \d+ by [0-9a-f]{12}", lines[1]), lines
    assert lines[2] == "ERR_INVALID_INPUT documents a presentation contains at least one document"
