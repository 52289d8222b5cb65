"""Exchange rates as exact decimals, and conversion of minor units with half-even rounding.

A rate is a decimal string with at most :data:`MAX_RATE_DECIMALS` decimals, read into an integer
numerator over a power of ten: no floats anywhere. Converting ``amount`` minor units of currency X
at ``rate`` (units of Y per unit of X) gives ``amount * rate * 10^(e_Y - e_X)`` minor units of Y,
rounded half-even to the unit (the rounding rule declared for INV-PAY-06 and returns).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.money import exponent
from tradefin.protos import common_pb2, compliance_pb2

from .errors import invalid_input, limit_exceeded

MAX_RATE_DECIMALS: Final = 10
_RATE = re.compile(r"^(0|[1-9][0-9]{0,11})(?:\.([0-9]{1,10}))?\Z")


def div_half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, ties to even (denominator > 0)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


@dataclass(frozen=True)
class Rate:
    """An exact positive decimal: ``units / 10**scale``."""

    units: int
    scale: int

    def __str__(self) -> str:
        whole, fraction = divmod(self.units, 10**self.scale)
        return f"{whole}.{fraction:0{self.scale}d}".rstrip("0").rstrip(".") if self.scale else str(whole)


def parse_rate(text: str, field: str) -> Rate:
    """A positive decimal rate with at most ten decimals."""
    match = _RATE.match(text)
    if match is None:
        raise invalid_input(field, f"{text!r} is not a decimal rate with at most {MAX_RATE_DECIMALS} decimals")
    fraction = match.group(2) or ""
    rate = Rate(int(match.group(1) + fraction), len(fraction))
    if rate.units <= 0:
        raise invalid_input(field, "a rate must be greater than zero")
    return rate


def convert(minor_units: int, from_currency: str, to_currency: str, rate: Rate) -> int:
    """``minor_units`` of ``from_currency`` in minor units of ``to_currency`` at ``rate`` (half-even)."""
    shift = exponent(to_currency, "currency") - exponent(from_currency, "currency")
    numerator = minor_units * rate.units * 10 ** max(shift, 0)
    denominator = 10**rate.scale * 10 ** max(-shift, 0)
    return div_half_even(numerator, denominator)


def convert_back(minor_units: int, from_currency: str, to_currency: str, rate: Rate) -> int:
    """The inverse conversion: ``minor_units`` of ``to_currency`` back into ``from_currency`` at the
    rate that converted ``from_currency`` into ``to_currency`` (half-even)."""
    shift = exponent(from_currency, "currency") - exponent(to_currency, "currency")
    numerator = minor_units * 10**rate.scale * 10 ** max(shift, 0)
    denominator = rate.units * 10 ** max(-shift, 0)
    return div_half_even(numerator, denominator)


def reference_rate(rates: Sequence[compliance_pb2.ReferenceRate], currency: str) -> Rate | None:
    """The governance rate of ``currency`` into the reference currency, if published."""
    for item in rates:
        if item.currency == currency:
            return parse_rate(item.rate, "reference_rates.rate")
    return None


def in_currency(
    amount: common_pb2.Money, currency: str, governance: compliance_pb2.ComplianceGovernance, field: str
) -> int:
    """``amount`` in minor units of ``currency``, through the governance reference rates.

    Same currency: unchanged. Otherwise via the reference currency; a currency without a published
    reference rate cannot be compared with a cap or limit, so the check refuses (never passes).
    """
    if amount.currency == currency:
        return amount.minor_units
    reference = governance.reference_currency
    value = amount.minor_units
    if amount.currency != reference:
        rate = reference_rate(governance.reference_rates, amount.currency)
        if rate is None:
            raise limit_exceeded(field, f"no governance reference rate for {amount.currency}")
        value = convert(value, amount.currency, reference, rate)
    if currency == reference:
        return value
    rate = reference_rate(governance.reference_rates, currency)
    if rate is None:
        raise limit_exceeded(field, f"no governance reference rate for {currency}")
    return convert_back(value, currency, reference, rate)
