"""Repeated request fields of the ``lc`` contract are bounded: exactly at the cap is accepted, one more
is ERR_INVALID_INPUT naming the field and the bound, and the refused request changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from tradefin.chaincode.contracts.letters_of_credit.amendments import MAX_EXCLUDED_CHANGES
from tradefin.chaincode.contracts.letters_of_credit.banking_days import MAX_CALENDAR_DATES
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.presentations import MAX_DISCREPANCIES
from tradefin.chaincode.contracts.letters_of_credit.terms import MAX_DOCUMENTS_REQUIRED, MAX_INSTALMENTS
from tradefin.chaincode.contracts.letters_of_credit.validation import from_date
from tradefin.protos import calendar_pb2, common_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, ISSUER, Desk, caller, date, sample_terms, usd

OTHER = lc.Discrepancy(code=lc.DISCREPANCY_CODE_OTHER, text="SIGNATURE MISSING ON PAGE 2")


def ledger_of(desk: Desk) -> tuple[object, ...]:
    """Everything a transaction could change: states, key-level policies, history, events."""
    ledger = desk.ledger
    history = {slot: list(tx_ids) for slot, tx_ids in ledger.written_by.items()}
    return dict(ledger.state), dict(ledger.endorsers), history, list(ledger.events)


def refused_as_invalid(desk: Desk, field: str, bound: int, run: Callable[[], object]) -> None:
    """``run()`` is refused as ERR_INVALID_INPUT on ``field``, naming the bound, and writes nothing."""
    before = ledger_of(desk)
    with pytest.raises(LcRuleError) as refusal:
        run()
    assert (refusal.value.code_name, refusal.value.field) == ("ERR_INVALID_INPUT", field)
    assert f"at most {bound} " in refusal.value.message
    assert ledger_of(desk) == before


# ------------------------------------------------------------------------------------------------
# Discrepancies of an examination or a refusal (MT734 77J, 70*50z)


def _presented(desk: Desk) -> str:
    return desk.at("2025-12-03").present(desk.open_credit())


def _examine(desk: Desk, pid: str, count: int) -> lc.PresentationStub:
    return desk.examine(pid, None, *[OTHER] * count)


def _refuse(desk: Desk, pid: str, count: int) -> lc.PresentationStub:
    request = api.RefuseRequest(presentation_id=pid, discrepancies=[OTHER] * count, disposal=lc.REFUSAL_DISPOSAL_HOLD)
    return desk.call(caller(ADVISER, "examiner"), desk.service.refuse, request).presentation


@pytest.mark.parametrize("operation", [_examine, _refuse], ids=["Examine", "Refuse"])
def test_discrepancies_are_bounded_like_77j(operation: Callable[[Desk, str, int], lc.PresentationStub]) -> None:
    assert MAX_DISCREPANCIES == 70
    desk = Desk()
    pid = _presented(desk)
    refused_as_invalid(desk, "discrepancies", 70, lambda: operation(desk, pid, 71))
    stub = operation(desk, pid, 70)
    assert stub.state in (lc.PRESENTATION_STATE_DISCREPANT, lc.PRESENTATION_STATE_REFUSED)
    _, record = desk.presentation(pid)
    stated = record.refusal.discrepancies if record.HasField("refusal") else record.examinations[-1].discrepancies
    assert len(stated) == 70


def test_the_issuing_banks_discrepancies_on_forwarded_documents_are_bounded_like_77j() -> None:
    desk = Desk()
    pid = _presented(desk)
    desk.examine(pid)
    desk.honour(pid)

    def examine_forwarded(count: int) -> lc.PresentationStub:
        request = api.ExamineForwardedRequest(
            presentation_id=pid, discrepancies=[OTHER] * count, disposal=lc.REFUSAL_DISPOSAL_HOLD
        )
        return desk.call(caller(ISSUER, "examiner"), desk.service.examine_forwarded, request).presentation

    refused_as_invalid(desk, "discrepancies", 70, lambda: examine_forwarded(71))
    examine_forwarded(70)
    assert len(desk.presentation(pid)[1].examinations[-1].discrepancies) == 70


# ------------------------------------------------------------------------------------------------
# Changes a partial acceptance excludes


def test_excluded_changes_name_at_most_every_field_of_an_amendment() -> None:
    assert MAX_EXCLUDED_CHANGES == len(lc.AmendmentChanges.DESCRIPTOR.fields) == 17
    desk = Desk()
    lc_id = desk.open_credit()
    changes = lc.AmendmentChanges(expiry_date=date("2026-01-31"), latest_shipment_date=date("2025-12-20"))
    proposal = api.ProposeAmendmentRequest(lc_id=lc_id, seq=1, changes=changes)
    desk.call(caller(ISSUER, "issuer"), desk.service.propose_amendment, proposal)
    desk.call(caller(ADVISER, "advisor"), desk.service.advise_amendment, api.AdviseAmendmentRequest(lc_id=lc_id, seq=1))

    def accept(count: int) -> lc.AmendmentRecord:
        request = api.AcceptAmendmentRequest(lc_id=lc_id, seq=1, excluded_changes=["expiry_date"] * count)
        return desk.call(caller(ADVISER, "client-beneficiary"), desk.service.accept_amendment, request).amendment

    refused_as_invalid(desk, "excluded_changes", 17, lambda: accept(18))
    record = accept(17)
    assert record.status == lc.AMENDMENT_STATUS_REJECTED  # a partial acceptance (art. 10e)
    assert len(record.excluded_changes) == 17


# ------------------------------------------------------------------------------------------------
# Dates of a banking-day calendar


def _dates(first: datetime.date, count: int, step: int) -> list[common_pb2.Date]:
    return [from_date(first + datetime.timedelta(days=step * index)) for index in range(count)]


@pytest.mark.parametrize(
    ("name", "first", "step"),
    [("holidays", datetime.date(2026, 1, 1), 1), ("open_weekend_days", datetime.date(2026, 1, 3), 7)],
)
def test_a_calendar_lists_a_bounded_number_of_dates(name: str, first: datetime.date, step: int) -> None:
    assert MAX_CALENDAR_DATES == 1000
    desk = Desk()

    def publish(count: int) -> calendar_pb2.BankingCalendar:
        calendar = calendar_pb2.BankingCalendar(
            place="FR", version=1, weekend_days=[calendar_pb2.WEEKDAY_SATURDAY, calendar_pb2.WEEKDAY_SUNDAY]
        )
        getattr(calendar, name).extend(_dates(first, count, step))  # Saturdays for open weekend days
        request = api.PublishCalendarRequest(calendar=calendar)
        return desk.call(caller(ISSUER, "compliance"), desk.service.publish_calendar, request).calendar

    refused_as_invalid(desk, f"calendar.{name}", 1000, lambda: publish(1001))
    assert len(getattr(publish(1000), name)) == 1000


# ------------------------------------------------------------------------------------------------
# Documents required (46A, and its 46B edit: 100*65z)

INVOICE = lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE, originals=1)


def test_a_credit_requires_at_most_100_documents() -> None:
    assert MAX_DOCUMENTS_REQUIRED == 100
    desk = Desk()
    over = sample_terms(documents_required=[INVOICE] * 101)
    refused_as_invalid(desk, "terms.documents_required", 100, lambda: desk.apply(over))
    lc_id = desk.apply(sample_terms(documents_required=[INVOICE] * 100))
    assert len(desk.terms(lc_id).terms.documents_required) == 100


def _propose(desk: Desk, lc_id: str, action: lc.NarrativeEditAction.ValueType, count: int) -> None:
    edit = lc.DocumentsEdit(action=action, documents=[INVOICE] * count)
    changes = lc.AmendmentChanges(documents_required=edit)
    request = api.ProposeAmendmentRequest(lc_id=lc_id, seq=desk.stub(lc_id).last_amendment_seq + 1, changes=changes)
    desk.call(caller(ISSUER, "issuer"), desk.service.propose_amendment, request)


def test_an_amendment_keeps_the_documents_required_within_46a() -> None:
    desk = Desk()
    lc_id = desk.open_credit()  # three documents required
    replace, add = lc.NARRATIVE_EDIT_ACTION_REPLACE_ALL, lc.NARRATIVE_EDIT_ACTION_ADD
    field = "changes.documents_required.documents"
    refused_as_invalid(desk, field, 100, lambda: _propose(desk, lc_id, replace, 101))
    refused_as_invalid(desk, field, 100, lambda: _propose(desk, lc_id, add, 98))  # 3 + 98 required
    _propose(desk, lc_id, replace, 100)
    _propose(desk, lc_id, add, 97)
    assert desk.stub(lc_id).last_amendment_seq == 2


# ------------------------------------------------------------------------------------------------
# Instalments (art. 32)


def _instalments(count: int) -> list[lc.Instalment]:
    first = datetime.date(2025, 8, 1)
    days = [from_date(first + datetime.timedelta(days=index)) for index in range(count)]
    return [lc.Instalment(period_start=day, period_end=day, amount=usd("100.00")) for day in days]


def test_a_credit_has_at_most_100_instalments() -> None:
    assert MAX_INSTALMENTS == 100
    desk = Desk()
    over = sample_terms(instalments=_instalments(101))
    refused_as_invalid(desk, "terms.instalments", 100, lambda: desk.apply(over))
    lc_id = desk.apply(sample_terms(instalments=_instalments(100)))
    assert len(desk.terms(lc_id).terms.instalments) == 100
