"""Signers: callables from a digest to a signature, so keys may live anywhere (files, HSMs, KMS).

Fabric rules applied here:

* ECDSA signatures are DER-encoded and **low-S** (``s <= n/2``); Fabric rejects high-S signatures
  (the peer then reports a misleading "access denied" error).
* Ed25519 signs the raw message: use it with :func:`tradefin.gateway.hashes.none`.

An HSM signer that gets a raw ``r || s`` signature from PKCS#11 turns it into what Fabric wants with
:func:`ecdsa_raw_to_low_s_der`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

from tradefin.gateway.identity import X509Identity, msp_signcert_path

__all__ = [
    "PrivateKey",
    "Signer",
    "check_offline_signature",
    "ecdsa_raw_to_low_s_der",
    "ecdsa_to_low_s",
    "load_msp_signer",
    "load_private_key",
    "new_private_key_signer",
    "signature_verifies",
]

Signer = Callable[[bytes], bytes]
"""Signs a digest (the output of the gateway's hash) and returns the signature bytes."""

PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
"""Private key types a Fabric identity can hold."""

# Group orders of the curves Fabric MSPs accept (FIPS 186-4, D.1.2.3 and D.1.2.4).
_CURVE_ORDERS: dict[str, int] = {
    "secp256r1": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "secp384r1": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", 16
    ),
}

# ECDSA over a digest: only the digest length matters to the prehashed signing primitive.
_PREHASHED_BY_LENGTH: dict[int, ec.ECDSA] = {
    32: ec.ECDSA(utils.Prehashed(crypto_hashes.SHA256())),
    48: ec.ECDSA(utils.Prehashed(crypto_hashes.SHA384())),
    64: ec.ECDSA(utils.Prehashed(crypto_hashes.SHA512())),
}
_WHOLE_MESSAGE = ec.ECDSA(crypto_hashes.SHA256())


def _curve_order(curve: ec.EllipticCurve) -> int:
    try:
        return _CURVE_ORDERS[curve.name]
    except KeyError:
        raise ValueError(f"unsupported curve for Fabric identities: {curve.name} (use P-256 or P-384)") from None


def _low_s(s: int, order: int) -> int:
    return order - s if s > order >> 1 else s


def ecdsa_to_low_s(signature: bytes, curve: ec.EllipticCurve) -> bytes:
    """Return the DER ECDSA ``signature`` with ``s`` replaced by ``n - s`` when ``s > n/2``."""
    order = _curve_order(curve)
    r, s = utils.decode_dss_signature(signature)
    low = _low_s(s, order)
    return signature if low == s else utils.encode_dss_signature(r, low)


def ecdsa_raw_to_low_s_der(signature: bytes, curve: ec.EllipticCurve) -> bytes:
    """Turn a raw ``r || s`` ECDSA signature (PKCS#11 ``CKM_ECDSA`` output) into low-S DER."""
    if len(signature) % 2:
        raise ValueError("a raw ECDSA signature is r || s, two halves of equal length")
    half = len(signature) // 2
    r = int.from_bytes(signature[:half], "big")
    s = int.from_bytes(signature[half:], "big")
    return utils.encode_dss_signature(r, _low_s(s, _curve_order(curve)))


def _new_ecdsa_signer(key: ec.EllipticCurvePrivateKey) -> Signer:
    curve = key.curve
    _curve_order(curve)  # an unsupported curve is refused now, not at the first signature

    def ecdsa_signer(digest: bytes) -> bytes:
        algorithm = _PREHASHED_BY_LENGTH.get(len(digest))
        if algorithm is None:
            raise ValueError(
                f"ECDSA signs a digest of 32, 48 or 64 bytes, got {len(digest)} bytes: "
                "use a hash such as SHA-256 (hash NONE is for Ed25519)"
            )
        return ecdsa_to_low_s(key.sign(digest, algorithm), curve)

    return ecdsa_signer


def _new_ed25519_signer(key: ed25519.Ed25519PrivateKey) -> Signer:
    def ed25519_signer(message: bytes) -> bytes:
        return key.sign(message)

    return ed25519_signer


def new_private_key_signer(key: PrivateKey) -> Signer:
    """A signer for an in-memory private key: ECDSA P-256/P-384 (low-S DER) or Ed25519."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return _new_ecdsa_signer(key)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return _new_ed25519_signer(key)
    raise TypeError(f"unsupported private key type: {type(key).__name__}")


def load_private_key(pem: bytes, password: bytes | None = None) -> PrivateKey:
    """Load a PEM private key (PKCS#8 or SEC1) that a Fabric identity can use."""
    key = serialization.load_pem_private_key(pem, password=password)
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise TypeError(f"unsupported private key type for Fabric: {type(key).__name__}")
    return key


def load_msp_signer(msp_dir: str | Path, password: bytes | None = None) -> Signer:
    """A signer for the private key of an MSP folder (``keystore/``, as cryptogen and Fabric CA write).

    When the keystore holds several keys (Fabric CA re-enrolment), the one matching the signing
    certificate in ``signcerts/`` is used.
    """
    from cryptography import x509

    certificate = x509.load_pem_x509_certificate(msp_signcert_path(msp_dir).read_bytes())
    wanted = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    keystore = Path(msp_dir) / "keystore"
    for path in sorted(p for p in keystore.iterdir() if p.is_file()):
        try:
            key = load_private_key(path.read_bytes(), password)
        except (ValueError, TypeError):
            continue
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if public == wanted:
            return new_private_key_signer(key)
    raise ValueError(f"{keystore}: no private key matches the certificate in signcerts/")


def signature_verifies(certificate: x509.Certificate, digest: bytes, signature: bytes) -> bool:
    """Whether Fabric would take ``signature`` as the certificate's key's signature of ``digest`` (the
    gateway's hash of the message; the message itself for Ed25519): it verifies and, for ECDSA, its S is
    low (Fabric refuses high-S signatures although they verify). Used to check a signature made
    offline before anything that depends on it is sent."""
    public_key = certificate.public_key()
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        try:
            public_key.verify(signature, digest)
        except InvalidSignature:
            return False
        return True
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return False
    return _ecdsa_verifies(public_key, digest, signature) and not _high_s(public_key, signature)


def _ecdsa_verifies(public_key: ec.EllipticCurvePublicKey, digest: bytes, signature: bytes) -> bool:
    """Whether a DER ECDSA signature of ``digest`` verifies, high S or low.

    A ``digest`` of no hash's length is the message itself (the gateway's hash is ``none``, the signer
    hashes, e.g. an HSM's ECDSA-with-SHA256 mechanism): Fabric's MSPs (SHA2 family) verify it over its
    SHA-256, and so does this check."""
    algorithm = _PREHASHED_BY_LENGTH.get(len(digest), _WHOLE_MESSAGE)
    try:
        public_key.verify(signature, digest, algorithm)
    except InvalidSignature:
        return False
    return True


def _high_s(public_key: ec.EllipticCurvePublicKey, signature: bytes) -> bool:
    """Whether a DER ECDSA signature (one that verifies) has ``s > n/2``, or is on a curve Fabric refuses."""
    try:
        order = _curve_order(public_key.curve)
    except ValueError:
        return True
    _, s = utils.decode_dss_signature(signature)
    return s > order >> 1


def check_offline_signature(
    identity: X509Identity, digest: bytes, signature: bytes, what: str = "commit_signature", over: str = "commit_digest"
) -> None:
    """Refuse a signature made offline that ``identity`` did not make over ``digest``, before anything
    depends on it: a wrong one would only show as Fabric's refusal after the call ("access denied", an
    implicit policy failure), naming neither the signature nor the key. ``what`` names the signature
    and ``over`` what it signs, in the error."""
    if not signature_verifies(identity.certificate, digest, signature):
        public_key = identity.certificate.public_key()
        if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name not in _CURVE_ORDERS:
            raise ValueError(
                f"the {identity.msp_id} identity's key is on {public_key.curve.name}, which Fabric does not accept "
                "(P-256 or P-384)"
            )
        if isinstance(public_key, ec.EllipticCurvePublicKey) and _ecdsa_verifies(public_key, digest, signature):
            raise ValueError(
                f"{what} is a high-S ECDSA signature, which Fabric refuses: convert it with "
                "ecdsa_to_low_s (DER) or ecdsa_raw_to_low_s_der (raw r || s)"
            )
        raise ValueError(
            f"{what} does not verify with the certificate of the {identity.msp_id} identity over "
            f"this transaction's {over}"
        )
