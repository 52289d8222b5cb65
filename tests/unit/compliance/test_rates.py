"""Exact decimal rates and half-even conversion between minor units."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.rates import (
    Rate,
    convert,
    convert_back,
    div_half_even,
    in_currency,
    parse_rate,
)
from tradefin.protos import common_pb2

from ..payments.support import governance_config


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 2), (7, 2, 4), (15, 10, 2), (25, 10, 2), (26, 10, 3), (-5, 2, -2), (-7, 2, -4), (1, 3, 0), (2, 3, 1)],
)
def test_half_even_rounds_ties_to_even(numerator: int, denominator: int, expected: int) -> None:
    assert div_half_even(numerator, denominator) == expected


def test_rates_are_exact_decimals() -> None:
    assert parse_rate("7.8125", "rate") == Rate(78125, 4)
    assert str(parse_rate("0.1285000000", "rate")) == "0.1285"
    for bad in ("0", "0.0", "-1", "1e3", "1.12345678901", "abc", ""):
        with pytest.raises(RuleError):
            parse_rate(bad, "rate")


def test_conversion_between_exponents() -> None:
    # 100.00 USD at 150.235 JPY per USD = 15023.5 JPY -> 15024 (half-even: ...23.5 -> 24)
    assert convert(10_000, "USD", "JPY", parse_rate("150.235", "rate")) == 15_024
    # 1000 JPY at 0.0067 USD per JPY = 6.70 USD
    assert convert(1_000, "JPY", "USD", parse_rate("0.0067", "rate")) == 670
    # 1.000 KWD at 3.25 USD = 3.25 USD
    assert convert(1_000, "KWD", "USD", parse_rate("3.25", "rate")) == 325
    # 12.345 -> EUR with 0.5 gives 6.1725 -> the half-even rule decides the last cent
    assert convert(1_234_5, "KWD", "EUR", parse_rate("0.5", "rate")) == 617


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=10**10))
def test_converting_back_recovers_the_amount_within_rounding(amount: int, units: int) -> None:
    rate = Rate(units, 4)
    there = convert(amount, "EUR", "USD", rate)
    back = convert_back(there, "EUR", "USD", rate)
    assert abs(back - amount) <= max(1, 10**4 // units + 1)


def test_reference_conversion_uses_governance_rates_and_refuses_unknown_currencies() -> None:
    governance = governance_config()
    assert in_currency(common_pb2.Money(currency="EUR", minor_units=100_00), "USD", governance, "f") == 108_00
    assert in_currency(common_pb2.Money(currency="USD", minor_units=108_00), "EUR", governance, "f") == 100_00
    assert in_currency(common_pb2.Money(currency="HKD", minor_units=1_000_00), "EUR", governance, "f") == 118_98
    with pytest.raises(RuleError) as error:
        in_currency(common_pb2.Money(currency="GBP", minor_units=1), "USD", governance, "f")
    assert error.value.code_name == "ERR_LIMIT_EXCEEDED"
