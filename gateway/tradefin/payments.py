"""Payment channels, FX quotes and cross-border payments through the ``pay`` contract.

:class:`Payments` (blocking) and :class:`AsyncPayments` (asyncio) have the same methods, written once
as flows in :class:`PaymentsFlows`. Submits carry their request in the transient map (amounts,
parties, accounts, fees and rates never reach a block) and answer :class:`Committed` with the public
record written; queries answer the records (the private part only for the channel's banks).

Endorsement: a channel's records require both its banks (a private data collection of the two and
a state-based policy on the public stubs); the client endorses by exactly those banks, read from the
channel's public stub once and remembered.

Throughput: every payment names the capacity slot it draws from first. The client spreads the
payments it has in flight over the channel's slots, so concurrent payments write different keys and
do not fail each other's MVCC check.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from google.protobuf.message import Message

from tradefin.chaincode.contracts.letters_of_credit import validation
from tradefin.chaincode.contracts.payments import quotes, transfers
from tradefin.chaincode.contracts.payments import records as pay_records
from tradefin.chaincode.contracts.payments.channels import check_proposal
from tradefin.chaincode.contracts.payments.service import audit_key
from tradefin.gateway import ChaincodeEvent, Gateway, aio
from tradefin.protos import common_pb2, compliance_pb2, payments_pb2

from ._core import (
    ClientSettings,
    Committed,
    Flow,
    FlowsBase,
    Session,
    StubVersion,
    enum_value,
    salt_or_new,
    stub_versions,
    timestamp,
)
from ._drivers import DEFAULT_CHAINCODE, AsyncClient, BlockingClient, asynchronous, blocking
from .errors import InvalidInputError, NotFoundError

__all__ = [
    "CONTRACT_NAME",
    "AsyncPayments",
    "BatchDetails",
    "ChannelView",
    "PaymentDetails",
    "Payments",
    "PaymentsFlows",
    "QuoteDetails",
    "SlotPicker",
    "audit_event",
    "channel_id",
    "credit_settlement",
    "status_name",
]

#: The contract's name in the chaincode (transactions are ``pay:<Operation>``).
CONTRACT_NAME: Final = "pay"


def channel_id(bank: common_pb2.BankRef | str, other: common_pb2.BankRef | str, currency: str) -> str:
    """The id of the payment channel of two banks (``BankRef`` or BIC) in ``currency``: their BIC8s in
    ascending order, then the currency (``"ASTBHKHH-EUCBDEFF-EUR"``), whichever bank proposed it."""
    bics = [value.bic if isinstance(value, common_pb2.BankRef) else value for value in (bank, other)]
    return pay_records.channel_id_of(bics[0], bics[1], currency)
_MEMORY: Final = 100_000
# slot_hint is a uint32; taken modulo at most 256 slots, a uniform 32-bit hint is as good as uniform
_SLOT_HINT_RANGE: Final = 2**32


def status_name(status: payments_pb2.PaymentStatus.ValueType) -> str:
    """``ACSP`` for PAYMENT_STATUS_ACSP (the pacs.002 code)."""
    return payments_pb2.PaymentStatus.Name(status).removeprefix("PAYMENT_STATUS_")


def credit_settlement(
    debtor_account: common_pb2.AccountRef,
    *,
    creditor_account: common_pb2.AccountRef | None = None,
    uetr: str | None = None,
    end_to_end_id: str = "",
) -> payments_pb2.CreditSettlement:
    """How a letter of credit's honour, payment at maturity or reimbursement is paid on the payment
    channel of the paying and the receiving bank (pass it as their ``settlement``): a fresh UETR and
    salt; the applicant's account; the beneficiary's (default: the credit's 59 account).

    The capacity slot the payment draws on first is spread by the UETR (the chaincode takes the hint
    modulo the channel's slots), so settlements in flight at once seldom write the same keys."""
    uetr = str(uuid.uuid4()) if uetr is None else uetr
    try:
        slot_hint = uuid.UUID(uetr).int % _SLOT_HINT_RANGE
    except ValueError:  # not a UUID: the chaincode refuses it with ERR_INVALID_INPUT
        slot_hint = 0
    return payments_pb2.CreditSettlement(
        uetr=uetr,
        end_to_end_id=end_to_end_id,
        debtor_account=debtor_account,
        creditor_account=creditor_account,
        salt=salt_or_new(None),
        slot_hint=slot_hint,
    )


def audit_event(event: ChaincodeEvent) -> compliance_pb2.AuditEvent:
    """Decode a chaincode event of the ``pay`` or ``compliance`` contract (named ``<object>.<act>``).

    Raises:
        ValueError: the event is not an audit event.
    """
    decoded = compliance_pb2.AuditEvent.FromString(event.payload)
    if decoded.type != event.event_name:
        raise ValueError(f"{event.event_name!r} is not an audit event")
    return decoded


# ------------------------------------------------------------------------------------------------
# Query answers


@dataclass(frozen=True, slots=True)
class ChannelView:
    """A payment channel: its public stub; for its banks also the position and each bank's balance.

    Attributes:
        channel: the public stub (state, cycles, banks).
        position: deposits, credit limits, netted positions (``None`` for other members).
        balances: per bank: deposit, balance, capacity, unfrozen flows (empty for other members).
        pending_approvals: payments waiting for their second approver.
    """

    channel: payments_pb2.PaymentChannelStub
    position: payments_pb2.ChannelPosition | None
    balances: tuple[payments_pb2.BankBalance, ...]
    pending_approvals: int

    def balance_of(self, bic: str) -> payments_pb2.BankBalance:
        """One bank's balance (by BIC).

        Raises:
            KeyError: the bank is not one of the channel's (or the caller is not).
        """
        for balance in self.balances:
            if balance.bic == bic[:8]:
                return balance
        raise KeyError(bic)


@dataclass(frozen=True, slots=True)
class PaymentDetails:
    """A payment: its public stub, and its record when the caller is a bank of its channel."""

    payment: payments_pb2.PaymentStub
    record: payments_pb2.PaymentRecord | None


@dataclass(frozen=True, slots=True)
class BatchDetails:
    """A netting batch: its public stub, and its record for the channel's banks."""

    batch: payments_pb2.NettingBatchStub
    record: payments_pb2.NettingBatch | None


@dataclass(frozen=True, slots=True)
class QuoteDetails:
    """An FX quote: its public stub, and its terms for the channel's banks."""

    quote: payments_pb2.QuoteStub
    record: payments_pb2.FxQuote | None


# ------------------------------------------------------------------------------------------------
# Capacity slots


class SlotPicker:
    """Spreads the payments a client has in flight over a channel's capacity slots: each payment gets
    the slot fewest of the client's other payments use right now (thread- and task-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._in_use: dict[tuple[str, int], int] = {}

    @contextmanager
    def slot(self, channel_id: str, slots: int) -> Iterator[int]:
        """A slot of the channel for the duration of one payment."""
        with self._lock:
            busy = [self._in_use.get((channel_id, index), 0) for index in range(max(1, slots))]
            chosen = busy.index(min(busy))
            self._in_use[(channel_id, chosen)] = busy[chosen] + 1
        try:
            yield chosen
        finally:
            with self._lock:
                remaining = self._in_use[(channel_id, chosen)] - 1
                if remaining:
                    self._in_use[(channel_id, chosen)] = remaining
                else:
                    del self._in_use[(channel_id, chosen)]


@dataclass(frozen=True, slots=True)
class _ChannelFacts:
    endorsers: tuple[str, ...]
    slots: int


# ------------------------------------------------------------------------------------------------
# The operations, written once


class PaymentsFlows(FlowsBase):
    """Every operation of the ``pay`` contract as a flow (see ``_core``); the clients are its twins."""

    def __init__(self, settings: ClientSettings, picker: SlotPicker | None = None) -> None:
        super().__init__(settings)
        self.picker = picker or SlotPicker()
        """How the client spreads its payments over capacity slots."""
        self._facts: dict[str, _ChannelFacts] = {}
        self._channel_of: dict[str, str] = settings.session.parents if settings.session is not None else {}

    # -- channel facts -----------------------------------------------------------------------------

    def _remember(self, stub: payments_pb2.PaymentChannelStub) -> _ChannelFacts:
        if len(self._facts) >= _MEMORY:
            self._facts.clear()
        endorsers = tuple(sorted({stub.bank_a.msp_id, stub.bank_b.msp_id}))
        facts = self._facts[stub.channel_id] = _ChannelFacts(endorsers, stub.capacity_slots)
        return facts

    def _facts_of(self, channel_id: str) -> Flow[_ChannelFacts | None]:
        """The channel's banks and slots, from memory or its public stub (``None``: no such channel;
        the gateway chooses the endorsers and the chaincode refuses)."""
        known = self._facts.get(channel_id)
        if known is not None:
            return known
        try:
            answer = yield from self._query(
                "GetChannel", payments_pb2.GetChannelRequest(channel_id=channel_id), payments_pb2.ChannelResponse
            )
        except (NotFoundError, InvalidInputError):
            return None
        return self._remember(answer.channel)

    def _endorsers(self, channel_id: str) -> Flow[tuple[str, ...] | None]:
        facts = yield from self._facts_of(channel_id)
        return facts.endorsers if facts is not None else None

    def _slots(self, channel_id: str | None) -> Flow[int]:
        """How many capacity slots the channel has (1 when there is no such channel: it is refused)."""
        facts = (yield from self._facts_of(channel_id)) if channel_id else None
        return facts.slots if facts is not None else 1

    def _channel_of_payment(self, uetr: str) -> Flow[str | None]:
        known = self._channel_of.get(uetr)
        if known is not None:
            return known
        try:
            answer = yield from self._query(
                "GetPayment", payments_pb2.GetPaymentRequest(uetr=uetr), payments_pb2.PaymentResponse
            )
        except (NotFoundError, InvalidInputError):
            return None
        self._note_payment(answer.payment)
        return answer.payment.channel_id

    def _note_payment(self, stub: payments_pb2.PaymentStub) -> None:
        if len(self._channel_of) >= _MEMORY:
            self._channel_of.clear()
        self._channel_of[stub.uetr] = stub.channel_id

    # -- submit helpers ----------------------------------------------------------------------------

    def _channel_step(
        self, transaction: str, request: Message, channel_id: str
    ) -> Flow[Committed[payments_pb2.PaymentChannelStub]]:
        self._check(pay_records.parse_channel_id, channel_id)
        endorsers = yield from self._endorsers(channel_id)
        receipt, response = yield from self._transact(transaction, request, payments_pb2.ChannelResponse, endorsers)
        self._remember(response.channel)
        return Committed(response.channel, receipt.transaction_id, receipt.block_number)

    def _batch_step(
        self, transaction: str, request: Message, channel_id: str
    ) -> Flow[Committed[payments_pb2.NettingBatchStub]]:
        self._check(pay_records.parse_channel_id, channel_id)
        endorsers = yield from self._endorsers(channel_id)
        receipt, response = yield from self._transact(transaction, request, payments_pb2.BatchResponse, endorsers)
        return Committed(response.batch, receipt.transaction_id, receipt.block_number)

    def _payment_step(
        self, transaction: str, request: Message, channel_id: str | None
    ) -> Flow[Committed[payments_pb2.PaymentStub]]:
        endorsers = (yield from self._endorsers(channel_id)) if channel_id else None
        receipt, response = yield from self._transact(transaction, request, payments_pb2.PaymentResponse, endorsers)
        self._note_payment(response.payment)
        return Committed(response.payment, receipt.transaction_id, receipt.block_number)

    def _existing_payment_step(
        self, transaction: str, request: Message, uetr: str
    ) -> Flow[Committed[payments_pb2.PaymentStub]]:
        self._check(validation.check_uuid4, uetr, "uetr")
        channel_id = yield from self._channel_of_payment(uetr)
        return (yield from self._payment_step(transaction, request, channel_id))

    # -- channels ----------------------------------------------------------------------------------

    def propose_channel(
        self,
        proposer: common_pb2.BankRef,
        counterparty: common_pb2.BankRef,
        currency: str,
        *,
        proposer_credit_limit: common_pb2.Money | None = None,
        counterparty_credit_limit: common_pb2.Money | None = None,
        capacity_slots: int = 0,
        cycle_seconds: int = 0,
        salt: bytes | None = None,
        limit_clearance_salt: bytes = b"",
    ) -> Flow[Committed[payments_pb2.PaymentChannelStub]]:
        """Propose a payment channel to another bank of the consortium channel (role ``treasury``;
        once a compliance configuration is in force, both banks must be its members).

        Args:
            proposer: the caller's bank (BIC and MSP id).
            counterparty: the other bank.
            currency: the channel's ISO 4217 currency.
            proposer_credit_limit: how far the proposer's balance may go below zero (credit the
                counterparty grants it); default none.
            counterparty_credit_limit: the credit the proposer grants the counterparty.
            capacity_slots: shards of each bank's sending capacity, 1..256 (default 32): as many as
                payments the banks want in flight without conflicts.
            cycle_seconds: length of a netting cycle (default one day).
            salt: the channel's 32-byte secret (default: fresh random bytes).
            limit_clearance_salt: when the proposer clears against private limits, the salt of its
                clearance of the credit line (see :meth:`Compliance.reserve_limits`).
        """
        request = payments_pb2.ProposeChannelRequest(
            proposer=proposer,
            counterparty=counterparty,
            currency=currency,
            proposer_credit_limit=proposer_credit_limit,
            counterparty_credit_limit=counterparty_credit_limit,
            capacity_slots=capacity_slots,
            cycle_seconds=cycle_seconds,
            salt=salt_or_new(salt),
            limit_clearance_salt=limit_clearance_salt,
        )
        self._check(check_proposal, request)
        endorsers = tuple(sorted({proposer.msp_id, counterparty.msp_id}))
        receipt, response = yield from self._transact(
            "ProposeChannel", request, payments_pb2.ChannelResponse, endorsers
        )
        self._remember(response.channel)
        return Committed(response.channel, receipt.transaction_id, receipt.block_number)

    def accept_channel(
        self, channel_id: str, *, limit_clearance_salt: bytes = b""
    ) -> Flow[Committed[payments_pb2.PaymentChannelStub]]:
        """The other bank accepts the proposed channel: it opens (role ``treasury``)."""
        request = payments_pb2.AcceptChannelRequest(channel_id=channel_id, limit_clearance_salt=limit_clearance_salt)
        return (yield from self._channel_step("AcceptChannel", request, channel_id))

    def record_deposit(
        self, channel_id: str, amount: common_pb2.Money, funding_uetr: str, *, deposit_id: str | None = None
    ) -> Flow[Committed[str]]:
        """Record a deposit into the caller's side of the channel; it counts once the other bank
        confirms its funding pacs.009 (role ``treasury``). The record is the deposit's id."""
        deposit_id = str(uuid.uuid4()) if deposit_id is None else deposit_id
        self._check(validation.check_uuid4, deposit_id, "deposit_id")
        self._check(validation.check_uuid4, funding_uetr, "funding_uetr")
        self._check(validation.check_money, amount, "amount")
        request = payments_pb2.RecordDepositRequest(
            channel_id=channel_id, deposit_id=deposit_id, amount=amount, funding_uetr=funding_uetr
        )
        committed = yield from self._channel_step("RecordDeposit", request, channel_id)
        return Committed(deposit_id, committed.transaction_id, committed.block_number)

    def confirm_deposit(self, channel_id: str, deposit_id: str) -> Flow[Committed[payments_pb2.PaymentChannelStub]]:
        """The other bank confirms a deposit's funding arrived (role ``treasury``)."""
        request = payments_pb2.ConfirmDepositRequest(channel_id=channel_id, deposit_id=deposit_id)
        return (yield from self._channel_step("ConfirmDeposit", request, channel_id))

    def suspend_channel(self, channel_id: str) -> Flow[Committed[payments_pb2.PaymentChannelStub]]:
        """Stop new payments (role ``treasury`` or ``compliance``)."""
        request = payments_pb2.SuspendChannelRequest(channel_id=channel_id)
        return (yield from self._channel_step("SuspendChannel", request, channel_id))

    def resume_channel(self, channel_id: str) -> Flow[Committed[payments_pb2.PaymentChannelStub]]:
        """Take new payments again (the bank that suspended)."""
        request = payments_pb2.ResumeChannelRequest(channel_id=channel_id)
        return (yield from self._channel_step("ResumeChannel", request, channel_id))

    def wind_down_channel(self, channel_id: str) -> Flow[Committed[payments_pb2.PaymentChannelStub]]:
        """No new payments; the channel closes once everything is settled (role ``treasury``)."""
        request = payments_pb2.WindDownChannelRequest(channel_id=channel_id)
        return (yield from self._channel_step("WindDownChannel", request, channel_id))

    def close_channel(self, channel_id: str) -> Flow[Committed[payments_pb2.PaymentChannelStub]]:
        """Close a channel with nothing pending, nothing unfrozen and every batch settled; a channel
        still PROPOSED is closed by either bank (withdrawn by its proposer, declined by the other)."""
        request = payments_pb2.CloseChannelRequest(channel_id=channel_id)
        return (yield from self._channel_step("CloseChannel", request, channel_id))

    def cut_off(self, channel_id: str) -> Flow[Committed[payments_pb2.PaymentChannelStub]]:
        """Record the cut-off of the open cycle (role ``treasury``); later payments go into the next."""
        return (yield from self._channel_step("CutOff", payments_pb2.CutOffRequest(channel_id=channel_id), channel_id))

    def freeze_batch(self, channel_id: str, cycle: int) -> Flow[Committed[payments_pb2.NettingBatchStub]]:
        """Freeze the netting batch of a cut-off cycle (role ``treasury``)."""
        request = payments_pb2.FreezeBatchRequest(channel_id=channel_id, cycle=cycle)
        return (yield from self._batch_step("FreezeBatch", request, channel_id))

    def net(self, channel_id: str) -> Flow[Committed[payments_pb2.NettingBatchStub]]:
        """Cut off the open cycle and freeze its batch (two transactions)."""
        cut = yield from self.cut_off(channel_id)
        return (yield from self.freeze_batch(channel_id, cut.record.open_cycle - 1))

    def settle_batch(
        self, channel_id: str, cycle: int, settlement_uetr: str
    ) -> Flow[Committed[payments_pb2.NettingBatchStub]]:
        """The bank owed the net amount confirms it arrived by the pacs.009 ``settlement_uetr`` (either
        bank when the net is zero; role ``treasury``)."""
        self._check(validation.check_uuid4, settlement_uetr, "settlement_uetr")
        request = payments_pb2.SettleBatchRequest(channel_id=channel_id, cycle=cycle, settlement_uetr=settlement_uetr)
        return (yield from self._batch_step("SettleBatch", request, channel_id))

    # -- quotes and payments -----------------------------------------------------------------------

    def create_quote(
        self,
        channel_id: str,
        *,
        for_bank_bic: str,
        sell_currency: str,
        rate: str,
        max_sell_amount: common_pb2.Money,
        valid_for: datetime.timedelta,
        fees: Sequence[payments_pb2.Fee] = (),
        margin_bps: int = 0,
        quote_id: str | None = None,
        salt: bytes | None = None,
    ) -> Flow[Committed[payments_pb2.QuoteStub]]:
        """Quote a conversion of ``sell_currency`` into the channel's currency for the bank that will
        pay (role ``treasury``); every fee is disclosed here, before acceptance.

        Args:
            rate: units of the channel's currency per unit of ``sell_currency``, at most 10 decimals.
            valid_for: how long the quote stands from now (at most 24 hours).
        """
        quote_id = str(uuid.uuid4()) if quote_id is None else quote_id
        now = datetime.datetime.now(datetime.UTC)
        # Out of the window either way, a valid_for beyond it is taken as just beyond it: one past the
        # last date (timedelta.max) would make now + valid_for an OverflowError, not a refusal.
        valid_until = now + max(-quotes.MAX_VALIDITY, min(valid_for, 2 * quotes.MAX_VALIDITY))
        quote = payments_pb2.FxQuote(
            quote_id=quote_id,
            channel_id=channel_id,
            for_bank_bic=for_bank_bic,
            sell_currency=sell_currency,
            rate=rate,
            margin_bps=margin_bps,
            max_sell_amount=max_sell_amount,
            fees=fees,
            valid_until=timestamp(valid_until),
            salt=salt_or_new(salt),
        )
        self._check(quotes.check_quote, quote)
        self._check(quotes.check_validity, valid_until, now)  # last, as the chaincode checks it
        endorsers = yield from self._endorsers(channel_id)
        request = payments_pb2.CreateQuoteRequest(quote=quote)
        receipt, response = yield from self._transact("CreateQuote", request, payments_pb2.QuoteResponse, endorsers)
        return Committed(response.quote, receipt.transaction_id, receipt.block_number)

    def pay(
        self,
        channel_id: str,
        instructed_amount: common_pb2.Money,
        *,
        debtor: common_pb2.PartyRef,
        debtor_account: common_pb2.AccountRef,
        creditor: common_pb2.PartyRef,
        creditor_account: common_pb2.AccountRef,
        charge_bearer: payments_pb2.ChargeBearer.ValueType | str = payments_pb2.CHARGE_BEARER_SHAR,
        quote_id: str = "",
        fees_disclosed: Sequence[payments_pb2.Fee] = (),
        fees_charged: Sequence[payments_pb2.Fee] = (),
        purpose: str = "",
        remittance_information: str = "",
        end_to_end_id: str | None = None,
        uetr: str | None = None,
        kind: payments_pb2.PaymentKind.ValueType | str = payments_pb2.PAYMENT_KIND_CUSTOMER_CREDIT_TRANSFER,
        limit_clearance_salt: bytes = b"",
        salt: bytes | None = None,
    ) -> Flow[Committed[payments_pb2.PaymentStub]]:
        """Pay the other bank of the channel (the caller's bank is the debtor agent; role ``treasury``).

        The UETR (default: a fresh UUID v4) is the idempotency key: the same request again answers
        the stored payment. The answer is ACSP (moved on the channel) or PDNG (waits for a second
        approver: see :meth:`approve`). Refusals: ERR_INSUFFICIENT_FUNDS (capacity), ERR_LIMIT_EXCEEDED
        (caps, private limits), ERR_KYC, ERR_SANCTIONS, ERR_QUOTE_EXPIRED, ...

        Args:
            instructed_amount: in the debtor's currency; another currency than the channel's needs
                ``quote_id``.
            debtor, creditor: the parties (name, country and KYC reference required: the travel rule).
            fees_disclosed: without a quote, every agent's fees (the channel's currency).
            fees_charged: what the caller's bank deducts itself (charge bearer CRED).
            charge_bearer, kind: numbers or labels (``"CHARGE_BEARER_SHAR"``).
        """
        uetr = str(uuid.uuid4()) if uetr is None else uetr
        end_to_end_id = f"E2E{uetr.replace('-', '')[:24].upper()}" if end_to_end_id is None else end_to_end_id
        request = payments_pb2.InitiatePaymentRequest(
            uetr=uetr,
            end_to_end_id=end_to_end_id,
            channel_id=channel_id,
            kind=enum_value(payments_pb2.PaymentKind, kind, "kind"),
            instructed_amount=instructed_amount,
            quote_id=quote_id,
            charge_bearer=enum_value(payments_pb2.ChargeBearer, charge_bearer, "charge_bearer"),
            debtor=debtor,
            debtor_account=debtor_account,
            creditor=creditor,
            creditor_account=creditor_account,
            fees_disclosed=fees_disclosed,
            fees_charged=fees_charged,
            purpose=purpose,
            remittance_information=remittance_information,
            salt=salt_or_new(salt),
            limit_clearance_salt=limit_clearance_salt,
        )
        self._check(transfers.check_request, request)
        slots = yield from self._slots(channel_id)
        with self.picker.slot(channel_id, slots) as slot:
            request.slot_hint = slot
            return (yield from self._payment_step("InitiatePayment", request, channel_id))

    def approve(self, uetr: str) -> Flow[Committed[payments_pb2.PaymentStub]]:
        """A second officer of the debtor agent approves a pending payment (role ``approver``, another
        identity than the maker's, within the governance window); it moves on the channel."""
        self._check(validation.check_uuid4, uetr, "uetr")
        channel_id = yield from self._channel_of_payment(uetr)
        slots = yield from self._slots(channel_id)
        with self.picker.slot(channel_id or "", slots) as slot:
            request = payments_pb2.ApprovePaymentRequest(uetr=uetr, slot_hint=slot)
            return (yield from self._payment_step("ApprovePayment", request, channel_id))

    def lapse(self, uetr: str) -> Flow[Committed[payments_pb2.PaymentStub]]:
        """Record that a pending payment's approval window elapsed: RJCT."""
        return (
            yield from self._existing_payment_step("LapsePayment", payments_pb2.LapsePaymentRequest(uetr=uetr), uetr)
        )

    def report_status(
        self,
        uetr: str,
        status: payments_pb2.PaymentStatus.ValueType | str,
        *,
        reason_code: str = "",
        fees_charged: Sequence[payments_pb2.Fee] = (),
    ) -> Flow[Committed[payments_pb2.PaymentStub]]:
        """The creditor agent reports ACSC, ACCC or RJCT (RJCT with a reason, while the payment's cycle
        is open); a credit report may state the creditor agent's charges (at most what it disclosed).
        The status is a number or a label (``"PAYMENT_STATUS_ACCC"``)."""
        request = payments_pb2.ReportPaymentStatusRequest(
            uetr=uetr,
            status=enum_value(payments_pb2.PaymentStatus, status, "status"),
            reason_code=reason_code,
            fees_charged=fees_charged,
        )
        self._check(transfers.check_report, request)
        return (yield from self._existing_payment_step("ReportStatus", request, uetr))

    def return_payment(
        self,
        original_uetr: str,
        returned_amount: common_pb2.Money,
        reason_code: str,
        *,
        return_uetr: str | None = None,
        salt: bytes | None = None,
    ) -> Flow[Committed[payments_pb2.PaymentStub]]:
        """The creditor agent returns (part of) a settled or credited payment: a new payment under a new
        UETR, linked to the original (pacs.004; role ``treasury``)."""
        return_uetr = str(uuid.uuid4()) if return_uetr is None else return_uetr
        request = payments_pb2.ReturnPaymentRequest(
            return_uetr=return_uetr,
            original_uetr=original_uetr,
            returned_amount=returned_amount,
            reason_code=reason_code,
            salt=salt_or_new(salt),
        )
        self._check(transfers.check_return_request, request)
        channel_id = yield from self._channel_of_payment(original_uetr)
        slots = yield from self._slots(channel_id)
        with self.picker.slot(channel_id or "", slots) as slot:
            request.slot_hint = slot
            return (yield from self._payment_step("ReturnPayment", request, channel_id))

    def recall(
        self, uetr: str, reason_code: str, *, recall_id: str | None = None
    ) -> Flow[Committed[payments_pb2.PaymentStub]]:
        """The debtor agent asks the creditor agent to cancel a payment that moved (camt.056; role
        ``treasury``; reason e.g. ``"DUPL"``, ``"FRAD"``, ``"TECH"``, ``"CUST"``). Nothing moves; the
        private record's ``recalls`` track it and its answer: :meth:`accept_recall` or
        :meth:`reject_recall`. ``recall_id`` (a UUID v4) is its idempotency key: made here when not
        given, so pass your own to retry safely."""
        request = payments_pb2.RecallPaymentRequest(
            uetr=uetr, reason_code=reason_code, recall_id=str(uuid.uuid4()) if recall_id is None else recall_id
        )
        self._check(transfers.check_recall_request, request)
        return (yield from self._existing_payment_step("RecallPayment", request, uetr))

    def reject_recall(
        self, uetr: str, recall_id: str, reason_code: str
    ) -> Flow[Committed[payments_pb2.PaymentStub]]:
        """The creditor agent rejects a payment's open recall ``recall_id`` (camt.029; role ``treasury``;
        reason e.g. ``"ARDT"``, ``"CUST"``, ``"LEGL"``, ``"NOAS"``, ``"AC04"``). The payment stands."""
        request = payments_pb2.RejectRecallRequest(uetr=uetr, reason_code=reason_code, recall_id=recall_id)
        self._check(transfers.check_recall_request, request)
        return (yield from self._existing_payment_step("RejectRecall", request, uetr))

    def accept_recall(
        self,
        uetr: str,
        returned_amount: common_pb2.Money,
        *,
        return_uetr: str | None = None,
        salt: bytes | None = None,
    ) -> Flow[Committed[payments_pb2.PaymentStub]]:
        """The creditor agent accepts a payment's open recall by returning (part of) it: a return with
        reason ``FOCR`` (see :meth:`return_payment`: only of a settled or credited payment), which names
        itself in the recall. After a partial return the debtor agent may recall the rest."""
        return (
            yield from self.return_payment(
                uetr, returned_amount, transfers.RECALL_RETURN_REASON, return_uetr=return_uetr, salt=salt
            )
        )

    # -- queries ---------------------------------------------------------------------------------

    def get_channel(self, channel_id: str) -> Flow[ChannelView]:
        """A channel: its stub for any member; position and balances for its banks."""
        self._check(pay_records.parse_channel_id, channel_id)
        answer = yield from self._query(
            "GetChannel", payments_pb2.GetChannelRequest(channel_id=channel_id), payments_pb2.ChannelResponse
        )
        self._remember(answer.channel)
        position = answer.position if answer.HasField("position") else None
        return ChannelView(answer.channel, position, tuple(answer.balances), answer.pending_approvals)

    def get_payment(self, uetr: str) -> Flow[PaymentDetails]:
        """A payment: its stub for any member, its record for the channel's banks."""
        self._check(validation.check_uuid4, uetr, "uetr")
        answer = yield from self._query(
            "GetPayment", payments_pb2.GetPaymentRequest(uetr=uetr), payments_pb2.PaymentResponse
        )
        self._note_payment(answer.payment)
        return PaymentDetails(answer.payment, answer.record if answer.HasField("record") else None)

    def get_batch(self, channel_id: str, cycle: int) -> Flow[BatchDetails]:
        """A netting batch: its stub for any member, its record for the channel's banks."""
        request = payments_pb2.GetBatchRequest(channel_id=channel_id, cycle=cycle)
        answer = yield from self._query("GetBatch", request, payments_pb2.BatchResponse)
        return BatchDetails(answer.batch, answer.record if answer.HasField("record") else None)

    def get_quote(self, quote_id: str) -> Flow[QuoteDetails]:
        """A quote: its stub for any member (EXPIRED once past its validity), its terms for the banks."""
        self._check(validation.check_uuid4, quote_id, "quote_id")
        answer = yield from self._query(
            "GetQuote", payments_pb2.GetQuoteRequest(quote_id=quote_id), payments_pb2.QuoteResponse
        )
        stub = answer.quote
        if stub.status == payments_pb2.QUOTE_STATUS_OPEN and stub.valid_until.ToDatetime(
            datetime.UTC
        ) <= datetime.datetime.now(datetime.UTC):
            stub.status = payments_pb2.QUOTE_STATUS_EXPIRED
        return QuoteDetails(stub, answer.record if answer.HasField("record") else None)

    def audit_trail(self, object_type: str, object_id: str) -> Flow[list[compliance_pb2.AuditEntry]]:
        """Every committed write of a payment (UETR), payment-channel, batch (``<channel>/<cycle>``) or
        quote, newest first."""
        request = compliance_pb2.GetAuditTrailRequest(object_type=object_type, object_id=object_id)
        self._check(audit_key, request)
        answer = yield from self._query("GetAuditTrail", request, compliance_pb2.AuditTrailResponse)
        return list(answer.entries)

    def payment_history(self, uetr: str) -> Flow[list[StubVersion[payments_pb2.PaymentStub]]]:
        """Every version of a payment's public stub, newest first (its status, its returns, a change of
        its private record such as a recall), with the transaction that wrote it and that transaction's
        timestamp; empty for a UETR never paid. Any bank of the channel may read it."""
        entries = yield from self.audit_trail("payment", uetr)
        return stub_versions(entries, payments_pb2.PaymentStub)


# ------------------------------------------------------------------------------------------------
# The two front ends


class Payments(BlockingClient[PaymentsFlows]):
    """Payment channels, quotes and payments on one consortium channel, through a blocking
    :class:`~tradefin.gateway.Gateway`.

    Every method is one operation of the ``pay`` contract. Submits return :class:`Committed`; queries
    return the records. A refusal raises the error class of its code; a transaction that was
    endorsed but committed invalid (e.g. an MVCC conflict) raises the gateway's ``CommitError``.
    """

    def __init__(
        self,
        gateway: Gateway,
        channel: str,
        *,
        chaincode: str = DEFAULT_CHAINCODE,
        validate: bool = True,
        pin_endorsers: bool = True,
        session: Session | None = None,
        slots: SlotPicker | None = None,
    ) -> None:
        """Args:
        gateway: a connection to one of the caller's bank's peers, as a role-bearing user.
        channel: the consortium channel of the payment channel's banks.
        chaincode: the chaincode that runs the ``pay`` contract.
        validate: check arguments early with the rules' own checks (the chaincode checks anyway).
        pin_endorsers: endorse by the payment channel's two banks (else: the gateway's discovery).
        session: shared by clients that must read each other's writes.
        slots: shared by clients of one bank that pay concurrently on the same channels.
        """
        settings = ClientSettings(
            gateway.identity.msp_id, validate=validate, pin_endorsers=pin_endorsers, session=session,
            channel=channel,
        )
        super().__init__(gateway, channel, CONTRACT_NAME, PaymentsFlows(settings, slots), chaincode)

    propose_channel = blocking(PaymentsFlows.propose_channel)
    accept_channel = blocking(PaymentsFlows.accept_channel)
    record_deposit = blocking(PaymentsFlows.record_deposit)
    confirm_deposit = blocking(PaymentsFlows.confirm_deposit)
    suspend_channel = blocking(PaymentsFlows.suspend_channel)
    resume_channel = blocking(PaymentsFlows.resume_channel)
    wind_down_channel = blocking(PaymentsFlows.wind_down_channel)
    close_channel = blocking(PaymentsFlows.close_channel)
    cut_off = blocking(PaymentsFlows.cut_off)
    freeze_batch = blocking(PaymentsFlows.freeze_batch)
    net = blocking(PaymentsFlows.net)
    settle_batch = blocking(PaymentsFlows.settle_batch)
    create_quote = blocking(PaymentsFlows.create_quote)
    pay = blocking(PaymentsFlows.pay)
    approve = blocking(PaymentsFlows.approve)
    lapse = blocking(PaymentsFlows.lapse)
    report_status = blocking(PaymentsFlows.report_status)
    return_payment = blocking(PaymentsFlows.return_payment)
    recall = blocking(PaymentsFlows.recall)
    reject_recall = blocking(PaymentsFlows.reject_recall)
    accept_recall = blocking(PaymentsFlows.accept_recall)
    get_channel = blocking(PaymentsFlows.get_channel)
    get_payment = blocking(PaymentsFlows.get_payment)
    get_batch = blocking(PaymentsFlows.get_batch)
    get_quote = blocking(PaymentsFlows.get_quote)
    audit_trail = blocking(PaymentsFlows.audit_trail)
    payment_history = blocking(PaymentsFlows.payment_history)


class AsyncPayments(AsyncClient[PaymentsFlows]):
    """The asyncio twin of :class:`Payments`: the same methods as coroutines, through an
    :class:`tradefin.gateway.aio.Gateway`; any number of payments may be in flight."""

    def __init__(
        self,
        gateway: aio.Gateway,
        channel: str,
        *,
        chaincode: str = DEFAULT_CHAINCODE,
        validate: bool = True,
        pin_endorsers: bool = True,
        session: Session | None = None,
        slots: SlotPicker | None = None,
    ) -> None:
        """Args: as for :class:`Payments`."""
        settings = ClientSettings(
            gateway.identity.msp_id, validate=validate, pin_endorsers=pin_endorsers, session=session,
            channel=channel,
        )
        super().__init__(gateway, channel, CONTRACT_NAME, PaymentsFlows(settings, slots), chaincode)

    propose_channel = asynchronous(PaymentsFlows.propose_channel)
    accept_channel = asynchronous(PaymentsFlows.accept_channel)
    record_deposit = asynchronous(PaymentsFlows.record_deposit)
    confirm_deposit = asynchronous(PaymentsFlows.confirm_deposit)
    suspend_channel = asynchronous(PaymentsFlows.suspend_channel)
    resume_channel = asynchronous(PaymentsFlows.resume_channel)
    wind_down_channel = asynchronous(PaymentsFlows.wind_down_channel)
    close_channel = asynchronous(PaymentsFlows.close_channel)
    cut_off = asynchronous(PaymentsFlows.cut_off)
    freeze_batch = asynchronous(PaymentsFlows.freeze_batch)
    net = asynchronous(PaymentsFlows.net)
    settle_batch = asynchronous(PaymentsFlows.settle_batch)
    create_quote = asynchronous(PaymentsFlows.create_quote)
    pay = asynchronous(PaymentsFlows.pay)
    approve = asynchronous(PaymentsFlows.approve)
    lapse = asynchronous(PaymentsFlows.lapse)
    report_status = asynchronous(PaymentsFlows.report_status)
    return_payment = asynchronous(PaymentsFlows.return_payment)
    recall = asynchronous(PaymentsFlows.recall)
    reject_recall = asynchronous(PaymentsFlows.reject_recall)
    accept_recall = asynchronous(PaymentsFlows.accept_recall)
    get_channel = asynchronous(PaymentsFlows.get_channel)
    get_payment = asynchronous(PaymentsFlows.get_payment)
    get_batch = asynchronous(PaymentsFlows.get_batch)
    get_quote = asynchronous(PaymentsFlows.get_quote)
    audit_trail = asynchronous(PaymentsFlows.audit_trail)
    payment_history = asynchronous(PaymentsFlows.payment_history)
