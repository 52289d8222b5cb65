"""Proposal and tx id construction: decode what the client built with the Fabric protos, field by field."""

from __future__ import annotations

import hashlib
import time
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2

from tests.unit.gateway.conftest import MSP_ID
from tests.unit.gateway.fakes import FakePeer
from tradefin.gateway import Gateway, X509Identity, hashes
from tradefin.gateway.gateway import new_context
from tradefin.gateway.options import Timeouts
from tradefin.gateway.proposal import new_proposal_data


def decode(proposal_bytes: bytes) -> Any:
    proposal = proposal_pb2.Proposal.FromString(proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
    extension = proposal_pb2.ChaincodeHeaderExtension.FromString(channel_header.extension)
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    invocation = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input)
    return SimpleNamespace(
        proposal=proposal,
        channel_header=channel_header,
        signature_header=signature_header,
        extension=extension,
        payload=payload,
        invocation=invocation,
    )


def test_every_field_of_a_proposal(gateway: Gateway, identity: X509Identity) -> None:
    contract = gateway.get_network("asia-europe").get_contract("tradefin", "lc")
    before = time.time()
    proposal = contract.new_proposal(
        "Issue", ["LC-1", b"\x00\xff"], transient={"terms": b"secret"}, endorsing_orgs=["Bank1MSP", "Bank2MSP"]
    )
    after = time.time()
    message = gateway_pb2.ProposedTransaction.FromString(proposal.bytes)
    assert message.transaction_id == proposal.transaction_id
    assert list(message.endorsing_organizations) == ["Bank1MSP", "Bank2MSP"]
    assert message.proposal.signature == b""  # nothing signed before it is used
    parts = decode(message.proposal.proposal_bytes)

    channel_header = parts.channel_header
    assert channel_header.type == common_pb2.ENDORSER_TRANSACTION == 3
    assert channel_header.channel_id == "asia-europe"
    assert channel_header.tx_id == proposal.transaction_id
    assert channel_header.epoch == 0
    assert channel_header.tls_cert_hash == b""
    stamp = channel_header.timestamp.seconds + channel_header.timestamp.nanos / 1e9
    assert before - 1 <= stamp <= after + 1
    assert parts.extension.chaincode_id.name == "tradefin"

    signature_header = parts.signature_header
    creator = identities_pb2.SerializedIdentity.FromString(signature_header.creator)
    assert creator.mspid == MSP_ID
    assert creator.id_bytes == identity.credentials
    nonce = signature_header.nonce
    assert len(nonce) == 24
    assert proposal.transaction_id == hashlib.sha256(nonce + signature_header.creator).hexdigest()

    spec = parts.invocation.chaincode_spec
    assert spec.chaincode_id.name == "tradefin"
    assert spec.type == 0  # left unset, as the official clients do
    assert list(spec.input.args) == [b"lc:Issue", b"LC-1", b"\x00\xff"]
    assert dict(parts.payload.TransientMap) == {"terms": b"secret"}
    assert parts.proposal.extension == b""


def test_transaction_name_is_not_qualified_without_contract_name(gateway: Gateway) -> None:
    proposal = gateway.get_network("ch").get_contract("cc").new_proposal("GetMetadata")
    parts = decode(gateway_pb2.ProposedTransaction.FromString(proposal.bytes).proposal.proposal_bytes)
    assert list(parts.invocation.chaincode_spec.input.args) == [b"GetMetadata"]


@pytest.mark.parametrize("hash_function", [hashes.sha256, hashes.sha384, hashes.sha3_256, hashes.sha3_384])
def test_tx_id_is_sha256_whatever_the_signing_hash(
    identity: X509Identity, hash_function: hashes.Hash, private_key: ec.EllipticCurvePrivateKey
) -> None:
    context = new_context(
        identity, hash=hash_function, timeouts=Timeouts(), resubmit=None, tls_certificate_hash=None, can_sign=True
    )
    data = new_proposal_data(context, "ch", "cc", "fn", ["a"])
    parts = decode(data.proposal_bytes)
    header = parts.signature_header
    expected = hashlib.sha256(header.nonce + header.creator).hexdigest()
    assert data.transaction_id == expected
    assert len(data.transaction_id) == 64


def test_nonces_and_tx_ids_are_fresh(gateway: Gateway) -> None:
    contract = gateway.get_network("ch").get_contract("cc")
    ids = {contract.new_proposal("fn").transaction_id for _ in range(200)}
    assert len(ids) == 200


def test_creator_is_serialised_once_and_matches_the_identity(identity: X509Identity) -> None:
    creator = identities_pb2.SerializedIdentity.FromString(identity.creator)
    assert (creator.mspid, creator.id_bytes) == (MSP_ID, identity.credentials)


def test_args_must_be_a_sequence(gateway: Gateway) -> None:
    contract = gateway.get_network("ch").get_contract("cc")
    with pytest.raises(TypeError):
        contract.new_proposal("fn", "not-a-list")
    with pytest.raises(TypeError):
        contract.new_proposal("fn", [3])  # type: ignore[list-item]


def test_evaluate_request_fields_and_result(gateway: Gateway, peer: FakePeer, identity: X509Identity) -> None:
    peer.result = b'{"status":"ISSUED"}'
    contract = gateway.get_network("asia-europe").get_contract("tradefin")
    result = contract.evaluate("GetLC", ["LC-1"], target_orgs=["Bank2MSP"], timeout=2.5)
    assert result == b'{"status":"ISSUED"}'
    [call] = peer.calls
    assert call.method == "/gateway.Gateway/Evaluate"
    assert call.timeout == 2.5
    request = gateway_pb2.EvaluateRequest.FromString(call.request)
    assert request.channel_id == "asia-europe"
    assert list(request.target_organizations) == ["Bank2MSP"]
    parts = decode(request.proposed_transaction.proposal_bytes)
    assert request.transaction_id == parts.channel_header.tx_id
    public_key = identity.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(
        request.proposed_transaction.signature,
        request.proposed_transaction.proposal_bytes,
        ec.ECDSA(crypto_hashes.SHA256()),
    )


def test_endorse_request_and_default_timeout(gateway: Gateway, peer: FakePeer) -> None:
    proposal = (
        gateway.get_network("asia-europe")
        .get_contract("tradefin")
        .new_proposal("Issue", ["x"], endorsing_orgs=["Bank1MSP"])
    )
    transaction = proposal.endorse()
    [call] = peer.calls
    assert call.method == "/gateway.Gateway/Endorse"
    assert call.timeout == gateway.timeouts.endorse
    request = gateway_pb2.EndorseRequest.FromString(call.request)
    assert request.transaction_id == proposal.transaction_id == transaction.transaction_id
    assert request.channel_id == "asia-europe"
    assert list(request.endorsing_organizations) == ["Bank1MSP"]
    assert request.proposed_transaction.signature == proposal.signature
    assert transaction.result == b"result"
