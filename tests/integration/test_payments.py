"""Payment channels, cross-border payments and netting on the real network, through the typed client.

Every invariant of DOMAIN.md 3.4 is exercised against Fabric's peers and orderer: the channel opened by
both banks, capacity never beyond the credit line, value conserved through netting and settlement,
the UETR as idempotency key (also when replayed concurrently), a balance spent twice concurrently,
monotonic status, quotes (expired, reused), fees above the disclosure, per-payment caps, dual control,
private limits cleared by hash, rejection and returns, close with an unsettled batch.
"""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.integration.test_lc import aio_gateway
from tradefin.gateway import CommitError, EvaluateError
from tradefin.gateway.tradefin import (
    Compliance,
    DuplicateError,
    InsufficientFundsError,
    InvalidInputError,
    InvalidStateError,
    LimitExceededError,
    NotFoundError,
    Payments,
    QuoteExpiredError,
    Session,
    UnauthorizedError,
    aio,
    money,
)
from tradefin.gateway.tradefin.compliance import pilot_configuration
from tradefin.gateway.tradefin.payments import ChannelView
from tradefin.gateway.tradefin.payments import channel_id as channel_of
from tradefin.network.network import FabricNetwork
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import payments_pb2 as pay

CHANNEL = "asia-europe"


@dataclass
class Desks:
    """Typed clients of the network's banks on one consortium channel, sharing a session (each bank
    reads the others' writes)."""

    net: FabricNetwork
    channel: str = CHANNEL
    session: Session = field(default_factory=Session)
    _gateways: list[Any] = field(default_factory=list)
    _payments: dict[tuple[str, str], Payments] = field(default_factory=dict)
    _compliance: dict[tuple[str, str], Compliance] = field(default_factory=dict)

    def bank(self, name: str) -> common_pb2.BankRef:
        return self.net.spec.bank(name).bank_ref()

    def payments(self, bank: str, user: str = "treasury") -> Payments:
        if (bank, user) not in self._payments:
            gateway = self.net.gateway(self.net.spec.bank(bank), user=user)
            self._gateways.append(gateway)
            self._payments[(bank, user)] = Payments(gateway, self.channel, session=self.session)
        return self._payments[(bank, user)]

    def compliance(self, bank: str, user: str = "compliance") -> Compliance:
        if (bank, user) not in self._compliance:
            gateway = self.net.gateway(self.net.spec.bank(bank), user=user)
            self._gateways.append(gateway)
            self._compliance[(bank, user)] = Compliance(gateway, self.channel, session=self.session)
        return self._compliance[(bank, user)]

    def sync(self) -> None:
        """Wait until every bank's peer has committed the session's latest transaction: an endorser of
        the next transaction that lags behind would refuse it for a reason of its own."""
        for bank in {name for name, _ in self._payments} | {name for name, _ in self._compliance}:
            msp_id = self.bank(bank).msp_id
            pending = self.session.pending(msp_id, self.channel)
            if pending is not None:
                self.payments(bank).wait_for_commit(pending)
                self.session.seen(pending, msp_id, self.channel)

    def close(self) -> None:
        for gateway in self._gateways:
            gateway.close()


@contextmanager
def refused(desks: Desks, error: type[BaseException]) -> Iterator[pytest.ExceptionInfo[BaseException]]:
    """Expect a refusal, once every endorser has what the session wrote (so the refusal is the rules')."""
    desks.sync()
    with pytest.raises(error) as info:
        yield info


def ensure_pilot(desks: Desks, banks: list[str]) -> cp.ComplianceGovernance:
    """The pilot's compliance configuration in force on the channel (adopted once per network)."""
    current = desks.compliance(banks[0]).get_governance()
    if current.HasField("governance"):
        return current.governance
    msp_ids = [desks.bank(bank).msp_id for bank in banks]
    directory = [desks.bank(bank) for bank in banks]  # the consortium directory: each bank's BIC
    desks.compliance(banks[0]).propose_governance(pilot_configuration(msp_ids, directory=directory))
    for bank in banks[1:]:
        desks.compliance(bank).approve_governance(1)
    return desks.compliance(banks[0]).get_governance().governance


@dataclass(frozen=True)
class Customers:
    """A debtor at bank1 and a creditor at bank2 (and the same firms seen from the other bank)."""

    debtor: common_pb2.PartyRef
    creditor: common_pb2.PartyRef
    debtor_at_bank2: common_pb2.PartyRef
    creditor_at_bank1: common_pb2.PartyRef


def customers(desks: Desks, first: str = "bank1", second: str = "bank2") -> Customers:
    """Fresh customers, vouched for by their banks (KYC VERIFIED, CLEAR on every list)."""
    tag = uuid.uuid4().hex[:8].upper()
    people = Customers(
        common_pb2.PartyRef(name="KOWLOON IMPORTS LTD", country="HK", kyc_ref=f"KYC-HK-{tag}"),
        common_pb2.PartyRef(name="BERLIN MACHINES GMBH", country="DE", kyc_ref=f"KYC-DE-{tag}"),
        common_pb2.PartyRef(name="BERLIN MACHINES GMBH", country="DE", kyc_ref=f"KYC-DE2-{tag}"),
        common_pb2.PartyRef(name="KOWLOON IMPORTS LTD", country="HK", kyc_ref=f"KYC-HK2-{tag}"),
    )
    desks.compliance(first).vouch(people.debtor.kyc_ref)
    desks.compliance(second).vouch(people.creditor.kyc_ref)
    desks.compliance(second).vouch(people.debtor_at_bank2.kyc_ref)
    desks.compliance(first).vouch(people.creditor_at_bank1.kyc_ref)
    return people


DEBTOR_ACCOUNT = common_pb2.AccountRef(other="HK-0042-778899")
CREDITOR_ACCOUNT = common_pb2.AccountRef(iban="DE89370400440532013000")


def parties(people: Customers, *, reverse: bool = False) -> dict[str, Any]:
    """The keyword arguments naming a payment's parties (bank1 to bank2, or back)."""
    if reverse:
        return {
            "debtor": people.debtor_at_bank2,
            "debtor_account": CREDITOR_ACCOUNT,
            "creditor": people.creditor_at_bank1,
            "creditor_account": DEBTOR_ACCOUNT,
        }
    return {
        "debtor": people.debtor,
        "debtor_account": DEBTOR_ACCOUNT,
        "creditor": people.creditor,
        "creditor_account": CREDITOR_ACCOUNT,
    }


def open_channel(
    desks: Desks,
    currency: str,
    *,
    first: str = "bank1",
    second: str = "bank2",
    deposit_first: str = "0",
    deposit_second: str = "0",
    credit_first: str | None = None,
    slots: int = 8,
    cycle_seconds: int = 86_400,
) -> str:
    """``first`` proposes, ``second`` accepts; deposits are recorded and confirmed."""
    proposed = (
        desks.payments(first)
        .propose_channel(
            desks.bank(first),
            desks.bank(second),
            currency,
            proposer_credit_limit=money(currency, credit_first) if credit_first else None,
            capacity_slots=slots,
            cycle_seconds=cycle_seconds,
        )
        .record
    )
    desks.payments(second).accept_channel(proposed.channel_id)
    for depositor, confirmer, amount in ((first, second, deposit_first), (second, first, deposit_second)):
        if amount != "0":
            deposit = (
                desks.payments(depositor)
                .record_deposit(proposed.channel_id, money(currency, amount), str(uuid.uuid4()))
                .record
            )
            desks.payments(confirmer).confirm_deposit(proposed.channel_id, deposit)
    return proposed.channel_id


def assert_conserved(view: ChannelView) -> None:
    """INV-PAY-01 and INV-PAY-02 on the channel as the ledger has it."""
    assert view.position is not None
    a, b = view.balances
    assert a.balance + b.balance == view.position.deposit_a + view.position.deposit_b
    assert view.position.netted_a + view.position.netted_b == 0
    for side in (a, b):
        assert side.balance >= -side.credit_limit
        assert 0 <= side.capacity <= side.balance + side.credit_limit


@pytest.fixture(scope="module")
def desks(fabric_network: FabricNetwork) -> Iterator[Desks]:
    opened = Desks(fabric_network)
    ensure_pilot(opened, ["bank1", "bank2"])
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def people(desks: Desks) -> Customers:
    return customers(desks)


def test_a_channel_opens_with_both_banks_and_moves_payments_at_once(desks: Desks, people: Customers) -> None:
    bank1, bank2 = desks.payments("bank1"), desks.payments("bank2")
    proposed = bank1.propose_channel(desks.bank("bank1"), desks.bank("bank2"), "HKD", capacity_slots=8).record
    assert proposed.state == pay.PAYMENT_CHANNEL_STATE_PROPOSED
    with refused(desks, InvalidStateError):
        bank1.pay(proposed.channel_id, money("HKD", "1.00"), **parties(people))
    with refused(desks, UnauthorizedError):
        bank1.accept_channel(proposed.channel_id)  # the proposer cannot accept for the other bank
    assert bank2.accept_channel(proposed.channel_id).record.state == pay.PAYMENT_CHANNEL_STATE_OPEN
    deposit = bank1.record_deposit(proposed.channel_id, money("HKD", "50000.00"), str(uuid.uuid4())).record
    assert bank1.get_channel(proposed.channel_id).balance_of("ASTBHKHH").deposit == 0  # pending until confirmed
    with refused(desks, UnauthorizedError):
        bank1.confirm_deposit(proposed.channel_id, deposit)
    bank2.confirm_deposit(proposed.channel_id, deposit)

    paid = bank1.pay(proposed.channel_id, money("HKD", "1250.00"), **parties(people))
    assert (paid.record.status, paid.record.cycle) == (pay.PAYMENT_STATUS_ACSP, 1)
    other = desks.net.gateway(desks.net.spec.bank("bank3"), user="auditor")
    try:
        outsider = Payments(other, CHANNEL)  # bank3 is not on the consortium channel of this payment
        with refused(desks, EvaluateError) as outside:
            outsider.get_payment(paid.record.uetr)
        assert CHANNEL in str(outside.value)  # its peer refuses the channel; the payment stays unread
    finally:
        other.close()
    bank2.report_status(paid.record.uetr, pay.PAYMENT_STATUS_ACSC)
    credited = bank2.report_status(paid.record.uetr, pay.PAYMENT_STATUS_ACCC).record
    assert [change.status for change in credited.status_history] == [
        pay.PAYMENT_STATUS_ACSP,
        pay.PAYMENT_STATUS_ACSC,
        pay.PAYMENT_STATUS_ACCC,
    ]
    with refused(desks, InvalidStateError):  # INV-PAY-05: nothing leaves ACCC
        bank2.report_status(paid.record.uetr, pay.PAYMENT_STATUS_RJCT, reason_code="AC04")
    with refused(desks, UnauthorizedError):  # INV-PAY-09: only the receiving bank reports credit
        bank1.report_status(paid.record.uetr, pay.PAYMENT_STATUS_ACSC)
    view = bank2.get_channel(proposed.channel_id)
    assert (view.balance_of("ASTBHKHH").balance, view.balance_of("EUCBDEFF").balance) == (48750_00, 1250_00)
    assert_conserved(view)
    details = bank1.get_payment(paid.record.uetr)
    assert details.record is not None and details.record.credited_amount.minor_units == 1250_00
    trail = bank1.audit_trail("payment", paid.record.uetr)
    assert len(trail) == 3  # initiated, settled at the agent, credited
    history = bank2.payment_history(paid.record.uetr)  # the same versions, typed, newest first
    assert [version.stub.status for version in history] == [
        pay.PAYMENT_STATUS_ACCC,
        pay.PAYMENT_STATUS_ACSC,
        pay.PAYMENT_STATUS_ACSP,
    ]
    assert [version.tx_id for version in history] == [entry.tx_id for entry in trail]
    assert history[-1].tx_id == paid.transaction_id and history[0].stub == credited


def test_the_same_uetr_twice_and_one_balance_spent_twice(desks: Desks, people: Customers) -> None:
    channel_id = open_channel(desks, "CHF", deposit_first="100.00", slots=1)
    bank1 = desks.payments("bank1")
    uetr = str(uuid.uuid4())
    first = bank1.pay(channel_id, money("CHF", "30.00"), uetr=uetr, end_to_end_id="E2E-ONCE", **parties(people))
    again = bank1.pay(channel_id, money("CHF", "30.00"), uetr=uetr, end_to_end_id="E2E-ONCE", **parties(people))
    assert again.record == first.record  # the stored payment: nothing moved twice (INV-PAY-03)
    with refused(desks, DuplicateError):
        bank1.pay(channel_id, money("CHF", "31.00"), uetr=uetr, end_to_end_id="E2E-ONCE", **parties(people))
    assert bank1.get_channel(channel_id).balance_of("ASTBHKHH").sent_unfrozen == 30_00

    async def race() -> list[object]:
        """Two payments of 60 against the 70 left, endorsed concurrently (INV-PAY-04)."""
        async with aio_gateway(desks.net, "bank1", "treasury") as gateway:
            client = aio.Payments(gateway, CHANNEL)
            return list(
                await asyncio.gather(
                    *(client.pay(channel_id, money("CHF", "60.00"), **parties(people)) for _ in range(2)),
                    return_exceptions=True,
                )
            )

    outcomes = asyncio.run(race())
    valid = [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
    failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(valid) == 1 and len(failed) == 1
    assert isinstance(failed[0], (CommitError, InsufficientFundsError)), failed[0]
    view = bank1.get_channel(channel_id)
    assert view.balance_of("ASTBHKHH").sent_unfrozen == 90_00 and view.balance_of("ASTBHKHH").capacity == 10_00
    assert_conserved(view)


def test_parallel_payments_on_different_slots_all_commit(desks: Desks, people: Customers) -> None:
    channel_id = open_channel(desks, "SGD", deposit_first="100000.00", slots=16)

    async def burst() -> list[object]:
        async with aio_gateway(desks.net, "bank1", "treasury") as gateway:
            client = aio.Payments(gateway, CHANNEL)
            await client.get_channel(channel_id)
            return list(
                await asyncio.gather(
                    *(client.pay(channel_id, money("SGD", "10.00"), **parties(people)) for _ in range(16)),
                    return_exceptions=True,
                )
            )

    outcomes = asyncio.run(burst())
    assert all(not isinstance(outcome, BaseException) for outcome in outcomes), outcomes
    view = desks.payments("bank1").get_channel(channel_id)
    assert view.balance_of("ASTBHKHH").sent_unfrozen == 160_00
    assert_conserved(view)


def test_netting_settlement_and_close(desks: Desks, people: Customers) -> None:
    channel_id = open_channel(desks, "GBP", deposit_first="5000.00", deposit_second="5000.00", credit_first="500.00")
    bank1, bank2 = desks.payments("bank1"), desks.payments("bank2")
    with refused(desks, InsufficientFundsError):  # INV-PAY-01: deposit + credit line, not a penny more
        bank1.pay(channel_id, money("GBP", "5500.01"), **parties(people))
    bank1.pay(channel_id, money("GBP", "3000.00"), **parties(people))
    bank1.pay(channel_id, money("GBP", "700.00"), **parties(people))
    bank2.pay(channel_id, money("GBP", "1200.00"), **parties(people, reverse=True))
    assert_conserved(bank1.get_channel(channel_id))
    frozen = bank1.net(channel_id).record
    batch = bank2.get_batch(channel_id, frozen.cycle)
    assert batch.record is not None
    assert (batch.record.gross_a_to_b, batch.record.gross_b_to_a, batch.record.net_amount) == (
        3700_00,
        1200_00,
        2500_00,
    )
    assert batch.record.net_debtor_bic == "ASTBHKHH" and len(batch.record.payment_uetrs) == 3
    late = bank1.pay(channel_id, money("GBP", "10.00"), **parties(people))
    assert late.record.cycle == 2  # after the cut-off: the next cycle (INV-PAY-08)
    with refused(desks, InvalidStateError):  # payments not netted, a batch not settled
        bank1.close_channel(channel_id)
    with refused(desks, UnauthorizedError):  # the net debtor cannot confirm its own payment arrived
        bank1.settle_batch(channel_id, frozen.cycle, str(uuid.uuid4()))
    reference = str(uuid.uuid4())
    settled = bank2.settle_batch(channel_id, frozen.cycle, reference).record
    assert settled.status == pay.BATCH_STATUS_SETTLED and settled.settlement_uetr == reference
    with refused(desks, InvalidStateError):  # a settled batch is not settled again
        bank2.settle_batch(channel_id, frozen.cycle, str(uuid.uuid4()))
    view = bank1.get_channel(channel_id)
    assert view.balance_of("ASTBHKHH").balance == 5000_00 - 10_00
    assert_conserved(view)
    second = bank2.net(channel_id).record
    with refused(desks, InvalidStateError):  # close with an unsettled batch
        bank1.close_channel(channel_id)
    bank2.settle_batch(channel_id, second.cycle, str(uuid.uuid4()))
    assert bank1.close_channel(channel_id).record.state == pay.PAYMENT_CHANNEL_STATE_CLOSED
    with refused(desks, InvalidStateError):
        bank1.pay(channel_id, money("GBP", "1.00"), **parties(people))


def test_fx_quotes_fees_and_returns(desks: Desks, people: Customers) -> None:
    channel_id = open_channel(desks, "CAD", deposit_first="100000.00", deposit_second="5000.00")
    bank1, bank2 = desks.payments("bank1"), desks.payments("bank2")
    fee = pay.Fee(agent_bic="EUCBDEFF", amount=money("CAD", "2.50"), kind="COMM")
    quote = bank2.create_quote(
        channel_id,
        for_bank_bic="ASTBHKHH",
        sell_currency="HKD",
        rate="0.17531",
        margin_bps=20,
        max_sell_amount=money("HKD", "100000.00"),
        valid_for=datetime.timedelta(minutes=5),
        fees=[fee],
    ).record
    with refused(desks, InvalidInputError):  # INV-PAY-10: another currency than the channel's needs a quote
        bank1.pay(channel_id, money("HKD", "100.00"), **parties(people))
    paid = bank1.pay(channel_id, money("HKD", "12345.67"), quote_id=quote.quote_id, **parties(people)).record
    record = bank1.get_payment(paid.uetr).record
    assert record is not None
    # 12345.67 HKD x 0.17531 = 2164.3194... CAD, half-even to the cent
    assert (record.converted_amount.minor_units, record.credited_amount.minor_units) == (2164_32, 2161_82)
    with refused(desks, InvalidStateError):  # a quote is used once
        bank1.pay(channel_id, money("HKD", "10.00"), quote_id=quote.quote_id, **parties(people))
    with refused(desks, InvalidInputError):  # the creditor agent charges more than it disclosed
        bank2.report_status(
            paid.uetr,
            pay.PAYMENT_STATUS_ACCC,
            fees_charged=[pay.Fee(agent_bic="EUCBDEFF", amount=money("CAD", "2.51"), kind="COMM")],
        )
    bank2.report_status(paid.uetr, pay.PAYMENT_STATUS_ACCC, fees_charged=[fee])
    returned = bank2.return_payment(paid.uetr, money("CAD", "1000.00"), "MD06").record
    assert (returned.kind, returned.return_of_uetr, returned.sender_bic) == (
        pay.PAYMENT_KIND_RETURN,
        paid.uetr,
        "EUCBDEFF",
    )
    back = bank2.get_payment(returned.uetr).record
    assert back is not None
    # 1000.00 CAD back at 0.17531: 5704.18... HKD, half-even to the HKD cent
    assert back.instructed_amount == money("HKD", "5704.18")
    assert list(bank1.get_payment(paid.uetr).payment.return_uetrs) == [returned.uetr]

    short = bank2.create_quote(
        channel_id,
        for_bank_bic="ASTBHKHH",
        sell_currency="HKD",
        rate="0.17531",
        max_sell_amount=money("HKD", "100.00"),
        valid_for=datetime.timedelta(seconds=2),
    ).record
    time.sleep(2.5)
    with refused(desks, QuoteExpiredError):
        bank1.pay(channel_id, money("HKD", "10.00"), quote_id=short.quote_id, **parties(people))
    assert bank1.get_quote(short.quote_id).quote.status == pay.QUOTE_STATUS_EXPIRED
    assert_conserved(bank1.get_channel(channel_id))


def test_rejection_in_the_open_cycle_and_caps(desks: Desks, people: Customers) -> None:
    channel_id = open_channel(desks, "AUD", deposit_first="3000000.00")
    bank1, bank2 = desks.payments("bank1"), desks.payments("bank2")
    paid = bank1.pay(channel_id, money("AUD", "4000.00"), **parties(people)).record
    rejected = bank2.report_status(paid.uetr, pay.PAYMENT_STATUS_RJCT, reason_code="AC04").record
    assert rejected.status == pay.PAYMENT_STATUS_RJCT
    view = bank1.get_channel(channel_id)
    assert view.balance_of("ASTBHKHH").sent_unfrozen == 0 and view.balance_of("ASTBHKHH").capacity == 3000000_00
    with refused(desks, LimitExceededError):  # the pilot's per-payment cap: USD 1,000,000
        bank1.pay(channel_id, money("AUD", "1538462.00"), **parties(people))


def test_a_recall_rejected_then_asked_again_and_answered_by_a_return(desks: Desks, people: Customers) -> None:
    # every currency the pilot has a reference rate for has a channel of these banks by now: reuse
    # the HKD one (the first test opens it, funded by bank1)
    bank1, bank2 = desks.payments("bank1"), desks.payments("bank2")
    channel_id = channel_of(desks.bank("bank1"), desks.bank("bank2"), "HKD")
    try:
        bank1.get_channel(channel_id)
    except NotFoundError:
        channel_id = open_channel(desks, "HKD", deposit_first="50000.00")
    # a return is paid from the creditor agent's capacity: what it received counts once its batch settles
    funding = bank2.record_deposit(channel_id, money("HKD", "5000.00"), str(uuid.uuid4())).record
    bank1.confirm_deposit(channel_id, funding)
    paid = bank1.pay(channel_id, money("HKD", "1200.00"), **parties(people)).record
    bank2.report_status(paid.uetr, pay.PAYMENT_STATUS_ACCC)
    moved = bank1.get_channel(channel_id).balance_of("ASTBHKHH").balance

    with refused(desks, UnauthorizedError):  # the creditor agent does not recall
        bank2.recall(paid.uetr, "DUPL")
    recall_id = str(uuid.uuid4())
    recalled = bank1.recall(paid.uetr, "DUPL", recall_id=recall_id)
    assert recalled.record.status == pay.PAYMENT_STATUS_ACCC  # nothing moves, the status stands
    assert bank1.get_channel(channel_id).balance_of("ASTBHKHH").balance == moved
    record = bank2.get_payment(paid.uetr).record
    assert record is not None
    [asked] = record.recalls
    assert (asked.recall_id, asked.status, asked.reason_code) == (recall_id, pay.RECALL_STATUS_REQUESTED, "DUPL")
    assert asked.requested_tx_id == recalled.transaction_id

    bank2.reject_recall(paid.uetr, recall_id, "CUST")
    with refused(desks, InvalidStateError):  # FOCR answers an open recall only
        bank2.accept_recall(paid.uetr, money("HKD", "1200.00"))
    record = bank1.get_payment(paid.uetr).record
    assert record is not None and [(item.status, item.rejection_reason) for item in record.recalls] == [
        (pay.RECALL_STATUS_REJECTED, "CUST")
    ]

    bank1.recall(paid.uetr, "FRAD")
    returned = bank2.accept_recall(paid.uetr, money("HKD", "1200.00")).record
    assert (returned.kind, returned.return_of_uetr) == (pay.PAYMENT_KIND_RETURN, paid.uetr)
    answered = bank1.get_payment(paid.uetr)
    assert answered.record is not None
    assert [(item.reason_code, item.status, item.return_uetr) for item in answered.record.recalls] == [
        ("DUPL", pay.RECALL_STATUS_REJECTED, ""),
        ("FRAD", pay.RECALL_STATUS_ACCEPTED, returned.uetr),
    ]
    assert list(answered.payment.return_uetrs) == [returned.uetr]
    view = bank1.get_channel(channel_id)
    assert view.balance_of("ASTBHKHH").balance == moved + 1200_00  # the amount came back
    assert_conserved(view)
    with refused(desks, InvalidStateError):  # returned in full
        bank1.recall(paid.uetr, "FRAD")
    # the reasons stay between the two banks: no version of the public stub carries them
    trail = bank1.audit_trail("payment", paid.uetr)
    assert all(b"FRAD" not in entry.record and b"DUPL" not in entry.record for entry in trail)


def test_dual_control_above_the_threshold(desks: Desks, people: Customers) -> None:
    channel_id = open_channel(desks, "SEK", deposit_first="5000000.00")
    maker = desks.payments("bank1")
    pending = maker.pay(channel_id, money("SEK", "2700000.00"), **parties(people)).record  # USD 253,800
    assert (pending.status, pending.cycle) == (pay.PAYMENT_STATUS_PDNG, 0)
    assert maker.get_channel(channel_id).pending_approvals == 1
    with refused(desks, UnauthorizedError):  # a treasury officer is not an approver
        desks.payments("bank1", "treasury").approve(pending.uetr)
    with refused(desks, UnauthorizedError):  # the other bank's approver is not the maker's bank
        desks.payments("bank2", "approver").approve(pending.uetr)
    approved = desks.payments("bank1", "approver2").approve(pending.uetr).record
    assert approved.status == pay.PAYMENT_STATUS_ACSP and approved.cycle >= 1
    record = maker.get_payment(pending.uetr).record
    assert record is not None and record.approver_hash and record.approver_hash != record.maker_hash
    assert list(record.reportable_in) == []  # the pilot's governance sets no reporting thresholds


def test_private_limits_are_cleared_by_hash(desks: Desks, people: Customers) -> None:
    channel_id = open_channel(desks, "NOK", deposit_first="100000.00")
    bank1 = desks.payments("bank1")
    officer = desks.compliance("bank1")
    officer.set_limit(cp.LIMIT_SCOPE_COUNTRY, "DE", money("NOK", "10000.00"))
    assert officer.get_limit(cp.LIMIT_SCOPE_COUNTRY, "DE").max.minor_units == 10000_00
    officer.set_limit_policy(True)
    try:
        with refused(desks, LimitExceededError):  # no clearance for this payment
            bank1.pay(channel_id, money("NOK", "100.00"), **parties(people))
        uetr = str(uuid.uuid4())
        clearance = officer.reserve_limits(
            uetr, money("NOK", "6000.00"), counterparty_bic="EUCBDEFF", country="DE", customer_ref=people.debtor.kyc_ref
        ).record
        paid = bank1.pay(
            channel_id, money("NOK", "6000.00"), uetr=uetr, limit_clearance_salt=clearance.salt, **parties(people)
        )
        assert paid.record.status == pay.PAYMENT_STATUS_ACSP
        with refused(desks, LimitExceededError):  # 6000 + 5000 > 10000 NOK for Germany
            officer.reserve_limits(
                str(uuid.uuid4()),
                money("NOK", "5000.00"),
                counterparty_bic="EUCBDEFF",
                country="DE",
                customer_ref=people.debtor.kyc_ref,
            )
        assert officer.get_limit(cp.LIMIT_SCOPE_COUNTRY, "DE").utilised == 6000_00
    finally:
        officer.set_limit_policy(False)
