"""Signers: ECDSA P-256 / P-384 low-S DER verified with the public key, Ed25519, HSM conversion, loaders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.gateway.fakes import FakeChannel, FakePeer, make_certificate
from tradefin.gateway import (
    Endpoint,
    X509Identity,
    _grpc,
    connect,
    ecdsa_raw_to_low_s_der,
    hashes,
    load_msp_identity,
    load_msp_signer,
    load_private_key,
    new_private_key_signer,
)
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway import sync as gateway_sync
from tradefin.gateway.signers import check_offline_signature, ecdsa_to_low_s, signature_verifies

CURVES = {
    "P-256": (ec.SECP256R1(), 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551),
    "P-384": (
        ec.SECP384R1(),
        int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16),
    ),
}
KEYS = {name: ec.generate_private_key(curve) for name, (curve, _) in CURVES.items()}
HASHES = {
    "SHA-256": (hashes.sha256, crypto_hashes.SHA256()),
    "SHA-384": (hashes.sha384, crypto_hashes.SHA384()),
    "SHA3-256": (hashes.sha3_256, crypto_hashes.SHA3_256()),
    "SHA3-384": (hashes.sha3_384, crypto_hashes.SHA3_384()),
}


@pytest.mark.parametrize("hash_name", sorted(HASHES))
@pytest.mark.parametrize("curve_name", sorted(CURVES))
@settings(max_examples=60, deadline=None)
@given(message=st.binary(max_size=2048))
def test_ecdsa_signatures_verify_and_are_low_s(curve_name: str, hash_name: str, message: bytes) -> None:
    key = KEYS[curve_name]
    order = CURVES[curve_name][1]
    hash_function, crypto_hash = HASHES[hash_name]
    signature = new_private_key_signer(key)(hash_function(message))
    key.public_key().verify(signature, message, ec.ECDSA(crypto_hash))
    _, s = utils.decode_dss_signature(signature)
    assert 0 < s <= order // 2


@pytest.mark.parametrize("curve_name", sorted(CURVES))
def test_high_s_signatures_are_normalised(curve_name: str) -> None:
    key = KEYS[curve_name]
    order = CURVES[curve_name][1]
    digest = hashes.sha256(b"trade")
    seen_high = 0
    for _ in range(64):
        raw = key.sign(digest, ec.ECDSA(utils.Prehashed(crypto_hashes.SHA256())))
        r, s = utils.decode_dss_signature(raw)
        seen_high += s > order // 2
        low = ecdsa_to_low_s(raw, key.curve)
        key.public_key().verify(low, digest, ec.ECDSA(utils.Prehashed(crypto_hashes.SHA256())))
        assert utils.decode_dss_signature(low) == (r, min(s, order - s))
    assert seen_high > 0  # the test exercised the high-S branch


@pytest.mark.parametrize("curve_name", sorted(CURVES))
def test_hsm_raw_signature_becomes_low_s_der(curve_name: str) -> None:
    key = KEYS[curve_name]
    order = CURVES[curve_name][1]
    size = (key.curve.key_size + 7) // 8
    digest = hashes.sha256(b"hsm")
    for _ in range(16):
        r, s = utils.decode_dss_signature(key.sign(digest, ec.ECDSA(utils.Prehashed(crypto_hashes.SHA256()))))
        high_s = max(s, order - s)
        raw = r.to_bytes(size, "big") + high_s.to_bytes(size, "big")
        der = ecdsa_raw_to_low_s_der(raw, key.curve)
        key.public_key().verify(der, digest, ec.ECDSA(utils.Prehashed(crypto_hashes.SHA256())))
        assert utils.decode_dss_signature(der)[1] <= order // 2


@settings(max_examples=50, deadline=None)
@given(message=st.binary(max_size=4096))
def test_ed25519_signs_the_raw_message(message: bytes) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    signature = new_private_key_signer(key)(hashes.none(message))
    key.public_key().verify(signature, message)
    with pytest.raises(InvalidSignature):
        key.public_key().verify(signature, message + b"x")


def test_ecdsa_refuses_an_unhashed_message() -> None:
    with pytest.raises(ValueError, match="hash NONE is for Ed25519"):
        new_private_key_signer(KEYS["P-256"])(b"raw message of odd length")


def test_ed25519_identity_requires_hash_none() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    identity = X509Identity("Bank1MSP", make_certificate(key))
    assert identity.uses_ed25519
    with pytest.raises(ValueError, match=r"hash=hashes\.none"):
        connect(FakeChannel(FakePeer()), identity, new_private_key_signer(key))
    connect(FakeChannel(FakePeer()), identity, new_private_key_signer(key), hash=hashes.none)


@pytest.mark.parametrize("front_end", [gateway_sync, gateway_aio])
def test_a_refused_connect_opens_no_channel(front_end: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[Endpoint] = []
    monkeypatch.setattr(_grpc, "open_channel", opened.append)
    monkeypatch.setattr(_grpc, "open_aio_channel", opened.append)
    key = ed25519.Ed25519PrivateKey.generate()
    identity = X509Identity("Bank1MSP", make_certificate(key))
    with pytest.raises(ValueError, match=r"hash=hashes\.none"):
        front_end.connect(Endpoint.without_tls("localhost:7051"), identity, new_private_key_signer(key))
    assert opened == []


@pytest.mark.parametrize(
    ("name", "function", "reference"),
    [
        ("sha256", hashes.sha256, crypto_hashes.SHA256()),
        ("sha384", hashes.sha384, crypto_hashes.SHA384()),
        ("sha3_256", hashes.sha3_256, crypto_hashes.SHA3_256()),
        ("sha3_384", hashes.sha3_384, crypto_hashes.SHA3_384()),
    ],
)
def test_hashes_match_the_reference_implementation(
    name: str, function: hashes.Hash, reference: crypto_hashes.HashAlgorithm
) -> None:
    digest = crypto_hashes.Hash(reference)
    digest.update(b"letter of credit")
    assert function(b"letter of credit") == digest.finalize()
    assert hashes.none(b"letter of credit") == b"letter of credit"


def write_msp(folder: Path, key: ec.EllipticCurvePrivateKey, *, fabric_ca: bool = False) -> bytes:
    certificate = make_certificate(key)
    (folder / "signcerts").mkdir(parents=True)
    (folder / "keystore").mkdir()
    (folder / "signcerts" / ("cert.pem" if fabric_ca else "User1@bank1.example.com-cert.pem")).write_bytes(certificate)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (folder / "keystore" / ("0123abcd_sk" if fabric_ca else "priv_sk")).write_bytes(pem)
    return certificate


def test_msp_folder_of_cryptogen(tmp_path: Path) -> None:
    key = KEYS["P-256"]
    certificate = write_msp(tmp_path / "msp", key)
    identity = load_msp_identity(tmp_path / "msp", "Bank1MSP")
    assert identity.credentials == certificate
    assert identity.msp_id == "Bank1MSP"
    signature = load_msp_signer(tmp_path / "msp")(hashes.sha256(b"m"))
    key.public_key().verify(signature, b"m", ec.ECDSA(crypto_hashes.SHA256()))


def test_msp_folder_of_fabric_ca_with_a_stale_key(tmp_path: Path) -> None:
    key = KEYS["P-384"]
    write_msp(tmp_path / "msp", key, fabric_ca=True)
    stale = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "msp" / "keystore" / "ffff_sk").write_bytes(stale)
    signature = load_msp_signer(tmp_path / "msp")(hashes.sha256(b"m"))
    key.public_key().verify(signature, b"m", ec.ECDSA(crypto_hashes.SHA256()))


def test_msp_folder_errors_say_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "msp" / "signcerts").mkdir(parents=True)
    with pytest.raises(ValueError, match="expected exactly one certificate"):
        load_msp_identity(tmp_path / "msp", "Bank1MSP")
    with pytest.raises(ValueError, match=r"not a PEM X\.509 certificate"):
        X509Identity("Bank1MSP", b"garbage")
    with pytest.raises(ValueError, match="MSP id"):
        X509Identity("", make_certificate(KEYS["P-256"]))


def test_load_private_key_accepts_sec1_and_pkcs8() -> None:
    key = KEYS["P-256"]
    for private_format in (serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL):
        pem = key.private_bytes(serialization.Encoding.PEM, private_format, serialization.NoEncryption())
        loaded = load_private_key(pem)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        assert loaded.private_numbers() == key.private_numbers()


@pytest.mark.parametrize(
    ("key", "digest"),
    [
        (ec.generate_private_key(ec.SECP256R1()), hashes.sha256(b"commit request")),
        (ec.generate_private_key(ec.SECP384R1()), hashes.sha384(b"commit request")),
        (ec.generate_private_key(ec.SECP256R1()), hashes.sha3_256(b"commit request")),
        (ed25519.Ed25519PrivateKey.generate(), b"commit request"),  # hash NONE: the message itself
    ],
)
def test_an_offline_signature_is_checked_against_the_identity(key: Any, digest: bytes) -> None:
    certificate = x509.load_pem_x509_certificate(make_certificate(key))
    signature = new_private_key_signer(key)(digest)
    assert signature_verifies(certificate, digest, signature)
    assert not signature_verifies(certificate, digest[:-1] + bytes([digest[-1] ^ 1]), signature)
    other = new_private_key_signer(ec.generate_private_key(ec.SECP256R1()))(hashes.sha256(b"commit request"))
    assert not signature_verifies(certificate, digest, other)
    if isinstance(key, ec.EllipticCurvePrivateKey):  # the high-S twin verifies too, but Fabric refuses it
        [order] = [order for curve, order in CURVES.values() if curve.name == key.curve.name]
        r, s = utils.decode_dss_signature(signature)
        high = utils.encode_dss_signature(r, order - s)
        prehashed = utils.Prehashed(crypto_hashes.SHA256() if len(digest) == 32 else crypto_hashes.SHA384())
        key.public_key().verify(high, digest, ec.ECDSA(prehashed))
        assert not signature_verifies(certificate, digest, high)


def test_an_offline_signature_on_a_curve_fabric_refuses_says_so() -> None:
    key = ec.generate_private_key(ec.SECP521R1())
    identity = X509Identity("Bank1MSP", make_certificate(key))
    digest = hashes.sha256(b"commit request")
    signature = key.sign(digest, ec.ECDSA(utils.Prehashed(crypto_hashes.SHA256())))
    with pytest.raises(ValueError, match="secp521r1, which Fabric does not accept"):
        check_offline_signature(identity, digest, signature)
