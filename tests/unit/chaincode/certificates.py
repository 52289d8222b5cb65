"""Test certificates made on the fly with ``cryptography`` (ECDSA P-256 and Ed25519)."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID, ObjectIdentifier
from fabric_protos.msp import identities_pb2

from tradefin.chaincode.shim import ClientIdentity

ATTRIBUTES_OID = ObjectIdentifier("1.2.3.4.5.6.7.8.1")
PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    key: PrivateKey

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def name(*pairs: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in pairs])


def multi_valued_name(*rdns: list[tuple[x509.ObjectIdentifier, str]]) -> x509.Name:
    return x509.Name(
        [x509.RelativeDistinguishedName([x509.NameAttribute(oid, value) for oid, value in rdn]) for rdn in rdns]
    )


def _sign_algorithm(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def issue(
    subject: x509.Name,
    *,
    issuer: Issued | None = None,
    key: PrivateKey | None = None,
    attributes: dict[str, str] | None = None,
    raw_attribute_extension: bytes | None = None,
    ca: bool = False,
    dns_names: tuple[str, ...] = (),
) -> Issued:
    key = key or ec.generate_private_key(ec.SECP256R1())
    signer_key = issuer.key if issuer else key
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
    if attributes is not None:
        raw_attribute_extension = json.dumps({"attrs": attributes}).encode()
    if raw_attribute_extension is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ATTRIBUTES_OID, raw_attribute_extension), critical=False
        )
    certificate = builder.sign(signer_key, _sign_algorithm(signer_key))
    return Issued(certificate, key)


def org1_ca() -> Issued:
    return issue(
        name(
            (NameOID.COUNTRY_NAME, "US"),
            (NameOID.STATE_OR_PROVINCE_NAME, "North Carolina"),
            (NameOID.LOCALITY_NAME, "Durham"),
            (NameOID.ORGANIZATION_NAME, "org1.example.com"),
            (NameOID.COMMON_NAME, "ca.org1.example.com"),
        ),
        ca=True,
    )


def bank_identity(msp_id: str, bic: str, role: str, who: str) -> ClientIdentity:
    """A creator of bank ``msp_id`` as the peer passes it: CN ``who@msp_id``, Fabric CA attributes role and bic."""
    issued = issue(name((NameOID.COMMON_NAME, f"{who}@{msp_id}")), attributes={"role": role, "bic": bic})
    creator = identities_pb2.SerializedIdentity(mspid=msp_id, id_bytes=issued.certificate_pem)
    return ClientIdentity.from_creator(creator.SerializeToString())


def ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


__all__ = [
    "ATTRIBUTES_OID",
    "Issued",
    "NameOID",
    "bank_identity",
    "ed25519_key",
    "issue",
    "multi_valued_name",
    "name",
    "org1_ca",
]
