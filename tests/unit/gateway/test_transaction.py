"""Endorsed transactions: result extraction from the envelope, Submit and CommitStatus requests, CommitError."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import transaction_pb2

from tests.unit.gateway.conftest import MSP_ID
from tests.unit.gateway.fakes import FakeChannel, FakePeer, committed, prepared_envelope_payload
from tradefin.gateway import CommitError, Gateway, ValidationCode, X509Identity, connect, new_private_key_signer
from tradefin.gateway.transaction import result_from_payload


def test_result_is_read_from_the_endorsed_envelope() -> None:
    payload = prepared_envelope_payload("ch", "tx", b'{"id":"LC-1"}')
    assert result_from_payload(payload) == b'{"id":"LC-1"}'


def test_result_skips_a_malformed_action() -> None:
    good = common_pb2.Payload.FromString(prepared_envelope_payload("ch", "tx", b"ok"))
    transaction = transaction_pb2.Transaction.FromString(good.data)
    transaction.actions.insert(0, transaction_pb2.TransactionAction(payload=b"\xff\xff\xff"))
    good.data = transaction.SerializeToString()
    assert result_from_payload(good.SerializeToString()) == b"ok"


def test_an_envelope_without_actions_is_an_error() -> None:
    payload = common_pb2.Payload(data=transaction_pb2.Transaction().SerializeToString()).SerializeToString()
    with pytest.raises(ValueError, match="no chaincode response"):
        result_from_payload(payload)


def test_submit_and_commit_status_requests(gateway: Gateway, peer: FakePeer, identity: X509Identity) -> None:
    contract = gateway.get_network("asia-europe").get_contract("tradefin")
    transaction = contract.new_proposal("Issue").endorse()
    submitted = transaction.submit(timeout=1.5)
    assert submitted.transaction_id == transaction.transaction_id
    assert submitted.result == b"result"

    submit_call = next(call for call in peer.calls if call.method == "/gateway.Gateway/Submit")
    assert submit_call.timeout == 1.5
    submit = gateway_pb2.SubmitRequest.FromString(submit_call.request)
    assert submit.transaction_id == transaction.transaction_id
    assert submit.channel_id == "asia-europe"
    assert submit.prepared_transaction.signature == transaction.signature
    assert gateway_pb2.PreparedTransaction.FromString(transaction.bytes).envelope == submit.prepared_transaction

    status = submitted.status()
    assert (status.code, status.block_number, status.successful) == (0, 7, True)
    status_call = next(call for call in peer.calls if call.method == "/gateway.Gateway/CommitStatus")
    assert status_call.timeout == gateway.timeouts.commit_status
    signed = gateway_pb2.SignedCommitStatusRequest.FromString(status_call.request)
    request = gateway_pb2.CommitStatusRequest.FromString(signed.request)
    assert request.transaction_id == transaction.transaction_id
    assert request.channel_id == "asia-europe"
    assert request.identity == identity.creator
    assert signed.signature == submitted.signature


def test_contract_submit_returns_the_result_once_valid(gateway: Gateway, peer: FakePeer) -> None:
    peer.result = b"issued"
    contract = gateway.get_network("asia-europe").get_contract("tradefin", "lc")
    assert contract.submit("Issue", ["LC-1"], transient={"price": b"100"}, endorsing_orgs=[MSP_ID]) == b"issued"
    assert [call.method.rsplit("/", 1)[1] for call in peer.calls] == ["Endorse", "Submit", "CommitStatus"]


def test_invalid_commit_raises_commit_error_with_the_code_name(gateway: Gateway, peer: FakePeer) -> None:
    peer.script("/gateway.Gateway/CommitStatus", committed(ValidationCode.MVCC_READ_CONFLICT, 12))
    contract = gateway.get_network("asia-europe").get_contract("tradefin")
    with pytest.raises(CommitError) as caught:
        contract.submit("Transfer")
    error = caught.value
    assert error.code == 11
    assert error.code_name == "MVCC_READ_CONFLICT"
    assert error.status.block_number == 12
    assert error.transaction_id in str(error)
    assert "MVCC_READ_CONFLICT" in str(error)


def test_submit_async_gives_the_result_before_the_commit(gateway: Gateway, peer: FakePeer) -> None:
    peer.result = b"later"
    submitted = gateway.get_network("ch").get_contract("cc").submit_async("fn")
    assert submitted.result == b"later"
    assert [call.method.rsplit("/", 1)[1] for call in peer.calls] == ["Endorse", "Submit"]
    assert submitted.status().successful


def test_commit_status_of_any_transaction_by_id(gateway: Gateway, peer: FakePeer) -> None:
    peer.script("/gateway.Gateway/CommitStatus", committed(ValidationCode.ENDORSEMENT_POLICY_FAILURE, 3))
    status = gateway.get_network("ch").new_commit("ab" * 32).status()
    assert status.code_name == "ENDORSEMENT_POLICY_FAILURE"
    assert not status.successful
    assert status.transaction_id == "ab" * 32


@pytest.mark.parametrize("how", ["contract.submit", "transaction.resolve"])
def test_every_signature_is_made_before_the_first_submit(
    peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey, how: str
) -> None:
    sign = new_private_key_signer(private_key)
    signed_after_calls: list[list[str]] = []

    def signer(digest: bytes) -> bytes:  # a failing HSM must not leave a submitted transaction in doubt
        signed_after_calls.append([call.method.rsplit("/", 1)[1] for call in peer.calls])
        return sign(digest)

    with connect(FakeChannel(peer), identity, signer) as gateway:
        contract = gateway.get_network("ch").get_contract("cc")
        if how == "contract.submit":
            contract.submit("fn")
        else:
            contract.new_proposal("fn").endorse().resolve()
    assert signed_after_calls == [[], ["Endorse"], ["Endorse"]]  # proposal; envelope and commit status request
