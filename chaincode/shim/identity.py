"""The identity that submitted a transaction, read from the proposal's creator.

The id and the distinguished names are rendered exactly as Fabric's Go ``cid`` package renders
them, so an id computed here equals the one a Go chaincode (or a Fabric CA) computes for the same
certificate. Nothing here assumes a key type: ECDSA, RSA and Ed25519 certificates all work.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from types import MappingProxyType

from cryptography import x509
from cryptography.x509.oid import NameOID, ObjectIdentifier
from fabric_protos.msp import identities_pb2
from google.protobuf.message import DecodeError

from tradefin.chaincode.shim.errors import AttributeAssertionError, IdentityError

__all__ = ["FABRIC_CA_ATTRIBUTES_OID", "ClientIdentity", "fabric_distinguished_name"]

FABRIC_CA_ATTRIBUTES_OID = ObjectIdentifier("1.2.3.4.5.6.7.8.1")
"""X.509 extension in which Fabric CA stores enrolment attributes as JSON ``{"attrs": {...}}``."""

# Go's pkix.Name keeps only these attribute types, and renders them in this order (reversed below).
_NAME_FIELDS: tuple[tuple[ObjectIdentifier, str], ...] = (
    (NameOID.COUNTRY_NAME, "C"),
    (NameOID.STATE_OR_PROVINCE_NAME, "ST"),
    (NameOID.LOCALITY_NAME, "L"),
    (NameOID.STREET_ADDRESS, "STREET"),
    (NameOID.POSTAL_CODE, "POSTALCODE"),
    (NameOID.ORGANIZATION_NAME, "O"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "OU"),
)
_SINGLE_VALUED_FIELDS: tuple[tuple[ObjectIdentifier, str], ...] = (
    (NameOID.COMMON_NAME, "CN"),
    (NameOID.SERIAL_NUMBER, "SERIALNUMBER"),
)
_SPECIAL_CHARACTERS = frozenset(',+"\\<>;')


def _escape_dn_value(value: str) -> str:
    last = len(value) - 1
    escaped: list[str] = []
    for index, character in enumerate(value):
        if (
            (index == 0 and character in " #")
            or (index == last and character == " ")
            or character in _SPECIAL_CHARACTERS
        ):
            escaped.append("\\")
        escaped.append(character)
    return "".join(escaped)


def fabric_distinguished_name(name: x509.Name) -> str:
    """Render a name the way Fabric's ``cid`` does (Go ``pkix.Name`` round trip, RFC 2253 style).

    Go flattens the name into known fields, so: only C, ST, L, STREET, POSTALCODE, O, OU, CN and
    SERIALNUMBER survive; repeated values of one type form one multi-valued RDN joined by ``+``;
    the last CN / SERIALNUMBER wins; the RDNs come out most specific first.
    """
    values: dict[ObjectIdentifier, list[str]] = {}
    for attribute in name:
        if isinstance(attribute.value, str):
            values.setdefault(attribute.oid, []).append(attribute.value)
    rdns: list[str] = []
    for oid, label in _NAME_FIELDS:
        if oid in values:
            rdns.append("+".join(f"{label}={_escape_dn_value(v)}" for v in values[oid]))
    for oid, label in _SINGLE_VALUED_FIELDS:
        if oid in values and values[oid][-1]:
            rdns.append(f"{label}={_escape_dn_value(values[oid][-1])}")
    return ",".join(reversed(rdns))


def _fabric_ca_attributes(certificate: x509.Certificate) -> Mapping[str, str]:
    try:
        extension = certificate.extensions.get_extension_for_oid(FABRIC_CA_ATTRIBUTES_OID)
    except x509.ExtensionNotFound:
        return MappingProxyType({})
    raw = extension.value
    if not isinstance(raw, x509.UnrecognizedExtension):
        raise IdentityError("unexpected type for the Fabric CA attribute extension")
    try:
        document = json.loads(raw.value)
    except ValueError as exc:
        raise IdentityError("the Fabric CA attribute extension is not JSON") from exc
    attributes = document.get("attrs") if isinstance(document, dict) else None
    if attributes is None:
        return MappingProxyType({})
    if not isinstance(attributes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        raise IdentityError('the Fabric CA attribute extension is not {"attrs": {name: string}}')
    return MappingProxyType(attributes)


class ClientIdentity:
    """The X.509 identity (MSP id + certificate) that created the transaction proposal."""

    __slots__ = ("_id", "attributes", "certificate", "issuer_dn", "msp_id", "subject_dn")

    def __init__(self, msp_id: str, certificate: x509.Certificate) -> None:
        self.msp_id = msp_id
        """The MSP id of the creator's organisation (``SerializedIdentity.mspid``)."""
        self.certificate = certificate
        """The creator's certificate."""
        self.subject_dn = fabric_distinguished_name(certificate.subject)
        """The subject DN as Fabric renders it."""
        self.issuer_dn = fabric_distinguished_name(certificate.issuer)
        """The issuer DN as Fabric renders it."""
        self.attributes: Mapping[str, str] = _fabric_ca_attributes(certificate)
        """Fabric CA enrolment attributes (empty when the certificate carries none)."""
        self._id = base64.b64encode(f"x509::{self.subject_dn}::{self.issuer_dn}".encode()).decode("ascii")

    @classmethod
    def from_creator(cls, creator: bytes) -> ClientIdentity:
        """Decode a serialized ``msp.SerializedIdentity`` holding a PEM certificate.

        Raises:
            IdentityError: the bytes are not a SerializedIdentity with an X.509 PEM certificate
                (an idemix creator, for instance).
        """
        try:
            serialized = identities_pb2.SerializedIdentity.FromString(creator)
        except DecodeError as exc:
            raise IdentityError("creator is not a serialized identity") from exc
        if b"-----BEGIN" not in serialized.id_bytes:
            raise IdentityError("creator is not an X.509 PEM identity")
        try:
            certificate = x509.load_pem_x509_certificate(serialized.id_bytes)
        except ValueError as exc:
            raise IdentityError("creator certificate cannot be parsed") from exc
        return cls(serialized.mspid, certificate)

    @property
    def id(self) -> str:
        """Fabric's unique id of the caller: base64("x509::" + subject DN + "::" + issuer DN)."""
        return self._id

    def attribute(self, name: str) -> str | None:
        """The value of a Fabric CA attribute, or None when the certificate does not carry it."""
        return self.attributes.get(name)

    def assert_attribute(self, name: str, value: str) -> None:
        """Require a Fabric CA attribute to equal ``value``.

        Raises:
            AttributeAssertionError: the attribute is missing or has another value.
        """
        actual = self.attributes.get(name)
        if actual is None:
            raise AttributeAssertionError(f"attribute {name!r} was not found")
        if actual != value:
            raise AttributeAssertionError(f"attribute {name!r} does not have the required value")

    def has_organizational_unit(self, unit: str) -> bool:
        """Whether the subject names this OU (as cryptogen / Fabric CA NodeOUs set: client, peer...)."""
        units = self.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
        return any(attribute.value == unit for attribute in units)

    def __repr__(self) -> str:
        return f"ClientIdentity(msp_id={self.msp_id!r}, subject={self.subject_dn!r})"
