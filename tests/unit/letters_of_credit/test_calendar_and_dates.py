"""Governed banking-day calendars (art. 29, 33, 14b) and art. 3 date terms."""

from __future__ import annotations

import datetime

import pytest

from tradefin.chaincode.contracts.letters_of_credit.banking_days import (
    EXAMINATION_BANKING_DAYS,
    BankingDays,
    CalendarBook,
    check_calendar,
)
from tradefin.chaincode.contracts.letters_of_credit.date_terms import covers, date_range, latest_date
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.protos import calendar_pb2, common_pb2
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, ISSUER, calendars, date

D = datetime.date


def shanghai() -> BankingDays:
    return BankingDays.from_record(calendars()[0])


def london() -> BankingDays:
    return BankingDays.from_record(calendars()[1])


def ts(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def test_weekends_and_holidays_are_closed() -> None:
    days = shanghai()
    assert days.is_banking_day(D(2025, 9, 30))  # Tuesday
    assert not days.is_banking_day(D(2025, 10, 1))  # National Day
    assert not days.is_banking_day(D(2025, 10, 12))  # Sunday
    assert days.is_banking_day(D(2025, 10, 11))  # Saturday, a make-up working day


def test_art_29_extends_a_closed_last_day_to_the_next_banking_day() -> None:
    days = shanghai()
    assert days.last_day(D(2025, 10, 1)) == D(2025, 10, 8)  # Golden Week
    assert days.last_day(D(2025, 11, 8)) == D(2025, 11, 10)  # Saturday -> Monday
    assert days.last_day(D(2025, 11, 10)) == D(2025, 11, 10)


def test_examination_deadline_is_the_fifth_banking_day_following_presentation() -> None:
    days = london()
    assert days.examination_deadline(D(2025, 12, 3), EXAMINATION_BANKING_DAYS) == D(2025, 12, 10)  # Wed -> next Wed
    # Christmas and Boxing Day are skipped: Mon 22 -> 23, 24, 29, 30, 31.
    assert days.examination_deadline(D(2025, 12, 22), EXAMINATION_BANKING_DAYS) == D(2025, 12, 31)
    # Golden Week closes Oct 1-7; Saturday Oct 11 is a make-up working day.
    assert shanghai().examination_deadline(D(2025, 9, 29), EXAMINATION_BANKING_DAYS) == D(2025, 10, 11)


def test_business_date_uses_the_places_utc_offset_not_the_peer_clock() -> None:
    days = shanghai()
    assert days.local_date(ts("2025-11-03T17:30:00+00:00")) == D(2025, 11, 4)  # 01:30 in Shanghai
    assert london().local_date(ts("2025-11-03T17:30:00+00:00")) == D(2025, 11, 3)
    with pytest.raises(ValueError, match=r"timezone-aware"):
        days.local_date(datetime.datetime(2025, 11, 3, 9, 0))


def test_art_33_receipt_after_hours_or_on_a_closed_day_counts_on_the_next_banking_day() -> None:
    days = shanghai()  # close of business 17:00 local (09:00 UTC)
    assert days.counting_day(ts("2025-11-03T08:59:00+00:00")) == D(2025, 11, 3)
    assert days.counting_day(ts("2025-11-03T09:00:00+00:00")) == D(2025, 11, 4)
    assert days.counting_day(ts("2025-11-07T10:00:00+00:00")) == D(2025, 11, 10)  # Friday after hours
    assert days.counting_day(ts("2025-11-08T02:00:00+00:00")) == D(2025, 11, 10)  # Saturday


def test_a_calendar_refuses_dates_beyond_what_it_covers() -> None:
    record = calendars()[1]
    record.covers_through.CopyFrom(date("2025-12-31"))
    days = BankingDays.from_record(record)
    assert days.is_banking_day(D(2025, 12, 31))
    with pytest.raises(LcRuleError, match=r"ERR_INVALID_STATE: .*cannot tell whether 2026-01-01"):
        days.is_banking_day(D(2026, 1, 1))


def test_calendar_book_finds_a_bank_by_its_bic_country_or_its_calendar_place() -> None:
    book = CalendarBook({calendar.place: calendar for calendar in calendars()})
    assert book.of(ISSUER).place == "CN"
    assert book.of(ADVISER).place == "GB"
    with pytest.raises(LcRuleError, match=r"ERR_NOT_FOUND: calendar: no banking-day calendar .* GBLON"):
        book.of(common_pb2.BankRef(bic=ADVISER.bic, msp_id=ADVISER.msp_id, calendar_place="GBLON"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda c: setattr(c, "place", "XX"), "calendar.place"),
        (lambda c: setattr(c, "version", 0), "calendar.version"),
        (lambda c: c.weekend_days.append(calendar_pb2.WEEKDAY_SATURDAY), "calendar.weekend_days"),
        (lambda c: c.weekend_days.extend(range(1, 6)), "calendar.weekend_days"),
        (lambda c: c.holidays.append(date("2025-01-01")), r"calendar.holidays\[2\]"),
        (lambda c: c.open_weekend_days.append(date("2025-12-24")), r"calendar.open_weekend_days\[0\]"),
        (lambda c: setattr(c, "utc_offset_minutes", 15 * 60), "calendar.utc_offset_minutes"),
        (lambda c: setattr(c, "close_of_business_minutes", 24 * 60), "calendar.close_of_business_minutes"),
        (lambda c: c.covers_through.CopyFrom(common_pb2.Date(year=2025, month=2, day=30)), "calendar.covers_through"),
    ],
)
def test_calendar_validation_names_the_field(change: object, field: str) -> None:
    record = calendars()[1]
    change(record)  # type: ignore[operator]
    with pytest.raises(LcRuleError, match=rf"^ERR_INVALID_INPUT: {field}: "):
        check_calendar(record)


def term(kind: int, day: str, end: str | None = None) -> lc.DateTerm:
    value = lc.DateTerm(kind=kind, date=date(day))  # type: ignore[arg-type]
    if end:
        value.end_date.CopyFrom(date(end))
    return value


@pytest.mark.parametrize(
    ("kind", "first", "last"),
    [
        (lc.DATE_TERM_KIND_ON, D(2025, 6, 15), D(2025, 6, 15)),
        (lc.DATE_TERM_KIND_ON_OR_ABOUT, D(2025, 6, 10), D(2025, 6, 20)),
        (lc.DATE_TERM_KIND_UNTIL, D.min, D(2025, 6, 15)),
        (lc.DATE_TERM_KIND_FROM, D(2025, 6, 15), D.max),
        (lc.DATE_TERM_KIND_BEFORE, D.min, D(2025, 6, 14)),
        (lc.DATE_TERM_KIND_AFTER, D(2025, 6, 16), D.max),
        (lc.DATE_TERM_KIND_BEGINNING_OF_MONTH, D(2025, 6, 1), D(2025, 6, 10)),
        (lc.DATE_TERM_KIND_MIDDLE_OF_MONTH, D(2025, 6, 11), D(2025, 6, 20)),
        (lc.DATE_TERM_KIND_END_OF_MONTH, D(2025, 6, 21), D(2025, 6, 30)),
        (lc.DATE_TERM_KIND_FIRST_HALF_OF_MONTH, D(2025, 6, 1), D(2025, 6, 15)),
        (lc.DATE_TERM_KIND_SECOND_HALF_OF_MONTH, D(2025, 6, 16), D(2025, 6, 30)),
    ],
)
def test_art_3_date_terms(kind: int, first: D, last: D) -> None:
    assert date_range(term(kind, "2025-06-15"), "t") == (first, last)


def test_between_includes_both_dates_and_end_of_february() -> None:
    assert date_range(term(lc.DATE_TERM_KIND_BETWEEN, "2025-06-01", "2025-06-30"), "t") == (
        D(2025, 6, 1),
        D(2025, 6, 30),
    )
    assert latest_date(term(lc.DATE_TERM_KIND_END_OF_MONTH, "2024-02-03"), "t") == D(2024, 2, 29)
    assert latest_date(term(lc.DATE_TERM_KIND_FROM, "2024-02-03"), "t") is None
    assert covers(term(lc.DATE_TERM_KIND_ON_OR_ABOUT, "2025-06-15"), D(2025, 6, 20), "t")
    assert not covers(term(lc.DATE_TERM_KIND_ON_OR_ABOUT, "2025-06-15"), D(2025, 6, 21), "t")


def test_malformed_date_terms_name_the_field() -> None:
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: w.end_date: "):
        date_range(term(lc.DATE_TERM_KIND_BETWEEN, "2025-06-30", "2025-06-01"), "w")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: w.end_date: only a BETWEEN"):
        date_range(term(lc.DATE_TERM_KIND_ON, "2025-06-30", "2025-07-01"), "w")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: w.kind: "):
        date_range(term(lc.DATE_TERM_KIND_UNSPECIFIED, "2025-06-30"), "w")
