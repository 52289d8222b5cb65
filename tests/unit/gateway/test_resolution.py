"""No transaction left in doubt: the resubmit decision logic, scenario by scenario and as a property."""

from __future__ import annotations

import pickle
import threading
import time

import grpc  # type: ignore[import-untyped]
import pytest
from fabric_protos.gateway import gateway_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.gateway.fakes import FakePeer, FakeRpcError, committed, failing
from tradefin.gateway import (
    Cancellation,
    CommitError,
    CommitStatusError,
    EndorseError,
    Gateway,
    GrpcCode,
    Outcome,
    ResubmitPolicy,
    SubmitError,
    TransactionInDoubtError,
    ValidationCode,
    X509Identity,
)
from tradefin.gateway._flow import Call, CallCancelled, Context, Flow, GatewayClosed, Method, Pause, Sign, serialize
from tradefin.gateway.commit import CommitBase, new_commit_data
from tradefin.gateway.errors import GatewayError
from tradefin.gateway.gateway import new_context
from tradefin.gateway.options import Timeouts
from tradefin.gateway.resolution import Resolution, resolve_flow
from tradefin.gateway.transaction import TransactionBase, TransactionData

SUBMIT = "/gateway.Gateway/Submit"
STATUS = "/gateway.Gateway/CommitStatus"
DEADLINE = failing(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")


def methods(peer: FakePeer) -> list[str]:
    return [call.method.rsplit("/", 1)[1] for call in peer.calls]


def test_lost_submit_is_resubmitted_with_the_same_envelope(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(STATUS, DEADLINE, committed(ValidationCode.VALID, 9))
    contract = gateway.get_network("ch").get_contract("cc")
    assert contract.submit("fn") == b"result"
    assert methods(peer) == ["Endorse", "Submit", "CommitStatus", "Submit", "CommitStatus"]
    first, second = peer.requests(SUBMIT)
    assert first == second  # same signed envelope, same tx id
    assert gateway_pb2.SubmitRequest.FromString(first).prepared_transaction.signature


def test_a_hung_orderer_holds_a_submit_no_longer_than_the_policys_deadline(
    gateway: Gateway, peer: FakePeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Seen by a fresh user with the orderer stopped (SIGSTOP): 3 submits with their probes, then 60 s
    # status waits up to 10 queries -- 447.7 s. Every call here waits its whole deadline on a fake clock.
    clock = [1000.0]
    monkeypatch.setattr("tradefin.gateway.resolution.monotonic", lambda: clock[0])

    def hung(request: bytes, timeout: float | None) -> bytes:
        assert timeout is not None  # every call of the resolution has a deadline within what is left
        clock[0] += timeout
        raise FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded")

    peer.script(SUBMIT, hung)
    peer.script(STATUS, hung)
    transaction = gateway.get_network("ch").get_contract("cc").new_proposal("fn").endorse()
    started = clock[0]
    resolution = transaction.resolve(ResubmitPolicy(deadline=80))
    assert (resolution.outcome, resolution.submit_attempts) == (Outcome.UNKNOWN, 3)
    assert clock[0] - started == pytest.approx(80)
    # three submits (5 s) each probed (5 s), then the status wait of 60 s cut to the 50 s left
    assert methods(peer)[1:] == ["Submit", "CommitStatus"] * 3 + ["CommitStatus"]
    assert [call.timeout for call in peer.calls[1:]] == [5.0] * 6 + [pytest.approx(50.0)]
    with pytest.raises(TransactionInDoubtError) as in_doubt:
        resolution.raise_for_outcome()
    assert in_doubt.value.transaction_id == transaction.transaction_id

    # what is left is measured before every call: the probe after a Submit that took time gets the rest
    peer.calls.clear()
    clock[0] = 5000.0
    resolution = transaction.resolve(ResubmitPolicy(deadline=12))
    assert clock[0] == pytest.approx(5012.0) and resolution.outcome is Outcome.UNKNOWN
    assert [call.timeout for call in peer.calls] == [5.0, 5.0, pytest.approx(2.0)]  # Submit, probe, Submit
    with pytest.raises(ValueError, match="at least 1 s"):
        ResubmitPolicy(deadline=0.5)


def test_resolution_reports_attempts_and_status(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(STATUS, DEADLINE, committed(ValidationCode.VALID, 9))
    submitted = gateway.get_network("ch").get_contract("cc").submit_async("fn")
    resolution = submitted.resolve()
    assert resolution.outcome is Outcome.VALID
    assert resolution.submit_attempts == 2
    assert resolution.status_queries == 2
    assert resolution.status is not None and resolution.status.block_number == 9
    assert isinstance(resolution.error, CommitStatusError)
    assert resolution.transaction_id == submitted.transaction_id


def test_failed_submit_is_probed_before_any_resubmit(gateway: Gateway, peer: FakePeer) -> None:
    # e.g. BFT: too few orderers answered (the gateway's UNAVAILABLE) although the transaction committed
    peer.script(
        SUBMIT,
        failing(
            grpc.StatusCode.UNAVAILABLE,
            "insufficient number of orderers could successfully process transaction to satisfy quorum requirement",
        ),
    )
    assert gateway.get_network("ch").get_contract("cc").submit("fn") == b"result"
    assert methods(peer) == ["Endorse", "Submit", "CommitStatus"]
    assert peer.calls[-1].timeout == gateway.resubmit_policy.probe_timeout  # type: ignore[union-attr]


def test_envelope_an_orderer_refused_outright_is_a_submit_error_at_once(gateway: Gateway, peer: FakePeer) -> None:
    # Non-BFT: an orderer's 4xx answer (BAD_REQUEST, FORBIDDEN, REQUEST_ENTITY_TOO_LARGE) comes back as
    # ABORTED; the gateway tries no other orderer, and the same envelope would be refused again.
    info = "received unsuccessful response from orderer: status=REQUEST_ENTITY_TOO_LARGE, info=too large"
    peer.script(SUBMIT, failing(grpc.StatusCode.ABORTED, info))
    with pytest.raises(SubmitError) as caught:
        gateway.get_network("ch").get_contract("cc").submit("fn")
    assert caught.value.code is GrpcCode.ABORTED
    assert "REQUEST_ENTITY_TOO_LARGE" in str(caught.value)
    assert methods(peer) == ["Endorse", "Submit"]


def test_a_v24_gateways_aborted_after_every_orderer_failed_is_probed(gateway: Gateway, peer: FakePeer) -> None:
    # Fabric v2.4's gateway answered ABORTED also when no orderer could process the envelope -- a stream
    # broken after the send among them, which may hide a commit: that is in doubt, so it is probed.
    peer.script(SUBMIT, failing(grpc.StatusCode.ABORTED, "no orderers could successfully process transaction"))
    assert gateway.get_network("ch").get_contract("cc").submit("fn") == b"result"
    assert methods(peer) == ["Endorse", "Submit", "CommitStatus"]


@pytest.mark.parametrize("code", [grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT])
def test_status_request_refused_as_such_ends_in_doubt_at_once(
    gateway: Gateway, peer: FakePeer, code: grpc.StatusCode
) -> None:
    # The same request would be refused again (e.g. the signer may no longer read the channel): no
    # retries, no resubmit -- the transaction may have committed, so the answer is UNKNOWN, not failed.
    peer.script(STATUS, failing(code, "access denied: channel [ch] creator org [Bank1MSP]"))
    with pytest.raises(TransactionInDoubtError) as caught:
        gateway.get_network("ch").get_contract("cc").submit("fn")
    assert caught.value.resolution.outcome is Outcome.UNKNOWN
    assert caught.value.code.name == code.name
    assert methods(peer) == ["Endorse", "Submit", "CommitStatus"]


def test_submit_refused_before_any_orderer_saw_it_is_not_in_doubt(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(SUBMIT, failing(grpc.StatusCode.INVALID_ARGUMENT, "prepared transaction must be signed"))
    with pytest.raises(SubmitError) as caught:
        gateway.get_network("ch").get_contract("cc").submit("fn")
    assert caught.value.code is GrpcCode.INVALID_ARGUMENT
    assert methods(peer) == ["Endorse", "Submit"]


def test_refused_status_is_asked_again_without_resubmitting(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(STATUS, failing(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many requests"), committed(0))
    assert gateway.get_network("ch").get_contract("cc").submit("fn") == b"result"
    assert methods(peer) == ["Endorse", "Submit", "CommitStatus", "CommitStatus"]


def test_duplicate_txid_means_ask_again(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(STATUS, DEADLINE, committed(ValidationCode.DUPLICATE_TXID), committed(ValidationCode.VALID))
    assert gateway.get_network("ch").get_contract("cc").submit("fn") == b"result"
    assert methods(peer).count("Submit") == 2


def test_invalid_is_reported_with_the_ledger_code(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(STATUS, DEADLINE, committed(ValidationCode.MVCC_READ_CONFLICT))
    with pytest.raises(CommitError) as caught:
        gateway.get_network("ch").get_contract("cc").submit("fn")
    assert caught.value.code_name == "MVCC_READ_CONFLICT"


def test_unknown_after_every_attempt_is_in_doubt_never_failed(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(STATUS, DEADLINE)
    policy = ResubmitPolicy(max_submits=3, probe_timeout=0.1, pause=0.0)
    with pytest.raises(TransactionInDoubtError) as caught:
        gateway.get_network("ch").get_contract("cc").submit("fn", resubmit=policy)
    error = caught.value
    assert isinstance(error, CommitStatusError)
    assert error.resolution.outcome is Outcome.UNKNOWN
    assert error.resolution.submit_attempts == 3
    assert error.code is GrpcCode.DEADLINE_EXCEEDED
    assert "may still commit" in str(error)
    assert methods(peer).count("Submit") == 3
    assert len(set(peer.requests(SUBMIT))) == 1


def test_the_status_is_still_asked_for_once_the_submits_are_spent(gateway: Gateway, peer: FakePeer) -> None:
    # Found on the real network: status waits shorter than a block used to give up after the last submit.
    peer.script(STATUS, DEADLINE, DEADLINE, DEADLINE, DEADLINE, committed(ValidationCode.VALID, 4))
    policy = ResubmitPolicy(max_submits=2, max_status_queries=10, pause=0.0)
    assert gateway.get_network("ch").get_contract("cc").submit("fn", resubmit=policy) == b"result"
    assert methods(peer).count("Submit") == 2
    assert methods(peer).count("CommitStatus") == 5


def test_without_a_policy_errors_come_as_the_official_clients_raise_them(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(STATUS, DEADLINE)
    contract = gateway.get_network("ch").get_contract("cc")
    with pytest.raises(CommitStatusError) as caught:
        contract.submit("fn", resubmit=False)
    assert not isinstance(caught.value, TransactionInDoubtError)
    peer.script(SUBMIT, failing(grpc.StatusCode.UNAVAILABLE, "no orderers could successfully process transaction"))
    with pytest.raises(SubmitError):
        contract.submit("fn", resubmit=False)


def test_a_status_wait_ended_by_the_peer_counts_as_a_deadline(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(STATUS, failing(grpc.StatusCode.CANCELLED, "context canceled"), committed(0))
    assert gateway.get_network("ch").get_contract("cc").submit("fn") == b"result"
    assert methods(peer) == ["Endorse", "Submit", "CommitStatus", "Submit", "CommitStatus"]


def test_closing_the_gateway_during_a_status_wait_ends_the_resolution_in_doubt(
    gateway: Gateway, peer: FakePeer
) -> None:
    def closed_while_waiting(request: bytes, timeout: float | None) -> bytes:
        gateway.close()  # grpcio then ends the call in flight with CANCELLED "Channel closed!"
        raise FakeRpcError(grpc.StatusCode.CANCELLED, "Channel closed!")

    peer.script(STATUS, closed_while_waiting)
    with pytest.raises(TransactionInDoubtError) as caught:
        gateway.get_network("ch").get_contract("cc").submit("fn")
    assert methods(peer) == ["Endorse", "Submit", "CommitStatus"]  # no resubmit on a closed gateway
    error = caught.value
    assert error.code is GrpcCode.CANCELLED and "closed" in error.message
    assert error.resolution.outcome is Outcome.UNKNOWN
    submitted = gateway_pb2.SubmitRequest.FromString(peer.requests(SUBMIT)[0])
    assert error.transaction_id == submitted.transaction_id


def test_closing_the_gateway_during_a_submit_leaves_the_transaction_in_doubt(gateway: Gateway, peer: FakePeer) -> None:
    def closed_while_submitting(request: bytes, timeout: float | None) -> bytes:
        gateway.close()
        raise FakeRpcError(grpc.StatusCode.CANCELLED, "Channel closed!")

    peer.script(SUBMIT, closed_while_submitting)
    with pytest.raises(TransactionInDoubtError) as caught:  # the envelope may have reached the orderer
        gateway.get_network("ch").get_contract("cc").submit("fn")
    assert methods(peer) == ["Endorse", "Submit"]
    assert caught.value.resolution.submit_attempts == 1


def test_a_closed_gateway_sends_nothing_and_says_so(gateway: Gateway, peer: FakePeer) -> None:
    contract = gateway.get_network("ch").get_contract("cc")
    transaction = contract.new_proposal("fn").endorse()
    gateway.close()
    with pytest.raises(SubmitError) as caught:  # never sent: a plain SubmitError, not "in doubt"
        transaction.resolve()
    assert not isinstance(caught.value, TransactionInDoubtError)
    assert caught.value.code is GrpcCode.CANCELLED and caught.value.message == "the gateway is closed"
    assert caught.value.transaction_id == transaction.transaction_id
    with pytest.raises(GatewayError, match="the gateway is closed"):
        contract.evaluate("fn")
    with pytest.raises(GatewayError, match="the gateway is closed"):
        gateway.get_network("ch").chaincode_events("cc")
    assert methods(peer) == ["Endorse"]


def test_a_policy_commit_status_timeout_is_the_deadline_of_every_status_wait(gateway: Gateway, peer: FakePeer) -> None:
    contract = gateway.get_network("ch").get_contract("cc")
    contract.submit("fn", resubmit=ResubmitPolicy(commit_status_timeout=2.5))
    contract.submit("fn", timeouts=Timeouts(commit_status=7.0))  # the gateway's policy sets none
    first, second = [call.timeout for call in peer.calls if call.method == STATUS]
    assert (first, second) == (2.5, 7.0)


def test_transaction_resolve_submits_and_resolves_after_a_submit_error(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(SUBMIT, failing(grpc.StatusCode.UNAVAILABLE, "no orderers"), committed(0))
    peer.script(STATUS, DEADLINE, committed(0, 4))
    transaction = gateway.get_network("ch").get_contract("cc").new_proposal("fn").endorse()
    with pytest.raises(SubmitError):
        transaction.submit()
    resolution = transaction.resolve()
    assert resolution.outcome is Outcome.VALID
    assert len(set(peer.requests(SUBMIT))) == 1


# -- the decision logic as a property, driven without any I/O ---------------------------------------------


def context(identity: X509Identity) -> Context:
    return new_context(
        identity, hash=lambda m: m[:32], timeouts=Timeouts(), resubmit=None, tls_certificate_hash=None, can_sign=True
    )


class Ledger:
    """A model network: a submit may be lost, a call may fail; the first copy that commits decides."""

    def __init__(self, submit_plan: list[str], status_plan: list[str], code: int) -> None:
        self.submit_plan = submit_plan
        self.status_plan = status_plan
        self.code = code
        self.recorded: int | None = None
        self.copies = 0
        self.submitted: list[bytes] = []
        self.pauses: list[float] = []

    def submit(self, request: bytes) -> bytes:
        self.submitted.append(request)
        behaviour = self.submit_plan.pop(0) if self.submit_plan else "lost"
        if behaviour in ("commits", "fails-but-commits"):
            self.copies += 1
            if self.recorded is None:
                self.recorded = self.code
        if behaviour.startswith("fails"):
            raise GatewayError(GrpcCode.UNAVAILABLE, "no orderers could successfully process transaction")
        if behaviour == "refused":
            raise GatewayError(GrpcCode.UNKNOWN, "too many requests, exceeding concurrency limit (500)")
        return b""

    def status(self) -> bytes:
        behaviour = self.status_plan.pop(0) if self.status_plan else "answers"
        if behaviour == "refused":
            raise GatewayError(GrpcCode.RESOURCE_EXHAUSTED, "gateway concurrency limit")
        if self.recorded is None:
            raise GatewayError(GrpcCode.DEADLINE_EXCEEDED, "deadline exceeded")
        code = ValidationCode.DUPLICATE_TXID if behaviour == "duplicate" and self.copies > 1 else self.recorded
        return serialize(gateway_pb2.CommitStatusResponse(result=code, block_number=5))

    def run(self, flow: Flow[Resolution]) -> Resolution:
        try:
            effect = next(flow)
            while True:
                try:
                    if isinstance(effect, Call):
                        reply = self.submit(effect.request) if effect.method == Method.SUBMIT else self.status()
                    elif isinstance(effect, Sign):
                        reply = b"signature"
                    else:
                        assert isinstance(effect, Pause)
                        self.pauses.append(effect.seconds)
                        reply = b""
                except GatewayError as error:
                    effect = flow.throw(error)
                    continue
                effect = flow.send(reply)
        except StopIteration as stop:
            result: Resolution = stop.value
            return result


@settings(max_examples=400, deadline=None)
@given(
    submit_plan=st.lists(st.sampled_from(["commits", "lost", "fails-but-commits", "fails", "refused"]), max_size=6),
    status_plan=st.lists(st.sampled_from(["answers", "refused", "duplicate"]), max_size=12),
    code=st.sampled_from(
        [ValidationCode.VALID, ValidationCode.MVCC_READ_CONFLICT, ValidationCode.PHANTOM_READ_CONFLICT]
    ),
    max_submits=st.integers(1, 4),
)
def test_a_committed_transaction_is_never_reported_failed(
    identity: X509Identity, submit_plan: list[str], status_plan: list[str], code: int, max_submits: int
) -> None:
    ledger = Ledger(list(submit_plan), list(status_plan), code)
    ctx = context(identity)
    transaction = TransactionBase(None, ctx, TransactionData("tx1", "ch", b"payload", b"result"))
    commit = CommitBase(None, ctx, new_commit_data(ctx, "ch", "tx1"))
    policy = ResubmitPolicy(max_submits=max_submits, max_status_queries=8, pause=0.25)
    try:
        resolution = ledger.run(resolve_flow(transaction, commit, policy, submitted=False))
    except SubmitError:
        assert ledger.recorded is None  # refused every time: definitely not committed, so not in doubt
        assert not any(plan != "refused" for plan in submit_plan[: len(ledger.submitted)])
        return

    assert len(set(ledger.submitted)) == 1  # only ever the same envelope
    assert resolution.submit_attempts == len(ledger.submitted) <= max_submits
    assert resolution.status_queries <= 8
    assert all(0 < pause <= 2.0 for pause in ledger.pauses)
    if resolution.outcome is Outcome.VALID:
        assert ledger.recorded == ValidationCode.VALID
    elif resolution.outcome is Outcome.INVALID:
        assert resolution.status is not None
        assert resolution.status.code == ledger.recorded != ValidationCode.VALID
        assert resolution.status.code != ValidationCode.DUPLICATE_TXID
    else:
        assert resolution.status is None
    if ledger.recorded is not None and resolution.outcome is not Outcome.UNKNOWN:
        assert resolution.status is not None and resolution.status.code == ledger.recorded


def test_a_submit_refused_by_the_concurrency_limit_is_retried(gateway: Gateway, peer: FakePeer) -> None:
    limit = failing(
        grpc.StatusCode.UNKNOWN, "too many requests for /gateway.Gateway, exceeding concurrency limit (500)"
    )
    peer.script(SUBMIT, limit, limit, committed(0))
    assert gateway.get_network("ch").get_contract("cc").submit("fn") == b"result"
    assert methods(peer) == ["Endorse", "Submit", "Submit", "Submit", "CommitStatus"]


def test_an_envelope_never_sent_is_a_submit_error_not_a_doubt(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(SUBMIT, failing(grpc.StatusCode.UNKNOWN, "too many requests, exceeding concurrency limit (500)"))
    with pytest.raises(SubmitError):
        gateway.get_network("ch").get_contract("cc").submit("fn", resubmit=ResubmitPolicy(max_submits=2, pause=0))
    assert methods(peer) == ["Endorse", "Submit", "Submit"]


def test_a_later_refusal_does_not_hide_an_earlier_copy(gateway: Gateway, peer: FakePeer) -> None:
    peer.script(SUBMIT, committed(0), failing(grpc.StatusCode.INVALID_ARGUMENT, "odd"))
    peer.script(STATUS, DEADLINE, committed(ValidationCode.VALID, 8))
    assert gateway.get_network("ch").get_contract("cc").submit("fn") == b"result"
    assert methods(peer) == ["Endorse", "Submit", "CommitStatus", "Submit", "CommitStatus"]


def test_cancelling_wakes_a_resubmit_pause_and_ends_in_doubt(gateway: Gateway, peer: FakePeer) -> None:
    cancellation = Cancellation()

    def refused_then_cancelled_soon(request: bytes, timeout: float | None) -> bytes:
        threading.Timer(0.2, cancellation.cancel).start()  # from another thread, during the pause
        raise FakeRpcError(grpc.StatusCode.UNAVAILABLE, "refused")

    peer.script(STATUS, refused_then_cancelled_soon, committed(0))
    slow = ResubmitPolicy(pause=30.0)  # a refused status call is asked again after 30 s
    started = time.monotonic()
    with cancellation, pytest.raises(TransactionInDoubtError) as caught:
        gateway.get_network("ch").get_contract("cc").submit("fn", resubmit=slow)
    assert time.monotonic() - started < 10
    assert caught.value.code is GrpcCode.CANCELLED
    assert methods(peer) == ["Endorse", "Submit", "CommitStatus"]  # nothing after the cancellation


@pytest.mark.parametrize("how", ["cancelled", "closed"])
@pytest.mark.parametrize("path", ["submit without a policy", "submit_async", "fine-grained submit"])
def test_a_submit_cut_short_in_flight_is_in_doubt_whatever_the_path(
    gateway: Gateway, peer: FakePeer, how: str, path: str
) -> None:
    cancellation = Cancellation()

    def cut_short(request: bytes, timeout: float | None) -> bytes:
        cancellation.cancel() if how == "cancelled" else gateway.close()
        raise FakeRpcError(grpc.StatusCode.CANCELLED, "Locally cancelled by application!")

    peer.script(SUBMIT, cut_short)
    contract = gateway.get_network("ch").get_contract("cc")
    with cancellation, pytest.raises(TransactionInDoubtError) as caught:  # it may have reached an orderer
        if path == "submit without a policy":
            contract.submit("fn", resubmit=False)
        elif path == "submit_async":
            contract.submit_async("fn")
        else:
            contract.new_proposal("fn").endorse().submit()
    assert caught.value.code is GrpcCode.CANCELLED
    assert caught.value.resolution.outcome is Outcome.UNKNOWN and caught.value.resolution.submit_attempts == 1
    assert methods(peer) == ["Endorse", "Submit"]


def test_a_peers_own_error_keeps_its_code_when_the_scope_is_cancelled_meanwhile(
    gateway: Gateway, peer: FakePeer
) -> None:
    cancellation = Cancellation()

    def rejected(request: bytes, timeout: float | None) -> bytes:
        cancellation.cancel()
        raise FakeRpcError(
            grpc.StatusCode.ABORTED, "failed to endorse", [("peer0:7051", "Bank1MSP", "ERR_INVALID_INPUT: amount")]
        )

    peer.script("/gateway.Gateway/Endorse", rejected)
    with cancellation, pytest.raises(EndorseError) as caught:
        gateway.get_network("ch").get_contract("cc").submit("fn")
    assert caught.value.code is GrpcCode.ABORTED  # the chaincode's answer, not "cancelled"
    assert caught.value.details[0].message == "ERR_INVALID_INPUT: amount"


def test_abort_causes_survive_pickling() -> None:
    for cause in (GatewayClosed(True), GatewayClosed(False), CallCancelled(True), CallCancelled(False)):
        copy = pickle.loads(pickle.dumps(cause))
        assert (type(copy), str(copy), copy.during_call) == (type(cause), str(cause), cause.during_call)


def test_cancellation_scopes_nest_and_end(gateway: Gateway, peer: FakePeer) -> None:
    contract = gateway.get_network("ch").get_contract("cc")
    outer, inner = Cancellation(), Cancellation()
    with outer:
        with inner:
            outer.cancel()
            with pytest.raises(GatewayError, match="cancelled before sending"):  # any scope around the call
                contract.evaluate("fn")
        with pytest.raises(GatewayError, match="cancelled before sending"):
            contract.evaluate("fn")
    assert contract.evaluate("fn") == b"result"  # out of every scope
    with inner:
        assert contract.evaluate("fn") == b"result"  # inner was never cancelled
    assert outer.cancelled and not inner.cancelled
    assert methods(peer) == ["Evaluate", "Evaluate"]
