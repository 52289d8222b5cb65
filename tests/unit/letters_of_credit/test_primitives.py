"""Primitive types (DOMAIN.md section 2.1): identifiers, text, money and its tolerance arithmetic."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradefin.chaincode.contracts.letters_of_credit import money, validation
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError, invalid_input
from tradefin.chaincode.contracts.letters_of_credit.reference_data import COUNTRIES, CURRENCY_EXPONENTS
from tradefin.protos import common_pb2, errors_pb2

from .support import make_lei


def rejects(field: str) -> Any:
    return pytest.raises(LcRuleError, match=rf"^ERR_INVALID_INPUT: {field}: ")


def test_reference_tables() -> None:
    assert len(COUNTRIES) == 249
    assert {"GB", "CN", "US", "DE", "AE"} <= COUNTRIES
    assert CURRENCY_EXPONENTS["JPY"] == 0
    assert CURRENCY_EXPONENTS["USD"] == CURRENCY_EXPONENTS["EUR"] == CURRENCY_EXPONENTS["CNY"] == 2
    assert CURRENCY_EXPONENTS["KWD"] == CURRENCY_EXPONENTS["BHD"] == 3
    assert "XAU" not in CURRENCY_EXPONENTS  # no minor unit: not a credit currency


@pytest.mark.parametrize("bic", ["DEUTDEFF", "DEUTDEFF500", "BKCHCNBJ", "HSBCHKHHHKH", "TESTXK22"])
def test_valid_bics(bic: str) -> None:
    validation.check_bic(bic, "bic")


@pytest.mark.parametrize("bic", ["DEUTDEF", "DEUTDEFF5", "deutdeff", "DEUTQQFF", "DEU1DE-F", "DEUTDEFF5000"])
def test_invalid_bics_name_the_field(bic: str) -> None:
    with rejects("terms.issuing_bank.bic"):
        validation.check_bic(bic, "terms.issuing_bank.bic")


def test_bic_country_must_be_iso_3166() -> None:
    with pytest.raises(LcRuleError, match=r"BIC country 'QQ'"):
        validation.check_bic("DEUTQQFF", "bic")


def test_lei_check_digits() -> None:
    lei = make_lei("5493001KJTIIGC8Y1R")
    validation.check_lei(lei, "lei")
    validation.check_lei("529900T8BM49AURSDO55", "lei")  # a published LEI
    tampered = lei[:-1] + str((int(lei[-1]) + 1) % 10)
    with pytest.raises(LcRuleError, match=r"MOD 97-10"):
        validation.check_lei(tampered, "terms.applicant.lei")
    with rejects("lei"):
        validation.check_lei("TOO-SHORT", "lei")


def test_iban_mod_97() -> None:
    validation.check_iban("GB82WEST12345698765432", "iban")
    validation.check_iban("DE89370400440532013000", "iban")
    with pytest.raises(LcRuleError, match=r"MOD 97"):
        validation.check_iban("GB83WEST12345698765432", "iban")
    with rejects("iban"):
        validation.check_iban("QQ82WEST12345698765432", "iban")


def test_uuid4_lower_case_only() -> None:
    validation.check_uuid4("0b8f1b7e-4f5a-4c6b-9d0e-1f2a3b4c5d6e", "id")
    for bad in ("0B8F1B7E-4F5A-4C6B-9D0E-1F2A3B4C5D6E", "0b8f1b7e-4f5a-1c6b-9d0e-1f2a3b4c5d6e", "x"):
        with rejects("presentation_id"):
            validation.check_uuid4(bad, "presentation_id")


@pytest.mark.parametrize("reference", ["LC2025-0001", "A", "1234567890123456", "AB/CD"])
def test_valid_ref16(reference: str) -> None:
    validation.check_ref16(reference, "lc_number")


@pytest.mark.parametrize("reference", ["", "12345678901234567", "/ABC", "ABC/", "A//B", "LC_2025", "LÇ1"])
def test_invalid_ref16(reference: str) -> None:
    with rejects("terms.lc_number"):
        validation.check_ref16(reference, "terms.lc_number")


def test_text_bounds_lines_width_and_charset() -> None:
    validation.check_text("LINE ONE\nLINE TWO", "f", lines=2, width=8)
    with pytest.raises(LcRuleError, match=r"more than 2 lines"):
        validation.check_text("A\nB\nC", "f", lines=2, width=8)
    with pytest.raises(LcRuleError, match=r"line 2 longer than 8"):
        validation.check_text("A\n123456789", "f", lines=2, width=8)
    with pytest.raises(LcRuleError, match=r"character set"):
        validation.check_text("TAB\tHERE", "f", lines=1, width=20)
    with pytest.raises(LcRuleError, match=r"is required"):
        validation.check_text("", "f", lines=1, width=1, required=True)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("  ", "must not be blank"),
        (" \n ", "must not be blank"),
        ("\t", "line 1 contains characters outside the SWIFT character set"),
        ("\x1c", "line 1 contains characters outside the SWIFT character set"),
        ("\u2028", "line 1 contains characters outside the SWIFT character set"),
    ],
)
def test_blank_text_is_spaces_and_line_breaks(text: str, reason: str) -> None:
    """Blank is what SWIFT text may hold and reads as nothing; other whitespace is a character outside the set."""
    with pytest.raises(LcRuleError, match=rf"^ERR_INVALID_INPUT: f: {reason}$"):
        validation.check_text(text, "f", lines=3, width=10)


@pytest.mark.parametrize(
    ("reference", "reason"),
    [
        (" ", "must not be blank"),
        ("LC1 ", "must not start or end with a blank"),
        (" LC1", "must not start or end with a blank"),
        ("LC1\n", "contains characters outside the SWIFT x character set"),
        ("\tLC1", "contains characters outside the SWIFT x character set"),
        ("\x0b", "contains characters outside the SWIFT x character set"),
    ],
)
def test_blank_and_padded_references(reference: str, reason: str) -> None:
    """A newline or a tab is not a blank: a reference holding one is refused for its character."""
    with pytest.raises(LcRuleError, match=rf"^ERR_INVALID_INPUT: terms.lc_number: {reason}$"):
        validation.check_ref16(reference, "terms.lc_number")


def test_country_and_place_codes() -> None:
    validation.check_country("GB", "c")
    validation.check_place_code("GBLON", "p")
    validation.check_place_code("CN", "p")
    for bad in ("UK", "gb", "G"):
        with rejects("country"):
            validation.check_country(bad, "country")
    with rejects("place"):
        validation.check_place_code("QQLON", "place")


@pytest.mark.parametrize("number", ["IMO9811000", "IMO9074729", "IMO1000019"])
def test_imo_numbers_with_their_check_digit(number: str) -> None:
    validation.check_imo_number(number, "vessel_imo")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("IMO9811001", "fails the IMO number's check digit"),
        ("IMO9074728", "fails the IMO number's check digit"),
        ("9811000", "is not an IMO number"),
        ("imo9811000", "is not an IMO number"),
        ("IMO981100", "is not an IMO number"),
        ("IMO98110000", "is not an IMO number"),
        ("IMO 981100", "is not an IMO number"),
        ("IMO981100\u0660", "is not an IMO number"),  # an Arabic-Indic zero is a digit to str.isdigit
        ("IMO-811000", "is not an IMO number"),
    ],
)
def test_other_vessel_numbers_are_refused(number: str, reason: str) -> None:
    with pytest.raises(LcRuleError, match=rf"^ERR_INVALID_INPUT: vessel_imo: .* {reason}"):
        validation.check_imo_number(number, "vessel_imo")


def test_place_country_must_match_un_locode() -> None:
    with rejects("terms.port_of_loading.country"):
        validation.check_place(common_pb2.Place(un_locode="GBFXT", country="FR"), "terms.port_of_loading")


def test_money_needs_active_currency_and_positive_bounded_amount() -> None:
    validation.check_money(common_pb2.Money(currency="JPY", minor_units=1), "amount")
    with rejects("amount.currency"):
        validation.check_money(common_pb2.Money(currency="XYZ", minor_units=1), "amount")
    with rejects("amount.minor_units"):
        validation.check_money(common_pb2.Money(currency="USD", minor_units=0), "amount")
    with rejects("amount.minor_units"):
        validation.check_money(common_pb2.Money(currency="USD", minor_units=money.MAX_MINOR_UNITS + 1), "amount")


@pytest.mark.parametrize(
    ("text", "currency", "minor_units"),
    [("1234.56", "USD", 123456), ("1234,5", "EUR", 123450), ("1000", "JPY", 1000), ("1.234", "KWD", 1234)],
)
def test_parse_amount(text: str, currency: str, minor_units: int) -> None:
    assert money.parse_amount(text, currency) == minor_units


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1.5", "JPY"), ("1.001", "USD"), ("-1", "USD"), ("0", "USD"),
     ("1.00\n", "USD"), (" 1.00", "USD"), ("1e3", "USD")],
)
def test_parse_amount_rejects_more_decimals_than_minor_units(text: str, currency: str) -> None:
    with rejects("terms.amount"):
        money.parse_amount(text, currency, "terms.amount")


@given(st.integers(min_value=1, max_value=money.MAX_MINOR_UNITS), st.sampled_from(["USD", "JPY", "KWD", "CLF"]))
def test_format_and_parse_round_trip(minor_units: int, currency: str) -> None:
    assert money.parse_amount(money.format_amount(minor_units, currency), currency) == minor_units


def test_ceiling_rounds_down_floor_rounds_up() -> None:
    # 10% of 1.05 is 0.105: the ceiling may not exceed +10%, the floor may not go below -10%.
    assert money.ceiling(105, 10) == 115  # exact 115.5 -> 115
    assert money.floor(105, 10) == 95  # exact 94.5 -> 95
    assert money.max_drawing(10_000_000, 5, about=False) == 10_500_000
    assert money.max_drawing(10_000_000, 5, about=True) == 11_000_000  # "about" = +/-10% (art. 30a)
    assert money.max_drawing(999, 0, about=False) == 999


def test_minimum_single_drawing() -> None:
    assert money.min_single_drawing(10_000, 0, about=False, tolerance_stated=False) == 9_500  # art. 30c
    assert money.min_single_drawing(10_000, 2, about=False, tolerance_stated=True) == 9_800  # 39A
    assert money.min_single_drawing(10_000, 0, about=False, tolerance_stated=True) == 10_000
    assert money.min_single_drawing(10_000, 0, about=True, tolerance_stated=False) == 9_000


@given(st.integers(min_value=1, max_value=10**14), st.integers(min_value=0, max_value=99))
def test_tolerance_bounds_never_exceed_the_percentage(amount: int, pct: int) -> None:
    top = money.ceiling(amount, pct)
    bottom = money.floor(amount, pct)
    assert top * 100 <= amount * (100 + pct) < (top + 1) * 100
    assert (bottom - 1) * 100 < amount * (100 - pct) <= bottom * 100


def test_error_renders_code_field_and_message() -> None:
    error = invalid_input("terms.amount", "too big")
    assert str(error) == "ERR_INVALID_INPUT: terms.amount: too big"
    assert error.detail() == errors_pb2.ErrorDetail(
        code=errors_pb2.ERR_INVALID_INPUT, field="terms.amount", message="too big"
    )


@pytest.mark.parametrize("iban", ["GB83WEST12345698765432", "DE8937040044053201300", "12345678901234567890"])
def test_iban_refusals_do_not_quote_the_account(iban: str) -> None:
    # Accounts travel as transient data and live in private collections: a refusal reaches the caller's
    # logs (EndorseError details, the typed client's InvalidInputError), so it names the field, not the value.
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: creditor_account\.iban: ") as refused:
        validation.check_iban(iban, "creditor_account.iban")
    assert iban[4:] not in refused.value.text


@pytest.mark.parametrize(
    ("text", "currency"), [("1.001", "USD"), ("987654.5", "JPY"), ("12 345", "EUR"), ("1e3", "USD")]
)
def test_amount_refusals_do_not_quote_the_amount(text: str, currency: str) -> None:
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: terms\.amount: ") as refused:
        money.parse_amount(text, currency, "terms.amount")
    assert text not in refused.value.text
