"""Ledger keys of compliance records, the implicit collection of a bank, and input checks of ids.

Public records live in the consortium channel's world state; a bank's private records in its
implicit collection ``_implicit_org_<MSP id>``, which Fabric defines for every organisation of the
channel (members: that organisation; writes endorsed by it).
"""

from __future__ import annotations

import re
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey
from tradefin.chaincode.contracts.letters_of_credit.validation import check_msp_id, check_subject_ref
from tradefin.protos import compliance_pb2

from .errors import invalid_input

_GOVERNANCE: Final = "tradefin.compliance.governance"
_PROPOSAL: Final = "tradefin.compliance.proposal"
_KYC: Final = "tradefin.compliance.kyc"
_SCREENING: Final = "tradefin.compliance.screening"
_LIMIT: Final = "tradefin.compliance.limit"
_RESERVATION: Final = "tradefin.compliance.reservation"
_CLEARANCE: Final = "tradefin.compliance.clearance"
_LIMIT_POLICY: Final = "tradefin.compliance.limit-policy"
_FINANCING: Final = "tradefin.compliance.financing"
_FINANCING_DETAILS: Final = "tradefin.compliance.financing-details"

_LIST_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}\Z")
_FINGERPRINT = re.compile(r"^[0-9a-f]{64}\Z")
_RESERVATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:/._-]{0,99}\Z")
_PRODUCT = re.compile(r"^[A-Z][A-Z0-9_]{0,31}\Z")

#: Products a limit reservation names.
PAYMENT_PRODUCT: Final = "PAYMENT"
CREDIT_LINE_PRODUCT: Final = "CREDIT_LINE"


def implicit_collection(msp_id: str) -> str:
    """The implicit private data collection of one organisation."""
    return f"_implicit_org_{msp_id}"


def check_list_id(value: str, field: str) -> None:
    """A sanctions list id: upper-case letters, digits and '-', at most 16 characters."""
    if not _LIST_ID.match(value):
        raise invalid_input(field, f"{value!r} is not a list id ([A-Z0-9-], at most 16 characters)")


def check_fingerprint(value: str, field: str) -> None:
    """A keyed fingerprint: 64 lower-case hex characters."""
    if not _FINGERPRINT.match(value):
        raise invalid_input(field, "a fingerprint is 64 lower-case hex characters (HMAC-SHA256)")


def check_reservation_id(value: str, field: str) -> None:
    """A reservation id: a UETR or '<channel id>/credit/<BIC8>'."""
    if not _RESERVATION_ID.match(value):
        raise invalid_input(field, "a reservation id is 1..100 characters [A-Za-z0-9:/._-]")


def check_product(value: str, field: str) -> None:
    """A product code, e.g. PAYMENT or CREDIT_LINE."""
    if not _PRODUCT.match(value):
        raise invalid_input(field, f"{value!r} is not a product code ([A-Z][A-Z0-9_]*)")


def governance_key() -> RecordKey:
    """The configuration in force (public)."""
    return RecordKey(_GOVERNANCE, ("current",))


def proposal_key(version: int) -> RecordKey:
    """A proposed configuration version (public)."""
    return RecordKey(_PROPOSAL, (f"{version:06d}",))


def kyc_key(attesting_msp_id: str, subject_ref: str) -> RecordKey:
    """A bank's attestation of a customer (public)."""
    check_msp_id(attesting_msp_id, "attesting_msp_id")
    check_subject_ref(subject_ref, "subject_ref")
    return RecordKey(_KYC, (attesting_msp_id, subject_ref))


def screening_key(screening_msp_id: str, subject_ref: str, list_id: str) -> RecordKey:
    """A bank's latest screening of a subject against a list (public)."""
    check_msp_id(screening_msp_id, "screening_msp_id")
    check_subject_ref(subject_ref, "subject_ref")
    check_list_id(list_id, "list_id")
    return RecordKey(_SCREENING, (screening_msp_id, subject_ref, list_id))


def limit_key(scope: compliance_pb2.LimitScope.ValueType, key: str) -> RecordKey:
    """A bank's limit (its implicit collection)."""
    return RecordKey(_LIMIT, (compliance_pb2.LimitScope.Name(scope).removeprefix("LIMIT_SCOPE_"), key))


def reservation_key(reservation_id: str) -> RecordKey:
    """A bank's reservation of limit utilisation (its implicit collection)."""
    check_reservation_id(reservation_id, "reservation_id")
    return RecordKey(_RESERVATION, (reservation_id,))


def clearance_key(reservation_id: str) -> RecordKey:
    """The clearance a payment shows (the bank's implicit collection; others check its hash)."""
    check_reservation_id(reservation_id, "reservation_id")
    return RecordKey(_CLEARANCE, (reservation_id,))


def limit_policy_key(msp_id: str) -> RecordKey:
    """Whether a bank's payments need a limit clearance (public)."""
    check_msp_id(msp_id, "msp_id")
    return RecordKey(_LIMIT_POLICY, (msp_id,))


def financing_key(fingerprint: str, field: str = "fingerprints") -> RecordKey:
    """A registry entry (public)."""
    check_fingerprint(fingerprint, field)
    return RecordKey(_FINANCING, (fingerprint,))


def financing_details_key(financing_id: str) -> RecordKey:
    """A bank's own record of a financing (its implicit collection)."""
    check_reservation_id(financing_id, "financing_id")
    return RecordKey(_FINANCING_DETAILS, (financing_id,))


def credit_line_reservation_id(channel_id: str, counterparty_bic: str) -> str:
    """The reservation id of the credit line a bank grants its counterparty on a payment channel."""
    return f"{channel_id}/credit/{counterparty_bic[:8]}"
