"""Ledger keys, the private collection of a credit's banks, salts and hashes.

Keys are composite keys (object type + attributes); the contract layer renders them with the shim's
``create_composite_key``. Public records live in the world state; private records in the collection
of the credit's banks, whose name the network's collection configuration must define
(:func:`credit_collection_name`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from .errors import invalid_input
from .validation import check_bic, check_ref16, check_uuid4

SALT_BYTES: Final = 32

_CREDIT: Final = "tradefin.lc"
_TERMS: Final = "tradefin.lc.terms"
_TERMS_VERSION: Final = "tradefin.lc.terms.version"
_POSITION: Final = "tradefin.lc.position"
_CONFIRMED_TERMS: Final = "tradefin.lc.confirmed"
_AMENDMENT: Final = "tradefin.lc.amendment"
_PRESENTATION: Final = "tradefin.lc.presentation"
_PRESENTATION_RECORD: Final = "tradefin.lc.presentation.record"
_TRANSFER: Final = "tradefin.lc.transfer"
_CALENDAR: Final = "tradefin.calendar"

_COLLECTION_UNSAFE = re.compile(r"[^A-Za-z0-9-]")


@dataclass(frozen=True)
class RecordKey:
    """A composite ledger key: object type and attributes."""

    object_type: str
    attributes: tuple[str, ...]

    def __str__(self) -> str:
        return "/".join((self.object_type, *self.attributes))


def lc_id_of(issuing_bank_bic: str, lc_number: str) -> str:
    """The credit's id: issuing bank BIC8, a colon, and the credit number (field 20)."""
    return f"{issuing_bank_bic[:8]}:{lc_number}"


def parse_lc_id(lc_id: str, field: str = "lc_id") -> tuple[str, str]:
    """Split and check a credit id into (issuing bank BIC8, lc_number)."""
    bank, separator, number = lc_id.partition(":")
    if not separator or len(bank) != 8:
        raise invalid_input(field, "a credit id is the issuing bank's BIC8, ':' and the credit number")
    check_bic(bank, field)
    check_ref16(number, field)
    return bank, number


def credit_key(lc_id: str) -> RecordKey:
    """The credit's public stub."""
    return RecordKey(_CREDIT, parse_lc_id(lc_id))


def terms_key(lc_id: str) -> RecordKey:
    """The credit's private terms record."""
    return RecordKey(_TERMS, parse_lc_id(lc_id))


def terms_version_key(lc_id: str, seq: int) -> RecordKey:
    """The credit's terms as they stood with amendments accepted up to ``seq`` (private), kept when the
    next accepted amendment replaces them: a presentation made under them is examined against them
    later (the issuing bank's examination of forwarded documents)."""
    return RecordKey(_TERMS_VERSION, (*parse_lc_id(lc_id), f"{seq:03d}"))


def confirmed_terms_key(lc_id: str) -> RecordKey:
    """The terms the confirming bank is bound by, once they differ from the credit's (private): written
    when the beneficiary accepts an amendment the confirming bank did not extend its confirmation to
    (art. 10b, INV-LC-13)."""
    return RecordKey(_CONFIRMED_TERMS, parse_lc_id(lc_id))


def position_key(lc_id: str) -> RecordKey:
    """The credit's private balances."""
    return RecordKey(_POSITION, parse_lc_id(lc_id))


def amendment_key(lc_id: str, seq: int) -> RecordKey:
    """An amendment's private record (number zero-padded so keys sort by number)."""
    return RecordKey(_AMENDMENT, (*parse_lc_id(lc_id), f"{seq:03d}"))


def presentation_key(presentation_id: str, field: str = "presentation_id") -> RecordKey:
    """A presentation's public stub (keyed by its id alone, so a replay under any credit is seen)."""
    check_uuid4(presentation_id, field)
    return RecordKey(_PRESENTATION, (presentation_id,))


def presentation_record_key(presentation_id: str) -> RecordKey:
    """A presentation's private record."""
    return RecordKey(_PRESENTATION_RECORD, (presentation_id,))


def transfer_key(lc_id: str, transfer_id: str, field: str = "transfer_id") -> RecordKey:
    """A transfer's private record."""
    check_uuid4(transfer_id, field)
    return RecordKey(_TRANSFER, (*parse_lc_id(lc_id), transfer_id))


def calendar_key(place: str) -> RecordKey:
    """A governed banking-day calendar (public)."""
    return RecordKey(_CALENDAR, (place,))


def collection_name(prefix: str, msp_ids: Iterable[str]) -> str:
    """Private data collection of a set of banks: ``<prefix>-`` + their MSP ids, sorted, joined by ``-``.

    Characters a collection name cannot hold become ``-``.
    """
    members = sorted({_COLLECTION_UNSAFE.sub("-", msp_id) for msp_id in msp_ids})
    return f"{prefix}-" + "-".join(members)


def credit_collection_name(msp_ids: Iterable[str]) -> str:
    """Private data collection of the banks of a credit: ``lc-`` + their MSP ids (:func:`collection_name`);
    the network must define one per set of banks that can share a credit (member orgs = these MSP ids).
    """
    return collection_name("lc", msp_ids)


def canonical_json(message: Message) -> bytes:
    """Canonical JSON of a message: proto3 JSON field names as declared, defaults omitted, keys
    sorted, no insignificant whitespace, UTF-8."""
    document = MessageToDict(message, preserving_proto_field_name=True)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def terms_hash(terms: Message, salt: bytes) -> str:
    """The public terms hash: hex SHA-256 of the salt followed by the canonical JSON of the terms."""
    return hashlib.sha256(salt + canonical_json(terms)).hexdigest()


def request_hash(request: Message) -> str:
    """Hex SHA-256 of a request's canonical JSON (the idempotency fingerprint)."""
    return hashlib.sha256(canonical_json(request)).hexdigest()


def record_hash(record: Message) -> str:
    """Hex SHA-256 of a (salted) private record as written (deterministic serialization): the same
    digest Fabric records for the private write, so an event can be matched to its block entry."""
    return hashlib.sha256(record.SerializeToString(deterministic=True)).hexdigest()


def derived_salt(credit_secret: bytes, key: RecordKey) -> bytes:
    """The salt of one of the credit's private records: HMAC-SHA256 keyed by the credit's secret salt,
    so members can recompute it and outsiders cannot guess the record from its public hash."""
    return hmac.new(credit_secret, str(key).encode(), hashlib.sha256).digest()
