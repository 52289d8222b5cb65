"""Invoice fingerprints normalise the amount's currency (upper case) and check the amount, so the
same invoice keyed as "usd" and "USD" meets on one fingerprint."""

from __future__ import annotations

import datetime

import pytest

from tradefin.gateway.tradefin import InvalidInputError
from tradefin.gateway.tradefin.compliance import invoice_fingerprints
from tradefin.protos import common_pb2

KEY = b"k" * 32
DAY = datetime.date(2025, 11, 30)


def prints(currency: str, minor_units: int = 10_000_000) -> list[str]:
    return invoice_fingerprints(
        KEY,
        seller_id="5493001KJTIIGC8Y1R12",
        invoice_number="INV-00123",
        issue_date=DAY,
        amount=common_pb2.Money(currency=currency, minor_units=minor_units),
        buyer_id="HK-42",
    )


@pytest.mark.parametrize("currency", ["usd", "Usd", " USD "])
def test_the_currencys_case_does_not_change_the_fingerprint(currency: str) -> None:
    assert prints(currency) == prints("USD")
    assert prints("USD") != prints("EUR")


@pytest.mark.parametrize(("currency", "minor_units"), [("XYZ", 100), ("", 100), ("USD", 0), ("USD", -5)])
def test_an_invalid_amount_is_refused_before_fingerprinting(currency: str, minor_units: int) -> None:
    with pytest.raises(InvalidInputError):
        prints(currency, minor_units)
