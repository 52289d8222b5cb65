"""What the wheel ships for an application's type checker: ``py.typed``, the schema's stubs, and stubs for
Fabric's own protobuf modules (``fabric_protos-stubs``), so that a script decoding a block's envelopes
passes ``mypy --strict`` -- checked against the wheel installed into a folder of its own, as a user
would have it, not against this checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tradefin.protos import fabric_stubs

ROOT = Path(__file__).resolve().parents[2]

USER_SCRIPT = """\
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2_grpc  # not stubbed: the stub package is partial
from fabric_protos.peer import transaction_pb2

from tradefin.gateway import Block


def first_transaction(block: Block) -> tuple[str, int]:
    envelope = common_pb2.Envelope.FromString(block.envelopes[0])
    payload = common_pb2.Payload.FromString(envelope.payload)
    header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    transaction = transaction_pb2.Transaction.FromString(payload.data)
    return header.tx_id, len(transaction.actions)


def wrong(block: Block) -> int:
    return common_pb2.ChannelHeader.FromString(block.envelopes[0]).tx_id
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, installed (without dependencies) into a folder of its own."""
    wheels, target = tmp_path_factory.mktemp("wheels"), tmp_path_factory.mktemp("site")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", str(ROOT), "-w", str(wheels)], check=True)
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert archive.read("fabric_protos-stubs/py.typed") == b"partial\n"
        metadata = archive.read(next(name for name in names if name.endswith(".dist-info/METADATA"))).decode()
    # the stubs build on google.protobuf's types: an application gets them with the package
    assert "Requires-Dist: types-protobuf" in metadata
    assert {"tradefin/py.typed", "tradefin/protos/letters_of_credit_pb2.pyi", "tradefin/gateway/__init__.py"} <= names
    assert "fabric_protos-stubs/common/common_pb2.pyi" in names
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def test_a_script_decoding_a_block_type_checks_against_the_installed_wheel(installed: Path, tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(USER_SCRIPT)
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--no-error-summary", script.name]
    checked = subprocess.run(
        command, cwd=tmp_path, env={"PYTHONPATH": str(installed), "PATH": ""}, capture_output=True, text=True,
        check=False,
    )
    # only the deliberate mistake: a str returned as an int -- every fabric_protos message is typed
    assert checked.stdout.splitlines() == [
        'app.py:17: error: Incompatible return value type (got "str", expected "int")  [return-value]'
    ], checked.stdout + checked.stderr


def test_the_committed_fabric_protos_stubs_match_the_pinned_fabric_protos() -> None:
    assert fabric_stubs.main(["--check"]) == 0
