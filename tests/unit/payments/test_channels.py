"""Payment channels: opened by both banks, deposits confirmed by the other bank, suspend and resume,
cut-off, netting batches, settlement by payment reference, and close only when nothing is unsettled."""

from __future__ import annotations

import datetime
import uuid

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.payments.records import channel_key, position_key
from tradefin.protos import payments_pb2 as pay

from .support import BANK_A, BANK_B, OUTSIDER, Desk, caller, money, payment_request, reverse_request

A_TREASURY, B_TREASURY = caller(BANK_A, "treasury"), caller(BANK_B, "treasury")


def code_of(error: pytest.ExceptionInfo[RuleError]) -> str:
    return error.value.code_name


def test_a_channel_opens_only_when_the_other_bank_accepts() -> None:
    desk = Desk()
    desk.adopt()
    request = pay.ProposeChannelRequest(
        proposer=BANK_A,
        counterparty=BANK_B,
        currency="EUR",
        capacity_slots=8,
        salt=bytes(32),
        counterparty_credit_limit=money("5000.00"),
    )
    proposed = desk.pay(A_TREASURY, lambda s, tx: s.propose_channel(tx, request)).channel
    assert proposed.state == pay.PAYMENT_CHANNEL_STATE_PROPOSED
    assert proposed.collection == "pay-Bank1MSP-Bank2MSP"
    accept = pay.AcceptChannelRequest(channel_id=proposed.channel_id)
    with pytest.raises(RuleError) as error:
        desk.pay(A_TREASURY, lambda s, tx: s.accept_channel(tx, accept))
    assert code_of(error) == "ERR_UNAUTHORIZED"
    opened = desk.pay(B_TREASURY, lambda s, tx: s.accept_channel(tx, accept)).channel
    assert opened.state == pay.PAYMENT_CHANNEL_STATE_OPEN and opened.open_cycle == 1
    assert desk.ledger.policies[("", channel_key(opened.channel_id))] == ("Bank1MSP", "Bank2MSP")
    position = pay.ChannelPosition.FromString(
        desk.ledger.value(position_key(opened.channel_id), opened.collection) or b""
    )
    assert position.credit_limit_b == 5000_00 and sum(position.granted_b) == 5000_00 and len(position.granted_b) == 8
    with pytest.raises(RuleError) as error:
        desk.pay(A_TREASURY, lambda s, tx: s.propose_channel(tx, request))
    assert code_of(error) == "ERR_DUPLICATE"


@pytest.mark.parametrize(
    ("who", "code"),
    [(caller(OUTSIDER, "treasury"), "ERR_UNAUTHORIZED"), (caller(BANK_A, "issuer"), "ERR_UNAUTHORIZED")],
)
def test_only_the_proposers_treasury_proposes(who: object, code: str) -> None:
    request = pay.ProposeChannelRequest(proposer=BANK_A, counterparty=BANK_B, currency="EUR", salt=bytes(32))
    with pytest.raises(RuleError) as error:
        Desk().pay(who, lambda s, tx: s.propose_channel(tx, request))  # type: ignore[arg-type]
    assert code_of(error) == code


def test_a_deposit_counts_once_the_other_bank_confirms_its_funding() -> None:
    desk = Desk()
    channel_id = desk.ready()
    deposit_id = str(uuid.uuid4())
    record = pay.RecordDepositRequest(
        channel_id=channel_id, deposit_id=deposit_id, amount=money("7000.00"), funding_uetr=str(uuid.uuid4())
    )
    desk.pay(A_TREASURY, lambda s, tx: s.record_deposit(tx, record))
    assert desk.channel(channel_id).balances[0].capacity == 0
    confirm = pay.ConfirmDepositRequest(channel_id=channel_id, deposit_id=deposit_id)
    with pytest.raises(RuleError) as error:
        desk.pay(A_TREASURY, lambda s, tx: s.confirm_deposit(tx, confirm))
    assert code_of(error) == "ERR_UNAUTHORIZED"
    desk.pay(B_TREASURY, lambda s, tx: s.confirm_deposit(tx, confirm))
    mine = desk.channel(channel_id).balances[0]
    assert (mine.deposit, mine.balance, mine.capacity) == (7000_00, 7000_00, 7000_00)
    with pytest.raises(RuleError, match="already confirmed"):
        desk.pay(B_TREASURY, lambda s, tx: s.confirm_deposit(tx, confirm))


@pytest.mark.parametrize(
    ("deposit_id", "code"),
    [
        ("5f0b8c8e-3d3e-4f0a-9a51-1f4c2b7d9e10", "ERR_NOT_FOUND"),  # well formed, no such deposit
        ("5f0b8c8e-3d3e-4f0a-9a51-1f4c2b7d9e10\n", "ERR_INVALID_INPUT"),
        ("not-a-uuid", "ERR_INVALID_INPUT"),
        ("", "ERR_INVALID_INPUT"),
    ],
)
def test_confirming_a_deposit_the_channel_does_not_have_is_not_found(deposit_id: str, code: str) -> None:
    """ConfirmDeposit answered ERR_INVALID_INPUT 'deposit_id' for a well-formed id of no deposit (a
    missing record is ERR_NOT_FOUND, as for the channel, a payment or a batch); a malformed id stays
    ERR_INVALID_INPUT."""
    desk = Desk()
    channel_id = desk.ready()
    before = dict(desk.ledger.state)
    confirm = pay.ConfirmDepositRequest(channel_id=channel_id, deposit_id=deposit_id)
    with pytest.raises(RuleError) as error:
        desk.pay(B_TREASURY, lambda s, tx: s.confirm_deposit(tx, confirm))
    assert (code_of(error), error.value.field) == (code, "deposit_id")
    assert desk.ledger.state == before


def test_one_funding_pacs009_funds_one_deposit() -> None:
    desk = Desk()
    channel_id = desk.ready()
    usd = desk.open_channel("USD")
    funding = str(uuid.uuid4())

    def record(deposit_id: str, channel: str = channel_id) -> pay.ChannelResponse:
        request = pay.RecordDepositRequest(
            channel_id=channel,
            deposit_id=deposit_id,
            amount=money("5000.00", channel[-3:]),
            funding_uetr=funding,
        )
        return desk.pay(A_TREASURY, lambda s, tx: s.record_deposit(tx, request))

    def confirm(deposit_id: str) -> pay.ChannelResponse:
        request = pay.ConfirmDepositRequest(channel_id=channel_id, deposit_id=deposit_id)
        return desk.pay(B_TREASURY, lambda s, tx: s.confirm_deposit(tx, request))

    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    record(first)
    record(second)  # both pending: only one of them can count the funding
    confirm(first)
    before = dict(desk.ledger.state)
    with pytest.raises(RuleError, match="already funded a deposit") as error:
        confirm(second)
    assert code_of(error) == "ERR_DUPLICATE"
    for channel in (channel_id, usd):  # a UETR is unique: not on another channel either
        with pytest.raises(RuleError, match="already funded a deposit") as error:
            record(str(uuid.uuid4()), channel)
        assert code_of(error) == "ERR_DUPLICATE"
    assert desk.ledger.state == before
    assert record(first).channel.channel_id == channel_id  # a replay of the recorded deposit is still answered
    assert desk.channel(channel_id).balances[0].deposit == 5000_00


def test_suspension_stops_payments_until_the_suspending_bank_resumes() -> None:
    desk = Desk()
    channel_id = desk.ready(deposit_a="5000.00")
    suspend = pay.SuspendChannelRequest(channel_id=channel_id)
    desk.pay(caller(BANK_B, "compliance"), lambda s, tx: s.suspend_channel(tx, suspend))
    with pytest.raises(RuleError, match="SUSPENDED"):
        desk.initiate(payment_request(channel_id))
    resume = pay.ResumeChannelRequest(channel_id=channel_id)
    with pytest.raises(RuleError) as error:
        desk.pay(A_TREASURY, lambda s, tx: s.resume_channel(tx, resume))
    assert code_of(error) == "ERR_UNAUTHORIZED"
    desk.pay(B_TREASURY, lambda s, tx: s.resume_channel(tx, resume))
    assert desk.initiate(payment_request(channel_id)).status == pay.PAYMENT_STATUS_ACSP


def test_netting_freezes_gross_totals_and_settlement_resets_positions() -> None:
    desk = Desk()
    channel_id = desk.ready(deposit_a="10000.00", deposit_b="10000.00")
    desk.initiate(payment_request(channel_id, "3000.00"))
    desk.initiate(payment_request(channel_id, "500.00"))
    desk.initiate(reverse_request(channel_id, "1200.00"), who=B_TREASURY)
    batch = desk.net(channel_id)
    record = desk.ask(
        A_TREASURY, lambda s, c: s.get_batch(c, pay.GetBatchRequest(channel_id=channel_id, cycle=1))
    ).record
    assert (record.gross_a_to_b, record.gross_b_to_a, record.net_amount) == (3500_00, 1200_00, 2300_00)
    assert record.net_debtor_bic == BANK_A.bic and len(record.payment_uetrs) == 3
    assert batch.status == pay.BATCH_STATUS_FROZEN and len(batch.batch_hash) == 64
    a, b = desk.channel(channel_id).balances
    assert (a.balance, b.balance, a.netted, b.netted) == (7700_00, 12300_00, -2300_00, 2300_00)
    assert (a.capacity, b.capacity) == (6500_00, 8800_00)
    with pytest.raises(RuleError) as error:  # the net debtor cannot confirm its own payment arrived
        desk.settle(channel_id, 1, A_TREASURY)
    assert code_of(error) == "ERR_UNAUTHORIZED"
    reference = str(uuid.uuid4())
    settled = desk.settle(channel_id, 1, B_TREASURY, reference)
    assert settled.status == pay.BATCH_STATUS_SETTLED and settled.settlement_uetr == reference
    a, b = desk.channel(channel_id).balances
    assert (a.balance, b.balance, a.capacity, b.capacity) == (10000_00, 10000_00, 10000_00, 10000_00)
    with pytest.raises(RuleError, match="already settled") as error:
        desk.settle(channel_id, 1, B_TREASURY)
    assert code_of(error) == "ERR_INVALID_STATE"


def test_batches_settle_in_order_and_a_reference_settles_one_batch() -> None:
    desk = Desk()
    channel_id = desk.ready(deposit_a="10000.00")
    desk.initiate(payment_request(channel_id, "100.00"))
    desk.net(channel_id)
    desk.initiate(payment_request(channel_id, "100.00"))
    desk.net(channel_id)
    with pytest.raises(RuleError, match="batch 1 settles first"):
        desk.settle(channel_id, 2, B_TREASURY)
    reference = str(uuid.uuid4())
    desk.settle(channel_id, 1, B_TREASURY, reference)
    with pytest.raises(RuleError) as error:
        desk.settle(channel_id, 2, B_TREASURY, reference)
    assert code_of(error) == "ERR_DUPLICATE"


@pytest.mark.parametrize("cycle", [0, 2, 3, 2**64 - 1])
def test_settling_a_batch_the_channel_does_not_have_is_not_found_as_reading_it_is(cycle: int) -> None:
    """SettleBatch answered ERR_INVALID_INPUT 'cycle' for a batch that does not exist (never frozen,
    cycle 0 or one far ahead), while GetBatch answered ERR_NOT_FOUND for the same batch."""
    desk = Desk()
    channel_id = desk.ready(deposit_a="1000.00")
    desk.initiate(payment_request(channel_id, "100.00"))
    desk.net(channel_id)  # batch 1 exists; cycle 2 is open, not frozen
    before = dict(desk.ledger.state)
    with pytest.raises(RuleError) as settling:
        desk.settle(channel_id, cycle, B_TREASURY)
    read = pay.GetBatchRequest(channel_id=channel_id, cycle=cycle)
    with pytest.raises(RuleError) as reading:
        desk.ask(A_TREASURY, lambda s, c: s.get_batch(c, read))
    assert (settling.value.code_name, settling.value.field) == ("ERR_NOT_FOUND", "cycle")
    assert (settling.value.code_name, settling.value.field) == (reading.value.code_name, reading.value.field)
    assert desk.ledger.state == before
    assert desk.settle(channel_id, 1, B_TREASURY).status == pay.BATCH_STATUS_SETTLED


def test_a_cycle_is_frozen_before_the_next_cut_off() -> None:
    desk = Desk()
    channel_id = desk.ready(deposit_a="1000.00")
    desk.pay(A_TREASURY, lambda s, tx: s.cut_off(tx, pay.CutOffRequest(channel_id=channel_id)))
    with pytest.raises(RuleError, match="freeze cycle 1 first"):
        desk.pay(A_TREASURY, lambda s, tx: s.cut_off(tx, pay.CutOffRequest(channel_id=channel_id)))
    with pytest.raises(RuleError, match="next batch to freeze is cycle 1"):
        desk.pay(A_TREASURY, lambda s, tx: s.freeze_batch(tx, pay.FreezeBatchRequest(channel_id=channel_id, cycle=2)))
    desk.pay(A_TREASURY, lambda s, tx: s.freeze_batch(tx, pay.FreezeBatchRequest(channel_id=channel_id, cycle=1)))
    with pytest.raises(RuleError, match="not cut off yet"):
        desk.pay(A_TREASURY, lambda s, tx: s.freeze_batch(tx, pay.FreezeBatchRequest(channel_id=channel_id, cycle=2)))


@pytest.mark.timeout(30)  # stepping one cycle at a time took minutes here (the peer gives up after 30 s)
def test_a_cut_off_after_a_long_quiet_spell_schedules_the_next_one_at_once() -> None:
    """The next cut-off is the first cycle boundary after the cut-off, computed, not stepped to one
    cycle at a time (a one-second cycle quiet for a century is ~3 * 10^9 steps)."""
    desk = Desk()
    channel_id = desk.ready(deposit_a="1000.00", cycle_seconds=1)
    scheduled = desk.channel(channel_id).channel.cutoff_at.ToDatetime(datetime.UTC)
    late = scheduled + datetime.timedelta(days=36500, seconds=7, microseconds=250_000)
    desk.pay(A_TREASURY, lambda s, tx: s.cut_off(tx, pay.CutOffRequest(channel_id=channel_id)), at=late)
    stub = desk.channel(channel_id).channel
    assert stub.open_cycle == 2
    assert stub.cutoff_at.ToDatetime(datetime.UTC) == scheduled + datetime.timedelta(days=36500, seconds=8)
    desk.pay(A_TREASURY, lambda s, tx: s.freeze_batch(tx, pay.FreezeBatchRequest(channel_id=channel_id, cycle=1)))
    on_the_boundary = scheduled + datetime.timedelta(days=36500, seconds=8)
    desk.pay(A_TREASURY, lambda s, tx: s.cut_off(tx, pay.CutOffRequest(channel_id=channel_id)), at=on_the_boundary)
    assert desk.channel(channel_id).channel.cutoff_at.ToDatetime(datetime.UTC) == on_the_boundary + datetime.timedelta(
        seconds=1
    )


def test_close_only_when_nothing_is_unsettled() -> None:
    desk = Desk()
    channel_id = desk.ready(deposit_a="1000.00")
    close = pay.CloseChannelRequest(channel_id=channel_id)
    desk.initiate(payment_request(channel_id, "10.00"))
    with pytest.raises(RuleError, match="not netted yet") as error:
        desk.pay(A_TREASURY, lambda s, tx: s.close_channel(tx, close))
    assert code_of(error) == "ERR_INVALID_STATE"
    desk.net(channel_id)
    with pytest.raises(RuleError, match="batch 1 is not settled") as error:
        desk.pay(A_TREASURY, lambda s, tx: s.close_channel(tx, close))
    assert code_of(error) == "ERR_INVALID_STATE"
    desk.settle(channel_id, 1, B_TREASURY)
    desk.pay(A_TREASURY, lambda s, tx: s.wind_down_channel(tx, pay.WindDownChannelRequest(channel_id=channel_id)))
    with pytest.raises(RuleError, match="CLOSING"):
        desk.initiate(payment_request(channel_id, "10.00"))
    closed = desk.pay(A_TREASURY, lambda s, tx: s.close_channel(tx, close)).channel
    assert closed.state == pay.PAYMENT_CHANNEL_STATE_CLOSED
    with pytest.raises(RuleError, match="CLOSED"):
        desk.pay(A_TREASURY, lambda s, tx: s.close_channel(tx, close))


@pytest.mark.parametrize("who", ["proposer", "other bank"])
def test_a_proposal_is_withdrawn_or_declined_by_closing_it(who: str) -> None:
    desk = Desk()
    desk.adopt()
    request = pay.ProposeChannelRequest(
        proposer=BANK_A, counterparty=BANK_B, currency="EUR", capacity_slots=4, salt=bytes(32)
    )
    channel_id = desk.pay(A_TREASURY, lambda s, tx: s.propose_channel(tx, request)).channel.channel_id
    close = pay.CloseChannelRequest(channel_id=channel_id)
    with pytest.raises(RuleError) as error:  # a bank not party to it cannot
        desk.pay(caller(OUTSIDER, "treasury"), lambda s, tx: s.close_channel(tx, close))
    assert code_of(error) == "ERR_UNAUTHORIZED"
    closer = A_TREASURY if who == "proposer" else B_TREASURY
    closed = desk.pay(closer, lambda s, tx: s.close_channel(tx, close)).channel
    assert closed.state == pay.PAYMENT_CHANNEL_STATE_CLOSED and closed.open_cycle == 0  # it never opened
    accept = pay.AcceptChannelRequest(channel_id=channel_id)
    with pytest.raises(RuleError, match="CLOSED") as error:
        desk.pay(B_TREASURY, lambda s, tx: s.accept_channel(tx, accept))
    assert code_of(error) == "ERR_INVALID_STATE"
