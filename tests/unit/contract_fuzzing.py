"""What the contract fuzz harnesses share: the refusal codes an answer may carry, the value range of
each protobuf integer type, and the values a careless or hostile client could put in a text, number or
currency field.

Used by the ``pay``/``compliance`` harness (:mod:`tests.unit.payments.contract_fuzz`) and the ``lc``
one (:mod:`tests.unit.letters_of_credit.test_fuzz_inputs`). Every list is fixed and ordered, so that
derandomized examples drawn from them are the same requests in every run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from tradefin.chaincode.contract import ErrorCode
from tradefin.chaincode.contracts.rule_contract import REQUEST_FIELD

#: The codes a refusal may carry: the catalogue (DOMAIN.md 4.8), not ERR_INTERNAL (a genuine fault).
CATALOGUE: Final = frozenset(code.value for code in ErrorCode) - {ErrorCode.INTERNAL.value}

#: The values an integer field of each C++ type holds (protobuf refuses others when set).
INT_RANGES: Final[dict[int, tuple[int, int]]] = {
    FieldDescriptor.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_UINT64: (0, 2**64 - 1),
}


def int_range(field: FieldDescriptor) -> tuple[int, int] | None:
    """The values the integer field holds (None for a field that is no integer, enums included)."""
    if field.type == FieldDescriptor.TYPE_ENUM:
        return None
    return INT_RANGES.get(field.cpp_type)


#: Integers any integer field gets (those in its range), by kind: boundaries of counts, amounts
#: (MAX_MINOR_UNITS is 10**14 - 1), nanoseconds and the integer types.
INTEGERS: Final[tuple[tuple[str, int], ...]] = (
    ("zero", 0),
    ("one", 1),
    ("negative", -1),
    ("small", 2),
    ("small", 7),
    ("percent", 99),
    ("percent", 100),
    ("slots", 257),
    ("thousand", 999),
    ("thousand", 1000),
    ("minor-units", 10**14 - 1),
    ("minor-units", 10**14),
    ("nanos", 999_999_999),
    ("nanos", 10**9),
    ("extreme", 2**31 - 1),
    ("extreme", 2**32 - 1),
    ("extreme", 2**63 - 1),
    ("extreme", 2**64 - 1),
    ("extreme", -(2**31)),
    ("extreme", -(2**63)),
)

#: Texts that look like a number (amounts, rates, percentages are strings in some requests).
NUMBER_TEXTS: Final[tuple[str, ...]] = (
    "NaN",
    "-1",
    "0",
    "0.001",
    "1e5",
    "1,000.00",
    "99999999999999999999999.99",
    "1.12345678901",
    "0.0000000000",
    ".5",
)

#: Texts that look like an ISO 4217 currency code and are none the contracts accept (XXX and XAU
#: are codes, of no currency and of gold).
CURRENCY_TEXTS: Final[tuple[str, ...]] = (
    "usd",
    "Usd",
    "US",
    "EU",
    "USDD",
    "USDX",
    "EURO",
    "XXX",
    "XAU",
    "€",
    " USD",
    "USD ",
    "USD\n",
)

#: Texts any string field gets, by kind of damage.
TEXTS: Final[tuple[tuple[str, str], ...]] = (
    ("empty", ""),
    ("whitespace", " "),
    ("whitespace", "   "),
    ("whitespace", "\t"),
    ("whitespace", " \t \t "),
    ("long", "X" * 10_000),
    ("non-ascii", "Zürich Ünïcødé"),
    ("non-ascii", "北京贸易有限公司"),
    ("non-ascii", "ÄÖÜ 中文 ÿ"),
    ("non-ascii-digits", "\u0661\u0662"),
    ("non-ascii-digits", "\u00b2"),
    ("non-ascii", "\uff21\uff33\uff34\uff22\uff28\uff2b\uff28\uff28"),  # ASTBHKHH, full width
    ("control", "\x00"),
    ("control", "\x07BELL"),
    ("control", "\x07\x1b[31m"),
    ("control", "\u202e\ufeff"),
    ("control", "line one\nline two"),
    *(("number-text", text) for text in NUMBER_TEXTS),
    *(("currency", text) for text in CURRENCY_TEXTS),
)


def derived_texts(current: str) -> list[tuple[str, str]]:
    """Texts made from a field's valid value, by kind: look-alikes of it (padded, with a trailing
    newline or NUL, another case) and near misses (truncated, doubled, a digit not ASCII)."""
    if not current:
        return []
    return [
        ("trailing-newline", current + "\n"),
        ("padded", f" {current} "),
        ("padded", f"{current} "),
        ("padded", f" {current}"),
        ("case", current.lower() if current != current.lower() else current.upper()),
        ("truncated", current[:-1]),
        ("nul", current + "\x00"),
        ("crlf", current + "\r\nX"),
        ("doubled", current + current),
        ("non-ascii-digits", current[:-1] + "\u00b2"),
    ]


# ------------------------------------------------------------------------------------------------
# Refusals: the field an ERR_INVALID_INPUT names

_INDEX: Final = re.compile(r"\[\d+\]")


def misnamed_field(request: Descriptor, message: str, aliases: frozenset[str] = frozenset()) -> str | None:
    """Why the field named by a refusal ``"ERR_INVALID_INPUT: <field>: <text>"`` of a well-framed
    ``request`` is not a field of that request (``a.b[2].c``, each part a field of the message the
    part before it holds), or None when it is one (or the refusal is another, or names no field, or a
    documented stand-in among ``aliases``, e.g. the terms an amendment would give). A client can only
    mend what the error points at in the request it sent."""
    code, _, rest = message.partition(": ")
    if code != ErrorCode.INVALID_INPUT.value:
        return None
    name, separator, _ = rest.partition(": ")
    if not separator or " " in name:  # a message without a field ("ERR_X: text")
        return None
    if name.split(".")[0] in aliases:
        return None
    current: Descriptor | None = request
    for part in _INDEX.sub("", name).split("."):
        found = current.fields_by_name.get(part) if current is not None else None
        if found is None:
            return f"{name!r} is not a field of {request.name}"
        current = found.message_type
    return None


# ------------------------------------------------------------------------------------------------
# Framing: calls whose arguments or transient map are wrong, whatever the request


@dataclass(frozen=True)
class Framing:
    """The arguments and transient map of one call, as a client could send them."""

    args: tuple[bytes, ...] = ()
    transient: Mapping[str, bytes] = field(default_factory=dict)


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _delimited(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def invalid_utf8(message: Descriptor, depth: int = 4) -> bytes | None:
    """A request whose first string field (nested messages searched depth first) holds invalid UTF-8,
    or None when the request has no string field."""
    for item in message.fields:
        if item.type == FieldDescriptor.TYPE_STRING:
            return _delimited(item.number, b"\xc3\x28")
    for item in message.fields:
        if item.type == FieldDescriptor.TYPE_MESSAGE and depth:
            inner = invalid_utf8(item.message_type, depth - 1)
            if inner is not None:
                return _delimited(item.number, inner)
    return None


def wrong_wire_type(message: Descriptor) -> bytes:
    """A request whose first field comes with another wire type than its own (a varint for a
    length-delimited field, length-delimited bytes for the others)."""
    first = message.fields[0]
    if first.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES, FieldDescriptor.TYPE_MESSAGE):
        return _varint(first.number << 3) + b"\x01"
    return _delimited(first.number, b"\x01\x02")


def framings(submit: bool, valid: bytes, other: bytes, request: Descriptor) -> dict[str, Framing]:
    """Ways to frame a call wrongly, by what is wrong: ``valid`` is a valid request of the function,
    ``other`` another function's request, ``request`` the function's request type. A submit
    transaction takes its request in the transient map, an evaluate one as its only argument."""

    def proper(payload: bytes) -> Framing:
        return Framing(transient={REQUEST_FIELD: payload}) if submit else Framing(args=(payload,))

    found = {
        "missing": Framing(),
        "undecodable": proper(b"\xff\xff\xff\xff"),
        "truncated": proper(valid[: len(valid) // 2] if len(valid) > 1 else b"\x0a"),
        "truncated past the middle": proper(valid[: len(valid) // 2 + 1]),
        "wrong wire type": proper(wrong_wire_type(request)),
        "unknown fields only": proper(b"\xf8\x3f\x01\xfa\x3f\x03abc"),
        "empty": proper(b""),
        "another function's request": proper(other),
        "wrong slot": Framing(args=(valid,)) if submit else Framing(transient={REQUEST_FIELD: valid}),
        "both slots": Framing(args=(valid,), transient={REQUEST_FIELD: valid}),
        "extra argument": Framing(args=(*proper(valid).args, b"extra"), transient=proper(valid).transient),
        "two extra arguments": Framing(args=(b"", b"", b""), transient=proper(valid).transient),
        "request twice": Framing(args=(valid, valid)),
        "wrong transient key": Framing(transient={"req": valid}),
        "wrong transient keys": Framing(transient={"Request": valid, "req": valid}),
    }
    utf8 = invalid_utf8(request)
    if utf8 is not None:
        found["invalid utf-8 in a string"] = proper(utf8)
    return found


def malformed_framing(submit: bool, label: str) -> bool:
    """Whether the framing ``label`` must be refused as ERR_INVALID_INPUT before any rule runs
    (the others are refused cleanly or read as a request)."""
    return label in _MALFORMED or (submit and label == "both slots")


_MALFORMED: Final = frozenset(
    {
        "missing",
        "undecodable",
        "invalid utf-8 in a string",
        "wrong slot",
        "extra argument",
        "two extra arguments",
        "request twice",
        "wrong transient key",
        "wrong transient keys",
    }
)
