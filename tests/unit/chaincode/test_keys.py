"""Composite keys and key validation (FABRIC-PROTOCOL.md §6.2.4)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradefin.chaincode.shim import KeyValidationError, create_composite_key, split_composite_key
from tradefin.chaincode.shim.keys import partial_composite_key_range, validate_simple_key

# valid components: any text without U+0000, U+10FFFF or lone surrogates (not UTF-8 encodable)
component = st.text(st.characters(codec="utf-8", exclude_characters="\x00\U0010ffff"))


def test_composite_key_layout() -> None:
    assert create_composite_key("lc", ["BANK1", "LC-001"]) == "\x00lc\x00BANK1\x00LC-001\x00"
    assert create_composite_key("lc") == "\x00lc\x00"
    assert create_composite_key("lc", [""]) == "\x00lc\x00\x00"
    assert split_composite_key("\x00lc\x00BANK1\x00LC-001\x00") == ("lc", ["BANK1", "LC-001"])
    assert split_composite_key("\x00lc\x00") == ("lc", [])


@settings(deadline=None)  # shared CI cores: timing is not what is tested
@given(component, st.lists(component, max_size=5))
def test_composite_keys_round_trip(object_type: str, attributes: list[str]) -> None:
    key = create_composite_key(object_type, attributes)
    assert key.startswith("\x00")
    assert split_composite_key(key) == (object_type, attributes)
    start, end = partial_composite_key_range(object_type, attributes)
    assert start == key
    assert start <= key < end


@settings(deadline=None)
@given(component, component, component)
def test_partial_range_holds_longer_keys_only_under_the_prefix(object_type: str, first: str, second: str) -> None:
    start, end = partial_composite_key_range(object_type, [first])
    assert start <= create_composite_key(object_type, [first, second]) < end
    # ... and nothing else: another first attribute, another object type
    assert not start <= create_composite_key(object_type, [first + "x", second]) < end
    assert not start <= create_composite_key(object_type + "x", [first, second]) < end


@pytest.mark.parametrize("bad", ["a\x00b", "a\U0010ffffb", "lone \ud800 surrogate"])
def test_invalid_components_are_refused(bad: str) -> None:
    with pytest.raises(KeyValidationError):
        create_composite_key(bad)
    with pytest.raises(KeyValidationError):
        create_composite_key("ok", ["fine", bad])


@pytest.mark.parametrize("not_composite", ["", "plain", "\x00no-end", "x\x00"])
def test_split_refuses_simple_keys(not_composite: str) -> None:
    with pytest.raises(KeyValidationError):
        split_composite_key(not_composite)


def test_simple_key_validation() -> None:
    validate_simple_key("LC-001")
    validate_simple_key("")
    with pytest.raises(KeyValidationError, match="U\\+0000"):
        validate_simple_key("\x00lc\x00")
    with pytest.raises(KeyValidationError, match="UTF-8"):
        validate_simple_key("\udc80")
