"""Integer money: ISO 4217 minor units, decimal strings, and the tolerance arithmetic of UCP 600 art. 30.

Rounding is decided once, here, and always in the bank's favour so that no stated percentage is ever
exceeded: a ceiling (the credit amount plus its tolerance) is rounded DOWN to the minor unit, a floor
(the amount minus a tolerance) is rounded UP. Everything is integer arithmetic; no floats.
"""

from __future__ import annotations

import re
from typing import Final

from .errors import invalid_input
from .reference_data import CURRENCY_EXPONENTS

#: SWIFT amounts are ``15d``: at most 15 characters including the mandatory decimal comma.
MAX_MINOR_UNITS: Final = 10**14 - 1

#: "about" / "approximately" before an amount, quantity or unit price: +/-10% (art. 30a).
ABOUT_TOLERANCE_PCT: Final = 10
#: Quantity tolerance when it is not stated in packing units or individual items (art. 30b).
BULK_QUANTITY_TOLERANCE_PCT: Final = 5
#: Shortfall allowed when partial drawings are prohibited (art. 30c).
SHORTFALL_TOLERANCE_PCT: Final = 5

_DECIMAL = re.compile(r"^(0|[1-9][0-9]*)(?:[.,]([0-9]+))?$")


def exponent(currency: str, field: str) -> int:
    """The minor-unit exponent of an active ISO 4217 currency (JPY 0, USD 2, KWD 3)."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise invalid_input(field, f"{currency!r} is not an active ISO 4217 currency code") from None


def parse_amount(text: str, currency: str, field: str = "amount") -> int:
    """Parse a decimal string ("1234.56" or SWIFT "1234,56") into minor units of ``currency``.

    More decimals than the currency has minor units is an error, as is a non-positive amount. A refusal does
    not quote the amount (the terms' and payments' amounts are private data).
    """
    digits = exponent(currency, f"{field}.currency")
    match = _DECIMAL.fullmatch(text)
    if match is None:
        raise invalid_input(field, "not a decimal amount (digits, then '.' or ',' and the decimals)")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > digits:
        raise invalid_input(field, f"{currency} has {digits} decimal places, the amount has {len(fraction)}")
    minor_units: int = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0")
    check_minor_units(minor_units, field)
    return minor_units


def format_amount(minor_units: int, currency: str) -> str:
    """Render minor units as a decimal string with the currency's number of decimals."""
    digits = exponent(currency, "currency")
    sign = "-" if minor_units < 0 else ""
    whole, fraction = divmod(abs(minor_units), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}" if digits else f"{sign}{whole}"


def check_minor_units(minor_units: int, field: str) -> None:
    """An amount is positive and fits the SWIFT 15d format."""
    if minor_units <= 0:
        raise invalid_input(field, "amount must be greater than zero")
    if minor_units > MAX_MINOR_UNITS:
        raise invalid_input(field, "amount exceeds the 15-character SWIFT amount format")


def _check_percent(pct: int) -> None:
    if not 0 <= pct < 100:
        raise ValueError(f"tolerance percentage {pct} outside 0..99")


def ceiling(amount: int, plus_pct: int) -> int:
    """``amount`` increased by ``plus_pct`` percent, rounded down to the minor unit."""
    _check_percent(plus_pct)
    return amount * (100 + plus_pct) // 100


def floor(amount: int, minus_pct: int) -> int:
    """``amount`` reduced by ``minus_pct`` percent, rounded up to the minor unit."""
    _check_percent(minus_pct)
    return -(-amount * (100 - minus_pct) // 100)


def amount_tolerance(plus_pct: int, minus_pct: int, *, about: bool) -> tuple[int, int]:
    """The (plus, minus) percentages that apply to the credit amount: 39A, or +/-10% for "about"."""
    if about:
        return ABOUT_TOLERANCE_PCT, ABOUT_TOLERANCE_PCT
    return plus_pct, minus_pct


def max_drawing(amount: int, plus_pct: int, *, about: bool) -> int:
    """INV-LC-04 ceiling: amount x (1 + plus%) (or x 1.10 when "about"), rounded down."""
    plus, _ = amount_tolerance(plus_pct, 0, about=about)
    return ceiling(amount, plus)


def min_single_drawing(amount: int, minus_pct: int, *, about: bool, tolerance_stated: bool) -> int:
    """Smallest drawing that is not a partial drawing when partial drawings are not allowed.

    With a stated tolerance (39A) or "about" the lower tolerance applies; otherwise art. 30c allows a
    5% shortfall. Rounded up.
    """
    if about:
        return floor(amount, ABOUT_TOLERANCE_PCT)
    if tolerance_stated:
        return floor(amount, minus_pct)
    return floor(amount, SHORTFALL_TOLERANCE_PCT)
