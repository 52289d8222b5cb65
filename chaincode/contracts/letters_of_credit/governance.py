"""Publishing the governed banking-day calendars the time rules depend on.

A calendar version is written by a bank officer with the ``compliance`` role and takes effect through
the channel's endorsement policy (several banks endorse), never through code. Versions of a place are
consecutive; dates already computed (e.g. a presentation's refusal deadline) keep the version they
were computed with.
"""

from __future__ import annotations

from tradefin.protos import calendar_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .access import Role, Transaction
from .banking_days import check_calendar
from .errors import invalid_input, unauthorized
from .events import transition_event
from .ledger import Transition, Write
from .records import calendar_key, record_hash


def publish_calendar(
    tx: Transaction, request: api.PublishCalendarRequest, current: calendar_pb2.BankingCalendar | None
) -> Transition[api.CalendarResponse]:
    """Store the next version of a place's banking-day calendar."""
    if Role.COMPLIANCE not in tx.caller.roles:
        raise unauthorized("publishing a banking-day calendar needs a certificate with role compliance")
    calendar = request.calendar
    check_calendar(calendar)
    expected = current.version + 1 if current is not None else 1
    if calendar.version != expected:
        raise invalid_input("calendar.version", f"the next version of {calendar.place} is {expected}")
    return Transition(
        response=api.CalendarResponse(calendar=calendar),
        writes=(Write(calendar_key(calendar.place), calendar),),
        event=transition_event(
            tx,
            lc.LC_EVENT_TYPE_CALENDAR_PUBLISHED,
            lc_id="",
            object_type="calendar",
            object_id=calendar.place,
            to_state=f"VERSION_{calendar.version}",
            payload_hash=record_hash(calendar),
        ),
    )
