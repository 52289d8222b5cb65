"""Transferable credits (art. 38, INV-LC-12)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.protos import common_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, ISSUER, Desk, caller, date, documents, sample_terms, usd

SECOND = common_pb2.PartyRef(name="MANCHESTER PARTS LTD", country="GB", kyc_ref="KYC-GB-99")


def transferable(**overrides: Any) -> lc.LetterOfCreditTerms:
    return sample_terms(form=lc.CREDIT_FORM_IRREVOCABLE_TRANSFERABLE, **overrides)


def transfer(desk: Desk, lc_id: str, amount: str = "60000", **extra: Any) -> api.TransferResponse:
    request = api.TransferRequest(
        lc_id=lc_id,
        transfer_id=extra.pop("transfer_id", str(uuid.uuid4())),
        second_beneficiary=SECOND,
        second_beneficiary_bank=ADVISER,
        amount=usd(amount),
        **extra,
    )
    return desk.call(caller(ADVISER, "advisor"), desk.service.transfer, request)


def test_transfer_records_reduced_terms_privately() -> None:
    desk = Desk()
    lc_id = desk.open_credit(transferable())
    response = transfer(
        desk,
        lc_id,
        expiry_date=date("2025-12-20"),
        latest_shipment_date=date("2025-12-05"),
        presentation_period_days=10,
        unit_price=usd("90.00"),
    )
    assert response.credit.transferred
    assert response.transfer.transferring_bank == ADVISER
    assert desk.position(lc_id).transferred == 6_000_000
    assert desk.ledger.events[-1][1] == "lc.transferred"
    # the reduced terms are in the credit's private collection, and only there
    slots = [(collection, key) for collection, key in desk.ledger.state if key.object_type == "tradefin.lc.transfer"]
    assert [collection for collection, _ in slots] == [desk.stub(lc_id).collection]
    record = lc.TransferRecord.FromString(desk.ledger.state[slots[0]])
    assert (record.expiry_date, record.latest_shipment_date) == (date("2025-12-20"), date("2025-12-05"))
    assert (record.presentation_period_days, record.unit_price) == (10, usd("90.00"))


def test_only_transferable_credits_by_a_transferring_bank() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*not transferable"):
        transfer(desk, lc_id)
    other = Desk()
    lc_id = other.open_credit(transferable())
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED: "):
        other.call(
            caller(ADVISER, "client-beneficiary"),
            other.service.transfer,
            api.TransferRequest(
                lc_id=lc_id,
                transfer_id=str(uuid.uuid4()),
                second_beneficiary=SECOND,
                second_beneficiary_bank=ADVISER,
                amount=usd("1"),
            ),
        )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"expiry_date": date("2026-01-01")}, "expiry_date"),
        ({"latest_shipment_date": date("2025-12-11")}, "latest_shipment_date"),
        ({"presentation_period_days": 22}, "presentation_period_days"),
        ({"unit_price": usd("100.01")}, "unit_price"),
        ({"insurance_cover_pct": 1000}, "insurance_cover_pct"),
        ({"transfer_id": "nope"}, "transfer_id"),
    ],
)
def test_reduced_terms_never_exceed_the_credit(extra: dict[str, Any], field: str) -> None:
    desk = Desk()
    lc_id = desk.open_credit(transferable())
    with pytest.raises(LcRuleError, match=rf"^ERR_INVALID_INPUT: {field}: "):
        transfer(desk, lc_id, **extra)


def test_sum_transferred_and_partial_transfers() -> None:
    desk = Desk()
    lc_id = desk.open_credit(transferable())
    transfer(desk, lc_id, "60000")
    with pytest.raises(LcRuleError, match=r"^ERR_INSUFFICIENT_FUNDS: amount: "):
        transfer(desk, lc_id, "40000.01")
    transfer(desk, lc_id, "40000")
    single = Desk()
    lc_id = single.open_credit(transferable(partial_shipments=lc.SHIPMENT_PERMISSION_NOT_ALLOWED))
    transfer(single, lc_id, "60000")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: partial drawings are prohibited"):
        transfer(single, lc_id, "10000")


def test_transfer_ids_are_unique_and_second_beneficiary_is_checked() -> None:
    desk = Desk()
    lc_id = desk.open_credit(transferable())
    transfer_id = str(uuid.uuid4())
    transfer(desk, lc_id, transfer_id=transfer_id)
    with pytest.raises(LcRuleError, match=r"^ERR_DUPLICATE: transfer_id: "):
        transfer(desk, lc_id, "1", transfer_id=transfer_id)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: second_beneficiary.kyc_ref: "):
        desk.call(
            caller(ADVISER, "advisor"),
            desk.service.transfer,
            api.TransferRequest(
                lc_id=lc_id,
                transfer_id=str(uuid.uuid4()),
                second_beneficiary=common_pb2.PartyRef(name="X", country="GB"),
                second_beneficiary_bank=ADVISER,
                amount=usd("1"),
            ),
        )
    outsider_bank = common_pb2.BankRef(bic="TFOTUS33", msp_id="OutsiderMSP")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: second_beneficiary_bank: "):
        desk.call(
            caller(ADVISER, "advisor"),
            desk.service.transfer,
            api.TransferRequest(
                lc_id=lc_id,
                transfer_id=str(uuid.uuid4()),
                second_beneficiary=SECOND,
                second_beneficiary_bank=outsider_bank,
                amount=usd("1"),
            ),
        )


def test_second_beneficiary_presents_under_the_transferred_terms() -> None:
    desk = Desk()
    lc_id = desk.open_credit(transferable())
    transfer_id = transfer(desk, lc_id, "60000", expiry_date=date("2025-12-05")).transfer.transfer_id
    docs = documents(invoiced="60000.00", quantity=600)
    with pytest.raises(LcRuleError, match=r"^ERR_INSUFFICIENT_FUNDS: .*transferred amount"):
        desk.at("2025-12-03").present(lc_id, "60000.01", docs, transfer_id=transfer_id)
    pid = desk.present(lc_id, "60000.00", docs, transfer_id=transfer_id)
    stub = desk.examine(pid)
    assert (stub.state, stub.transfer_id) == (lc.PRESENTATION_STATE_COMPLYING, transfer_id)
    desk.honour(pid, "60000.00")
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED: "):
        desk.at("2025-12-08").present(lc_id, "1.00", documents(invoiced="1.00", quantity=1), transfer_id=transfer_id)
    with pytest.raises(LcRuleError, match=r"^ERR_NOT_FOUND: transfer_id: "):
        desk.present(lc_id, "1.00", transfer_id=str(uuid.uuid4()))


def test_a_transfer_on_a_closed_day_may_state_an_expiry_that_art_29_extends() -> None:
    """The credit expires on Saturday 2025-12-06; a transfer that day counts on Monday 2025-12-08, still
    within the credit (art. 29a). Stating the credit's own expiry in the transfer (MT720 31D is mandatory)
    is no earlier than the transfer: extended the same way, it lets the second beneficiary present on
    Monday. An expiry whose extension ends before the transfer is still refused."""
    desk = Desk()
    lc_id = desk.open_credit(transferable(expiry_date=date("2025-12-06"), latest_shipment_date=date("2025-12-01")))
    desk.at("2025-12-06")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: expiry_date: is before the date of transfer"):
        transfer(desk, lc_id, "10000", expiry_date=date("2025-12-05"))
    transfer_id = transfer(desk, lc_id, "60000", expiry_date=date("2025-12-06")).transfer.transfer_id
    docs = documents(shipped="2025-12-01", issued="2025-12-01", invoiced="60000.00", quantity=600)
    pid = desk.at("2025-12-08").present(lc_id, "60000.00", docs, transfer_id=transfer_id)
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING


def test_no_transfer_of_an_expired_or_cancelled_credit() -> None:
    desk = Desk()
    lc_id = desk.open_credit(transferable())
    desk.at("2026-01-02").call(caller(ISSUER, "issuer"), desk.service.expire, api.ExpireRequest(lc_id=lc_id))
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED: "):
        transfer(desk, lc_id)


def test_what_is_transferred_is_kept_for_the_second_beneficiary() -> None:
    desk = Desk()
    lc_id = desk.open_credit(transferable())  # 100,000.00 +-5 %: 105,000.00 drawable
    transfer_id = transfer(desk, lc_id, "60000").transfer.transfer_id
    desk.at("2025-12-03")
    first = documents(invoiced="45000.00", quantity=450)
    with pytest.raises(LcRuleError, match=r"^ERR_INSUFFICIENT_FUNDS: .*kept for second beneficiaries is 45000\.00"):
        desk.present(lc_id, "45000.01", first)
    pid = desk.present(lc_id, "45000.00", first)
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING
    desk.honour(pid, "45000.00")
    second = desk.present(lc_id, "60000.00", documents(invoiced="60000.00", quantity=600), transfer_id=transfer_id)
    assert desk.examine(second).state == lc.PRESENTATION_STATE_COMPLYING
    desk.honour(second, "60000.00")
    position = desk.position(lc_id)
    assert (position.drawn, position.transferred, position.transfer_utilised) == (10_500_000, 6_000_000, 6_000_000)


def test_a_transfer_cannot_take_what_the_first_beneficiary_has_claimed() -> None:
    desk = Desk()
    lc_id = desk.open_credit(transferable())
    desk.at("2025-12-03").present(lc_id, "100000.00")  # reserved for the first beneficiary
    before = desk.position(lc_id)
    with pytest.raises(LcRuleError, match=r"^ERR_INSUFFICIENT_FUNDS: amount: exceeds what is neither drawn"):
        transfer(desk, lc_id, "60000")
    assert desk.position(lc_id) == before  # nothing written
    transfer(desk, lc_id, "5000")  # the tolerance left over can still be transferred


def test_the_issuing_bank_examines_a_second_beneficiarys_forwarded_drawing_against_the_transfer() -> None:
    # partial drawings prohibited: the second beneficiary's full drawing is the transferred amount (art. 38),
    # which against the credit's own amount would be a partial drawing
    desk = Desk()
    lc_id = desk.open_credit(transferable(partial_shipments=lc.SHIPMENT_PERMISSION_NOT_ALLOWED))
    transfer_id = transfer(desk, lc_id, "60000", unit_price=usd("60.00")).transfer.transfer_id
    docs = documents(invoiced="60000.00", quantity=1000)
    pid = desk.at("2025-12-03").present(lc_id, "60000.00", docs, transfer_id=transfer_id)
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING
    desk.honour(pid, "60000.00")
    request = api.ExamineForwardedRequest(presentation_id=pid)
    examined = desk.call(caller(ISSUER, "examiner"), desk.service.examine_forwarded, request).presentation
    assert list(examined.discrepancy_codes) == []
    assert desk.position(lc_id).reimbursable == 6_000_000
