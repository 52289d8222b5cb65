"""Private limits: set and reserved in transactions of the owning bank alone; a payment shows its
clearance by hash; utilisation never exceeds the limit."""

from __future__ import annotations

import hashlib

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.limits import clearance_digest, clearance_of, require_clearance
from tradefin.chaincode.contracts.compliance.records import (
    clearance_key,
    implicit_collection,
    limit_key,
    reservation_key,
)
from tradefin.chaincode.contracts.letters_of_credit.records import derived_salt
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, BANK_B, Desk, caller, money


def set_limit(desk: Desk, scope: int, key: str, amount: str, currency: str = "EUR") -> None:
    request = cp.SetLimitRequest(scope=scope, key=key, max=money(amount, currency), salt=bytes(32))  # type: ignore[arg-type]
    desk.comply(caller(BANK_A, "compliance"), lambda s, tx: s.set_limit(tx, request))


def reserve(desk: Desk, reservation_id: str, amount: str, currency: str = "EUR", **context: str) -> cp.LimitResponse:
    fields = {"counterparty_bic": BANK_B.bic, "country": "DE", "customer_ref": "KYC-HK-001", "product": "PAYMENT"}
    fields.update(context)
    request = cp.ReserveLimitsRequest(
        reservation_id=reservation_id, amount=money(amount, currency), clearance_salt=b"s" * 32, **fields
    )
    return desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.reserve_limits(tx, request))


def limit(desk: Desk, scope: int, key: str) -> cp.Limit:
    value = desk.ledger.value(limit_key(scope, key), implicit_collection(BANK_A.msp_id))  # type: ignore[arg-type]
    assert value is not None
    return cp.Limit.FromString(value)


def test_limits_live_in_the_owners_implicit_collection_and_answers_carry_none() -> None:
    desk = Desk()
    set_limit(desk, cp.LIMIT_SCOPE_COUNTRY, "DE", "50000.00")
    assert limit(desk, cp.LIMIT_SCOPE_COUNTRY, "DE").max.minor_units == 50_000_00
    assert all(collection in ("", "_implicit_org_Bank1MSP") for collection, _ in desk.ledger.state)
    answer = reserve(desk, "res-1", "100.00")
    assert answer == cp.LimitResponse()


def test_reservations_add_up_and_never_exceed_the_limit() -> None:
    desk = Desk()
    desk.adopt()
    set_limit(desk, cp.LIMIT_SCOPE_COUNTERPARTY_BANK, BANK_B.bic, "10000.00")
    set_limit(desk, cp.LIMIT_SCOPE_CUSTOMER, "KYC-HK-001", "1080.00", "USD")
    reserve(desk, "res-1", "600.00")
    with pytest.raises(RuleError, match="CUSTOMER limit") as error:
        reserve(desk, "res-2", "401.00")  # 600 + 401 EUR = 1081.08 USD > 1080 USD
    assert error.value.code_name == "ERR_LIMIT_EXCEEDED"
    reserve(desk, "res-2", "400.00")
    assert limit(desk, cp.LIMIT_SCOPE_CUSTOMER, "KYC-HK-001").utilised == 1080_00
    assert limit(desk, cp.LIMIT_SCOPE_COUNTERPARTY_BANK, BANK_B.bic).utilised == 1000_00


def test_a_limit_is_not_set_below_its_utilisation() -> None:
    desk = Desk()
    set_limit(desk, cp.LIMIT_SCOPE_COUNTRY, "DE", "500.00")
    reserve(desk, "res-1", "400.00")
    with pytest.raises(RuleError, match="below the current utilisation"):
        set_limit(desk, cp.LIMIT_SCOPE_COUNTRY, "DE", "300.00")


def test_the_clearance_is_checked_by_its_public_hash() -> None:
    desk = Desk()
    reserve(desk, "6f1c0f8e-3e7c-4a53-9d4b-1f2a3b4c5d6e", "250.00")
    request = cp.ReserveLimitsRequest(
        reservation_id="6f1c0f8e-3e7c-4a53-9d4b-1f2a3b4c5d6e",
        amount=money("250.00"),
        counterparty_bic=BANK_B.bic,
        country="DE",
        customer_ref="KYC-HK-001",
        product="PAYMENT",
        clearance_salt=b"s" * 32,
    )
    stored = desk.ledger.value(clearance_key(request.reservation_id), "_implicit_org_Bank1MSP")
    assert stored is not None
    published = hashlib.sha256(stored).digest()
    require_clearance(published, clearance_of(request))
    other = clearance_of(request)
    other.amount.minor_units += 1
    with pytest.raises(RuleError, match="does not match") as error:
        require_clearance(published, other)
    assert error.value.code_name == "ERR_LIMIT_EXCEEDED"
    with pytest.raises(RuleError, match="has not cleared"):
        require_clearance(None, other)
    assert clearance_digest(clearance_of(request)) == published


def test_release_gives_utilisation_back_and_voids_the_clearance() -> None:
    desk = Desk()
    set_limit(desk, cp.LIMIT_SCOPE_COUNTRY, "DE", "500.00")
    uetr = "6f1c0f8e-3e7c-4a53-9d4b-1f2a3b4c5d6e"
    reserve(desk, uetr, "400.00")
    before = desk.ledger.value(clearance_key(uetr), "_implicit_org_Bank1MSP")
    request = cp.ReleaseLimitsRequest(reservation_id=uetr)
    desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.release_limits(tx, request, True))
    assert limit(desk, cp.LIMIT_SCOPE_COUNTRY, "DE").utilised == 0
    assert desk.ledger.value(clearance_key(uetr), "_implicit_org_Bank1MSP") != before
    with pytest.raises(RuleError, match="already released"):
        desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.release_limits(tx, request, True))


def test_a_standing_payment_keeps_its_reservation() -> None:
    desk = Desk()
    reserve(desk, "res-9", "10.00")
    request = cp.ReleaseLimitsRequest(reservation_id="res-9")
    with pytest.raises(RuleError, match="stands") as error:
        desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.release_limits(tx, request, False))
    assert error.value.code_name == "ERR_INVALID_STATE"


def test_a_reservation_and_its_voided_clearance_are_salted() -> None:
    """Their published hashes do not give away the amount, nor which reservation was released."""
    desk = Desk()
    set_limit(desk, cp.LIMIT_SCOPE_COUNTERPARTY_BANK, BANK_B.bic, "5000.00")
    uetr = "6f1c0f8e-3e7c-4a53-9d4b-1f2a3b4c5d6e"
    reserve(desk, uetr, "400.00")
    stored = desk.ledger.value(reservation_key(uetr), implicit_collection(BANK_A.msp_id))
    assert stored is not None
    reservation = cp.LimitReservation.FromString(stored)
    assert reservation.salt == derived_salt(b"s" * 32, reservation_key(uetr))  # from the clearance salt
    guess = cp.LimitReservation()
    guess.CopyFrom(reservation)
    guess.ClearField("salt")
    assert hashlib.sha256(stored).digest() != hashlib.sha256(guess.SerializeToString(deterministic=True)).digest()
    request = cp.ReleaseLimitsRequest(reservation_id=uetr)
    desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.release_limits(tx, request, True))
    released = cp.LimitReservation.FromString(
        desk.ledger.value(reservation_key(uetr), implicit_collection(BANK_A.msp_id)) or b""
    )
    assert released.released and released.salt == reservation.salt
    void = cp.LimitClearance.FromString(
        desk.ledger.value(clearance_key(uetr), implicit_collection(BANK_A.msp_id)) or b""
    )
    assert void.salt and void.salt != b"s" * 32 and not void.HasField("amount")


@pytest.mark.parametrize("scope, key, field", [
    (cp.LIMIT_SCOPE_COUNTERPARTY_BANK, "EUCBDEFFXXX", "key"),
    (cp.LIMIT_SCOPE_COUNTRY, "Germany", "key"),
    (cp.LIMIT_SCOPE_UNSPECIFIED, "DE", "scope"),
])
def test_a_bad_limit_reference_names_the_request_s_own_field(scope: cp.LimitScope.ValueType, key: str,
                                                             field: str) -> None:
    # SetLimitRequest and GetLimitRequest carry scope and key at the top; the errors said limit.key / limit.scope.
    desk = Desk()
    request = cp.SetLimitRequest(scope=scope, key=key, max=money("1000.00", "USD"), salt=b"s" * 32)
    with pytest.raises(RuleError) as error:
        desk.comply(caller(BANK_A, "compliance"), lambda s, tx: s.set_limit(tx, request))
    assert error.value.field == field
    with pytest.raises(RuleError) as error:
        desk.comply(caller(BANK_A, "compliance"),
                    lambda s, tx: s.get_limit(tx.caller, cp.GetLimitRequest(scope=scope, key=key)))
    assert error.value.field == field
