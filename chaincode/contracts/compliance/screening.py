"""Sanctions screening results (DOMAIN.md section 4.2) and the embargo check.

Fuzzy matching runs in each bank; the ledger holds each bank's latest result per subject and list.
A party passes when, for every list the governance requires, the acting bank's result is CLEAR, on
the list's current version, and not older than the governance maximum age.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from tradefin.chaincode.contracts.letters_of_credit.access import Role, Transaction, require_bic_attribute
from tradefin.chaincode.contracts.letters_of_credit.validation import (
    check_subject_ref,
    check_text,
    to_datetime,
)
from tradefin.protos import common_pb2, compliance_pb2

from .audit import audit_event
from .directory import require_listed_certificate
from .errors import invalid_input, sanctions_hit
from .ledger import Transition, Write
from .officers import require_member, require_role
from .records import check_list_id, screening_key

#: A screening may be stamped at most this far after the transaction that records it (clock skew).
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)


def outcome_name(outcome: compliance_pb2.ScreeningOutcome.ValueType) -> str:
    """``CLEAR`` for SCREENING_OUTCOME_CLEAR."""
    return compliance_pb2.ScreeningOutcome.Name(outcome).removeprefix("SCREENING_OUTCOME_")


def check_result(given: compliance_pb2.ScreeningResult) -> None:
    """A screening result as a bank states it (the client checks it early): the subject reference,
    list id and version, an outcome the enum defines (not UNSPECIFIED) and when it screened (how
    far ahead of the transaction is checked when it is recorded)."""
    check_subject_ref(given.subject_ref, "result.subject_ref")
    check_list_id(given.list_id, "result.list_id")
    check_text(given.list_version, "result.list_version", lines=1, width=35, required=True)
    if given.outcome not in compliance_pb2.ScreeningOutcome.values()[1:]:
        raise invalid_input("result.outcome", "CLEAR, POTENTIAL_MATCH or CONFIRMED_MATCH")
    if not given.HasField("screened_at"):
        raise invalid_input("result.screened_at", "is required")
    to_datetime(given.screened_at, "result.screened_at")


def record(
    tx: Transaction,
    request: compliance_pb2.RecordScreeningRequest,
    existing: compliance_pb2.ScreeningResult | None,
    governance: compliance_pb2.ComplianceGovernance | None,
) -> Transition[compliance_pb2.ScreeningResponse]:
    """A compliance officer of a member bank records the bank's latest screening of a subject against
    one list."""
    require_role(tx, (Role.COMPLIANCE,), "recording a screening")
    require_member(tx, governance, "recording a screening")
    require_bic_attribute(tx.caller, "recording a screening")
    require_listed_certificate(tx, governance, "recording a screening")
    given = request.result
    check_result(given)
    if to_datetime(given.screened_at, "result.screened_at") > tx.timestamp + FUTURE_TOLERANCE:
        raise invalid_input("result.screened_at", "is in the future")
    result = compliance_pb2.ScreeningResult(
        subject_ref=given.subject_ref,
        list_id=given.list_id,
        list_version=given.list_version,
        outcome=given.outcome,
        screened_at=given.screened_at,
        screened_by=common_pb2.BankRef(bic=tx.caller.bic, msp_id=tx.caller.msp_id),
        version=(existing.version if existing is not None else 0) + 1,
        updated_tx_id=tx.tx_id,
    )
    return Transition(
        response=compliance_pb2.ScreeningResponse(result=result),
        writes=(Write(screening_key(tx.caller.msp_id, given.subject_ref, given.list_id), result),),
        event=audit_event(
            tx,
            "screening.recorded",
            object_type="screening",
            object_id=f"{tx.caller.msp_id}/{given.subject_ref}/{given.list_id}",
            from_state=outcome_name(existing.outcome) if existing is not None else "",
            to_state=outcome_name(given.outcome),
        ),
    )


def require_clear(
    results: Mapping[str, compliance_pb2.ScreeningResult | None],
    governance: compliance_pb2.ComplianceGovernance,
    *,
    role: str,
    bank_msp_id: str,
    now: datetime.datetime,
) -> None:
    """For every list the governance requires, the bank's result is CLEAR, current and recent.

    ``results`` maps list ids to the bank's result for the party (None when it never screened).
    """
    field = f"{role}.kyc_ref"
    max_age = datetime.timedelta(hours=governance.screening_max_age_hours)
    for listed in governance.sanctions_lists:
        result = results.get(listed.list_id)
        where = f"{listed.list_id} {listed.version}"
        if result is None:
            raise sanctions_hit(field, f"{bank_msp_id} has not screened the {role} against {listed.list_id}")
        if result.list_version != listed.version:
            raise sanctions_hit(field, f"the {role}'s screening is not on the current list version {where}")
        if result.outcome != compliance_pb2.SCREENING_OUTCOME_CLEAR:
            raise sanctions_hit(field, f"the {role} is a {outcome_name(result.outcome)} on {where}")
        if now - result.screened_at.ToDatetime(datetime.UTC) > max_age:
            raise sanctions_hit(field, f"the {role}'s screening against {listed.list_id} is older than {max_age}")


def require_not_embargoed(
    countries: Iterable[tuple[str, str]], governance: compliance_pb2.ComplianceGovernance
) -> None:
    """No (field, country) pair names an embargoed country (party, port, place or BIC country)."""
    embargoed = set(governance.embargoed_countries)
    for field, country in countries:
        if country and country in embargoed:
            raise sanctions_hit(field, f"{country} is under embargo")
