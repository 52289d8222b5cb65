"""The gateway client against the real session network: every scenario of the gateway issue.

Channel asia-europe (bank1 + bank2, MAJORITY endorsement), chaincode ``tradefin`` with its ``kv``
contract. Each test writes keys of its own, so the tests are independent of each other and of the
other integration tests sharing the network. Facts about the ledger are checked on the ledger itself
(commit status, blocks from the peer's Deliver service), not taken from the client's word.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import proposal_pb2, transaction_pb2

from tradefin.gateway import (
    Block,
    BlockTransaction,
    CommitError,
    CommitStatusError,
    ConnectionProfile,
    EndorseError,
    Endpoint,
    EvaluateError,
    FileCheckpointer,
    Gateway,
    GrpcCode,
    InMemoryCheckpointer,
    Network,
    Outcome,
    ResubmitPolicy,
    Signer,
    SigningError,
    ValidationCode,
    X509Identity,
    aio,
    connect,
    load_msp_identity,
    load_msp_signer,
)
from tradefin.network.network import FabricNetwork

CHANNEL = "asia-europe"
CHAINCODE = "tradefin"
BOTH_BANKS = ["Bank1MSP", "Bank2MSP"]


def unique(name: str) -> str:
    """A key no other test (or earlier session on a reused ledger) has written."""
    return f"{name}-{time.time_ns()}-{os.urandom(3).hex()}"


@pytest.fixture(scope="module")
def bank1(fabric_network: FabricNetwork) -> Iterator[Gateway]:
    with fabric_network.gateway(fabric_network.spec.bank("bank1")) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def bank2(fabric_network: FabricNetwork) -> Iterator[Gateway]:
    with fabric_network.gateway(fabric_network.spec.bank("bank2")) as gateway:
        yield gateway


def msp_of(network: FabricNetwork, bank: str) -> Path:
    return network.layout.bank_user(network.spec.bank(bank), "User1") / "msp"


@dataclasses.dataclass(frozen=True)
class Client:
    """What an application of one bank connects with: its peer's endpoint (from the connection profile
    the launcher wrote), User1's identity and signer (from its MSP folder)."""

    endpoint: Endpoint
    identity: X509Identity
    signer: Signer
    msp: Path


@pytest.fixture(scope="module")
def clients(fabric_network: FabricNetwork) -> dict[str, Client]:
    found = {}
    for bank in fabric_network.spec.banks:
        profile = ConnectionProfile.load(fabric_network.layout.profile(bank, "json"))
        msp = msp_of(fabric_network, bank.name)
        found[bank.name] = Client(
            profile.endpoint(profile.organization(bank.msp_id).peers[0]),
            load_msp_identity(msp, bank.msp_id),
            load_msp_signer(msp),
            msp,
        )
    return found


def block_transaction(network: Network, block_number: int, transaction_id: str) -> tuple[Block, BlockTransaction]:
    """The block ``block_number`` from the peer and the transaction ``transaction_id`` in it."""
    with network.block_events(start_block=block_number, timeout=10) as blocks:
        block = next(blocks)
    assert block.number == block_number
    found = [t for t in block.transactions() if t.transaction_id == transaction_id]
    assert found, f"transaction {transaction_id} is not in block {block_number}"
    return block, found[0]


def endorser_msp_ids(envelope: bytes) -> set[str]:
    """The MSP ids of the endorsements carried by an endorser transaction envelope."""
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(envelope).payload)
    transaction = transaction_pb2.Transaction.FromString(payload.data)
    msp_ids = set()
    for action in transaction.actions:
        action_payload = transaction_pb2.ChaincodeActionPayload.FromString(action.payload)
        for endorsement in action_payload.action.endorsements:
            msp_ids.add(str(identities_pb2.SerializedIdentity.FromString(endorsement.endorser).mspid))
    return msp_ids


def ledger_blocks(network: Network, last: int) -> list[Block]:
    """Every block of the channel from 0 up to ``last``."""
    blocks = []
    with network.block_events(start_block=0, timeout=20) as stream:
        for block in stream:
            blocks.append(block)
            if block.number >= last:
                break
    return blocks


# --- evaluate and submit ---------------------------------------------------------------------------------


def test_submit_is_endorsed_by_both_banks_under_majority_and_read_back_by_each(
    fabric_network: FabricNetwork, bank1: Gateway, bank2: Gateway
) -> None:
    network = bank1.get_network(CHANNEL)
    contract = network.get_contract(CHAINCODE)
    key, value = unique("majority"), "written by bank1, endorsed by both"

    # The gateway derives the endorsers from the MAJORITY policy: both banks of the channel.
    transaction = contract.new_proposal("kv:Put", [key, value]).endorse()
    assert transaction.result == value.encode()
    status = transaction.submit().status()
    assert status.successful and status.code_name == "VALID"
    _, committed = block_transaction(network, status.block_number, transaction.transaction_id)
    assert committed.validation_code == ValidationCode.VALID
    assert endorser_msp_ids(committed.envelope) == set(BOTH_BANKS)

    # Each bank's own peer answers the query from its own copy of the ledger.
    for gateway, msp_id in ((bank1, "Bank1MSP"), (bank2, "Bank2MSP")):
        reader = gateway.get_network(CHANNEL).get_contract(CHAINCODE)
        assert reader.evaluate("kv:Get", [key], target_orgs=[msp_id]) == value.encode()

    # The one-call form, with the endorsing organisations named, from the other bank; bytes arguments.
    assert bank2.get_network(CHANNEL).get_contract(CHAINCODE).submit(
        "kv:Put", [key.encode(), b"\x00\xffbinary"], endorsing_orgs=BOTH_BANKS
    ) == b"\x00\xffbinary"
    assert contract.evaluate("kv:Get", [key]) == b"\x00\xffbinary"


def test_one_bank_alone_is_committed_invalid_with_the_policy_failure(bank1: Gateway) -> None:
    contract = bank1.get_network(CHANNEL).get_contract(CHAINCODE)
    key = unique("lonely")
    with pytest.raises(CommitError) as info:
        contract.submit("kv:Put", [key, "x"], endorsing_orgs=["Bank1MSP"])
    assert info.value.code == ValidationCode.ENDORSEMENT_POLICY_FAILURE
    assert info.value.code_name == "ENDORSEMENT_POLICY_FAILURE"
    assert len(info.value.transaction_id) == 64
    # Invalid means its write was discarded.
    with pytest.raises(EvaluateError, match="does not exist"):
        contract.evaluate("kv:Get", [key])


def test_the_blocking_front_end_serves_many_threads_on_one_connection(bank1: Gateway) -> None:
    contract = bank1.get_network(CHANNEL).get_contract(CHAINCODE)
    prefix = unique("threads")
    keys = [f"{prefix}-{i}" for i in range(24)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(lambda key: contract.submit("kv:Put", [key, key]), keys))
    assert results == [key.encode() for key in keys]
    assert [contract.evaluate("kv:Get", [key]) for key in keys] == [key.encode() for key in keys]


# --- transient data ----------------------------------------------------------------------------------------


def test_transient_data_reaches_the_chaincode_and_never_the_ledger(bank1: Gateway) -> None:
    network = bank1.get_network(CHANNEL)
    contract = network.get_contract(CHAINCODE)
    key = unique("transient")
    secret = f"letter-of-credit terms {os.urandom(16).hex()}".encode()
    expected = hashlib.sha256(secret).hexdigest()

    transaction = contract.new_proposal(
        "kv:PutTransient", [key], transient={"value": secret}, endorsing_orgs=BOTH_BANKS
    ).endorse()
    assert transaction.result == expected.encode()  # the chaincode hashed what it received
    assert secret not in transaction.bytes  # the gateway stripped it from the transaction to sign
    status = transaction.submit().status()
    assert status.successful
    assert contract.evaluate("kv:Get", [key]) == expected.encode()

    blocks = ledger_blocks(network, status.block_number)
    assert [block.number for block in blocks] == list(range(status.block_number + 1))
    for block in blocks:
        assert all(secret not in envelope for envelope in block.envelopes), f"secret in block {block.number}"
    _, committed = block_transaction(network, status.block_number, transaction.transaction_id)
    payload = common_pb2.Payload.FromString(common_pb2.Envelope.FromString(committed.envelope).payload)
    action = transaction_pb2.Transaction.FromString(payload.data).actions[0]
    proposal_payload = proposal_pb2.ChaincodeProposalPayload.FromString(
        transaction_pb2.ChaincodeActionPayload.FromString(action.payload).chaincode_proposal_payload
    )
    assert len(proposal_payload.TransientMap) == 0

    # Missing transient data is the chaincode's error, with its code.
    with pytest.raises(EndorseError, match="ERR_INVALID_INPUT"):
        contract.submit("kv:PutTransient", [unique("no-transient")])


# --- chaincode events with a file checkpoint across a client restart -------------------------------------

_LISTENER = """
import os, sys
from tradefin.gateway import ConnectionProfile, FileCheckpointer, connect, load_msp_identity, load_msp_signer

profile_path, peer, msp, checkpoint_path, output_path, prefix, start_block, stop_after = sys.argv[1:]
profile = ConnectionProfile.load(profile_path)
gateway = connect(profile.endpoint(peer), load_msp_identity(msp, "Bank1MSP"), load_msp_signer(msp))
checkpointer = FileCheckpointer(checkpoint_path)
seen = 0
with open(output_path, "a") as output:
    events = gateway.get_network("asia-europe").chaincode_events(
        "tradefin", checkpoint=checkpointer, start_block=int(start_block), timeout=30
    )
    for event in events:
        if event.payload.decode().startswith(prefix):
            output.write(f"{event.block_number} {event.transaction_id} {event.payload.decode()}\\n")
            output.flush()
            os.fsync(output.fileno())
            seen += 1
        checkpointer.checkpoint_chaincode_event(event)
        if seen == int(stop_after):
            os._exit(0)  # the client dies: no close, no goodbye
"""


def test_chaincode_events_resume_from_a_file_checkpoint_after_a_client_restart(
    fabric_network: FabricNetwork, bank1: Gateway, clients: dict[str, Client], tmp_path: Path
) -> None:
    network = bank1.get_network(CHANNEL)
    contract = network.get_contract(CHAINCODE)
    prefix = unique("event")
    checkpoint_file, output = tmp_path / "events.checkpoint.json", tmp_path / "processed.txt"

    marker = contract.new_proposal("kv:Put", [f"{prefix}-0", "v"]).endorse().submit().status()
    first_batch = [f"{prefix}-{i}" for i in range(1, 9)]

    async def submit_concurrently(keys: list[str]) -> None:  # several events per block
        client = clients["bank1"]
        async with aio.connect(client.endpoint, client.identity, client.signer) as g:
            aio_contract = g.get_network(CHANNEL).get_contract(CHAINCODE)
            await asyncio.gather(*(aio_contract.submit("kv:Put", [key, "v"]) for key in keys))

    asyncio.run(submit_concurrently(first_batch))

    # First client: processes 5 of our 9 events, checkpointing each, then dies.
    profile = fabric_network.layout.profile(fabric_network.spec.bank("bank1"), "json")
    peer = ConnectionProfile.load(profile).organization("Bank1MSP").peers[0]
    listener = subprocess.run(
        [sys.executable, "-c", _LISTENER, str(profile), peer, str(clients["bank1"].msp),
         str(checkpoint_file), str(output), prefix, str(marker.block_number), "5"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert listener.returncode == 0, listener.stderr
    assert len(output.read_text().splitlines()) == 5
    saved = json.loads(checkpoint_file.read_text())
    assert saved["blockNumber"] >= marker.block_number and len(saved["transactionId"]) == 64

    # While it is down, more events are emitted.
    second_batch = [f"{prefix}-{i}" for i in range(9, 13)]
    asyncio.run(submit_concurrently(second_batch))

    # Restarted client: a new connection and a checkpointer read back from the file.
    expected = [f"{prefix}-0", *first_batch, *second_batch]
    with fabric_network.gateway(fabric_network.spec.bank("bank1")) as gateway:
        checkpointer = FileCheckpointer(checkpoint_file)
        assert (checkpointer.block_number, checkpointer.transaction_id) == (
            saved["blockNumber"], saved["transactionId"]
        )
        processed = output.read_text().split()[2::3]
        with gateway.get_network(CHANNEL).chaincode_events(
            CHAINCODE, checkpoint=checkpointer, start_block=0, timeout=30
        ) as events:
            for event in events:
                if event.payload.decode().startswith(prefix):
                    processed.append(event.payload.decode())
                checkpointer.checkpoint_chaincode_event(event)
                if len(processed) >= len(expected):
                    break
    assert len(processed) == len(set(processed)), "an event was delivered twice"
    assert sorted(processed) == sorted(expected), "an event was lost"
    assert processed[0] == f"{prefix}-0"  # the stream started at the marker's block


# --- block events ------------------------------------------------------------------------------------------


def test_block_events_full_filtered_and_with_private_data(bank1: Gateway) -> None:
    network = bank1.get_network(CHANNEL)
    contract = network.get_contract(CHAINCODE)
    key = unique("blocks")
    transaction = contract.new_proposal("kv:Put", [key, "v"]).endorse()
    status = transaction.submit().status()
    height = status.block_number

    # Full blocks: typed, consecutive, with the transaction and its validation code.
    with network.block_events(start_block=height - 1, timeout=10) as stream:
        previous, block = next(stream), next(stream)
    assert (previous.number, block.number) == (height - 1, height)
    assert block.previous_hash and block.data_hash and len(block.validation_codes) == len(block.envelopes)
    ours = [t for t in block.transactions() if t.transaction_id == transaction.transaction_id]
    assert len(ours) == 1
    assert ours[0].validation_code_name == "VALID" and ours[0].header_type == common_pb2.ENDORSER_TRANSACTION
    # the chaincode event, read from the full block with its payload (kv:Put emits the key)
    [event] = [e for e in block.chaincode_events() if e.transaction_id == transaction.transaction_id]
    assert (event.block_number, event.chaincode_name, event.event_name, event.payload) == (
        height,
        CHAINCODE,
        "kv.put",
        key.encode(),
    )

    # Filtered blocks: ids, codes and the chaincode event without its payload.
    with network.filtered_block_events(start_block=height, timeout=10) as stream:
        filtered = next(stream)
    assert filtered.number == height and filtered.channel == CHANNEL
    mine = [t for t in filtered.transactions if t.transaction_id == transaction.transaction_id]
    assert len(mine) == 1 and mine[0].validation_code == ValidationCode.VALID
    assert [(e.event_name, e.chaincode_name, e.payload) for e in mine[0].chaincode_events] == [
        ("kv.put", CHAINCODE, b"")
    ]

    # Blocks with private data: the chaincode approval of bank1 wrote its implicit collection; bank1's
    # peer holds that private data (and not bank2's).
    collections: set[tuple[str, str]] = set()
    numbers = []
    with network.block_and_private_data_events(start_block=0, timeout=20) as stream:
        for item in stream:
            numbers.append(item.block.number)
            for index in item.private_data:
                assert index < len(item.block.envelopes)
                writes = item.private_writes(index)
                assert writes and all(write.key and not write.is_delete for write in writes)
                collections.update((write.namespace, write.collection) for write in writes)
            if item.block.number == height:
                assert transaction.transaction_id in {t.transaction_id for t in item.block.transactions()}
                break
    assert numbers == list(range(height + 1))
    assert ("_lifecycle", "_implicit_org_Bank1MSP") in collections
    assert ("_lifecycle", "_implicit_org_Bank2MSP") not in collections

    # A block checkpoint resumes after the checkpointed block.
    checkpointer = InMemoryCheckpointer()
    checkpointer.checkpoint_block(height - 1)
    with network.block_events(checkpoint=checkpointer, timeout=10) as stream:
        assert next(stream).number == height


def test_block_events_from_the_next_commit(bank1: Gateway) -> None:
    network = bank1.get_network(CHANNEL)
    contract = network.get_contract(CHAINCODE)
    committed_before = contract.submit_async("kv:Put", [unique("before"), "v"]).status().block_number
    with network.filtered_block_events(timeout=20) as stream:  # no start: the next block committed
        time.sleep(0.3)  # let the stream reach the peer before the transaction is ordered
        submitted = contract.submit_async("kv:Put", [unique("next"), "v"])
        seen: list[str] = []
        numbers: list[int] = []
        for block in stream:
            numbers.append(block.number)
            seen.extend(t.transaction_id for t in block.transactions)
            if submitted.transaction_id in seen:
                break
    assert submitted.status().successful
    assert numbers[0] > committed_before  # not a replay from an older block


# --- errors --------------------------------------------------------------------------------------------------


def test_a_chaincode_rejection_carries_each_peers_details(fabric_network: FabricNetwork, bank1: Gateway) -> None:
    contract = bank1.get_network(CHANNEL).get_contract(CHAINCODE)
    reason = unique("refused")
    with pytest.raises(EndorseError) as info:
        contract.submit("kv:Fail", [reason], endorsing_orgs=BOTH_BANKS)
    error = info.value
    assert error.code == GrpcCode.ABORTED
    assert len(error.transaction_id) == 64
    peers = {
        f"127.0.0.1:{fabric_network.ports.port(f'{bank}-peer0', 'listen')}": msp_id
        for bank, msp_id in (("bank1", "Bank1MSP"), ("bank2", "Bank2MSP"))
    }
    assert {(d.address, d.msp_id) for d in error.details} == set(peers.items())
    for detail in error.details:
        assert "chaincode response 500" in detail.message
        assert f"ERR_INVALID_INPUT: {reason}" in detail.message
    assert reason in str(error) and "Bank2MSP" in str(error)

    with pytest.raises(EvaluateError) as evaluated:
        contract.evaluate("kv:Fail", [reason], target_orgs=["Bank2MSP"])
    [detail] = evaluated.value.details
    assert detail.msp_id == "Bank2MSP" and f"ERR_INVALID_INPUT: {reason}" in detail.message


def test_a_read_conflict_is_a_commit_error_with_mvcc_read_conflict(bank1: Gateway, clients: dict[str, Client]) -> None:
    contract = bank1.get_network(CHANNEL).get_contract(CHAINCODE)
    counter = unique("counter")
    # Both read the same version of the counter; the second one to commit conflicts.
    first = contract.new_proposal("kv:Increment", [counter]).endorse()
    second = contract.new_proposal("kv:Increment", [counter]).endorse()
    assert first.result == second.result == b"1"
    assert first.resolve().outcome is Outcome.VALID
    resolution = second.resolve()
    assert resolution.outcome is Outcome.INVALID
    with pytest.raises(CommitError) as info:
        resolution.raise_for_outcome()
    assert info.value.code_name == "MVCC_READ_CONFLICT"
    assert info.value.code == ValidationCode.MVCC_READ_CONFLICT
    assert info.value.transaction_id == second.transaction_id
    assert contract.evaluate("kv:Get", [counter]) == b"1"

    # The same through the one-call submit, concurrent increments from the asyncio front end.
    async def race() -> list[bytes | BaseException]:
        client = clients["bank1"]
        async with aio.connect(client.endpoint, client.identity, client.signer) as gateway:
            aio_contract = gateway.get_network(CHANNEL).get_contract(CHAINCODE)
            return await asyncio.gather(
                *(aio_contract.submit("kv:Increment", [counter]) for _ in range(4)), return_exceptions=True
            )

    outcomes = asyncio.run(race())
    conflicts = [o for o in outcomes if isinstance(o, CommitError)]
    assert all(isinstance(o, bytes | CommitError) for o in outcomes), outcomes
    assert all(c.code_name == "MVCC_READ_CONFLICT" for c in conflicts)
    winners = [o for o in outcomes if isinstance(o, bytes)]
    assert contract.evaluate("kv:Get", [counter]) == str(1 + len(winners)).encode()


def test_deadlines_are_enforced_and_said(bank1: Gateway) -> None:
    network = bank1.get_network(CHANNEL)
    contract = network.get_contract(CHAINCODE)

    # A commit status wait for a transaction that will never commit ends at the deadline.
    started = time.monotonic()
    with pytest.raises(CommitStatusError) as info:
        network.new_commit(hashlib.sha256(os.urandom(8)).hexdigest()).status(timeout=1.0)
    elapsed = time.monotonic() - started
    assert info.value.code == GrpcCode.DEADLINE_EXCEEDED
    assert 0.9 <= elapsed < 5

    # A per-call step deadline without the resubmit path: the error says so, the transaction still commits.
    short = dataclasses.replace(bank1.timeouts, commit_status=0.001)
    with pytest.raises(CommitStatusError) as submitted:
        contract.submit("kv:Put", [unique("deadline"), "v"], timeouts=short, resubmit=False)
    assert submitted.value.code == GrpcCode.DEADLINE_EXCEEDED
    assert network.new_commit(submitted.value.transaction_id).status(timeout=10).successful

    # An evaluate deadline that has passed before the request can leave.
    with pytest.raises(EvaluateError) as evaluated:
        contract.evaluate("kv:Get", ["tradefin.ready"], timeout=1e-6)
    assert evaluated.value.code == GrpcCode.DEADLINE_EXCEEDED


def test_resubmitting_the_same_envelope_never_runs_it_twice(bank1: Gateway) -> None:
    network = bank1.get_network(CHANNEL)
    contract = network.get_contract(CHAINCODE)
    counter = unique("resubmit")
    transaction = contract.new_proposal("kv:Increment", [counter]).endorse()
    # Commit status deadlines far shorter than a block: the envelope is submitted again and again.
    policy = ResubmitPolicy(commit_status_timeout=0.05, max_submits=3, max_status_queries=30, pause=0.05)
    resolution = transaction.resolve(policy)
    assert resolution.outcome is Outcome.VALID
    assert resolution.status is not None
    assert resolution.submit_attempts >= 2
    # On the ledger: one VALID copy, every other copy refused as a duplicate, the counter incremented once.
    copies = []
    with network.block_events(start_block=resolution.status.block_number, timeout=5) as stream:
        for block in stream:
            copies += [t.validation_code_name for t in block.transactions()
                       if t.transaction_id == transaction.transaction_id]
            if len(copies) >= resolution.submit_attempts:
                break
    assert copies[0] == "VALID"
    assert set(copies[1:]) <= {"DUPLICATE_TXID"}
    assert contract.evaluate("kv:Get", [counter]) == b"1"


def test_wrong_channel_and_unknown_chaincode_errors_say_what_was_wrong(bank1: Gateway, bank2: Gateway) -> None:
    missing_channel = bank1.get_network("no-such-channel").get_contract(CHAINCODE)
    with pytest.raises(EvaluateError) as info:
        missing_channel.evaluate("kv:Get", ["k"])
    assert "no-such-channel" in info.value.message
    with pytest.raises(EndorseError) as endorsed:
        missing_channel.submit("kv:Put", ["k", "v"])
    assert "no-such-channel" in endorsed.value.message

    # A channel that exists, but that bank2's peer has not joined.
    with pytest.raises(EvaluateError) as not_joined:
        bank2.get_network("asia-americas").get_contract(CHAINCODE).evaluate("kv:Get", ["k"])
    assert "asia-americas" in not_joined.value.message

    missing_chaincode = bank1.get_network(CHANNEL).get_contract("no-such-chaincode")
    with pytest.raises(EvaluateError) as evaluated:
        missing_chaincode.evaluate("kv:Get", ["k"])
    assert evaluated.value.code == GrpcCode.FAILED_PRECONDITION
    assert "no-such-chaincode" in evaluated.value.message
    with pytest.raises(EndorseError) as submitted:
        missing_chaincode.submit("kv:Put", ["k", "v"])
    assert submitted.value.code == GrpcCode.FAILED_PRECONDITION
    assert "no-such-chaincode" in submitted.value.message

    with pytest.raises(EvaluateError) as unknown_function:
        bank1.get_network(CHANNEL).get_contract(CHAINCODE).evaluate("kv:NoSuchFunction")
    assert "kv:NoSuchFunction" in str(unknown_function.value)


# --- the asyncio front end -----------------------------------------------------------------------------------


def test_the_asyncio_front_end_end_to_end(clients: dict[str, Client]) -> None:
    client = clients["bank1"]
    prefix = unique("aio")
    keys = [f"{prefix}-{i}" for i in range(30)]

    async def scenario() -> None:
        async with aio.connect(client.endpoint, client.identity, client.signer) as gateway:
            network = gateway.get_network(CHANNEL)
            contract = network.get_contract(CHAINCODE)
            results = await asyncio.gather(*(contract.submit("kv:Put", [key, key]) for key in keys))
            assert results == [key.encode() for key in keys]
            values = await asyncio.gather(*(contract.evaluate("kv:Get", [key]) for key in keys))
            assert values == [key.encode() for key in keys]

            submitted = await contract.submit_async("kv:Put", [f"{prefix}-async", "later"])
            assert submitted.result == b"later"  # known before the commit
            status = await submitted.status()
            assert status.successful

            # Chaincode events as an async iterator, from the block of the async submit.
            async with await network.chaincode_events(
                CHAINCODE, start_block=status.block_number, timeout=10
            ) as events:
                async for event in events:
                    if event.transaction_id == submitted.transaction_id:
                        assert (event.event_name, event.payload) == ("kv.put", f"{prefix}-async".encode())
                        break

            # Fine-grained flow, then a resolution that says where the transaction ended.
            transaction = await contract.new_proposal("kv:Increment", [f"{prefix}-counter"]).endorse()
            resolution = await transaction.resolve()
            assert resolution.outcome is Outcome.VALID and resolution.submit_attempts == 1

            # Cancelling the awaiting task cancels the call: a commit status wait that would last 30 s.
            waiting = asyncio.ensure_future(
                network.new_commit(hashlib.sha256(os.urandom(8)).hexdigest()).status(timeout=30)
            )
            await asyncio.sleep(0.3)
            started = time.monotonic()
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            assert time.monotonic() - started < 1

            # Errors are the same types as in the blocking front end.
            with pytest.raises(EndorseError) as info:
                await contract.submit("kv:Fail", ["async refusal"], endorsing_orgs=BOTH_BANKS)
            assert {d.msp_id for d in info.value.details} == set(BOTH_BANKS)

    asyncio.run(scenario())


def test_the_asyncio_front_end_takes_a_coroutine_signer(clients: dict[str, Client]) -> None:
    client = clients["bank2"]
    signed = 0

    async def remote_signer(digest: bytes) -> bytes:  # e.g. a network HSM
        nonlocal signed
        await asyncio.sleep(0)
        signed += 1
        return client.signer(digest)

    async def scenario() -> bytes:
        async with aio.connect(client.endpoint, client.identity, remote_signer) as gateway:
            contract = gateway.get_network(CHANNEL).get_contract(CHAINCODE)
            return await contract.submit("kv:Put", [unique("hsm"), "signed remotely"])

    assert asyncio.run(scenario()) == b"signed remotely"
    assert signed == 3  # proposal, envelope, commit status request


# --- offline signing ------------------------------------------------------------------------------------------


def test_offline_signing_end_to_end(clients: dict[str, Client]) -> None:
    client = clients["bank1"]
    hsm_sign = client.signer  # stands for a key this process never holds
    key = unique("offline")
    with connect(client.endpoint, client.identity) as gateway:  # no signer
        network = gateway.get_network(CHANNEL)
        contract = network.get_contract(CHAINCODE)
        with pytest.raises(SigningError):
            contract.submit("kv:Put", [key, "v"])

        unsigned = contract.new_proposal("kv:Put", [key, "signed elsewhere"], endorsing_orgs=BOTH_BANKS)
        proposal = gateway.new_signed_proposal(unsigned.bytes, hsm_sign(unsigned.digest))
        assert proposal.transaction_id == unsigned.transaction_id
        endorsed = proposal.endorse()
        transaction = gateway.new_signed_transaction(endorsed.bytes, hsm_sign(endorsed.digest))
        assert transaction.result == b"signed elsewhere"
        submitted = transaction.submit()
        commit = gateway.new_signed_commit(submitted.bytes, hsm_sign(submitted.digest))
        status = commit.status(timeout=15)
        assert status.successful and status.transaction_id == unsigned.transaction_id

        query = contract.new_proposal("kv:Get", [key])
        assert gateway.new_signed_proposal(query.bytes, hsm_sign(query.digest)).evaluate() == b"signed elsewhere"

        # the resubmit path offline: both signatures are made before the first Submit
        second = contract.new_proposal("kv:Put", [key + "-resolved", "v"], endorsing_orgs=BOTH_BANKS)
        endorsed = gateway.new_signed_proposal(second.bytes, hsm_sign(second.digest)).endorse()
        resolvable = gateway.new_signed_transaction(endorsed.bytes, hsm_sign(endorsed.digest))
        with pytest.raises(SigningError, match="commit_signature"):
            resolvable.resolve()  # refused before anything is sent
        resolution = resolvable.resolve(commit_signature=hsm_sign(resolvable.commit_digest))
        assert resolution.outcome is Outcome.VALID and resolution.submit_attempts == 1

        request = network.new_chaincode_events_request(CHAINCODE, start_block=status.block_number)
        signed_request = gateway.new_signed_chaincode_events_request(request.bytes, hsm_sign(request.digest))
        with signed_request.events(timeout=10) as events:
            event = next(e for e in events if e.transaction_id == status.transaction_id)
        assert event.payload == key.encode()

        blocks = network.new_filtered_block_events_request(start_block=status.block_number)
        signed_blocks = gateway.new_signed_filtered_block_events_request(blocks.bytes, hsm_sign(blocks.digest))
        with signed_blocks.events(timeout=10) as stream:
            block = next(stream)
        assert status.transaction_id in {t.transaction_id for t in block.transactions}

    # The same signed bytes, carried to another process, still work there: rebuilt with a fresh gateway.
    with connect(client.endpoint, client.identity) as elsewhere:
        again = elsewhere.new_commit(commit.bytes)
        assert again.signature == commit.signature
        assert again.status(timeout=10) == status


# --- identities ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_identities_from_msp_folders_and_the_launchers_connection_profiles(
    fabric_network: FabricNetwork, suffix: str
) -> None:
    for bank in fabric_network.spec.banks:
        profile = ConnectionProfile.load(fabric_network.layout.profile(bank, suffix))
        assert profile.client_organization == bank.msp_id
        [peer] = profile.peers_of(bank.msp_id)
        msp = msp_of(fabric_network, bank.name)
        channel = next(c.name for c in fabric_network.spec.channels if bank.name in c.banks)
        assert peer.name in profile.channels[channel]
        # the profile says where the bank's users' MSP folders are: the same identity either way
        assert profile.identity() == load_msp_identity(msp, bank.msp_id)
        assert profile.identity(bank.msp_id, user="Admin").certificate.subject.rfc4514_string().startswith("CN=Admin@")
        if suffix == "yaml":
            identity, signer = profile.identity(), profile.signer()
        else:
            identity, signer = load_msp_identity(msp, bank.msp_id), load_msp_signer(msp)
        with connect(peer.endpoint(), identity, signer) as gateway:
            contract = gateway.get_network(channel).get_contract(CHAINCODE)
            caller = json.loads(contract.evaluate("kv:Whoami"))
            assert caller["msp_id"] == bank.msp_id
            assert f"CN=User1@{bank.domain}" in base64.b64decode(caller["id"]).decode()  # Fabric's client id
            if suffix == "json":
                assert contract.submit("kv:Put", [unique(f"profile-{bank.name}"), "v"]) == b"v"


def test_an_identity_of_another_organisation_is_refused(clients: dict[str, Client]) -> None:
    # bank3's user, connected to bank1's peer, on a channel bank3 is not a member of.
    outsider = clients["bank3"]
    with connect(clients["bank1"].endpoint, outsider.identity, outsider.signer) as gateway:
        contract = gateway.get_network(CHANNEL).get_contract(CHAINCODE)
        with pytest.raises(EvaluateError) as info:
            contract.evaluate("kv:Get", ["tradefin.ready"])
    assert info.value.code in (GrpcCode.PERMISSION_DENIED, GrpcCode.UNKNOWN, GrpcCode.FAILED_PRECONDITION)
    assert "Bank3MSP" in str(info.value) or "access denied" in str(info.value).lower()
