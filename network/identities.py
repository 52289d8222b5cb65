"""Role-bearing user identities: X.509 certificates signed by a bank's CA, with Fabric CA attributes.

The chaincode authorises by MSP id plus a ``role`` attribute carried in the caller's certificate, in
the X.509 extension Fabric CA writes (OID 1.2.3.4.5.6.7.8.1, value = JSON ``{"attrs": {...}}``).
Here the bank's own CA (the one cryptogen made) signs them, so no CA server is needed; a bank running
Fabric CA gets the same result with ``fabric-ca-client register --id.attrs 'role=issuer:ecert,bic=...'``.

Each identity is written in the MSP folder layout cryptogen and Fabric CA use
(``signcerts/``, ``keystore/priv_sk``, ``cacerts/``, ``tlscacerts/``, ``config.yaml`` with NodeOUs), with
organisational unit ``client`` so the channel's Writers policy admits it.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID, ObjectIdentifier

from .errors import NetworkError
from .layout import Layout
from .processes import replaced_directory
from .spec import MAX_COMMON_NAME_LENGTH, BankSpec

FABRIC_CA_ATTRIBUTES_OID = ObjectIdentifier("1.2.3.4.5.6.7.8.1")
ROLES = ("issuer", "advisor", "examiner", "approver", "treasury", "compliance", "auditor",
         "client-applicant", "client-beneficiary")
#: Attributes an issued certificate always carries, set from the role, the bank and the user's name: an extra
#: attribute may not replace them (a role not in ROLES, another bank's BIC), nor claim Fabric CA's "hf." names.
OWN_ATTRIBUTES = ("role", "bic", "hf.EnrollmentID", "hf.Type", "hf.Affiliation")
# One user per role per bank, plus a second approver so dual control has two distinct approvers.
DEFAULT_USERS: tuple[tuple[str, str], ...] = (*((role, role) for role in ROLES), ("approver2", "approver"))


class IdentityError(NetworkError):
    """A user identity could not be issued."""


@dataclass(frozen=True)
class IssuedIdentity:
    name: str  # e.g. issuer@bank1.tradefin.test
    msp_id: str
    msp_dir: Path
    role: str
    attributes: dict[str, str]


def attributes_extension(attributes: dict[str, str]) -> x509.UnrecognizedExtension:
    """The Fabric CA attribute extension (raw JSON bytes, as fabric-ca's attrmgr writes it)."""
    value = json.dumps({"attrs": attributes}, sort_keys=True, separators=(",", ":")).encode()
    return x509.UnrecognizedExtension(FABRIC_CA_ATTRIBUTES_OID, value)


KEY_TYPES = ("ecdsa-p256", "ecdsa-p384", "ed25519")


def _new_key(key_type: str) -> ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey:
    if key_type == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ecdsa-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise IdentityError(f"key type {key_type!r} is not one of {', '.join(KEY_TYPES)}")


def check_role(role: str) -> None:
    """Refuse a role the contracts do not know."""
    if role not in ROLES:
        raise IdentityError(f"role {_shown(role)} is not one of {', '.join(ROLES)}")


def check_extra_attributes(attributes: Mapping[str, str]) -> None:
    """Refuse an extra attribute without a name, or one of the attributes issue_identity sets itself."""
    for name in attributes:
        if not name:
            raise IdentityError("an attribute needs a name")
        if name in OWN_ATTRIBUTES or name.startswith("hf."):
            raise IdentityError(f"attribute {_shown(name)} is set by the issuer ({', '.join(OWN_ATTRIBUTES)}: from "
                                "the role, the bank and the user), or reserved to Fabric CA (hf.*)")


def check_user_name(user: str, bank: BankSpec | None = None) -> None:
    """Refuse a user name that is no plain name (it names the user's folder ``<user>@<domain>``: no '/', '@',
    '\\', blanks or control characters, no leading '.'), or, given its ``bank``, one that makes the identity
    ``<user>@<bank domain>`` too long for a certificate's common name."""
    if not user or user.startswith(".") or any(c in "/@\\" or c.isspace() or not c.isprintable() for c in user):
        raise IdentityError(f"user name {_shown(user)} must be a plain name (no '/', '@', '\\', blanks or "
                            "control characters, not starting with '.')")
    if bank is not None and len(f"{user}@{bank.domain}") > MAX_COMMON_NAME_LENGTH:
        longest = MAX_COMMON_NAME_LENGTH - len(f"@{bank.domain}")
        raise IdentityError(f"user name {_shown(user)} is {len(user)} characters long, more than {longest}: the "
                            f"identity <user>@{bank.domain} is a certificate common name, which holds "
                            f"{MAX_COMMON_NAME_LENGTH} characters")


def _shown(user: str) -> str:
    """``user`` quoted for a message, cut short if long."""
    return repr(user) if len(user) <= 40 else f"{user[:20]!r}..."


def issue_identity(layout: Layout, bank: BankSpec, user: str, role: str,
                   extra_attributes: dict[str, str] | None = None, key_type: str = "ecdsa-p256",
                   public_key: ec.EllipticCurvePublicKey | None = None) -> IssuedIdentity:
    """Issue ``user@<bank domain>`` with ``role`` (and the bank's BIC) unless it already exists.

    ``key_type`` is ``ecdsa-p256`` (default), ``ecdsa-p384`` or ``ed25519`` (Fabric v3 channels with the
    V3_0 capability accept Ed25519 identities; such a client signs with hash NONE). With ``public_key``
    (P-256 or P-384) the certificate is issued for a key held elsewhere -- an HSM's -- and the MSP
    folder's ``keystore/`` stays empty; ``key_type`` is then not used.
    """
    check_role(role)
    check_user_name(user, bank)
    check_extra_attributes(extra_attributes or {})
    name = f"{user}@{bank.domain}"
    home = layout.bank_user(bank, user)
    attributes = {"role": role, "bic": bank.bic, "hf.EnrollmentID": name, "hf.Type": "client",
                  "hf.Affiliation": "", **(extra_attributes or {})}
    msp = home / "msp"
    if (msp / "signcerts").exists():
        issued = _already_issued(name, bank, msp, attributes)
        if public_key is not None and _certified_key(msp) != public_key:
            raise IdentityError(f"{name} was issued before for another key: choose another user name")
        return issued
    org = layout.bank_org(bank)
    ca_cert_path = layout.bank_ca(bank)
    try:
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        ca_key = serialization.load_pem_private_key((org / "ca" / "priv_sk").read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise IdentityError(f"cannot read the CA of {bank.name} in {org / 'ca'}: {exc}") from exc
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise IdentityError(f"the CA key of {bank.name} is not an ECDSA key")
    if public_key is not None and (
        not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name not in ("secp256r1", "secp384r1")
    ):
        raise IdentityError("a key held elsewhere must be an ECDSA P-256 or P-384 public key")
    key = None if public_key is not None else _new_key(key_type)
    certified: ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey = (
        key.public_key() if key is not None else cast(ec.EllipticCurvePublicKey, public_key)
    )
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, bank.country),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "client"),
        x509.NameAttribute(NameOID.COMMON_NAME, name),
    ])
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(certified)
        .serial_number(x509.random_serial_number())
        # Fabric's MSP validates the chain at the certificate's own NotBefore, so it may not precede the CA's.
        .not_valid_before(max(now - datetime.timedelta(minutes=5), ca_cert.not_valid_before_utc))
        .not_valid_after(min(now + datetime.timedelta(days=3650), ca_cert.not_valid_after_utc))
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .add_extension(attributes_extension(attributes), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    template = layout.bank_user(bank, "User1") / "msp"
    with replaced_directory(home) as staging:
        for folder in ("cacerts", "tlscacerts"):
            shutil.copytree(template / folder, staging / "msp" / folder)
        shutil.copy(template / "config.yaml", staging / "msp" / "config.yaml")
        (staging / "msp" / "admincerts").mkdir()
        (staging / "msp" / "signcerts").mkdir()
        (staging / "msp" / "keystore").mkdir()
        (staging / "msp" / "signcerts" / f"{name}-cert.pem").write_bytes(
            certificate.public_bytes(serialization.Encoding.PEM))
        if key is not None:
            key_path = staging / "msp" / "keystore" / "priv_sk"
            key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
            key_path.chmod(0o600)
    return IssuedIdentity(name, bank.msp_id, msp, role, attributes)


def _certified_key(msp: Path) -> object:
    """The public key of the MSP folder's certificate."""
    return x509.load_pem_x509_certificate(next((msp / "signcerts").glob("*.pem")).read_bytes()).public_key()


def _already_issued(name: str, bank: BankSpec, msp: Path, requested: dict[str, str]) -> IssuedIdentity:
    """The identity issued before as ``name``, if its certificate carries the requested role and extra attributes
    (an IdentityError otherwise: it used to be reported with the requested ones, whatever it carried)."""
    try:
        certificate = x509.load_pem_x509_certificate(next((msp / "signcerts").glob("*.pem")).read_bytes())
        extension = certificate.extensions.get_extension_for_oid(FABRIC_CA_ATTRIBUTES_OID).value
    except x509.ExtensionNotFound:
        raise IdentityError(f"{name} exists and carries no attributes (a user cryptogen made): choose another user "
                            "name") from None
    except (OSError, ValueError, StopIteration) as exc:
        raise IdentityError(f"{name} exists but {msp / 'signcerts'} holds no readable certificate") from exc
    carried: dict[str, str] = {}
    if isinstance(extension, x509.UnrecognizedExtension):
        with contextlib.suppress(ValueError, KeyError, TypeError):
            carried = dict(json.loads(extension.value)["attrs"])
    differing = [key for key in requested if (key == "role" or key not in OWN_ATTRIBUTES)
                 and carried.get(key) != requested[key]]
    if differing:
        found = ", ".join(f"{key}={carried[key]!r}" if key in carried else f"no {key}" for key in differing)
        raise IdentityError(f"{name} was issued before, with {found}: choose another user name (or use it as it is)")
    return IssuedIdentity(name, bank.msp_id, msp, carried["role"], carried)


def issue_default_identities(layout: Layout) -> list[IssuedIdentity]:
    """One user per role for every bank (``issuer@bank1...``, ``approver2@...``), kept across restarts."""
    return [issue_identity(layout, bank, user, role) for bank in layout.spec.banks for user, role in DEFAULT_USERS]
