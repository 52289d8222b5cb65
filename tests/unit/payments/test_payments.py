"""Payments on a channel: compliance, idempotency, capacity, status, fees, rejection and returns."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable

import pytest
from google.protobuf.message import Message

from tradefin.chaincode.contracts.compliance.contract import _release_limits
from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.records import limit_key
from tradefin.chaincode.contracts.compliance.service import ComplianceService
from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.chaincode.contracts.payments.records import channel_id_of
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import payments_pb2 as pay

from .support import (
    BANK_A,
    BANK_B,
    CREDITOR,
    OUTSIDER,
    Desk,
    caller,
    governance_config,
    money,
    payment_request,
)

A_TREASURY, B_TREASURY = caller(BANK_A, "treasury"), caller(BANK_B, "treasury")


def refused(
    desk: Desk, request: pay.InitiatePaymentRequest, code: str, who: object = None, match: str | None = None
) -> RuleError:
    with pytest.raises(RuleError, match=match) as error:
        desk.initiate(request, who=who)  # type: ignore[arg-type]
    assert error.value.code_name == code, error.value
    return error.value


def test_a_payment_moves_at_once_and_is_tracked_publicly_without_amounts(desk: Desk, channel_id: str) -> None:
    request = payment_request(channel_id, "2500.00")
    stub = desk.initiate(request)
    assert (stub.status, stub.cycle, stub.sender_bic, stub.receiver_bic) == (
        pay.PAYMENT_STATUS_ACSP,
        1,
        BANK_A.bic,
        BANK_B.bic,
    )
    assert "2500" not in str(stub) and CREDITOR.name not in str(stub)
    a, b = desk.channel(channel_id).balances
    assert (a.balance, b.balance, a.capacity) == (7500_00, 12500_00, 9500_00)
    assert desk.report(request.uetr, pay.PAYMENT_STATUS_ACSC).status == pay.PAYMENT_STATUS_ACSC
    credited = desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC)
    assert [change.status for change in credited.status_history] == [
        pay.PAYMENT_STATUS_ACSP,
        pay.PAYMENT_STATUS_ACSC,
        pay.PAYMENT_STATUS_ACCC,
    ]
    for status in (pay.PAYMENT_STATUS_ACSC, pay.PAYMENT_STATUS_RJCT, pay.PAYMENT_STATUS_ACCC):
        reason = "AC04" if status == pay.PAYMENT_STATUS_RJCT else ""  # a rejection without one is malformed
        with pytest.raises(RuleError, match="cannot become") as error:
            desk.report(request.uetr, status, reason_code=reason)
        assert error.value.code_name == "ERR_INVALID_STATE"


def test_the_same_uetr_twice_changes_nothing(desk: Desk, channel_id: str) -> None:
    request = payment_request(channel_id, "100.00")
    first = desk.initiate(request)
    replay = pay.InitiatePaymentRequest()
    replay.CopyFrom(request)
    replay.slot_hint, replay.salt = 3, b"\x01" * 32  # a retry may pick another slot and salt: the same payment
    assert desk.initiate(replay) == first
    assert desk.channel(channel_id).balances[0].sent_unfrozen == 100_00
    other = pay.InitiatePaymentRequest()
    other.CopyFrom(request)
    other.instructed_amount.minor_units = 200_00
    refused(desk, other, "ERR_DUPLICATE", match="other content")
    reused = payment_request(channel_id, "100.00", end_to_end_id=request.end_to_end_id)
    refused(desk, reused, "ERR_DUPLICATE", match="end_to_end_id")


def test_only_the_channels_banks_send_and_only_the_receiver_reports_credit(desk: Desk, channel_id: str) -> None:
    refused(desk, payment_request(channel_id), "ERR_UNAUTHORIZED", who=caller(OUTSIDER, "treasury"))
    refused(desk, payment_request(channel_id), "ERR_UNAUTHORIZED", who=caller(BANK_A, "client-applicant"))
    request = payment_request(channel_id)
    desk.initiate(request)
    report = pay.ReportPaymentStatusRequest(uetr=request.uetr, status=pay.PAYMENT_STATUS_ACCC)
    with pytest.raises(RuleError) as error:
        desk.pay(A_TREASURY, lambda s, tx: s.report_status(tx, report))
    assert error.value.code_name == "ERR_UNAUTHORIZED"


def test_capacity_is_deposit_plus_credit_line(desk: Desk, channel_id: str) -> None:
    refused(desk, payment_request(channel_id, "12000.01"), "ERR_INSUFFICIENT_FUNDS")
    desk.initiate(payment_request(channel_id, "12000.00"))
    a, _ = desk.channel(channel_id).balances
    assert (a.balance, a.capacity) == (-2000_00, 0)
    refused(desk, payment_request(channel_id, "0.01"), "ERR_INSUFFICIENT_FUNDS")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"creditor_account": common_pb2.AccountRef()}, "creditor_account"),
        ({"debtor": common_pb2.PartyRef(country="HK", kyc_ref="KYC-HK-001")}, "debtor.name"),
        ({"instructed_amount": money("10.00", "USD")}, "instructed_amount.currency"),
        ({"uetr": "not-a-uuid"}, "uetr"),
        ({"purpose": "goods"}, "purpose"),
    ],
)
def test_travel_rule_and_inputs(desk: Desk, channel_id: str, overrides: dict[str, object], field: str) -> None:
    error = refused(desk, payment_request(channel_id, **overrides), "ERR_INVALID_INPUT")  # type: ignore[arg-type]
    assert error.field == field


def test_kyc_and_sanctions_of_both_parties(desk: Desk, channel_id: str) -> None:
    stranger = common_pb2.PartyRef(name="UNKNOWN GMBH", country="DE", kyc_ref="KYC-DE-404")
    refused(desk, payment_request(channel_id, creditor=stranger), "ERR_KYC", match="Bank2MSP has not attested")
    desk.screen(BANK_B, CREDITOR, "OFAC", "2025-12-01", cp.SCREENING_OUTCOME_POTENTIAL_MATCH)
    refused(desk, payment_request(channel_id), "ERR_SANCTIONS", match="POTENTIAL_MATCH")
    desk.screen(BANK_B, CREDITOR, "OFAC", "2025-12-01", cp.SCREENING_OUTCOME_CLEAR)
    desk.initiate(payment_request(channel_id))
    later = desk.now + datetime.timedelta(hours=25)
    with pytest.raises(RuleError, match="older than") as error:
        desk.initiate(payment_request(channel_id), at=later)
    assert error.value.code_name == "ERR_SANCTIONS"
    pyongyang = common_pb2.PartyRef(name="KOREA TRADING", country="KP", kyc_ref="KYC-DE-001")
    refused(desk, payment_request(channel_id, creditor=pyongyang), "ERR_SANCTIONS", match="embargo")


def test_pilot_caps(desk: Desk) -> None:
    desk.adopt(
        governance_config(
            pilot_caps=cp.PilotCaps(
                max_per_payment=money("5000.00", "USD"),
                max_per_day=money("8640.00", "USD"),
                max_per_credit=money("5000.00", "USD"),
            )
        )
    )
    from .support import CREDITOR_AT_A, DEBTOR, DEBTOR_AT_B

    for bank, party in ((BANK_A, DEBTOR), (BANK_B, CREDITOR), (BANK_B, DEBTOR_AT_B), (BANK_A, CREDITOR_AT_A)):
        desk.vouch(bank, party)
    channel_id = desk.open_channel(deposit_a="100000.00", slots=2)
    refused(desk, payment_request(channel_id, "4629.64"), "ERR_LIMIT_EXCEEDED", match="per-payment")
    desk.initiate(payment_request(channel_id, "4000.00"))
    desk.initiate(payment_request(channel_id, "4000.00"))  # 8640 USD = 8000 EUR a day, 4000 per slot
    refused(desk, payment_request(channel_id, "0.01"), "ERR_LIMIT_EXCEEDED", match="per-day")
    tomorrow = desk.now + datetime.timedelta(days=1)
    for party_bank, party in ((BANK_A, DEBTOR), (BANK_B, CREDITOR)):
        for list_id, version in (("UN", "2025-11-28"), ("OFAC", "2025-12-01")):
            desk.screen(party_bank, party, list_id, version, cp.SCREENING_OUTCOME_CLEAR, at=tomorrow)
    assert desk.initiate(payment_request(channel_id, "100.00"), at=tomorrow).status == pay.PAYMENT_STATUS_ACSP


def test_fees_within_disclosure_and_credited_per_charge_bearer(desk: Desk, channel_id: str) -> None:
    disclosed = [
        pay.Fee(agent_bic=BANK_A.bic, amount=money("5.00"), kind="COMM"),
        pay.Fee(agent_bic=BANK_B.bic, amount=money("7.50"), kind="COMM"),
    ]
    over = [pay.Fee(agent_bic=BANK_A.bic, amount=money("5.01"), kind="COMM")]
    request = payment_request(
        channel_id, "1000.00", charge_bearer=pay.CHARGE_BEARER_CRED, fees_disclosed=disclosed, fees_charged=over
    )
    refused(desk, request, "ERR_INVALID_INPUT", match="exceed the fees it disclosed")
    request = payment_request(
        channel_id,
        "1000.00",
        charge_bearer=pay.CHARGE_BEARER_CRED,
        fees_disclosed=disclosed,
        fees_charged=disclosed[:1],
    )
    desk.initiate(request)
    record = desk.payment(request.uetr).record
    assert (record.settlement_amount.minor_units, record.credited_amount.minor_units) == (995_00, 987_50)
    with pytest.raises(RuleError, match="exceed the fees it disclosed") as error:
        desk.report(
            request.uetr,
            pay.PAYMENT_STATUS_ACCC,
            fees_charged=[pay.Fee(agent_bic=BANK_B.bic, amount=money("9.00"), kind="COMM")],
        )
    assert error.value.code_name == "ERR_INVALID_INPUT"
    desk.report(
        request.uetr,
        pay.PAYMENT_STATUS_ACCC,
        fees_charged=[pay.Fee(agent_bic=BANK_B.bic, amount=money("2.50"), kind="COMM")],
    )
    assert desk.payment(request.uetr).record.credited_amount.minor_units == 992_50
    shared = payment_request(channel_id, "1000.00", fees_disclosed=disclosed)
    desk.initiate(shared)
    assert desk.payment(shared.uetr).record.settlement_amount.minor_units == 1000_00
    debt = payment_request(channel_id, "1000.00", charge_bearer=pay.CHARGE_BEARER_DEBT, fees_disclosed=disclosed)
    desk.initiate(debt)
    desk.report(debt.uetr, pay.PAYMENT_STATUS_ACCC, fees_charged=disclosed[1:])
    assert desk.payment(debt.uetr).record.credited_amount.minor_units == 1000_00


def test_a_rejection_in_the_open_cycle_gives_the_capacity_back(desk: Desk, channel_id: str) -> None:
    request = payment_request(channel_id, "4000.00")
    desk.initiate(request)
    rejected = desk.report(request.uetr, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    assert rejected.status == pay.PAYMENT_STATUS_RJCT and rejected.status_history[-1].reason_code == "AC04"
    a, b = desk.channel(channel_id).balances
    assert (a.balance, a.capacity, b.balance) == (10000_00, 12000_00, 10000_00)
    frozen = desk.net(channel_id)
    assert (frozen.cycle, frozen.status) == (1, pay.BATCH_STATUS_FROZEN)
    batch = desk.ask(
        A_TREASURY, lambda s, c: s.get_batch(c, pay.GetBatchRequest(channel_id=channel_id, cycle=1))
    ).record
    assert list(batch.payment_uetrs) == [] and batch.gross_a_to_b == 0


def test_after_cut_off_a_payment_is_returned_not_rejected(desk: Desk, channel_id: str) -> None:
    request = payment_request(channel_id, "1000.00")
    desk.initiate(request)
    desk.net(channel_id)
    with pytest.raises(RuleError, match="return the payment instead"):
        desk.report(request.uetr, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    back = pay.ReturnPaymentRequest(
        return_uetr=str(uuid.uuid4()),
        original_uetr=request.uetr,
        returned_amount=money("400.00"),
        reason_code="AC04",
        salt=bytes(32),
    )
    with pytest.raises(RuleError, match="only settled or credited"):
        desk.pay(B_TREASURY, lambda s, tx: s.return_payment(tx, back))
    desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC)
    returned = desk.pay(B_TREASURY, lambda s, tx: s.return_payment(tx, back)).payment
    assert (returned.kind, returned.return_of_uetr, returned.sender_bic) == (
        pay.PAYMENT_KIND_RETURN,
        request.uetr,
        BANK_B.bic,
    )
    original = desk.payment(request.uetr)
    assert original.payment.status == pay.PAYMENT_STATUS_ACCC and list(original.payment.return_uetrs) == [
        back.return_uetr
    ]
    assert original.record.returned_amount == 400_00
    again = pay.ReturnPaymentRequest()
    again.CopyFrom(back)
    again.return_uetr, again.returned_amount.minor_units = str(uuid.uuid4()), 600_01
    with pytest.raises(RuleError, match="exceeds what the creditor received"):
        desk.pay(B_TREASURY, lambda s, tx: s.return_payment(tx, again))


def test_clearance_against_private_limits(desk: Desk, channel_id: str) -> None:
    desk.comply(
        caller(BANK_A, "compliance"),
        lambda s, tx: s.set_limit_policy(tx, cp.SetLimitPolicyRequest(clearance_required=True)),
    )
    request = payment_request(channel_id, "300.00", limit_clearance_salt=b"c" * 32)
    refused(desk, request, "ERR_LIMIT_EXCEEDED", match="has not cleared")
    limit = cp.SetLimitRequest(scope=cp.LIMIT_SCOPE_COUNTRY, key="DE", max=money("500.00"), salt=bytes(32))
    desk.comply(caller(BANK_A, "compliance"), lambda s, tx: s.set_limit(tx, limit))
    reserve = reservation_for(request, b"c" * 32)
    desk.comply(A_TREASURY, lambda s, tx: s.reserve_limits(tx, reserve))
    tampered = pay.InitiatePaymentRequest()
    tampered.CopyFrom(request)
    tampered.instructed_amount.minor_units = 400_00
    refused(desk, tampered, "ERR_LIMIT_EXCEEDED", match="does not match")
    assert desk.initiate(request).status == pay.PAYMENT_STATUS_ACSP
    second = payment_request(channel_id, "300.00", limit_clearance_salt=b"d" * 32)
    reserve.reservation_id, reserve.clearance_salt = second.uetr, b"d" * 32
    with pytest.raises(RuleError, match="COUNTRY limit"):
        desk.comply(A_TREASURY, lambda s, tx: s.reserve_limits(tx, reserve))


def returning(
    desk: Desk, payment: pay.InitiatePaymentRequest, amount: str, return_uetr: str | None = None
) -> pay.ReturnPaymentRequest:
    """Bank B returns ``amount`` of the payment (the request, answered)."""
    back = pay.ReturnPaymentRequest(
        return_uetr=return_uetr or str(uuid.uuid4()),
        original_uetr=payment.uetr,
        returned_amount=money(amount),
        reason_code="AC04",
        salt=bytes(32),
    )
    desk.pay(B_TREASURY, lambda s, tx: s.return_payment(tx, back))
    return back


def reservation_for(request: pay.InitiatePaymentRequest, salt: bytes) -> cp.ReserveLimitsRequest:
    """The limit reservation bank A's treasury makes for ``request`` (to bank B, in DE) before sending it."""
    return cp.ReserveLimitsRequest(
        reservation_id=request.uetr,
        amount=request.instructed_amount,
        counterparty_bic=BANK_B.bic,
        country="DE",
        customer_ref=request.debtor.kyc_ref,
        product="PAYMENT",
        clearance_salt=salt,
    )


def reserving(
    request: cp.ReserveLimitsRequest,
) -> Callable[[ComplianceService, Transaction], Awaitable[cp.LimitResponse]]:
    """Reserve limits for a payment (bound now: safe to build inside a loop)."""
    return lambda service, tx: service.reserve_limits(tx, request)


def releasing(uetr: str) -> Callable[[ComplianceService, Transaction], Awaitable[cp.LimitResponse]]:
    """ReleaseLimits for a payment's reservation, as the compliance contract runs it."""
    return lambda service, tx: _release_limits(service, tx, cp.ReleaseLimitsRequest(reservation_id=uetr))


def test_a_partial_return_keeps_the_limit_reservation(desk: Desk, channel_id: str) -> None:
    compliance = caller(BANK_A, "compliance")
    desk.comply(compliance, lambda s, tx: s.set_limit_policy(tx, cp.SetLimitPolicyRequest(clearance_required=True)))
    limit = cp.SetLimitRequest(
        scope=cp.LIMIT_SCOPE_COUNTERPARTY_BANK, key=BANK_B.bic, max=money("1000.00"), salt=bytes(32)
    )
    desk.comply(compliance, lambda s, tx: s.set_limit(tx, limit))
    request = payment_request(channel_id, "1000.00", limit_clearance_salt=b"c" * 32)
    reserve = reservation_for(request, b"c" * 32)
    desk.comply(A_TREASURY, lambda s, tx: s.reserve_limits(tx, reserve))
    desk.initiate(request)
    desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC)
    returning(desk, request, "0.01")
    before = dict(desk.ledger.state)
    with pytest.raises(RuleError, match="stands") as error:
        desk.comply(A_TREASURY, releasing(request.uetr))  # 999.99 of the 1000.00 still stand
    assert error.value.code_name == "ERR_INVALID_STATE"
    assert desk.ledger.state == before
    returning(desk, request, "999.99")
    desk.comply(A_TREASURY, releasing(request.uetr))  # returned in full
    utilised = desk.ledger.value(limit_key(cp.LIMIT_SCOPE_COUNTERPARTY_BANK, BANK_B.bic), "_implicit_org_Bank1MSP")
    assert cp.Limit.FromString(utilised or b"").utilised == 0
    rejected = payment_request(channel_id, "1000.00", limit_clearance_salt=b"d" * 32)
    reserve.reservation_id, reserve.clearance_salt = rejected.uetr, b"d" * 32
    desk.comply(A_TREASURY, lambda s, tx: s.reserve_limits(tx, reserve))
    desk.initiate(rejected)
    desk.report(rejected.uetr, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    desk.comply(A_TREASURY, releasing(rejected.uetr))


def test_charges_reported_after_a_return_never_leave_less_credited_than_returned(desk: Desk, channel_id: str) -> None:
    fee = pay.Fee(agent_bic=BANK_B.bic, amount=money("50.00"), kind="COMM")
    request = payment_request(channel_id, "1000.00", fees_disclosed=[fee])
    desk.initiate(request)
    desk.report(request.uetr, pay.PAYMENT_STATUS_ACSC)  # settled at the agent: 1000.00 with no charges stated
    returning(desk, request, "1000.00")
    before = dict(desk.ledger.state)
    with pytest.raises(RuleError, match="less credited than was already returned") as error:
        desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC, fees_charged=[fee])
    assert error.value.code_name == "ERR_INVALID_STATE"
    assert desk.ledger.state == before
    desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC)
    record = desk.payment(request.uetr).record
    assert (record.credited_amount.minor_units, record.returned_amount) == (1000_00, 1000_00)
    partly = payment_request(channel_id, "1000.00", fees_disclosed=[fee])
    desk.initiate(partly)
    desk.report(partly.uetr, pay.PAYMENT_STATUS_ACSC)
    returning(desk, partly, "950.00")
    desk.report(partly.uetr, pay.PAYMENT_STATUS_ACCC, fees_charged=[fee])  # 950.00 credited, 950.00 returned
    assert desk.payment(partly.uetr).record.credited_amount.minor_units == 950_00


def test_a_replayed_full_return_is_answered_with_the_stored_return(desk: Desk, channel_id: str) -> None:
    request = payment_request(channel_id, "1000.00")
    desk.initiate(request)
    desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC)
    back = returning(desk, request, "1000.00")
    stored = desk.payment(back.return_uetr).payment
    before = dict(desk.ledger.state)
    replay = pay.ReturnPaymentRequest()
    replay.CopyFrom(back)
    replay.slot_hint, replay.salt = 2, b"\x01" * 32  # a retry may pick another slot and salt: the same return
    assert desk.pay(B_TREASURY, lambda s, tx: s.return_payment(tx, replay)).payment == stored
    assert desk.ledger.state == before
    other = pay.ReturnPaymentRequest()
    other.CopyFrom(back)
    other.returned_amount.minor_units = 999_99
    with pytest.raises(RuleError) as error:
        desk.pay(B_TREASURY, lambda s, tx: s.return_payment(tx, other))
    assert error.value.code_name == "ERR_DUPLICATE"
    with pytest.raises(RuleError) as error:
        desk.pay(A_TREASURY, lambda s, tx: s.return_payment(tx, replay))  # only the creditor agent returns
    assert error.value.code_name == "ERR_UNAUTHORIZED"


def test_a_uetr_used_on_another_banks_channel_is_a_duplicate(desk: Desk) -> None:
    # the third bank is a member of the consortium's governance here: it vouches for its customer
    members = governance_config(member_msp_ids=[BANK_A.msp_id, BANK_B.msp_id, OUTSIDER.msp_id])
    channel_id = desk.ready(members, deposit_a="10000.00", deposit_b="10000.00", credit_a="2000.00")
    desk.vouch(OUTSIDER, CREDITOR)
    propose = pay.ProposeChannelRequest(
        proposer=BANK_A, counterparty=OUTSIDER, currency="EUR", capacity_slots=4, salt=bytes(32)
    )
    desk.pay(A_TREASURY, lambda s, tx: s.propose_channel(tx, propose))
    other_channel = channel_id_of(BANK_A.bic, OUTSIDER.bic, "EUR")
    accept = pay.AcceptChannelRequest(channel_id=other_channel)
    desk.pay(caller(OUTSIDER, "treasury"), lambda s, tx: s.accept_channel(tx, accept))
    desk.deposit(other_channel, BANK_A, OUTSIDER, money("5000.00"))
    elsewhere = payment_request(other_channel, "100.00")  # its record is in the A-C collection
    desk.initiate(elsewhere)
    before = dict(desk.ledger.state)
    error = refused(desk, payment_request(channel_id, "100.00", uetr=elsewhere.uetr), "ERR_DUPLICATE")
    assert error.field == "uetr"
    assert desk.ledger.state == before
    request = payment_request(channel_id, "100.00")
    desk.initiate(request)
    desk.report(request.uetr, pay.PAYMENT_STATUS_ACCC)
    before = dict(desk.ledger.state)
    with pytest.raises(RuleError) as raised:
        returning(desk, request, "100.00", return_uetr=elsewhere.uetr)
    assert (raised.value.code_name, raised.value.field) == ("ERR_DUPLICATE", "return_uetr")
    assert desk.ledger.state == before


#: The message of each kind of private record (a kind missing here fails the test: classify it).
PRIVATE_RECORDS: dict[str, type[Message]] = {
    "tradefin.pay.position": pay.ChannelPosition,
    "tradefin.pay.slot": pay.CapacitySlot,
    "tradefin.pay.tally": pay.CycleTally,
    "tradefin.pay.batch.record": pay.NettingBatch,
    "tradefin.pay.deposit": pay.Deposit,
    "tradefin.pay.payment.record": pay.PaymentRecord,
    "tradefin.pay.e2e": pay.EndToEndReference,
    "tradefin.pay.quote.record": pay.FxQuote,
    "tradefin.compliance.limit": cp.Limit,
    "tradefin.compliance.reservation": cp.LimitReservation,
    "tradefin.compliance.clearance": cp.LimitClearance,
    "tradefin.compliance.financing-details": cp.FinancingDetails,
}


def test_every_private_record_is_salted(desk: Desk, channel_id: str) -> None:
    """DOMAIN.md 4.7: a random salt in every private record, so its public hash cannot be guessed."""
    desk.comply(
        caller(BANK_A, "compliance"),
        lambda s, tx: s.set_limit(
            tx, cp.SetLimitRequest(scope=cp.LIMIT_SCOPE_COUNTRY, key="DE", max=money("5000.00"), salt=b"l" * 32)
        ),
    )
    for amount in ("100.00", "200.00"):
        request = payment_request(channel_id, amount)
        reserve = cp.ReserveLimitsRequest(
            reservation_id=request.uetr,
            amount=request.instructed_amount,
            country="DE",
            product="PAYMENT",
            clearance_salt=b"c" * 32,
        )
        desk.comply(A_TREASURY, reserving(reserve))
        desk.initiate(request)
    desk.report(request.uetr, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    desk.comply(A_TREASURY, releasing(request.uetr))  # a released reservation and a voided clearance
    desk.net(channel_id)
    private = [(key, value) for (collection, key), value in desk.ledger.state.items() if collection]
    assert {key.object_type for key, _ in private} >= {
        "tradefin.pay.batch.record",
        "tradefin.compliance.reservation",
        "tradefin.compliance.clearance",
    }
    for key, value in private:
        record = PRIVATE_RECORDS[key.object_type].FromString(value)
        assert len(getattr(record, "salt")) == 32, key  # noqa: B009
