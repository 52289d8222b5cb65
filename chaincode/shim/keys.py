"""Composite keys and the key rules Fabric applies to state keys."""

from __future__ import annotations

from collections.abc import Sequence

from tradefin.chaincode.shim.errors import KeyValidationError

__all__ = [
    "COMPOSITE_KEY_NAMESPACE",
    "EMPTY_RANGE_START",
    "MAX_UNICODE_RUNE",
    "create_composite_key",
    "partial_composite_key_range",
    "split_composite_key",
    "validate_simple_key",
]

COMPOSITE_KEY_NAMESPACE = "\x00"
"""Every composite key starts with this character, simple keys never do."""
MIN_UNICODE_RUNE = "\x00"
MAX_UNICODE_RUNE = "\U0010ffff"
EMPTY_RANGE_START = "\x01"
"""Range queries start here when asked for an empty start key, so composite keys are skipped."""


def _validate_component(component: str, what: str) -> None:
    try:
        component.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise KeyValidationError(f"{what} is not valid UTF-8") from exc
    if MIN_UNICODE_RUNE in component or MAX_UNICODE_RUNE in component:
        raise KeyValidationError(f"{what} must not contain U+0000 or U+10FFFF")


def create_composite_key(object_type: str, attributes: Sequence[str] = ()) -> str:
    """Build ``\\x00 objectType \\x00 (attribute \\x00)*``, the key form Fabric uses for composite keys.

    Raises:
        KeyValidationError: a component is not valid UTF-8 or contains U+0000 / U+10FFFF.
    """
    _validate_component(object_type, "composite key object type")
    for attribute in attributes:
        _validate_component(attribute, "composite key attribute")
    if not attributes:
        return f"\x00{object_type}\x00"
    return f"\x00{object_type}\x00" + "\x00".join(attributes) + "\x00"


def split_composite_key(composite_key: str) -> tuple[str, list[str]]:
    """Split a composite key into its object type and attributes.

    Raises:
        KeyValidationError: the key is not a composite key.
    """
    if len(composite_key) < 2 or composite_key[0] != "\x00" or composite_key[-1] != "\x00":
        raise KeyValidationError("not a composite key")
    object_type, *attributes = composite_key[1:-1].split("\x00")
    return object_type, attributes


def partial_composite_key_range(object_type: str, attributes: Sequence[str] = ()) -> tuple[str, str]:
    """The ``[start, end)`` range holding every composite key that begins with the given components."""
    start = create_composite_key(object_type, attributes)
    return start, start + MAX_UNICODE_RUNE


def validate_simple_key(key: str) -> None:
    """Refuse a simple key that would fall into the composite key namespace (a leading U+0000).

    Raises:
        KeyValidationError: the key starts with U+0000 or is not valid UTF-8.
    """
    if key.startswith(COMPOSITE_KEY_NAMESPACE):
        raise KeyValidationError("a simple key must not start with U+0000 (the composite key namespace)")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise KeyValidationError("key is not valid UTF-8") from exc
