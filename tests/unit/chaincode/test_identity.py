"""ClientIdentity: Fabric's GetID rendering, Fabric CA attributes, key types.

The expected DN strings follow Go's pkix.Name round trip as used by Fabric's cid package; the
cases were cross-checked against that package while this module was written.
"""

from __future__ import annotations

import base64

import pytest

from tests.unit.chaincode.certificates import NameOID, ed25519_key, issue, multi_valued_name, name, org1_ca
from tests.unit.chaincode.peer_fakes import serialized_identity
from tradefin.chaincode.shim import AttributeAssertionError, ClientIdentity, IdentityError

CA_DN = "CN=ca.org1.example.com,O=org1.example.com,L=Durham,ST=North Carolina,C=US"


def identity_of(pem: bytes, msp_id: str = "Org1MSP") -> ClientIdentity:
    return ClientIdentity.from_creator(serialized_identity(msp_id, pem))


def expected_id(subject: str, issuer: str) -> str:
    return base64.b64encode(f"x509::{subject}::{issuer}".encode()).decode()


def test_fabric_ca_user_with_attributes() -> None:
    ca = org1_ca()
    user = issue(
        name(
            (NameOID.COUNTRY_NAME, "US"),
            (NameOID.STATE_OR_PROVINCE_NAME, "North Carolina"),
            (NameOID.ORGANIZATION_NAME, "Hyperledger"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "client"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "org1"),
            (NameOID.COMMON_NAME, "appUser"),
        ),
        issuer=ca,
        attributes={"role": "issuer", "bic": "BANKGB2L"},
    )
    identity = identity_of(user.certificate_pem)
    subject = "CN=appUser,OU=client+OU=org1,O=Hyperledger,ST=North Carolina,C=US"
    assert identity.msp_id == "Org1MSP"
    assert identity.subject_dn == subject
    assert identity.issuer_dn == CA_DN
    assert identity.id == expected_id(subject, CA_DN)
    assert identity.certificate.serial_number == user.certificate.serial_number
    assert dict(identity.attributes) == {"role": "issuer", "bic": "BANKGB2L"}
    assert identity.attribute("role") == "issuer"
    assert identity.attribute("lei") is None
    identity.assert_attribute("bic", "BANKGB2L")
    with pytest.raises(AttributeAssertionError, match="not have the required value"):
        identity.assert_attribute("role", "examiner")
    with pytest.raises(AttributeAssertionError, match="not found"):
        identity.assert_attribute("lei", "x")
    assert identity.has_organizational_unit("client")
    assert not identity.has_organizational_unit("peer")


def test_ed25519_creator_is_supported() -> None:
    ca = org1_ca()
    user = issue(
        name(
            (NameOID.COMMON_NAME, "User1@org2.example.com"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "client"),
            (NameOID.LOCALITY_NAME, "San Francisco"),
        ),
        issuer=ca,
        key=ed25519_key(),
    )
    identity = identity_of(user.certificate_pem, "Org2MSP")
    subject = "CN=User1@org2.example.com,OU=client,L=San Francisco"
    assert identity.id == expected_id(subject, CA_DN)
    assert dict(identity.attributes) == {}
    self_signed = issue(name((NameOID.COMMON_NAME, "ed")), key=ed25519_key())
    assert identity_of(self_signed.certificate_pem).id == expected_id("CN=ed", "CN=ed")


def test_go_field_order_last_cn_wins_and_unknown_attributes_dropped() -> None:
    user = issue(
        name(
            (NameOID.COMMON_NAME, "first-cn"),
            (NameOID.ORGANIZATION_NAME, "#hash"),
            (NameOID.SERIAL_NUMBER, "SN1"),
            (NameOID.EMAIL_ADDRESS, "a@b.c"),
            (NameOID.DOMAIN_COMPONENT, "example"),
            (NameOID.POSTAL_CODE, "27701"),
            (NameOID.STREET_ADDRESS, "1 Main St"),
            (NameOID.COMMON_NAME, "second-cn"),
            (NameOID.COUNTRY_NAME, "US"),
        )
    )
    assert identity_of(user.certificate_pem).subject_dn == (
        "SERIALNUMBER=SN1,CN=second-cn,O=\\#hash,POSTALCODE=27701,STREET=1 Main St,C=US"
    )


def test_dn_escaping() -> None:
    user = issue(
        name(
            (NameOID.ORGANIZATION_NAME, ' #lead,comma+plus"q\\b<l>;semi=eq trail '),
            (NameOID.COMMON_NAME, "#x"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, " "),
            (NameOID.LOCALITY_NAME, ""),
        )
    )
    assert identity_of(user.certificate_pem).subject_dn == (
        'CN=\\#x,OU=\\ ,O=\\ #lead\\,comma\\+plus\\"q\\\\b\\<l\\>\\;semi=eq trail\\ ,L='
    )


def test_multi_valued_rdns_are_flattened_like_go() -> None:
    user = issue(
        multi_valued_name(
            [(NameOID.COUNTRY_NAME, "US")],
            [(NameOID.ORGANIZATIONAL_UNIT_NAME, "b"), (NameOID.ORGANIZATION_NAME, "o")],
            [(NameOID.COMMON_NAME, "é ünïcode")],
        )
    )
    assert identity_of(user.certificate_pem).subject_dn == "CN=é ünïcode,OU=b,O=o,C=US"


@pytest.mark.parametrize(
    ("creator", "message"),
    [
        (b"\xff\xff", "serialized identity"),
        (serialized_identity("Org1MSP", b"idemix credential bytes"), "X.509 PEM"),
        (serialized_identity("Org1MSP", b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"), "parsed"),
    ],
)
def test_non_x509_creators_are_refused(creator: bytes, message: str) -> None:
    with pytest.raises(IdentityError, match=message):
        ClientIdentity.from_creator(creator)


@pytest.mark.parametrize("extension", [b"not json", b'{"attrs": {"role": 7}}', b'{"attrs": ["role"]}'])
def test_malformed_attribute_extension_is_refused(extension: bytes) -> None:
    user = issue(name((NameOID.COMMON_NAME, "u")), raw_attribute_extension=extension)
    with pytest.raises(IdentityError):
        identity_of(user.certificate_pem)


def test_attribute_extension_without_attrs_means_none() -> None:
    user = issue(name((NameOID.COMMON_NAME, "u")), raw_attribute_extension=b"{}")
    assert dict(identity_of(user.certificate_pem).attributes) == {}


def test_a_stub_decodes_each_creator_once_and_refuses_a_bad_one_every_time() -> None:
    from tradefin.chaincode.shim.stub import _identity_of_creator

    pem = issue(name((NameOID.COMMON_NAME, "repeat")), issuer=org1_ca()).certificate_pem
    first = _identity_of_creator(serialized_identity("Org1MSP", pem))
    assert _identity_of_creator(serialized_identity("Org1MSP", pem)) is first  # the same users, again and again
    assert first.id == identity_of(pem).id
    for _ in range(2):
        with pytest.raises(IdentityError):
            _identity_of_creator(serialized_identity("Org1MSP", b"not a certificate"))
