"""Offline signing: every signable object exposes bytes and digest, and is rebuilt from bytes plus an
externally made signature without being signed again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import proposal_pb2

from tests.unit.gateway.fakes import FakeChannel, FakePeer, make_certificate
from tradefin.gateway import Gateway, SigningError, X509Identity, connect, hashes, new_private_key_signer


@pytest.fixture
def offline(channel: FakeChannel, identity: X509Identity) -> Iterator[Gateway]:
    """A gateway with no signer: every signature must come from outside."""
    with connect(channel, identity, None, resubmit=None) as gateway:
        yield gateway


P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def sign_outside(private_key: ec.EllipticCurvePrivateKey, digest: bytes) -> bytes:
    return new_private_key_signer(private_key)(digest)


def verify(identity: X509Identity, signature: bytes, message: bytes) -> None:
    public_key = identity.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature, message, ec.ECDSA(crypto_hashes.SHA256()))


def test_nothing_is_signed_without_a_signer(offline: Gateway) -> None:
    proposal = offline.get_network("ch").get_contract("cc").new_proposal("fn")
    with pytest.raises(SigningError, match="sign offline"):
        proposal.evaluate()


def test_the_whole_submit_flow_signed_offline(
    offline: Gateway, peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    contract = offline.get_network("asia-europe").get_contract("tradefin")
    unsigned = contract.new_proposal("Issue", ["LC-1"], endorsing_orgs=["Bank1MSP"])
    assert unsigned.digest == hashes.sha256(
        gateway_pb2.ProposedTransaction.FromString(unsigned.bytes).proposal.proposal_bytes
    )
    proposal_signature = sign_outside(private_key, unsigned.digest)
    proposal = offline.new_signed_proposal(unsigned.bytes, proposal_signature)
    assert proposal.transaction_id == unsigned.transaction_id
    assert proposal.endorsing_orgs == ("Bank1MSP",)
    assert proposal.signature == proposal_signature

    endorsed = proposal.endorse()
    sent = gateway_pb2.EndorseRequest.FromString(peer.requests("/gateway.Gateway/Endorse")[0])
    assert sent.proposed_transaction.signature == proposal_signature

    payload = gateway_pb2.PreparedTransaction.FromString(endorsed.bytes).envelope.payload
    assert endorsed.digest == hashes.sha256(payload)
    transaction_signature = sign_outside(private_key, endorsed.digest)
    transaction = offline.new_signed_transaction(endorsed.bytes, transaction_signature)
    assert transaction.result == endorsed.result == b"result"
    assert transaction.transaction_id == proposal.transaction_id

    submitted = transaction.submit()
    sent_submit = gateway_pb2.SubmitRequest.FromString(peer.requests("/gateway.Gateway/Submit")[0])
    assert sent_submit.prepared_transaction.payload == payload
    assert sent_submit.prepared_transaction.signature == transaction_signature
    verify(identity, transaction_signature, payload)

    assert submitted.signature is None  # no signer: the commit request is left for offline signing
    request = gateway_pb2.SignedCommitStatusRequest.FromString(submitted.bytes).request
    assert submitted.digest == hashes.sha256(request)
    commit = offline.new_signed_commit(submitted.bytes, sign_outside(private_key, submitted.digest))
    status = commit.status()
    assert status.successful
    assert status.transaction_id == proposal.transaction_id
    sent_status = gateway_pb2.SignedCommitStatusRequest.FromString(peer.requests("/gateway.Gateway/CommitStatus")[0])
    verify(identity, sent_status.signature, sent_status.request)


def test_round_trips_keep_bytes_identical(offline: Gateway, private_key: ec.EllipticCurvePrivateKey) -> None:
    network = offline.get_network("asia-europe")
    proposal = network.get_contract("tradefin", "lc").new_proposal("Issue", ["a"], transient={"k": b"v"})
    assert offline.new_proposal(proposal.bytes).bytes == proposal.bytes
    signature = sign_outside(private_key, proposal.digest)
    assert offline.new_signed_proposal(proposal.bytes, signature).digest == proposal.digest
    commit = network.new_commit("a" * 64)
    assert offline.new_commit(commit.bytes).bytes == commit.bytes
    events = network.new_chaincode_events_request("tradefin", start_block=5)
    assert offline.new_chaincode_events_request(events.bytes).bytes == events.bytes
    blocks = network.new_filtered_block_events_request(start_block=1)
    assert offline.new_filtered_block_events_request(blocks.bytes).bytes == blocks.bytes
    assert offline.new_block_events_request(blocks.bytes).digest == blocks.digest
    assert offline.new_block_and_private_data_events_request(blocks.bytes).signature is None
    events_signature = sign_outside(private_key, events.digest)
    signed_events = offline.new_signed_chaincode_events_request(events.bytes, events_signature)
    assert signed_events.signature == events_signature
    assert signed_events.digest == events.digest


def test_a_signature_made_offline_by_another_key_or_over_other_bytes_is_refused_when_rebuilt(
    offline: Gateway, private_key: ec.EllipticCurvePrivateKey
) -> None:
    # Fabric would only answer "access denied" or an implicit policy failure, after the call
    network = offline.get_network("asia-europe")
    proposal = network.get_contract("tradefin", "kv").new_proposal("Put", ["k", "v"])
    other = network.get_contract("tradefin", "kv").new_proposal("Put", ["k", "w"])
    stranger = ec.generate_private_key(ec.SECP256R1())
    refused = {
        "another key": sign_outside(stranger, proposal.digest),
        "other bytes": sign_outside(private_key, other.digest),
        "no signature": b"sig",
    }
    for signature in refused.values():
        with pytest.raises(ValueError, match=r"^the signature does not verify with .* Bank1MSP identity"):
            offline.new_signed_proposal(proposal.bytes, signature)
    der = utils.decode_dss_signature(sign_outside(private_key, proposal.digest))
    order = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
    high_s = utils.encode_dss_signature(der[0], order - der[1])
    with pytest.raises(ValueError, match="high-S ECDSA signature"):
        offline.new_signed_proposal(proposal.bytes, high_s)
    commit = network.new_commit("a" * 64)
    with pytest.raises(ValueError, match="does not verify"):
        offline.new_signed_commit(commit.bytes, sign_outside(stranger, commit.digest))
    events = network.new_chaincode_events_request("tradefin")
    with pytest.raises(ValueError, match="does not verify"):
        offline.new_signed_chaincode_events_request(events.bytes, sign_outside(stranger, events.digest))
    blocks = network.new_block_events_request(start_block=1)
    with pytest.raises(ValueError, match="does not verify"):
        offline.new_signed_block_events_request(blocks.bytes, sign_outside(stranger, blocks.digest))


@pytest.mark.parametrize("kind", ["blocks", "filtered", "private"])
def test_block_events_requests_signed_offline(
    offline: Gateway, peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey, kind: str
) -> None:
    network = offline.get_network("asia-europe")
    cases: dict[str, tuple[Any, Any, str]] = {
        "blocks": (network.new_block_events_request, offline.new_signed_block_events_request, "Deliver"),
        "filtered": (
            network.new_filtered_block_events_request,
            offline.new_signed_filtered_block_events_request,
            "DeliverFiltered",
        ),
        "private": (
            network.new_block_and_private_data_events_request,
            offline.new_signed_block_and_private_data_events_request,
            "DeliverWithPrivateData",
        ),
    }
    build, rebuild, method = cases[kind]
    unsigned = build(start_block=3)
    envelope = common_pb2.Envelope.FromString(unsigned.bytes)
    assert unsigned.digest == hashes.sha256(envelope.payload)
    signature = sign_outside(private_key, unsigned.digest)
    request = rebuild(unsigned.bytes, signature)
    stream = request.events()
    stream.close()
    [call] = [c for c in peer.calls if c.method == f"/protos.Deliver/{method}"]
    sent = common_pb2.Envelope.FromString(call.request)
    assert sent.signature == signature
    assert sent.payload == envelope.payload
    verify(identity, sent.signature, sent.payload)


def test_chaincode_events_request_signed_offline(
    offline: Gateway, peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    unsigned = offline.get_network("asia-europe").new_chaincode_events_request("tradefin")
    request = offline.new_signed_chaincode_events_request(unsigned.bytes, sign_outside(private_key, unsigned.digest))
    request.events().close()
    [call] = [c for c in peer.calls if c.method == "/gateway.Gateway/ChaincodeEvents"]
    sent = gateway_pb2.SignedChaincodeEventsRequest.FromString(call.request)
    verify(identity, sent.signature, sent.request)


def test_an_online_signer_signs_each_object_once(
    identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    digests: list[bytes] = []
    signer = new_private_key_signer(private_key)

    def counting_signer(digest: bytes) -> bytes:
        digests.append(digest)
        return signer(digest)

    with connect(FakeChannel(FakePeer()), identity, counting_signer) as gateway:
        proposal = gateway.get_network("ch").get_contract("cc").new_proposal("fn")
        proposal.evaluate()
        proposal.evaluate()
        assert len(digests) == 1
        transaction = proposal.endorse()
        submitted = transaction.submit()
        submitted.status()
        submitted.status()
        assert len(digests) == 3  # proposal, transaction, commit status request (signed before Submit)
        assert len(set(digests)) == 3


def test_resolve_without_a_signer_sends_nothing_until_both_signatures_are_there(
    offline: Gateway, peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    contract = offline.get_network("asia-europe").get_contract("tradefin")
    unsigned = contract.new_proposal("Issue", ["LC-1"])
    endorsed = offline.new_signed_proposal(unsigned.bytes, sign_outside(private_key, unsigned.digest)).endorse()
    transaction = offline.new_signed_transaction(endorsed.bytes, sign_outside(private_key, endorsed.digest))
    with pytest.raises(SigningError, match="commit_signature"):
        transaction.resolve()
    assert not peer.requests("/gateway.Gateway/Submit")  # refused before anything went to the orderers
    with pytest.raises(ValueError, match="commit_signature does not verify"):
        transaction.resolve(commit_signature=sign_outside(private_key, b"\x00" * 32))  # signed something else
    low = sign_outside(private_key, transaction.commit_digest)
    r, s = utils.decode_dss_signature(low)
    high = utils.encode_dss_signature(r, P256_ORDER - s)  # still verifies, but Fabric refuses high S
    with pytest.raises(ValueError, match="high-S"):
        transaction.resolve(commit_signature=high)
    assert not peer.requests("/gateway.Gateway/Submit")

    request = gateway_pb2.SignedCommitStatusRequest.FromString(transaction.commit_bytes).request
    assert transaction.commit_digest == hashes.sha256(request)
    assert gateway_pb2.CommitStatusRequest.FromString(request).transaction_id == transaction.transaction_id
    commit_signature = sign_outside(private_key, transaction.commit_digest)
    resolution = transaction.resolve(commit_signature=commit_signature)
    assert resolution.status is not None and resolution.status.successful
    sent = gateway_pb2.SignedCommitStatusRequest.FromString(peer.requests("/gateway.Gateway/CommitStatus")[0])
    assert sent.signature == commit_signature
    verify(identity, sent.signature, sent.request)


def test_a_submitted_transaction_resolves_with_an_offline_commit_signature(
    offline: Gateway, peer: FakePeer, private_key: ec.EllipticCurvePrivateKey
) -> None:
    unsigned = offline.get_network("ch").get_contract("cc").new_proposal("fn")
    endorsed = offline.new_signed_proposal(unsigned.bytes, sign_outside(private_key, unsigned.digest)).endorse()
    submitted = offline.new_signed_transaction(endorsed.bytes, sign_outside(private_key, endorsed.digest)).submit()
    assert submitted.digest == endorsed.commit_digest  # the same request, known before the submit
    resolution = submitted.resolve(commit_signature=sign_outside(private_key, submitted.digest))
    assert resolution.status is not None and resolution.status.successful


def test_a_signer_that_hashes_itself_resolves_with_hash_none(
    channel: FakeChannel, peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    # An HSM mechanism that hashes (ECDSA with SHA-256) gets the whole message: hash=none. Fabric's MSP
    # verifies over the message's SHA-256, and the offline check must accept what it would accept.
    def hsm_sign(message: bytes) -> bytes:
        return sign_outside(private_key, hashes.sha256(message))  # what the HSM does inside

    with connect(channel, identity, None, hash=hashes.none, resubmit=None) as gateway:
        unsigned = gateway.get_network("ch").get_contract("cc").new_proposal("fn")
        endorsed = gateway.new_signed_proposal(unsigned.bytes, hsm_sign(unsigned.digest)).endorse()
        transaction = gateway.new_signed_transaction(endorsed.bytes, hsm_sign(endorsed.digest))
        request = gateway_pb2.SignedCommitStatusRequest.FromString(transaction.commit_bytes).request
        assert transaction.commit_digest == request  # no hash: the message itself
        with pytest.raises(ValueError, match="commit_signature does not verify"):
            transaction.resolve(commit_signature=hsm_sign(b"another message"))
        assert not peer.requests("/gateway.Gateway/Submit")
        resolution = transaction.resolve(commit_signature=hsm_sign(transaction.commit_digest))
    assert resolution.status is not None and resolution.status.successful
    sent = gateway_pb2.SignedCommitStatusRequest.FromString(peer.requests("/gateway.Gateway/CommitStatus")[0])
    verify(identity, sent.signature, sent.request)


def test_a_signature_is_checked_against_the_creator_the_bytes_name_not_the_gateways_identity(
    channel: FakeChannel, offline: Gateway, private_key: ec.EllipticCurvePrivateKey
) -> None:
    # a relay submitting what another identity prepared and signed: Fabric checks that identity's key
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = X509Identity("Bank2MSP", make_certificate(other_key, "User1@bank2.example.com"))
    with connect(channel, other, None, resubmit=None) as theirs:
        proposal = theirs.get_network("asia-europe").get_contract("tradefin", "kv").new_proposal("Put", ["k", "v"])
        commit = theirs.get_network("asia-europe").new_commit("b" * 64)
    relayed = offline.new_signed_proposal(proposal.bytes, sign_outside(other_key, proposal.digest))
    assert relayed.transaction_id == proposal.transaction_id
    offline.new_signed_commit(commit.bytes, sign_outside(other_key, commit.digest))
    with pytest.raises(ValueError, match=r"does not verify with the certificate of the Bank2MSP identity"):
        offline.new_signed_proposal(proposal.bytes, sign_outside(private_key, proposal.digest))  # the relay's key
    # the endorsed transaction names the same creator: signed by it, accepted; by the relay's key, refused
    endorsed = relayed.endorse()
    with pytest.raises(ValueError, match=r"does not verify with the certificate of the Bank2MSP identity"):
        offline.new_signed_transaction(endorsed.bytes, sign_outside(private_key, endorsed.digest))
    transaction = offline.new_signed_transaction(endorsed.bytes, sign_outside(other_key, endorsed.digest))
    assert transaction.transaction_id == proposal.transaction_id


def test_a_creator_whose_key_cannot_be_loaded_is_left_to_fabric(offline: Gateway) -> None:
    # a certificate that parses but names a curve cryptography does not know (P-256's OID ending .9, not
    # .7): nothing to check a signature with here, and no UnsupportedAlgorithm escaping either
    der = x509.load_pem_x509_certificate(make_certificate(ec.generate_private_key(ec.SECP256R1()))).public_bytes(
        serialization.Encoding.DER
    )
    p256 = bytes.fromhex("06082a8648ce3d030107")
    assert der.count(p256) == 1
    odd = x509.load_der_x509_certificate(der.replace(p256, p256[:-1] + b"\x09"))
    with pytest.raises(UnsupportedAlgorithm):
        odd.public_key()
    # a proposal naming that creator (built here: a gateway cannot be connected with such an identity)
    proposed = gateway_pb2.ProposedTransaction.FromString(
        offline.get_network("asia-europe").get_contract("tradefin", "kv").new_proposal("Put", ["k", "v"]).bytes
    )
    proposal = proposal_pb2.Proposal.FromString(proposed.proposal.proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
    signature_header.creator = identities_pb2.SerializedIdentity(
        mspid="Bank2MSP", id_bytes=odd.public_bytes(serialization.Encoding.PEM)
    ).SerializeToString()
    header.signature_header = signature_header.SerializeToString()
    proposal.header = header.SerializeToString()
    proposed.proposal.proposal_bytes = proposal.SerializeToString()
    assert offline.new_signed_proposal(proposed.SerializeToString(), b"sig").signature == b"sig"
