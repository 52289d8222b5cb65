"""A ReserveLimits request is a replay only when the clearance it would write is the one on the
ledger: the same reservation id and amount with another context is ERR_DUPLICATE, not success."""

from __future__ import annotations

import hashlib

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.limits import clearance_digest, clearance_of
from tradefin.chaincode.contracts.compliance.records import clearance_key, implicit_collection
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, Desk, caller, money, snapshot
from .test_limits import limit, set_limit

CONTEXT = {"counterparty_bic": "EUCBDEFF", "country": "DE", "customer_ref": "KYC-HK-001", "product": "PAYMENT"}


def request(salt: bytes = b"s" * 32, **context: str) -> cp.ReserveLimitsRequest:
    fields = {**CONTEXT, **context}
    return cp.ReserveLimitsRequest(reservation_id="res-1", amount=money("400.00"), clearance_salt=salt, **fields)


def reserve(desk: Desk, reservation: cp.ReserveLimitsRequest) -> cp.LimitResponse:
    return desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.reserve_limits(tx, reservation))


def stored_clearance_digest(desk: Desk) -> bytes:
    value = desk.ledger.value(clearance_key("res-1"), implicit_collection(BANK_A.msp_id))
    assert value is not None
    return hashlib.sha256(value).digest()


@pytest.mark.parametrize(
    "changed",
    [
        {"country": "FR"},
        {"counterparty_bic": "ASTBHKHH"},
        {"customer_ref": "KYC-HK-002"},
        {"product": "CREDIT_LINE"},
        {"salt": b"t" * 32},
    ],
)
def test_the_same_id_and_amount_in_another_context_is_a_duplicate(changed: dict[str, object]) -> None:
    desk = Desk()
    set_limit(desk, cp.LIMIT_SCOPE_COUNTRY, "DE", "500.00")
    set_limit(desk, cp.LIMIT_SCOPE_COUNTRY, "FR", "100.00")
    reserve(desk, request())
    before = snapshot(desk)
    with pytest.raises(RuleError) as error:
        reserve(desk, request(**changed))  # type: ignore[arg-type]
    assert error.value.code_name == "ERR_DUPLICATE" and error.value.field == "reservation_id"
    assert snapshot(desk) == before
    assert limit(desk, cp.LIMIT_SCOPE_COUNTRY, "FR").utilised == 0


def test_the_same_request_again_is_a_replay_that_writes_nothing() -> None:
    desk = Desk()
    set_limit(desk, cp.LIMIT_SCOPE_COUNTRY, "DE", "500.00")
    reserve(desk, request())
    before = snapshot(desk)[0]
    assert reserve(desk, request()) == cp.LimitResponse()
    assert snapshot(desk)[0] == before
    assert stored_clearance_digest(desk) == clearance_digest(clearance_of(request()))
    assert limit(desk, cp.LIMIT_SCOPE_COUNTRY, "DE").utilised == 400_00


def test_a_released_reservation_is_not_replayed() -> None:
    desk = Desk()
    reserve(desk, request())
    release = cp.ReleaseLimitsRequest(reservation_id="res-1")
    desk.comply(caller(BANK_A, "treasury"), lambda s, tx: s.release_limits(tx, release, payment_releasable=True))
    before = snapshot(desk)
    with pytest.raises(RuleError) as error:
        reserve(desk, request())
    assert error.value.code_name == "ERR_DUPLICATE"
    assert snapshot(desk) == before
