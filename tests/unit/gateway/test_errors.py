"""Error classification: gRPC failures become Evaluate/Endorse/Submit/CommitStatus errors with the tx id,
the gRPC code and the per-peer details decoded from grpc-status-details-bin."""

from __future__ import annotations

import pickle

import grpc  # type: ignore[import-untyped]
import pytest
from google.rpc import status_pb2

from tests.unit.gateway.fakes import FakePeer, FakeRpcError, failing
from tradefin.gateway import (
    BlockEventsError,
    CommitError,
    CommitStatusError,
    EndorseError,
    ErrorDetail,
    EvaluateError,
    Gateway,
    GatewayError,
    GrpcCode,
    Outcome,
    Resolution,
    Status,
    SubmitError,
    TransactionError,
    TransactionInDoubtError,
    ValidationCode,
)
from tradefin.gateway._grpc import gateway_error, step_name
from tradefin.gateway.errors import details_from_status_bytes

PEERS = (
    ("peer0.bank1.example.com:7051", "Bank1MSP", "chaincode response 500, ERR_UNAUTHORIZED: not the issuing bank"),
    ("peer0.bank2.example.com:9051", "Bank2MSP", "chaincode response 500, ERR_UNAUTHORIZED: not the issuing bank"),
)


def test_grpc_error_with_details_is_decoded() -> None:
    error = gateway_error(FakeRpcError(grpc.StatusCode.ABORTED, "failed to endorse transaction", PEERS))
    assert error.code is GrpcCode.ABORTED
    assert error.message == "failed to endorse transaction"
    assert error.details == tuple(ErrorDetail(*peer) for peer in PEERS)
    assert "peer0.bank2.example.com:9051 (Bank2MSP): chaincode response 500" in str(error)


def test_grpc_error_without_details() -> None:
    error = gateway_error(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused"))
    assert (error.code, error.details) == (GrpcCode.UNAVAILABLE, ())


def test_a_stream_reset_after_the_deadline_is_a_deadline_not_a_cancellation() -> None:
    # Seen on the real network: the peer resets the stream at the deadline, grpcio may say CANCELLED.
    reset = FakeRpcError(grpc.StatusCode.CANCELLED, "Stream removed (RST_STREAM with error code 8)")
    error = gateway_error(reset, elapsed=0.0021, timeout=0.002, what="the event stream")
    assert error.code is GrpcCode.DEADLINE_EXCEEDED
    assert error.message == (
        "the event stream: no answer within its deadline of 0.002 s (Stream removed (RST_STREAM with error code 8))"
    )
    assert gateway_error(reset, elapsed=0.5, timeout=5.0).code is GrpcCode.CANCELLED  # cancelled in time
    assert gateway_error(reset).code is GrpcCode.CANCELLED
    # grpcio's INTERNAL "Stream removed" after the deadline is the deadline too; before it, the peer's error
    removed = FakeRpcError(grpc.StatusCode.INTERNAL, "Stream removed")
    assert gateway_error(removed, elapsed=5.01, timeout=5.0).code is GrpcCode.DEADLINE_EXCEEDED
    assert gateway_error(removed, elapsed=1.0, timeout=5.0).code is GrpcCode.INTERNAL
    # a peer's own INTERNAL error read after the deadline stays what it was
    own = FakeRpcError(grpc.StatusCode.INTERNAL, "chaincode server failed")
    assert gateway_error(own, elapsed=31.0, timeout=30.0).code is GrpcCode.INTERNAL


def test_a_deadline_names_the_step_that_had_no_answer() -> None:
    expired = FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")
    error = gateway_error(expired, elapsed=15.002, timeout=15.0, what=step_name("/gateway.Gateway/Endorse"))
    assert str(error) == "DEADLINE_EXCEEDED: endorse: no answer within its deadline of 15 s (Deadline Exceeded)"
    assert step_name("/gateway.Gateway/CommitStatus") == "commit status"
    assert gateway_error(expired).message == "Deadline Exceeded"  # no deadline known: grpc's words


def test_undecodable_status_trailer_gives_no_details() -> None:
    assert details_from_status_bytes(b"\xff\xff") == ()
    foreign = status_pb2.Status(code=2, message="x")
    foreign.details.add(type_url="type.googleapis.com/other.Thing", value=b"\x01")
    assert details_from_status_bytes(foreign.SerializeToString()) == ()


@pytest.mark.parametrize(
    ("method", "error_class", "code"),
    [
        ("Evaluate", EvaluateError, grpc.StatusCode.ABORTED),
        ("Endorse", EndorseError, grpc.StatusCode.ABORTED),
        ("Submit", SubmitError, grpc.StatusCode.UNAVAILABLE),
        ("CommitStatus", CommitStatusError, grpc.StatusCode.PERMISSION_DENIED),
    ],
)
def test_each_step_raises_its_error_with_tx_id_code_and_details(
    gateway: Gateway, peer: FakePeer, method: str, error_class: type[TransactionError], code: object
) -> None:
    peer.script(f"/gateway.Gateway/{method}", failing(code, f"{method} failed", PEERS))
    contract = gateway.get_network("asia-europe").get_contract("tradefin")
    with pytest.raises(error_class) as caught:
        if method == "Evaluate":
            contract.evaluate("GetLC")
        else:
            contract.submit("Issue", resubmit=False)
    error = caught.value
    assert isinstance(error, GatewayError)
    assert error.code.name == code.name  # type: ignore[attr-defined]
    assert len(error.transaction_id) == 64
    assert error.transaction_id in str(error)
    assert [detail.msp_id for detail in error.details] == ["Bank1MSP", "Bank2MSP"]
    assert isinstance(error.__cause__, FakeRpcError)


def test_errors_of_a_step_keep_the_tx_id_of_the_proposal(gateway: Gateway, peer: FakePeer) -> None:
    peer.script("/gateway.Gateway/Endorse", failing(grpc.StatusCode.NOT_FOUND, "chaincode tradefin not found"))
    proposal = gateway.get_network("asia-europe").get_contract("tradefin").new_proposal("Issue")
    with pytest.raises(EndorseError) as caught:
        proposal.endorse()
    assert caught.value.transaction_id == proposal.transaction_id
    assert caught.value.code is GrpcCode.NOT_FOUND
    assert "chaincode tradefin not found" in str(caught.value)


def test_deadline_exceeded_is_a_gateway_error_of_that_code(gateway: Gateway, peer: FakePeer) -> None:
    peer.script("/gateway.Gateway/Evaluate", failing(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"))
    with pytest.raises(EvaluateError) as caught:
        gateway.get_network("ch").get_contract("cc").evaluate("slow", timeout=0.01)
    assert caught.value.code is GrpcCode.DEADLINE_EXCEEDED
    assert peer.calls[0].timeout == 0.01


def test_errors_survive_pickling_for_worker_processes() -> None:
    details = tuple(ErrorDetail(*peer) for peer in PEERS)
    status = Status(transaction_id="tx-9", code=ValidationCode.MVCC_READ_CONFLICT, block_number=4)
    resolution = Resolution("tx-9", Outcome.UNKNOWN, None, 3, 10, None)
    errors: list[Exception] = [
        GatewayError(GrpcCode.UNAVAILABLE, "down", details),
        EndorseError(GrpcCode.ABORTED, "failed to endorse", details, transaction_id="tx-1"),
        SubmitError(GrpcCode.UNAVAILABLE, "no orderers", transaction_id="tx-2"),
        TransactionInDoubtError(GrpcCode.DEADLINE_EXCEEDED, "unknown", transaction_id="tx-9", resolution=resolution),
        BlockEventsError("FORBIDDEN", "asia-europe"),
        CommitError(status),
    ]
    for error in errors:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert vars(copy) == vars(error)
