"""The typed client refuses a repeated field over the chaincode's cap before sending anything, with the
chaincode's code and field, and sends a request exactly at the cap (the caps are the contracts' own
constants, checked by the contracts' own functions)."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from collections.abc import Callable, Generator, Sequence
from typing import Any, cast

import pytest

from tests.unit.compliance.test_list_caps import LISTS
from tests.unit.letters_of_credit.support import sample_terms, usd
from tests.unit.payments.support import (
    BANK_A,
    CREDITOR,
    CREDITOR_ACCOUNT,
    DEBTOR,
    DEBTOR_ACCOUNT,
    governance_config,
    money,
)
from tradefin.chaincode.contracts.compliance.financing import MAX_FINGERPRINTS
from tradefin.chaincode.contracts.letters_of_credit.amendments import MAX_EXCLUDED_CHANGES
from tradefin.chaincode.contracts.letters_of_credit.banking_days import MAX_CALENDAR_DATES
from tradefin.chaincode.contracts.letters_of_credit.presentations import MAX_DISCREPANCIES
from tradefin.chaincode.contracts.letters_of_credit.terms import MAX_DOCUMENTS_REQUIRED, MAX_INSTALMENTS
from tradefin.chaincode.contracts.payments.amounts import MAX_FEES
from tradefin.gateway.tradefin import ClientSettings, InvalidInputError
from tradefin.gateway.tradefin.compliance import ComplianceFlows
from tradefin.gateway.tradefin.letters_of_credit import LettersOfCreditFlows, date_of
from tradefin.gateway.tradefin.payments import PaymentsFlows
from tradefin.protos import calendar_pb2, payments_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_pb2 as lc

LC_ID = "TFINCNSH:LC2025-0001"
PRESENTATION_ID = str(uuid.uuid4())
CHANNEL_ID = "ASTBHKHH-EUCBDEFF-EUR"
PAYMENT_UETR = str(uuid.uuid4())
OTHER = lc.Discrepancy(code=lc.DISCREPANCY_CODE_OTHER, text="SIGNATURE MISSING ON PAGE 2")


def _lc() -> LettersOfCreditFlows:
    return LettersOfCreditFlows(ClientSettings(msp_id="AdviserMSP", pin_endorsers=False))


def refused_early(flow: Generator[object, Any, object]) -> tuple[str, str]:
    """The code and field the operation refused with before its first network step."""
    with pytest.raises(InvalidInputError) as refusal:
        next(flow)
    assert refusal.value.transaction_id is None
    return refusal.value.code, refusal.value.field


def sent(flow: Generator[object, Any, object]) -> bool:
    """The operation passed its early checks: it went on to its first network step."""
    next(flow)
    flow.close()
    return True


def test_discrepancies_over_77j_are_refused_early() -> None:
    over, full = [OTHER] * (MAX_DISCREPANCIES + 1), [OTHER] * MAX_DISCREPANCIES
    refusal = ("ERR_INVALID_INPUT", "discrepancies")
    assert refused_early(_lc().examine(PRESENTATION_ID, over)) == refusal
    assert refused_early(_lc().refuse(PRESENTATION_ID, over, lc.REFUSAL_DISPOSAL_HOLD)) == refusal
    assert sent(_lc().examine(PRESENTATION_ID, full))
    assert sent(_lc().refuse(PRESENTATION_ID, full, lc.REFUSAL_DISPOSAL_HOLD))


def test_excluded_changes_over_an_amendments_fields_are_refused_early() -> None:
    assert refused_early(
        _lc().accept_amendment(LC_ID, 1, excluded_changes=["expiry_date"] * (MAX_EXCLUDED_CHANGES + 1))
    ) == ("ERR_INVALID_INPUT", "excluded_changes")
    assert sent(_lc().accept_amendment(LC_ID, 1, excluded_changes=["expiry_date"] * MAX_EXCLUDED_CHANGES))


@pytest.mark.parametrize(("name", "first", "step"), [("holidays", 1, 1), ("open_weekend_days", 3, 7)])
def test_calendar_dates_over_the_cap_are_refused_early(name: str, first: int, step: int) -> None:
    def calendar(count: int) -> calendar_pb2.BankingCalendar:
        days = [datetime.date(2026, 1, first) + datetime.timedelta(days=step * n) for n in range(count)]
        listed = calendar_pb2.BankingCalendar(
            place="FR", version=1, weekend_days=[calendar_pb2.WEEKDAY_SATURDAY, calendar_pb2.WEEKDAY_SUNDAY]
        )
        getattr(listed, name).extend(date_of(day) for day in days)
        return listed

    over = _lc().publish_calendar(calendar(MAX_CALENDAR_DATES + 1))
    assert refused_early(over) == ("ERR_INVALID_INPUT", f"calendar.{name}")
    assert sent(_lc().publish_calendar(calendar(MAX_CALENDAR_DATES)))


def test_documents_required_over_46a_are_refused_early() -> None:
    invoice = lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE, originals=1)
    over = sample_terms(documents_required=[invoice] * (MAX_DOCUMENTS_REQUIRED + 1))
    assert refused_early(_lc().apply(over)) == ("ERR_INVALID_INPUT", "terms.documents_required")
    assert sent(_lc().apply(sample_terms(documents_required=[invoice] * MAX_DOCUMENTS_REQUIRED)))

    def propose(count: int) -> Generator[object, Any, object]:
        edit = lc.DocumentsEdit(action=lc.NARRATIVE_EDIT_ACTION_REPLACE_ALL, documents=[invoice] * count)
        return _lc().propose_amendment(LC_ID, 1, lc.AmendmentChanges(documents_required=edit))

    assert refused_early(propose(MAX_DOCUMENTS_REQUIRED + 1)) == (
        "ERR_INVALID_INPUT",
        "changes.documents_required.documents",
    )
    assert sent(propose(MAX_DOCUMENTS_REQUIRED))


def test_instalments_over_the_cap_are_refused_early() -> None:
    def instalments(count: int) -> list[lc.Instalment]:
        days = [date_of(datetime.date(2025, 8, 1) + datetime.timedelta(days=n)) for n in range(count)]
        return [lc.Instalment(period_start=day, period_end=day, amount=usd("100.00")) for day in days]

    over = sample_terms(instalments=instalments(MAX_INSTALMENTS + 1))
    assert refused_early(_lc().apply(over)) == ("ERR_INVALID_INPUT", "terms.instalments")
    assert sent(_lc().apply(sample_terms(instalments=instalments(MAX_INSTALMENTS))))


# ------------------------------------------------------------------------------------------------
# payments


def _pay() -> PaymentsFlows:
    return PaymentsFlows(ClientSettings(msp_id="Bank1MSP", pin_endorsers=False))


def _fees(count: int) -> list[payments_pb2.Fee]:
    return [payments_pb2.Fee(agent_bic=BANK_A.bic, amount=money("0.10"), kind="COMM")] * count


def _initiate(disclosed: int, charged: int) -> Generator[object, Any, object]:
    return _pay().pay(
        CHANNEL_ID,
        money("1000.00"),
        debtor=DEBTOR,
        debtor_account=DEBTOR_ACCOUNT,
        creditor=CREDITOR,
        creditor_account=CREDITOR_ACCOUNT,
        charge_bearer=payments_pb2.CHARGE_BEARER_CRED,
        fees_disclosed=_fees(disclosed),
        fees_charged=_fees(charged),
    )


def _quote(count: int) -> Generator[object, Any, object]:
    return _pay().create_quote(
        CHANNEL_ID,
        for_bank_bic=BANK_A.bic,
        sell_currency="HKD",
        rate="0.11731",
        max_sell_amount=money("100000.00", "HKD"),
        valid_for=datetime.timedelta(minutes=10),
        fees=_fees(count),
    )


def _report(count: int) -> Generator[object, Any, object]:
    return _pay().report_status(PAYMENT_UETR, payments_pb2.PAYMENT_STATUS_ACCC, fees_charged=_fees(count))


def test_a_payments_fees_over_the_cap_are_refused_early() -> None:
    assert refused_early(_initiate(MAX_FEES + 1, 1)) == ("ERR_INVALID_INPUT", "fees_disclosed")
    assert refused_early(_initiate(MAX_FEES, MAX_FEES + 1)) == ("ERR_INVALID_INPUT", "fees_charged")
    assert sent(_initiate(MAX_FEES, MAX_FEES))


def test_a_quotes_and_a_status_reports_fees_over_the_cap_are_refused_early() -> None:
    assert refused_early(_quote(MAX_FEES + 1)) == ("ERR_INVALID_INPUT", "quote.fees")
    assert refused_early(_report(MAX_FEES + 1)) == ("ERR_INVALID_INPUT", "fees_charged")
    assert sent(_quote(MAX_FEES))
    assert sent(_report(MAX_FEES))


# ------------------------------------------------------------------------------------------------
# compliance


@pytest.mark.parametrize(("name", "cap", "entries"), [(name, cap, entries) for name, cap, _, entries in LISTS])
def test_a_configurations_lists_over_their_caps_are_refused_early(
    name: str, cap: int, entries: Callable[[int], Sequence[object]]
) -> None:
    def propose(count: int) -> Generator[object, Any, object]:
        flows = ComplianceFlows(ClientSettings(msp_id="Bank1MSP", pin_endorsers=False))
        return flows.propose_governance(governance_config(**{name: entries(count)}))

    assert refused_early(propose(cap + 1)) == ("ERR_INVALID_INPUT", f"config.{name}")
    assert sent(propose(cap))


def _fingerprints(count: int) -> list[str]:
    return [hashlib.sha256(f"invoice {number}".encode()).hexdigest() for number in range(count)]


@pytest.mark.parametrize("operation", ["register_document", "finance_document", "release_financing", "get_financing"])
def test_fingerprints_over_the_cap_are_refused_early(operation: str) -> None:
    """Every request naming fingerprints, reads and releases too (README, *Bounded requests*)."""

    def start(count: int) -> Generator[object, Any, object]:
        flows = ComplianceFlows(ClientSettings(msp_id="Bank1MSP", pin_endorsers=False))
        fingerprints = _fingerprints(count)
        if operation == "release_financing":
            return flows.release_financing(fingerprints, holder_salt=bytes(32))
        if operation == "get_financing":
            return flows.get_financing(fingerprints)
        started = cast(Callable[..., Generator[object, Any, object]], getattr(flows, operation))
        return started(fingerprints, cp.FINANCED_DOCUMENT_TYPE_INVOICE)

    assert refused_early(start(MAX_FINGERPRINTS + 1)) == ("ERR_INVALID_INPUT", "fingerprints")
    assert sent(start(MAX_FINGERPRINTS))
