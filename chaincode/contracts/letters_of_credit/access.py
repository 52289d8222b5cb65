"""Who may do what: the caller's organisation (MSP id) and the ``role`` attribute of its certificate.

Fabric CA attributes (X.509 extension 1.2.3.4.5.6.7.8.1) carry ``role`` and ``bic``; the contract layer
reads them with the shim's client identity and hands the rules a :class:`Caller`. A bank acts only for
its own credits (DOMAIN.md section 4.8): the caller's MSP id must be the bank's, and when the
certificate states a BIC it must be the same institution.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from google.protobuf.timestamp_pb2 import Timestamp

from tradefin.protos import common_pb2

from .errors import LcRuleError, unauthorized
from .validation import check_bic


class Role(StrEnum):
    """Values of the ``role`` certificate attribute (DOMAIN.md section 4.8)."""

    ISSUER = "issuer"
    ADVISOR = "advisor"
    EXAMINER = "examiner"
    APPROVER = "approver"
    TREASURY = "treasury"
    COMPLIANCE = "compliance"
    AUDITOR = "auditor"
    CLIENT_APPLICANT = "client-applicant"
    CLIENT_BENEFICIARY = "client-beneficiary"


@dataclass(frozen=True)
class Caller:
    """The identity that signed the proposal."""

    msp_id: str
    #: Fabric's GetID form (base64 of "x509::<subject>::<issuer>"); only its hash reaches the ledger.
    identity: str
    #: The ``role`` attribute; several roles may be given comma-separated.
    role: str = ""
    #: The ``bic`` attribute, if the certificate carries one.
    bic: str = ""

    @property
    def roles(self) -> frozenset[str]:
        """The caller's roles."""
        return frozenset(part.strip() for part in self.role.split(",") if part.strip())

    @property
    def identity_hash(self) -> str:
        """Hex SHA-256 of the client identity, as recorded in events and examinations."""
        return hashlib.sha256(self.identity.encode()).hexdigest()


@dataclass(frozen=True)
class Transaction:
    """What the rules know about the transaction: its id, its (client-set) timestamp, its signer."""

    tx_id: str
    timestamp: datetime.datetime
    caller: Caller

    def __post_init__(self) -> None:
        if self.timestamp.tzinfo is None:
            raise ValueError("the transaction timestamp must be timezone-aware")

    def timestamp_proto(self) -> Timestamp:
        """The (client-set, endorser-checked) timestamp as a protobuf Timestamp, for records and events."""
        stamp = Timestamp()
        stamp.FromDatetime(self.timestamp)
        return stamp


def is_bank(caller: Caller, bank: common_pb2.BankRef) -> bool:
    """The caller belongs to ``bank`` (same MSP id and, when stated, the same BIC institution)."""
    return caller.msp_id == bank.msp_id and (not caller.bic or caller.bic[:8] == bank.bic[:8])


def require_bank(
    caller: Caller,
    banks: common_pb2.BankRef | Iterable[common_pb2.BankRef],
    roles: Collection[Role],
    action: str,
) -> common_pb2.BankRef:
    """The caller must belong to one of ``banks`` and hold one of ``roles`` (any role if empty).

    Returns the bank the caller acts for.
    """
    candidates = [banks] if isinstance(banks, common_pb2.BankRef) else list(banks)
    bank = next((candidate for candidate in candidates if is_bank(caller, candidate)), None)
    if bank is None:
        names = ", ".join(f"{candidate.bic} ({candidate.msp_id})" for candidate in candidates) or "nobody"
        raise unauthorized(f"{action} is reserved to {names}; the caller is {caller.msp_id}")
    if roles and not caller.roles & {str(role) for role in roles}:
        wanted = " or ".join(str(role) for role in roles)
        raise unauthorized(f"{action} needs a certificate with role {wanted}")
    return bank


def require_bic_attribute(caller: Caller, action: str) -> str:
    """The caller's ``bic`` certificate attribute, which must be a BIC as ``check_bic`` has it (ISO 9362,
    an ISO 3166 country in characters 5-6). A certificate without one, or with another text, is the
    certificate's fault, not the request's (it has no field to mend): ERR_UNAUTHORIZED."""
    try:
        check_bic(caller.bic, "bic")
    except LcRuleError:
        raise unauthorized(f"{action} needs a certificate carrying the bank's BIC as its bic attribute") from None
    return caller.bic
