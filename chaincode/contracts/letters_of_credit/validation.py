"""Validation of the schema's primitive types (DOMAIN.md section 2.1).

Every check raises ERR_INVALID_INPUT naming the field (a dotted path into the request, e.g.
``terms.beneficiary.lei``). Optional values are checked only when present.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence, Sized
from typing import Final

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from tradefin.protos import common_pb2

from .errors import invalid_input
from .money import check_minor_units, exponent
from .reference_data import BIC_ONLY_COUNTRIES, COUNTRIES

# Patterns end with \Z, not $: '$' also matches before a trailing newline ('ASTBHKHH\n' was a BIC).
#: ISO 9362 BIC, 8 or 11 characters (also the network spec's banks).
BIC_PATTERN: Final = re.compile(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\Z")
_LEI = re.compile(r"^[A-Z0-9]{18}[0-9]{2}\Z")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}\Z")
_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}\Z")
_UN_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}\Z")
_MSP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")

#: SWIFT "x" character set (references, names) and "z" set (narrative), without the line break.
SWIFT_X: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
SWIFT_Z: Final = SWIFT_X | frozenset('=!"%&*<>;{@#_')


def _mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 over letters mapped to 10..35 and digits."""
    return int("".join(str(int(char, 36)) for char in text)) % 97


def has_field(message: Message, name: str) -> bool:
    """``message.HasField(name)`` for a field name held in a variable."""
    return message.HasField(name)


def check_country(value: str, field: str) -> None:
    """ISO 3166-1 alpha-2, upper case."""
    if value not in COUNTRIES:
        raise invalid_input(field, f"{value!r} is not an ISO 3166-1 alpha-2 country code")


def check_imo_number(value: str, field: str) -> None:
    """An IMO ship identification number: "IMO" and seven digits, the seventh the check digit (the sum of
    the first six weighted 7, 6, 5, 4, 3, 2, modulo 10)."""
    digits = value.removeprefix("IMO")
    if len(value) != 10 or not value.startswith("IMO") or not digits.isascii() or not digits.isdigit():
        raise invalid_input(field, f"{value!r} is not an IMO number (IMO and seven digits)")
    weighted = sum(int(digit) * weight for digit, weight in zip(digits[:6], range(7, 1, -1), strict=True))
    if weighted % 10 != int(digits[6]):
        raise invalid_input(field, f"{value!r} fails the IMO number's check digit")


def check_bic(value: str, field: str) -> None:
    """ISO 9362 BIC (8 or 11 characters) whose characters 5-6 are an ISO 3166 country."""
    if not BIC_PATTERN.match(value):
        raise invalid_input(field, f"{value!r} is not a BIC (4!a2!a2!c[3!c])")
    country = value[4:6]
    if country not in COUNTRIES and country not in BIC_ONLY_COUNTRIES:
        raise invalid_input(field, f"BIC country {country!r} is not an ISO 3166-1 country code")


def bic8(value: str) -> str:
    """The institution part of a BIC (its first 8 characters)."""
    return value[:8]


def check_lei(value: str, field: str) -> None:
    """ISO 17442 LEI: 20 characters with ISO 7064 MOD 97-10 check digits."""
    if not _LEI.match(value):
        raise invalid_input(field, f"{value!r} is not an LEI (18 alphanumerics + 2 check digits)")
    if _mod97(value) != 1:
        raise invalid_input(field, f"LEI {value!r} fails its MOD 97-10 check digits")


def check_iban(value: str, field: str) -> None:
    """ISO 13616 IBAN: country, two check digits, MOD 97 = 1 over the rearranged string. A refusal does not
    quote the account (transient, private data that the refusal carries to the caller's logs)."""
    if not _IBAN.match(value):
        raise invalid_input(field, f"not an IBAN ({len(value)} characters: 2 capital letters, 2 check digits, "
                                   "then 11 to 30 capital letters or digits)")
    check_country(value[:2], field)
    if _mod97(value[4:] + value[:4]) != 1:
        raise invalid_input(field, "the IBAN fails its MOD 97 check digits")


def check_uuid4(value: str, field: str) -> None:
    """A lower-case UUID version 4 (client-generated ids and idempotency keys)."""
    if not _UUID4.match(value):
        raise invalid_input(field, f"{value!r} is not a lower-case UUID v4")


def check_sha256_hex(value: str, field: str) -> None:
    """A hex SHA-256 digest, lower case."""
    if not _SHA256_HEX.match(value):
        raise invalid_input(field, "not a lower-case hex SHA-256 digest")


def is_msp_id(value: str) -> bool:
    """Whether ``value`` has the form of a Fabric MSP id."""
    return _MSP_ID.match(value) is not None


def check_msp_id(value: str, field: str) -> None:
    """A Fabric MSP id."""
    if not is_msp_id(value):
        raise invalid_input(field, f"{value!r} is not an MSP id")


def check_ref16(value: str, field: str, *, required: bool = True) -> None:
    """SWIFT 16x reference (fields 20/21/23): at most 16 characters, no leading, trailing or double '/',
    no leading or trailing blank (a padded reference would be another key that reads the same)."""
    if not value:
        if required:
            raise invalid_input(field, "is required")
        return
    if not value.strip(" "):
        raise invalid_input(field, "must not be blank")
    if value != value.strip(" "):  # other whitespace (a newline, a tab) is refused as outside the x set
        raise invalid_input(field, "must not start or end with a blank")
    if len(value) > 16:
        raise invalid_input(field, "longer than 16 characters")
    if not set(value) <= SWIFT_X:
        raise invalid_input(field, "contains characters outside the SWIFT x character set")
    if value.startswith("/") or value.endswith("/") or "//" in value:
        raise invalid_input(field, "must not start or end with '/' nor contain '//'")


def check_subject_ref(value: str, field: str) -> None:
    """A KYC subject reference: 1..35 characters of the SWIFT x set (an LEI or an id hash), neither blank
    (spaces only) nor padded with spaces, as the shared ``check_ref16`` refuses (the x set has no other
    whitespace)."""
    if value and not value.strip(" "):
        raise invalid_input(field, "must not be blank")
    if value != value.strip(" "):
        raise invalid_input(field, "must not start or end with a blank")
    if not value or len(value) > 35 or not set(value) <= SWIFT_X:
        raise invalid_input(field, "a subject reference is 1..35 characters of the SWIFT x character set")


def check_text(
    value: str,
    field: str,
    *,
    lines: int,
    width: int,
    required: bool = False,
    charset: frozenset[str] = SWIFT_Z,
) -> None:
    """Narrative bounded as in MT messages: at most ``lines`` lines of ``width`` characters, not blank."""
    if not value:
        if required:
            raise invalid_input(field, "is required")
        return
    if not value.strip(" \n"):  # blanks and line breaks only; other whitespace is outside the SWIFT set
        raise invalid_input(field, "must not be blank")
    rows = value.split("\n")
    if len(rows) > lines:
        raise invalid_input(field, f"more than {lines} lines")
    for number, row in enumerate(rows, start=1):
        if len(row) > width:
            raise invalid_input(field, f"line {number} longer than {width} characters")
        if not set(row) <= charset:
            raise invalid_input(field, f"line {number} contains characters outside the SWIFT character set")


def check_at_most(items: Sized, field: str, *, most: int, noun: str) -> None:
    """A repeated field of at most ``most`` entries, checked before any entry is (the bound keeps a
    request, and the record it writes, small)."""
    if len(items) > most:
        raise invalid_input(field, f"at most {most} {noun}")


def check_lines(values: Sequence[str], field: str, *, lines: int, width: int) -> None:
    """A repeated field of text lines (addresses): at most ``lines`` lines of ``width`` characters."""
    if len(values) > lines:
        raise invalid_input(field, f"more than {lines} lines")
    for index, row in enumerate(values):
        check_text(row, f"{field}[{index}]", lines=1, width=width, required=True)


def check_money(money: common_pb2.Money, field: str) -> None:
    """An active currency and a positive amount within the SWIFT amount format."""
    exponent(money.currency, f"{field}.currency")
    check_minor_units(money.minor_units, f"{field}.minor_units")


def check_same_currency(money: common_pb2.Money, currency: str, field: str) -> None:
    """A valid amount in the credit's currency."""
    check_money(money, field)
    if money.currency != currency:
        raise invalid_input(f"{field}.currency", f"must be the credit's currency {currency}")


def to_date(value: common_pb2.Date, field: str) -> datetime.date:
    """A schema Date as a :class:`datetime.date`."""
    try:
        return datetime.date(value.year, value.month, value.day)
    except ValueError:
        raise invalid_input(field, f"{value.year:04d}-{value.month:02d}-{value.day:02d} is not a date") from None


# The range a protobuf Timestamp may hold (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z).
_MIN_SECONDS: Final = -62_135_596_800
_MAX_SECONDS: Final = 253_402_300_799


def to_datetime(value: Timestamp, field: str) -> datetime.datetime:
    """A protobuf Timestamp within the range it may hold, as an aware UTC datetime."""
    if not _MIN_SECONDS <= value.seconds <= _MAX_SECONDS or not 0 <= value.nanos < 10**9:
        raise invalid_input(field, "is not a valid timestamp")
    return value.ToDatetime(datetime.UTC)


def from_date(value: datetime.date) -> common_pb2.Date:
    """A :class:`datetime.date` as a schema Date."""
    return common_pb2.Date(year=value.year, month=value.month, day=value.day)


def check_bank(bank: common_pb2.BankRef, field: str) -> None:
    """A consortium bank: BIC, MSP id and, when stated, a calendar place."""
    check_bic(bank.bic, f"{field}.bic")
    check_msp_id(bank.msp_id, f"{field}.msp_id")
    if bank.calendar_place:
        check_place_code(bank.calendar_place, f"{field}.calendar_place")


def check_institution(institution: common_pb2.InstitutionRef, field: str) -> None:
    """A financial institution by BIC, or by name and address (not both)."""
    if institution.bic:
        if institution.name or institution.address:
            raise invalid_input(field, "give either a BIC or a name and address, not both")
        check_bic(institution.bic, f"{field}.bic")
        return
    check_text(institution.name, f"{field}.name", lines=1, width=35, required=True)
    check_lines(institution.address, f"{field}.address", lines=3, width=35)


def check_party(party: common_pb2.PartyRef, field: str, *, kyc_required: bool) -> None:
    """A trading party: name, address, country, optional LEI/BIC, KYC reference, MSP id."""
    check_text(party.name, f"{field}.name", lines=1, width=35, required=True)
    check_lines(party.address, f"{field}.address", lines=4, width=35)
    check_country(party.country, f"{field}.country")
    if party.lei:
        check_lei(party.lei, f"{field}.lei")
    if party.bic:
        check_bic(party.bic, f"{field}.bic")
    if kyc_required or party.kyc_ref:
        # the key of the bank's KYC attestation and screenings of the party (a padded one would be
        # another key that reads the same)
        check_subject_ref(party.kyc_ref, f"{field}.kyc_ref")
    if party.msp_id:
        check_msp_id(party.msp_id, f"{field}.msp_id")


def check_account(account: common_pb2.AccountRef, field: str) -> None:
    """An IBAN (checked) or another account identifier of up to 34 characters."""
    which = account.WhichOneof("account")
    if which == "iban":
        check_iban(account.iban, f"{field}.iban")
    elif which == "other":
        check_text(account.other, f"{field}.other", lines=1, width=34, required=True, charset=SWIFT_X)
    else:
        raise invalid_input(field, "give an IBAN or another account identifier")


def check_place_code(value: str, field: str) -> None:
    """A calendar place: an ISO 3166 country ("GB") or a UN/LOCODE ("GBLON")."""
    if len(value) == 2:
        check_country(value, field)
        return
    if not _UN_LOCODE.match(value):
        raise invalid_input(field, f"{value!r} is neither a country code nor a UN/LOCODE")
    check_country(value[:2], field)


def check_place(place: common_pb2.Place, field: str, *, required: bool = False) -> None:
    """A named place with optional UN/LOCODE and country, consistent with each other."""
    check_text(place.name, f"{field}.name", lines=1, width=65, required=required)
    if place.un_locode:
        if not _UN_LOCODE.match(place.un_locode):
            raise invalid_input(f"{field}.un_locode", f"{place.un_locode!r} is not a UN/LOCODE")
        check_country(place.un_locode[:2], f"{field}.un_locode")
        if place.country and place.country != place.un_locode[:2]:
            raise invalid_input(f"{field}.country", "differs from the UN/LOCODE's country")
    if place.country:
        check_country(place.country, f"{field}.country")
