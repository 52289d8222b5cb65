"""The PKCS#11 signer against a SoftHSM token: signatures Fabric accepts, keys found or refused clearly,
one login shared by the signers of a token, and a gateway signing every request in the token."""

from __future__ import annotations

import datetime
import hashlib
import itertools
import threading
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from fabric_protos.gateway import gateway_pb2

from tests.softhsm import new_token_key, softhsm_token
from tests.unit.gateway.conftest import MSP_ID
from tests.unit.gateway.fakes import FakeChannel, FakePeer
from tradefin.gateway import X509Identity, connect
from tradefin.gateway.hsm import HsmSigner

_ids = itertools.count(1)


def token_key(curve: str = "secp256r1") -> tuple[str, bytes, ec.EllipticCurvePublicKey]:
    number = next(_ids)
    label, key_id = f"unit-{curve}-{number}", b"\x75" + number.to_bytes(4, "big")
    return label, key_id, new_token_key(label, key_id, curve)


@pytest.fixture
def signer() -> Iterator[HsmSigner]:
    token = softhsm_token()
    label, _, _ = token_key()
    with HsmSigner(token.library, token_label=token.label, pin=token.pin, key_label=label) as opened:
        yield opened


P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P384_ORDER = int(
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16
)


@pytest.mark.parametrize("curve, order", [("secp256r1", P256_ORDER), ("secp384r1", P384_ORDER)])
def test_signatures_verify_and_are_low_s(curve: str, order: int) -> None:
    token = softhsm_token()
    label, key_id, public_key = token_key(curve)
    with HsmSigner(token.library, token_label=token.label, pin=token.pin, key_id=key_id) as signer:
        assert signer.public_key.public_numbers() == public_key.public_numbers()
        for index in range(40):  # about half of raw ECDSA signatures are high-S: all must come out low
            digest = hashlib.sha256(f"message {index}".encode()).digest()
            signature = signer(digest)
            public_key.verify(signature, digest, ec.ECDSA(utils.Prehashed(crypto_hashes.SHA256())))
            _, s = utils.decode_dss_signature(signature)
            assert s <= order // 2
    assert label.startswith("unit-")


def test_a_gateway_signs_every_request_in_the_token(signer: HsmSigner) -> None:
    # a certificate for the token's public key (a CA would issue it; self-signed stands in here)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "hsm-user@bank1.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(signer.public_key)
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(ca_key, crypto_hashes.SHA256())
    )
    identity = X509Identity(MSP_ID, certificate.public_bytes(serialization.Encoding.PEM))
    peer = FakePeer()
    with connect(FakeChannel(peer), identity, signer) as gateway:
        assert gateway.get_network("ch").get_contract("cc").submit("fn", ["a"]) == b"result"
    endorse = gateway_pb2.EndorseRequest.FromString(peer.requests("/gateway.Gateway/Endorse")[0])
    signed = endorse.proposed_transaction
    signer.public_key.verify(signed.signature, signed.proposal_bytes, ec.ECDSA(crypto_hashes.SHA256()))
    submit = gateway_pb2.SubmitRequest.FromString(peer.requests("/gateway.Gateway/Submit")[0])
    envelope = submit.prepared_transaction
    signer.public_key.verify(envelope.signature, envelope.payload, ec.ECDSA(crypto_hashes.SHA256()))
    status = gateway_pb2.SignedCommitStatusRequest.FromString(peer.requests("/gateway.Gateway/CommitStatus")[0])
    signer.public_key.verify(status.signature, status.request, ec.ECDSA(crypto_hashes.SHA256()))


def test_threads_share_one_signer(signer: HsmSigner) -> None:
    failures: list[BaseException] = []

    def sign_many(worker: int) -> None:
        try:
            for index in range(25):
                digest = hashlib.sha256(f"{worker}-{index}".encode()).digest()
                signer.public_key.verify(signer(digest), digest, ec.ECDSA(utils.Prehashed(crypto_hashes.SHA256())))
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=sign_many, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_signers_of_one_token_share_its_login(signer: HsmSigner) -> None:
    # PKCS#11 logs a process in once per token, and a logout ends every session's access: closing one
    # signer must not break another, and the last one out logs out.
    token = softhsm_token()
    label, _, _ = token_key()
    digest = hashlib.sha256(b"x").digest()
    second = HsmSigner(token.library, token_label=token.label, pin=token.pin, key_label=label)
    second.close()
    assert signer(digest)  # still logged in
    with pytest.raises(ValueError, match="closed"):
        second(digest)
    with pytest.raises(ValueError, match="another PIN"):
        HsmSigner(token.library, token_label=token.label, pin="000000", key_label=label)


def test_configuration_errors_are_clear_and_early() -> None:
    token = softhsm_token()
    label, _, _ = token_key()
    with pytest.raises(ValueError, match="refused the PIN"):  # no signer open: the token checks the PIN
        HsmSigner(token.library, token_label=token.label, pin="000000", key_label=label)
    with pytest.raises(ValueError, match="no PKCS#11 token labelled 'nope'"):
        HsmSigner(token.library, token_label="nope", pin=token.pin, key_label=label)
    with pytest.raises(ValueError, match="cannot load the PKCS#11 library"):
        HsmSigner("/nonexistent/libpkcs11.so", token_label=token.label, pin=token.pin, key_label=label)
    with pytest.raises(ValueError, match="no EC private keys with CKA_LABEL 'missing'"):
        HsmSigner(token.library, token_label=token.label, pin=token.pin, key_label="missing")
    with pytest.raises(ValueError, match="one of the two"):
        HsmSigner(token.library, token_label=token.label, pin=token.pin, key_label=label, key_id=b"\x01")
    new_token_key(label, b"\x99\x99", "secp256r1")  # a second key under the same label
    with pytest.raises(ValueError, match="2 EC private keys"):
        HsmSigner(token.library, token_label=token.label, pin=token.pin, key_label=label)
    # every failure released its session and login: a good signer logs in afresh
    fresh, _, _ = token_key()
    with HsmSigner(token.library, token_label=token.label, pin=token.pin, key_label=fresh) as signer:
        with pytest.raises(ValueError, match=r"not hashes\.none"):
            signer(b"a whole message, not a digest")
        with pytest.raises(ValueError, match="another PIN"):
            HsmSigner(token.library, token_label=token.label, pin="000000", key_label=fresh)
    assert "pin" not in repr(signer).lower() and token.pin not in repr(signer)
