"""Checkpointers: semantics, persistence across a restart, atomic writes, and the resume request."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from fabric_protos.gateway import gateway_pb2

from tradefin.gateway import (
    AsyncFileCheckpointer,
    ChaincodeEvent,
    Checkpoint,
    Checkpointer,
    FileCheckpointer,
    Gateway,
    InMemoryCheckpointer,
)


def event(block: int, transaction_id: str) -> ChaincodeEvent:
    return ChaincodeEvent(block, transaction_id, "tradefin", "LCIssued", b"{}")


@pytest.mark.parametrize("make", [InMemoryCheckpointer, None])
def test_checkpoint_semantics(tmp_path: Path, make: type[InMemoryCheckpointer] | None) -> None:
    checkpointer: Checkpointer = make() if make else FileCheckpointer(tmp_path / "cp.json")
    assert (checkpointer.block_number, checkpointer.transaction_id) == (None, None)
    checkpointer.checkpoint_chaincode_event(event(5, "tx-a"))
    assert (checkpointer.block_number, checkpointer.transaction_id) == (5, "tx-a")
    checkpointer.checkpoint_block(5)
    assert (checkpointer.block_number, checkpointer.transaction_id) == (6, None)
    checkpointer.checkpoint_transaction(9, "tx-b")
    assert (checkpointer.block_number, checkpointer.transaction_id) == (9, "tx-b")


def test_file_checkpointer_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "listener.json"
    first = FileCheckpointer(path)
    first.checkpoint_chaincode_event(event(2**63 + 5, "tx-42"))
    del first
    restarted = FileCheckpointer(path)
    assert (restarted.block_number, restarted.transaction_id) == (2**63 + 5, "tx-42")
    assert json.loads(path.read_text()) == {"blockNumber": 2**63 + 5, "transactionId": "tx-42"}
    restarted.checkpoint_block(2**63 + 5)
    assert json.loads(path.read_text()) == {"blockNumber": 2**63 + 6}
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)


def test_the_asyncio_file_checkpointer_writes_off_the_event_loop_to_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "listener.json"
    writers: list[threading.Thread] = []
    save = FileCheckpointer._save

    def recording_save(self: FileCheckpointer, position: tuple[int | None, str | None]) -> None:
        writers.append(threading.current_thread())
        save(self, position)

    monkeypatch.setattr(FileCheckpointer, "_save", recording_save)

    async def listen() -> tuple[int | None, str | None]:
        checkpointer = await AsyncFileCheckpointer.open(path)
        assert isinstance(checkpointer, Checkpoint) and checkpointer.position == (None, None)
        await checkpointer.checkpoint_chaincode_event(event(7, "tx-7"))
        await checkpointer.checkpoint_block(8)
        await checkpointer.checkpoint_transaction(9, "tx-9")
        return checkpointer.position

    assert asyncio.run(listen()) == (9, "tx-9")
    assert len(writers) == 4 and threading.main_thread() not in writers  # creation and three checkpoints
    restarted = FileCheckpointer(path)  # the same file as the blocking checkpointer's
    assert (restarted.block_number, restarted.transaction_id) == (9, "tx-9")
    with pytest.raises(OSError):  # a path that cannot be written fails when opened, as for FileCheckpointer
        asyncio.run(AsyncFileCheckpointer.open(tmp_path / "missing-folder" / "cp.json"))


def test_asyncio_checkpoints_started_together_are_written_in_order(tmp_path: Path) -> None:
    # a listener starting a checkpoint per event without awaiting it must not leave the file behind
    async def burst() -> tuple[int | None, str | None]:
        checkpointer = await AsyncFileCheckpointer.open(tmp_path / "cp.json")
        await asyncio.gather(*(checkpointer.checkpoint_block(number) for number in range(40)))
        return checkpointer.position

    for _ in range(5):
        assert asyncio.run(burst()) == (40, None)
        assert json.loads((tmp_path / "cp.json").read_text()) == {"blockNumber": 40}


def test_file_written_by_the_official_clients_is_read(tmp_path: Path) -> None:
    path = tmp_path / "node.json"
    path.write_text('{"blockNumber":"17","transactionId":"tx-node"}')  # the Node client writes a string
    checkpointer = FileCheckpointer(path)
    assert (checkpointer.block_number, checkpointer.transaction_id) == (17, "tx-node")


def test_empty_or_missing_file_means_no_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_text("")
    assert FileCheckpointer(tmp_path / "empty.json").block_number is None
    assert FileCheckpointer(tmp_path / "missing.json").block_number is None
    assert json.loads((tmp_path / "missing.json").read_text()) == {}  # written at once: see below


def test_the_official_clients_zero_state_means_no_checkpoint(tmp_path: Path) -> None:
    # The Go client writes {"blockNumber":0,"transactionId":""} when it creates its file, and takes that
    # state as "no checkpoint": so do we, rather than replaying the channel from block 0.
    path = tmp_path / "go.json"
    path.write_text('{"blockNumber":0,"transactionId":""}')
    checkpointer = FileCheckpointer(path)
    assert checkpointer.position == (None, None)


def test_a_path_that_cannot_be_written_fails_at_creation(tmp_path: Path) -> None:
    # not after the first event was processed, when a failed checkpoint means that event comes again
    with pytest.raises(OSError):
        FileCheckpointer(tmp_path / "no-such-folder" / "cp.json")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OSError):
        FileCheckpointer(tmp_path / "a-file" / "cp.json")


def test_corrupt_file_is_refused_not_silently_reset(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"blockNumber": -3}')
    with pytest.raises(ValueError, match="not a checkpoint file"):
        FileCheckpointer(tmp_path / "bad.json")
    (tmp_path / "torn.json").write_text('{"blockNum')
    with pytest.raises(ValueError, match="not a checkpoint file"):
        FileCheckpointer(tmp_path / "torn.json")


def test_a_crash_during_a_write_leaves_the_previous_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cp.json"
    checkpointer = FileCheckpointer(path)
    checkpointer.checkpoint_transaction(10, "tx-10")

    def crash(*args: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        checkpointer.checkpoint_transaction(11, "tx-11")
    monkeypatch.undo()
    assert checkpointer.position == (10, "tx-10")  # memory says what the file says: a resume repeats tx-11
    assert json.loads(path.read_text()) == {"blockNumber": 10, "transactionId": "tx-10"}
    assert [p.name for p in tmp_path.iterdir()] == ["cp.json"]  # no temporary file left behind
    restarted = FileCheckpointer(path)
    assert (restarted.block_number, restarted.transaction_id) == (10, "tx-10")


def test_every_checkpoint_is_fsynced_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        order.append("fsync")
        real_fsync(descriptor)

    def replace(source: Path, target: Path) -> None:
        order.append("rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    checkpointer = FileCheckpointer(tmp_path / "cp.json")
    order.clear()  # the write at creation
    checkpointer.checkpoint_block(1)
    assert order == ["fsync", "rename", "fsync"]  # data, rename, folder entry


def test_resume_request_from_a_checkpoint(gateway: Gateway, tmp_path: Path) -> None:
    checkpointer = FileCheckpointer(tmp_path / "cp.json")
    network = gateway.get_network("asia-europe")

    def request(**options: Any) -> Any:
        signed = network.new_chaincode_events_request("tradefin", **options)
        return gateway_pb2.ChaincodeEventsRequest.FromString(
            gateway_pb2.SignedChaincodeEventsRequest.FromString(signed.bytes).request
        )

    fresh = request(checkpoint=checkpointer)
    assert fresh.start_position.WhichOneof("Type") == "next_commit"
    assert request(checkpoint=checkpointer, start_block=4).start_position.specified.number == 4

    checkpointer.checkpoint_chaincode_event(event(12, "tx-12"))
    resumed = request(checkpoint=checkpointer, start_block=4)
    assert resumed.start_position.specified.number == 12
    assert resumed.after_transaction_id == "tx-12"
    assert resumed.chaincode_id == "tradefin"
    assert resumed.channel_id == "asia-europe"
    assert resumed.identity == gateway.identity.creator

    checkpointer.checkpoint_block(12)
    after_block = request(checkpoint=checkpointer)
    assert after_block.start_position.specified.number == 13
    assert after_block.after_transaction_id == ""


def test_a_zero_checkpoint_is_no_position(gateway: Gateway) -> None:
    class Zero:  # a checkpoint of the user's own at the official clients' zero value
        block_number = 0
        transaction_id = ""

    network = gateway.get_network("asia-europe")
    signed = network.new_chaincode_events_request("tradefin", checkpoint=Zero(), start_block=4)
    request = gateway_pb2.ChaincodeEventsRequest.FromString(
        gateway_pb2.SignedChaincodeEventsRequest.FromString(signed.bytes).request
    )
    assert request.start_position.specified.number == 4
    zero_with_tx = type("ZeroTx", (), {"block_number": 0, "transaction_id": "tx-0"})()
    signed = network.new_chaincode_events_request("tradefin", checkpoint=zero_with_tx, start_block=4)
    request = gateway_pb2.ChaincodeEventsRequest.FromString(
        gateway_pb2.SignedChaincodeEventsRequest.FromString(signed.bytes).request
    )
    assert (request.start_position.specified.number, request.after_transaction_id) == (0, "tx-0")


def test_threads_sharing_a_file_checkpointer_leave_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.json"
    checkpointer = FileCheckpointer(path)
    errors: list[BaseException] = []

    def worker(first: int) -> None:
        try:
            for block in range(first, first + 50):
                checkpointer.checkpoint_transaction(block, f"tx-{block}")
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(index * 100,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    reread = FileCheckpointer(path)  # the file holds exactly the last checkpoint made
    assert (reread.block_number, reread.transaction_id) == (checkpointer.block_number, checkpointer.transaction_id)
    assert [p.name for p in tmp_path.iterdir()] == ["shared.json"]  # no temporary file left behind
