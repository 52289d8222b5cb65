"""KYC attestations (DOMAIN.md section 4.1): a bank vouches for its customer on the ledger.

The attestation is public but carries no personal data: a subject reference, status, level, dates,
risk rating and the hash of the KYC file the bank keeps. A payment or credit needs a VERIFIED,
unexpired attestation by the bank that acts for the party.
"""

from __future__ import annotations

import datetime

from tradefin.chaincode.contracts.letters_of_credit.access import Role, Transaction, require_bic_attribute
from tradefin.chaincode.contracts.letters_of_credit.validation import (
    check_sha256_hex,
    check_subject_ref,
    to_date,
)
from tradefin.protos import common_pb2, compliance_pb2

from .audit import audit_event
from .directory import require_listed_certificate
from .errors import invalid_input, kyc_failed
from .ledger import Transition, Write
from .officers import require_member, require_role
from .records import kyc_key


def status_name(status: compliance_pb2.KycStatus.ValueType) -> str:
    """``VERIFIED`` for KYC_STATUS_VERIFIED."""
    return compliance_pb2.KycStatus.Name(status).removeprefix("KYC_STATUS_")


def check_attestation(given: compliance_pb2.KycAttestation) -> None:
    """An attestation as a bank states it (the client checks it early): the subject reference, a
    level, status and risk rating the enums define (not UNSPECIFIED), real dates in order and the hex
    SHA-256 of the KYC file."""
    check_subject_ref(given.subject_ref, "attestation.subject_ref")
    for name, enum in (
        ("level", compliance_pb2.KycLevel),
        ("status", compliance_pb2.KycStatus),
        ("risk_rating", compliance_pb2.RiskRating),
    ):
        if getattr(given, name) not in enum.values()[1:]:
            raise invalid_input(f"attestation.{name}", f"one of {', '.join(enum.keys()[1:])}")
    verified_on = to_date(given.verified_on, "attestation.verified_on")
    expires_on = to_date(given.expires_on, "attestation.expires_on")
    if expires_on < verified_on:
        raise invalid_input("attestation.expires_on", "is before verified_on")
    check_sha256_hex(given.evidence_hash, "attestation.evidence_hash")


def attest(
    tx: Transaction,
    request: compliance_pb2.AttestKycRequest,
    existing: compliance_pb2.KycAttestation | None,
    governance: compliance_pb2.ComplianceGovernance | None,
) -> Transition[compliance_pb2.KycResponse]:
    """A compliance officer of a member bank records (or updates) the bank's attestation of a customer."""
    require_role(tx, (Role.COMPLIANCE,), "attesting KYC")
    require_member(tx, governance, "attesting KYC")
    require_bic_attribute(tx.caller, "attesting KYC")
    require_listed_certificate(tx, governance, "attesting KYC")
    given = request.attestation
    check_attestation(given)
    attestation = compliance_pb2.KycAttestation(
        subject_ref=given.subject_ref,
        attesting_bank=common_pb2.BankRef(bic=tx.caller.bic, msp_id=tx.caller.msp_id),
        level=given.level,
        status=given.status,
        verified_on=given.verified_on,
        expires_on=given.expires_on,
        risk_rating=given.risk_rating,
        evidence_hash=given.evidence_hash,
        version=(existing.version if existing is not None else 0) + 1,
        updated_tx_id=tx.tx_id,
    )
    return Transition(
        response=compliance_pb2.KycResponse(attestation=attestation),
        writes=(Write(kyc_key(tx.caller.msp_id, given.subject_ref), attestation),),
        event=audit_event(
            tx,
            "kyc.attested",
            object_type="kyc",
            object_id=f"{tx.caller.msp_id}/{given.subject_ref}",
            from_state=status_name(existing.status) if existing is not None else "",
            to_state=status_name(given.status),
        ),
    )


def require_verified(
    attestation: compliance_pb2.KycAttestation | None,
    *,
    role: str,
    subject_ref: str,
    bank_msp_id: str,
    day: datetime.date,
) -> compliance_pb2.KycAttestation:
    """The party's attestation by ``bank_msp_id`` is VERIFIED and ``day`` is within its validity."""
    field = f"{role}.kyc_ref"
    if not subject_ref:
        raise kyc_failed(field, f"the {role} has no KYC reference")
    if attestation is None:
        raise kyc_failed(field, f"{bank_msp_id} has not attested the {role}")
    if attestation.status != compliance_pb2.KYC_STATUS_VERIFIED:
        raise kyc_failed(field, f"the {role}'s attestation by {bank_msp_id} is {status_name(attestation.status)}")
    if day < to_date(attestation.verified_on, "verified_on"):
        raise kyc_failed(field, f"the {role}'s attestation by {bank_msp_id} is not in force yet")
    if day > to_date(attestation.expires_on, "expires_on"):
        raise kyc_failed(field, f"the {role}'s attestation by {bank_msp_id} expired")
    return attestation
