# mypy: disallow-any-expr, disallow-any-explicit
"""A user's script against the public gateway API, checked by ``mypy --strict`` (never run by pytest).

If a public signature loses its types (an ``Any`` leaking out, a wrong return type), mypy fails here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from tradefin.gateway import (
    Block,
    Cancellation,
    ChaincodeEvent,
    CommitError,
    CommitStatusError,
    ConnectionProfile,
    EndorseError,
    ErrorDetail,
    FileCheckpointer,
    FilteredBlock,
    Gateway,
    GrpcCode,
    Outcome,
    Resolution,
    ResubmitPolicy,
    Status,
    SubmitError,
    Timeouts,
    TransactionInDoubtError,
    ValidationCode,
    X509Identity,
    aio,
    connect,
    hashes,
    load_msp_identity,
    load_msp_signer,
)


def open_gateway(profile_path: Path, msp_dir: Path) -> Gateway:
    profile = ConnectionProfile.load(profile_path)
    identity: X509Identity = load_msp_identity(msp_dir, "Bank1MSP")
    endpoint = profile.endpoint(profile.organization("Bank1MSP").peers[0])
    return connect(
        endpoint,
        identity,
        load_msp_signer(msp_dir),
        hash=hashes.sha256,
        timeouts=Timeouts(evaluate=5, endorse=15, submit=5, commit_status=30),
        resubmit=ResubmitPolicy(commit_status_timeout=10, max_submits=3),
    )


def issue_letter_of_credit(gateway: Gateway) -> bytes:
    contract = gateway.get_network("asia-europe").get_contract("tradefin", "lc")
    try:
        return contract.submit(
            "Issue",
            ["LC-1", b"\x01"],
            transient={"terms": b"{}"},
            endorsing_orgs=["Bank1MSP", "Bank2MSP"],
            timeouts=dataclasses.replace(gateway.timeouts, commit_status=10),
        )
    except EndorseError as error:
        details: tuple[ErrorDetail, ...] = error.details
        messages = [f"{d.address} {d.msp_id} {d.message}" for d in details]
        raise RuntimeError(f"{error.transaction_id} {error.code.name}: {messages}") from error
    except CommitError as error:
        code_name: str = error.code_name
        raise RuntimeError(f"{error.transaction_id} committed invalid: {code_name}") from error
    except TransactionInDoubtError as error:
        resolution: Resolution = error.resolution
        raise RuntimeError(f"in doubt after {resolution.submit_attempts} submits") from error


def query(gateway: Gateway) -> str:
    result: bytes = (
        gateway.get_network("asia-europe")
        .get_contract("tradefin")
        .evaluate("lc:Get", ["LC-1"], target_orgs=["Bank2MSP"], timeout=2.0)
    )
    return result.decode()


def fine_grained(gateway: Gateway) -> Outcome:
    contract = gateway.get_network("asia-europe").get_contract("tradefin")
    proposal = contract.new_proposal("lc:Amend", ["LC-1"], endorsing_orgs=["Bank1MSP"])
    transaction = proposal.endorse(timeout=10)
    result: bytes = transaction.result
    try:
        submitted = transaction.submit()
    except SubmitError:
        return transaction.resolve().outcome
    try:
        status: Status = submitted.status(timeout=5)
    except CommitStatusError as error:
        assert error.code is GrpcCode.DEADLINE_EXCEEDED or result
        return submitted.resolve(ResubmitPolicy(max_submits=5)).outcome
    return Outcome.VALID if status.code == ValidationCode.VALID else Outcome.INVALID


def offline(gateway: Gateway) -> Status:
    contract = gateway.get_network("asia-europe").get_contract("tradefin")
    unsigned = contract.new_proposal("lc:Issue", ["LC-2"])
    to_sign: bytes = unsigned.digest
    signature = bytes(to_sign)  # stands for an external signature
    proposal = gateway.new_signed_proposal(unsigned.bytes, signature)
    endorsed = proposal.endorse()
    transaction = gateway.new_signed_transaction(endorsed.bytes, endorsed.digest)
    submitted = transaction.submit()
    commit = gateway.new_signed_commit(submitted.bytes, submitted.digest)
    return commit.status()


def listen(gateway: Gateway, checkpoint_file: Path) -> list[ChaincodeEvent]:
    checkpointer = FileCheckpointer(checkpoint_file)
    received: list[ChaincodeEvent] = []
    network = gateway.get_network("asia-europe")
    with network.chaincode_events("tradefin", checkpoint=checkpointer, start_block=0) as events:
        for event in events:
            received.append(event)
            checkpointer.checkpoint_chaincode_event(event)
            if len(received) == 10:
                break
    with network.filtered_block_events(start_block=0) as blocks:
        first: FilteredBlock = next(blocks)
        assert first.transactions[0].validation_code_name
    with network.block_events(start_block=0) as full:
        block: Block = next(full)
        assert block.transactions()[0].transaction_id
    return received


async def async_client(profile_path: Path, msp_dir: Path) -> list[bytes]:
    profile = ConnectionProfile.load(profile_path)
    identity = load_msp_identity(msp_dir, "Bank1MSP")
    sign = load_msp_signer(msp_dir)

    async def remote_signer(digest: bytes) -> bytes:
        await asyncio.sleep(0)
        return sign(digest)

    async with aio.connect(profile.endpoint("peer0.bank1.example.com"), identity, remote_signer) as gateway:
        contract = gateway.get_network("asia-europe").get_contract("tradefin")
        results = await asyncio.gather(*(contract.submit("lc:Issue", [f"LC-{i}"]) for i in range(10)))
        submitted: aio.SubmittedTransaction = await contract.submit_async("lc:Issue", ["LC-X"])
        resolution = await submitted.resolve()
        assert resolution.outcome is Outcome.VALID
        events = await gateway.get_network("asia-europe").chaincode_events("tradefin")
        async with events:
            async for event in events:
                results.append(event.payload)
                break
        return results


def cancellable_submit_and_block_contents(gateway: Gateway, profile: ConnectionProfile, block: Block) -> int:
    cancellation = Cancellation()
    with cancellation:
        gateway.get_network("asia-europe").get_contract("tradefin").submit("kv:Put", ["k", "v"])
    cancelled: bool = cancellation.cancelled
    events: tuple[ChaincodeEvent, ...] = block.chaincode_events(valid_only=False)
    identity: X509Identity = profile.identity("Bank1MSP", user="User1")
    signer = profile.signer()
    signature: bytes = signer(b"digest")
    return len(events) + int(cancelled) + len(identity.msp_id) + len(signature)


def offline_resolve(gateway: Gateway, transaction_bytes: bytes, signature: bytes, commit_signature: bytes) -> Outcome:
    transaction = gateway.new_signed_transaction(transaction_bytes, signature)
    digest: bytes = transaction.commit_digest
    assert digest
    return transaction.resolve(commit_signature=commit_signature).outcome
