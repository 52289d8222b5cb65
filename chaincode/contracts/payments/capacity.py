"""Sharded sending capacity (INV-PAY-01, INV-PAY-07 per-day pilot cap).

A bank's capacity on a channel -- its confirmed deposits plus the credit the other bank grants it,
less what it sent and is not settled yet -- is split over ``capacity_slots`` slots. A payment draws
from the slot its client picked first, then the following ones, so concurrent payments on
different slots touch different keys. The per-day pilot cap is split the same way: each slot may
send ``max_per_day // slots`` per pilot day. Both splits are conservative: the sum over the slots
never exceeds the whole, so no balance and no cap is ever exceeded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from tradefin.chaincode.contracts.letters_of_credit.validation import from_date, to_date
from tradefin.protos import payments_pb2


def split(amount: int, slots: int) -> list[int]:
    """``amount`` spread over ``slots`` slots, the remainder on the first ones."""
    share, remainder = divmod(amount, slots)
    return [share + (1 if index < remainder else 0) for index in range(slots)]


@dataclass(frozen=True)
class SlotRoom:
    """What one slot can still send now."""

    capacity: int
    pilot_day_room: int

    @property
    def usable(self) -> int:
        """The smaller of the two."""
        return max(0, min(self.capacity, self.pilot_day_room))


def room(slot: payments_pb2.CapacitySlot, granted: int, day: datetime.date, day_share: int) -> SlotRoom:
    """What ``slot`` can send on ``day``: granted less spent, and its share of the per-day cap."""
    spent_today = (
        slot.pilot_day_spent if slot.HasField("pilot_day") and to_date(slot.pilot_day, "pilot_day") == day else 0
    )
    return SlotRoom(capacity=granted - slot.spent, pilot_day_room=day_share - spent_today)


def drawn(slot: payments_pb2.CapacitySlot, amount: int, day: datetime.date) -> payments_pb2.CapacitySlot:
    """A copy of ``slot`` after drawing ``amount`` on ``day``."""
    updated = payments_pb2.CapacitySlot()
    updated.CopyFrom(slot)
    if not slot.HasField("pilot_day") or to_date(slot.pilot_day, "pilot_day") != day:
        updated.pilot_day.CopyFrom(from_date(day))
        updated.pilot_day_spent = 0
    updated.spent += amount
    updated.pilot_day_spent += amount
    return updated


def given_back(slot: payments_pb2.CapacitySlot, amount: int, day: datetime.date) -> payments_pb2.CapacitySlot:
    """A copy of ``slot`` after a rejected payment gave ``amount`` back (drawn on ``day``)."""
    updated = payments_pb2.CapacitySlot()
    updated.CopyFrom(slot)
    updated.spent -= amount
    if slot.HasField("pilot_day") and to_date(slot.pilot_day, "pilot_day") == day:
        updated.pilot_day_spent = max(0, updated.pilot_day_spent - amount)
    return updated
