"""UCP 600 art. 3 date terms for periods of shipment, resolved into inclusive ranges of dates.

"to", "until", "till", "from" and "between" include the named date(s); "before" and "after" exclude
it; "on or about" is five calendar days either side, both ends included; "beginning", "middle" and
"end" of a month are the 1st-10th, 11th-20th and 21st-last day; the "first half" and "second half" are
the 1st-15th and 16th-last day. (For maturity dates "from" excludes the date; maturities are stated as
dates in this schema, so that variant is not needed here.)
"""

from __future__ import annotations

import calendar
import datetime
from typing import Final

from tradefin.protos import letters_of_credit_pb2 as lc

from .errors import invalid_input
from .validation import to_date

ON_OR_ABOUT_DAYS: Final = 5

_OPEN_START = datetime.date.min
_OPEN_END = datetime.date.max

_MONTH_PARTS: Final[dict[int, tuple[int, int | None]]] = {
    lc.DATE_TERM_KIND_BEGINNING_OF_MONTH: (1, 10),
    lc.DATE_TERM_KIND_MIDDLE_OF_MONTH: (11, 20),
    lc.DATE_TERM_KIND_END_OF_MONTH: (21, None),
    lc.DATE_TERM_KIND_FIRST_HALF_OF_MONTH: (1, 15),
    lc.DATE_TERM_KIND_SECOND_HALF_OF_MONTH: (16, None),
}


def _shifted(day: datetime.date, days: int, field: str) -> datetime.date:
    """``day`` moved by ``days``; a term whose range leaves the calendar (years 1-9999) is invalid input."""
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        raise invalid_input(field, f"{day.isoformat()} is too close to the limits of the calendar") from None


def date_range(term: lc.DateTerm, field: str) -> tuple[datetime.date, datetime.date]:
    """The first and last date (both included) a date term covers; open ends are date.min/max."""
    kind = term.kind
    day = to_date(term.date, f"{field}.date")
    if kind != lc.DATE_TERM_KIND_BETWEEN and term.HasField("end_date"):
        raise invalid_input(f"{field}.end_date", "only a BETWEEN term has an end date")
    if kind == lc.DATE_TERM_KIND_ON:
        return day, day
    if kind == lc.DATE_TERM_KIND_ON_OR_ABOUT:
        return _shifted(day, -ON_OR_ABOUT_DAYS, f"{field}.date"), _shifted(day, ON_OR_ABOUT_DAYS, f"{field}.date")
    if kind == lc.DATE_TERM_KIND_UNTIL:
        return _OPEN_START, day
    if kind == lc.DATE_TERM_KIND_FROM:
        return day, _OPEN_END
    if kind == lc.DATE_TERM_KIND_BEFORE:
        return _OPEN_START, _shifted(day, -1, f"{field}.date")
    if kind == lc.DATE_TERM_KIND_AFTER:
        return _shifted(day, 1, f"{field}.date"), _OPEN_END
    if kind == lc.DATE_TERM_KIND_BETWEEN:
        end = to_date(term.end_date, f"{field}.end_date")
        if end < day:
            raise invalid_input(f"{field}.end_date", "is before the start date")
        return day, end
    if kind in _MONTH_PARTS:
        first, last = _MONTH_PARTS[kind]
        month_end = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=first), day.replace(day=last or month_end)
    raise invalid_input(f"{field}.kind", "is not a UCP 600 art. 3 date term")


def latest_date(term: lc.DateTerm, field: str) -> datetime.date | None:
    """The last date a term allows, or None when it is open-ended."""
    _, last = date_range(term, field)
    return None if last == _OPEN_END else last


def covers(term: lc.DateTerm, day: datetime.date, field: str) -> bool:
    """``day`` falls within the date term."""
    first, last = date_range(term, field)
    return first <= day <= last
