"""Governed banking-day calendars and the UCP 600 time rules that count banking days.

A calendar is a ledger record (:class:`BankingCalendar`) per place, versioned and changed only through a
transaction, so every endorser computes the same dates (INV-LC-15). Business dates come from the
transaction timestamp shifted by the calendar's fixed UTC offset, never from the peer's clock.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from tradefin.protos import calendar_pb2, common_pb2

from .errors import invalid_input, invalid_state, not_found
from .validation import check_at_most, check_place_code, check_text, to_date

#: Each examining bank has at most five banking days following the day of presentation (art. 14b).
EXAMINATION_BANKING_DAYS: Final = 5
#: A standby's issuer gives notice of dishonour within a time "not unreasonable" after presentation
#: (ISP98 rule 5.01): three business days are deemed not unreasonable, more than seven unreasonable.
#: The chaincode needs one certain day, and takes the three every court accepts.
STANDBY_DISHONOUR_BUSINESS_DAYS: Final = 3
#: Dates one calendar version lists as holidays, and as open weekend days: fifty years of a place's
#: ten to twenty closures a year (a new version replaces the list, so it need not keep every year).
MAX_CALENDAR_DATES: Final = 1000

_MINUTES_PER_DAY: Final = 24 * 60
_MAX_UTC_OFFSET_MINUTES: Final = 14 * 60


def check_calendar(calendar: calendar_pb2.BankingCalendar, field: str = "calendar") -> None:
    """A publishable calendar: place, version >= 1, sane weekend, ascending unique holidays and open
    weekend days (at most MAX_CALENDAR_DATES each), offsets."""
    check_place_code(calendar.place, f"{field}.place")
    if calendar.version < 1:
        raise invalid_input(f"{field}.version", "versions start at 1")
    weekend = list(calendar.weekend_days)
    if any(not calendar_pb2.WEEKDAY_MONDAY <= day <= calendar_pb2.WEEKDAY_SUNDAY for day in weekend):
        raise invalid_input(f"{field}.weekend_days", "holds a value that is not a weekday")
    if len(set(weekend)) != len(weekend) or len(weekend) > 6:
        raise invalid_input(f"{field}.weekend_days", "must be distinct and leave at least one banking day")
    check_at_most(calendar.holidays, f"{field}.holidays", most=MAX_CALENDAR_DATES, noun="dates")
    _check_ascending(calendar.holidays, f"{field}.holidays")
    check_at_most(calendar.open_weekend_days, f"{field}.open_weekend_days", most=MAX_CALENDAR_DATES, noun="dates")
    _check_ascending(calendar.open_weekend_days, f"{field}.open_weekend_days")
    for index, day in enumerate(calendar.open_weekend_days):
        if to_date(day, f"{field}.open_weekend_days[{index}]").isoweekday() not in weekend:
            raise invalid_input(f"{field}.open_weekend_days[{index}]", "is not a weekend day of the calendar")
    if abs(calendar.utc_offset_minutes) > _MAX_UTC_OFFSET_MINUTES:
        raise invalid_input(f"{field}.utc_offset_minutes", "must be within +/-14 hours")
    if not 0 <= calendar.close_of_business_minutes < _MINUTES_PER_DAY:
        raise invalid_input(f"{field}.close_of_business_minutes", "must be within one day")
    if calendar.HasField("covers_through"):
        to_date(calendar.covers_through, f"{field}.covers_through")
    check_text(calendar.description, f"{field}.description", lines=1, width=200)


def _check_ascending(days: Iterable[common_pb2.Date], field: str) -> None:
    previous: datetime.date | None = None
    for index, value in enumerate(days):
        day = to_date(value, f"{field}[{index}]")
        if previous is not None and day <= previous:
            raise invalid_input(f"{field}[{index}]", "dates must be in ascending order, once each")
        previous = day


@dataclass(frozen=True)
class BankingDays:
    """The banking days of one place, from a governed calendar record."""

    place: str
    version: int
    weekend: frozenset[int]
    holidays: frozenset[datetime.date]
    open_weekend_days: frozenset[datetime.date]
    utc_offset: datetime.timedelta
    close_of_business: datetime.timedelta | None
    covers_through: datetime.date | None

    @classmethod
    def from_record(cls, calendar: calendar_pb2.BankingCalendar) -> BankingDays:
        """Build from a stored (already validated) calendar record."""
        return cls(
            place=calendar.place,
            version=calendar.version,
            weekend=frozenset(calendar.weekend_days),
            holidays=frozenset(to_date(day, "calendar.holidays") for day in calendar.holidays),
            open_weekend_days=frozenset(
                to_date(day, "calendar.open_weekend_days") for day in calendar.open_weekend_days
            ),
            utc_offset=datetime.timedelta(minutes=calendar.utc_offset_minutes),
            close_of_business=(
                datetime.timedelta(minutes=calendar.close_of_business_minutes)
                if calendar.close_of_business_minutes
                else None
            ),
            covers_through=(
                to_date(calendar.covers_through, "calendar.covers_through")
                if calendar.HasField("covers_through")
                else None
            ),
        )

    def is_banking_day(self, day: datetime.date) -> bool:
        """Banks of the place are open on ``day``."""
        if self.covers_through is not None and day > self.covers_through:
            raise invalid_state(
                f"the banking-day calendar of {self.place} (version {self.version}) ends on "
                f"{self.covers_through.isoformat()} and cannot tell whether {day.isoformat()} is a banking day"
            )
        if day in self.holidays:
            return False
        return day.isoweekday() not in self.weekend or day in self.open_weekend_days

    def next_banking_day(self, day: datetime.date) -> datetime.date:
        """``day`` itself if banks are open, else the first banking day after it (art. 29a)."""
        while not self.is_banking_day(day):
            if day == datetime.date.max:
                raise invalid_state(
                    f"the banking-day calendar of {self.place} has no banking day after {day.isoformat()}"
                )
            day += datetime.timedelta(days=1)
        return day

    def add_banking_days(self, day: datetime.date, count: int) -> datetime.date:
        """The ``count``-th banking day following ``day`` (``day`` itself is not counted)."""
        for _ in range(count):
            day = self.next_banking_day(day + datetime.timedelta(days=1))
        return day

    def local_time(self, timestamp: datetime.datetime) -> datetime.datetime:
        """The transaction timestamp in the place's local (fixed-offset) time."""
        if timestamp.tzinfo is None:
            raise ValueError("transaction timestamps must be timezone-aware")
        return timestamp.astimezone(datetime.timezone(self.utc_offset)).replace(tzinfo=None)

    def local_date(self, timestamp: datetime.datetime) -> datetime.date:
        """The calendar date of the timestamp at the place."""
        return self.local_time(timestamp).date()

    def counting_day(self, timestamp: datetime.datetime) -> datetime.date:
        """The banking day an act at ``timestamp`` counts on: a receipt on a closed day or after the
        close of business counts on the next banking day (art. 33)."""
        local = self.local_time(timestamp)
        day = local.date()
        after_hours = self.close_of_business is not None and (
            local - datetime.datetime.combine(day, datetime.time()) >= self.close_of_business
        )
        if after_hours:
            day += datetime.timedelta(days=1)
        return self.next_banking_day(day)

    def examination_deadline(self, presented_on: datetime.date, days: int) -> datetime.date:
        """Last banking day for the examining bank to refuse: ``days`` banking days following the day
        of presentation (art. 14b, 16d; a standby's: :data:`STANDBY_DISHONOUR_BUSINESS_DAYS`)."""
        return self.add_banking_days(presented_on, days)

    def last_day(self, day: datetime.date) -> datetime.date:
        """An expiry date or last day for presentation, extended to the next banking day when banks
        of the place are closed on it (art. 29a). The latest shipment date is never extended (29c)."""
        return self.next_banking_day(day)


def calendar_place(bank: common_pb2.BankRef) -> str:
    """Where a bank's banking days are kept: its stated calendar place, else its BIC's country."""
    return bank.calendar_place or bank.bic[4:6]


class CalendarBook:
    """The governed calendars read for one transaction, by place; built into :class:`BankingDays`
    only when a rule asks for them."""

    def __init__(self, calendars: Mapping[str, calendar_pb2.BankingCalendar]) -> None:
        self._calendars = dict(calendars)
        self._days: dict[str, BankingDays] = {}

    def at(self, place: str) -> BankingDays:
        """The banking days of a place; ERR_NOT_FOUND when no calendar was published for it."""
        if place not in self._days:
            record = self._calendars.get(place)
            if record is None:
                raise not_found("calendar", f"no banking-day calendar has been published for {place}")
            self._days[place] = BankingDays.from_record(record)
        return self._days[place]

    def of(self, bank: common_pb2.BankRef) -> BankingDays:
        """The banking days at a bank's place."""
        return self.at(calendar_place(bank))
