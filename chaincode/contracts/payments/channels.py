"""Payment channel transitions (DOMAIN.md section 3.2): propose and accept (both banks), deposits
confirmed by the other bank, suspend and resume, wind down and close, cut-off, the netting batch
and its settlement.

Every function is pure: current records and the request in, a
:class:`~tradefin.chaincode.contracts.compliance.ledger.Transition` out, or a rule error. Public stubs
carry a state-based endorsement policy requiring both banks, so no single bank moves the channel
alone even on a consortium channel of more than two banks.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from google.protobuf.internal.containers import RepeatedScalarFieldContainer
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from tradefin.chaincode.contracts.letters_of_credit.access import Role, Transaction, require_bank
from tradefin.chaincode.contracts.letters_of_credit.money import exponent
from tradefin.chaincode.contracts.letters_of_credit.records import SALT_BYTES, RecordKey, record_hash
from tradefin.chaincode.contracts.letters_of_credit.validation import check_bank, check_money, check_uuid4
from tradefin.protos import common_pb2, compliance_pb2
from tradefin.protos import payments_pb2 as pay

from ..compliance.audit import audit_event
from ..compliance.directory import require_listed, require_listed_on_record
from ..compliance.errors import duplicate, invalid_input, invalid_state, not_found, unauthorized
from ..compliance.ledger import Transition, Write
from ..compliance.limits import ClearanceEvidence
from ..compliance.officers import not_a_member, outside, require_member
from ..compliance.records import CREDIT_LINE_PRODUCT, credit_line_reservation_id
from .capacity import split
from .records import (
    batch_key,
    batch_record_key,
    channel_id_of,
    channel_key,
    channel_salt,
    deposit_key,
    funding_key,
    payment_collection,
    position_key,
    settlement_key,
)

DEFAULT_SLOTS: Final = 32
MAX_SLOTS: Final = 256
DEFAULT_CYCLE_SECONDS: Final = 86_400
MAX_CYCLE_SECONDS: Final = 7 * 86_400

_TREASURY: Final = (Role.TREASURY,)
_OPERATORS: Final = (Role.TREASURY, Role.COMPLIANCE)
#: States in which the channel takes new payments.
PAYING_STATES: Final = frozenset({pay.PAYMENT_CHANNEL_STATE_OPEN})
#: States in which cut-off, netting and settlement go on.
RUNNING_STATES: Final = frozenset(
    {pay.PAYMENT_CHANNEL_STATE_OPEN, pay.PAYMENT_CHANNEL_STATE_SUSPENDED, pay.PAYMENT_CHANNEL_STATE_CLOSING}
)


def state_name(state: pay.PaymentChannelState.ValueType) -> str:
    """``OPEN`` for PAYMENT_CHANNEL_STATE_OPEN; empty before the channel exists."""
    if state == pay.PAYMENT_CHANNEL_STATE_UNSPECIFIED:
        return ""
    return pay.PaymentChannelState.Name(state).removeprefix("PAYMENT_CHANNEL_STATE_")


@dataclass(frozen=True)
class ChannelFile:
    """A channel's public stub and private position, as read at the start of a transaction."""

    stub: pay.PaymentChannelStub
    position: pay.ChannelPosition

    @property
    def channel_id(self) -> str:
        """The channel's id."""
        return self.stub.channel_id

    @property
    def banks(self) -> tuple[common_pb2.BankRef, common_pb2.BankRef]:
        """Bank A and bank B."""
        return self.stub.bank_a, self.stub.bank_b

    @property
    def endorsers(self) -> tuple[str, ...]:
        """Both banks' MSP ids: the endorsement policy of the channel's public keys."""
        return tuple(sorted({self.stub.bank_a.msp_id, self.stub.bank_b.msp_id}))

    @property
    def slots(self) -> int:
        """Capacity slots per bank."""
        return self.stub.capacity_slots

    def is_a(self, bank: common_pb2.BankRef) -> bool:
        """Whether ``bank`` is bank A."""
        return bank.bic[:8] == self.stub.bank_a.bic[:8]

    def other(self, bank: common_pb2.BankRef) -> common_pb2.BankRef:
        """The channel's other bank."""
        return self.stub.bank_b if self.is_a(bank) else self.stub.bank_a

    def bank_by_bic(self, bic: str) -> common_pb2.BankRef | None:
        """The channel's bank with this BIC8, if any."""
        return next((bank for bank in self.banks if bank.bic[:8] == bic[:8]), None)

    def granted(self, bank: common_pb2.BankRef) -> Sequence[int]:
        """Cumulative capacity granted to each of the bank's slots."""
        return self.position.granted_a if self.is_a(bank) else self.position.granted_b

    def salt(self, key: RecordKey) -> bytes:
        """The derived salt of one of the channel's private records."""
        return channel_salt(self.position.salt, key)

    def private(self, key: RecordKey, record: Message) -> Write:
        """A write of one of the channel's private records to the channel's collection."""
        return Write(key, record, self.stub.collection)

    def public(self, key: RecordKey, record: Message) -> Write:
        """A write of one of the channel's public records, endorsed by both banks (the policy every
        public key of the channel gets when it is created; its two banks never change)."""
        return Write(key, record, endorsers=self.endorsers, endorsers_at_creation=True)


def advance(file: ChannelFile, tx: Transaction, event_type: str) -> pay.PaymentChannelStub:
    """A copy of the channel stub with version + 1, this transaction and event recorded."""
    stub = pay.PaymentChannelStub()
    stub.CopyFrom(file.stub)
    stub.version += 1
    stub.updated_tx_id = tx.tx_id
    stub.last_event = event_type
    return stub


def _step(
    tx: Transaction,
    file: ChannelFile,
    after: pay.PaymentChannelStub,
    event_type: str,
    *,
    position: pay.ChannelPosition | None = None,
    extra: Sequence[Write] = (),
    reason_code: str = "",
    payload_hash: str = "",
) -> Transition[pay.ChannelResponse]:
    """Write the channel stub (and the position when it changed), emit the event, answer."""
    writes = list(extra)
    if position is not None:
        writes.append(Write(position_key(file.channel_id), position, file.stub.collection))
        after.position_hash = record_hash(position)
        payload_hash = payload_hash or after.position_hash
    writes.append(file.public(channel_key(file.channel_id), after))
    event = audit_event(
        tx,
        event_type,
        object_type="payment-channel",
        object_id=file.channel_id,
        from_state=state_name(file.stub.state),
        to_state=state_name(after.state),
        reason_code=reason_code,
        payload_hash=payload_hash,
    )
    return Transition(response=pay.ChannelResponse(channel=after), writes=tuple(writes), event=event)


def _money_or_zero(money: common_pb2.Money, currency: str, field: str) -> int:
    """A credit limit: absent or zero, or a valid amount in the channel's currency."""
    if not money.currency and not money.minor_units:
        return 0
    if money.currency != currency:
        raise invalid_input(f"{field}.currency", f"must be the channel's currency {currency}")
    if money.minor_units == 0:
        return 0
    check_money(money, field)
    return money.minor_units


def credit_line_clearance(
    channel_id: str,
    granting: common_pb2.BankRef,
    counterparty: common_pb2.BankRef,
    limit: int,
    currency: str,
    salt: bytes,
) -> compliance_pb2.LimitClearance:
    """The clearance a bank shows for the credit line it grants its counterparty on a channel."""
    del granting
    return compliance_pb2.LimitClearance(
        reservation_id=credit_line_reservation_id(channel_id, counterparty.bic),
        amount=common_pb2.Money(currency=currency, minor_units=limit),
        counterparty_bic=counterparty.bic[:8],
        product=CREDIT_LINE_PRODUCT,
        salt=salt,
    )


def check_proposal(request: pay.ProposeChannelRequest) -> str:
    """The proposal's banks, currency and parameters; returns the channel id."""
    check_bank(request.proposer, "proposer")
    check_bank(request.counterparty, "counterparty")
    if (
        request.proposer.bic[:8] == request.counterparty.bic[:8]
        or request.proposer.msp_id == request.counterparty.msp_id
    ):
        raise invalid_input("counterparty", "a channel joins two different banks")
    exponent(request.currency, "currency")
    _money_or_zero(request.proposer_credit_limit, request.currency, "proposer_credit_limit")
    _money_or_zero(request.counterparty_credit_limit, request.currency, "counterparty_credit_limit")
    if not 0 <= request.capacity_slots <= MAX_SLOTS:
        raise invalid_input("capacity_slots", f"1..{MAX_SLOTS} (0 = {DEFAULT_SLOTS})")
    if not 0 <= request.cycle_seconds <= MAX_CYCLE_SECONDS:
        raise invalid_input("cycle_seconds", f"1..{MAX_CYCLE_SECONDS} (0 = {DEFAULT_CYCLE_SECONDS})")
    if len(request.salt) != SALT_BYTES:
        raise invalid_input("salt", f"{SALT_BYTES} random bytes")
    return channel_id_of(request.proposer.bic, request.counterparty.bic, request.currency)


def propose(
    tx: Transaction,
    request: pay.ProposeChannelRequest,
    existing: pay.PaymentChannelStub | None,
    clearance: ClearanceEvidence,
    governance: compliance_pb2.ComplianceGovernance | None,
) -> Transition[pay.ChannelResponse]:
    """A bank proposes a channel with the credit lines both banks grant each other. Once a compliance
    configuration is in force, both are its member banks (only theirs vouch for a payment's parties),
    named as its directory lists them when it has one."""
    channel_id = check_proposal(request)
    require_bank(tx.caller, request.proposer, _TREASURY, "proposing a payment channel")
    require_member(tx, governance, "proposing a payment channel")
    if outside(governance, request.counterparty.msp_id):
        raise invalid_input("counterparty.msp_id", not_a_member(request.counterparty.msp_id))
    require_listed(governance, [("proposer", request.proposer), ("counterparty", request.counterparty)])
    if existing is not None:
        raise duplicate("counterparty", f"channel {channel_id} exists ({state_name(existing.state)})")
    currency = request.currency
    proposer_limit = _money_or_zero(request.proposer_credit_limit, currency, "proposer_credit_limit")
    counterparty_limit = _money_or_zero(request.counterparty_credit_limit, currency, "counterparty_credit_limit")
    clearance.check(
        credit_line_clearance(
            channel_id,
            request.proposer,
            request.counterparty,
            counterparty_limit,
            currency,
            request.limit_clearance_salt,
        )
    )
    proposer_is_a = request.proposer.bic[:8] < request.counterparty.bic[:8]
    bank_a, bank_b = (
        (request.proposer, request.counterparty) if proposer_is_a else (request.counterparty, request.proposer)
    )
    slots = request.capacity_slots or DEFAULT_SLOTS
    limit_a, limit_b = (proposer_limit, counterparty_limit) if proposer_is_a else (counterparty_limit, proposer_limit)
    stub = pay.PaymentChannelStub(
        channel_id=channel_id,
        bank_a=common_pb2.BankRef(bic=bank_a.bic[:8], msp_id=bank_a.msp_id),
        bank_b=common_pb2.BankRef(bic=bank_b.bic[:8], msp_id=bank_b.msp_id),
        currency=currency,
        capacity_slots=slots,
        cycle_seconds=request.cycle_seconds or DEFAULT_CYCLE_SECONDS,
        collection=payment_collection((bank_a.msp_id, bank_b.msp_id)),
        proposed_by_msp_id=tx.caller.msp_id,
        created_tx_id=tx.tx_id,
    )
    position = pay.ChannelPosition(
        salt=request.salt,
        credit_limit_a=limit_a,
        credit_limit_b=limit_b,
        granted_a=split(limit_a, slots),
        granted_b=split(limit_b, slots),
    )
    file = ChannelFile(stub, position)  # state UNSPECIFIED: the channel did not exist
    after = advance(file, tx, "channel.proposed")
    after.state = pay.PAYMENT_CHANNEL_STATE_PROPOSED
    return _step(tx, file, after, "channel.proposed", position=position)


def accept(
    tx: Transaction,
    request: pay.AcceptChannelRequest,
    file: ChannelFile,
    clearance: ClearanceEvidence,
    governance: compliance_pb2.ComplianceGovernance | None,
) -> Transition[pay.ChannelResponse]:
    """The other bank accepts: the channel opens with cycle 1. Once a compliance configuration is in
    force, both banks are its members (a proposal made before the adoption may name one that is not)."""
    if file.stub.state != pay.PAYMENT_CHANNEL_STATE_PROPOSED:
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}")
    acceptor = next((bank for bank in file.banks if bank.msp_id != file.stub.proposed_by_msp_id), None)
    if acceptor is None:
        raise invalid_state("the channel has no bank other than its proposer")
    require_bank(tx.caller, acceptor, _TREASURY, "accepting a payment channel")
    require_member(tx, governance, "accepting a payment channel")
    proposer = file.other(acceptor)
    if outside(governance, proposer.msp_id):
        raise invalid_state(f"the proposer {not_a_member(proposer.msp_id)}: the channel cannot open")
    require_listed_on_record(governance, file.banks, f"channel {file.channel_id}")  # proposed before the directory
    granted_to_proposer = file.position.credit_limit_b if file.is_a(acceptor) else file.position.credit_limit_a
    clearance.check(
        credit_line_clearance(
            file.channel_id, acceptor, proposer, granted_to_proposer, file.stub.currency, request.limit_clearance_salt
        )
    )
    after = advance(file, tx, "channel.opened")
    after.state = pay.PAYMENT_CHANNEL_STATE_OPEN
    after.open_cycle = 1
    after.cutoff_at.CopyFrom(_at(tx.timestamp + datetime.timedelta(seconds=file.stub.cycle_seconds)))
    return _step(tx, file, after, "channel.opened")


def _at(moment: datetime.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def require_channel_bank(tx: Transaction, file: ChannelFile, roles: Sequence[Role], action: str) -> common_pb2.BankRef:
    """The caller belongs to one of the channel's banks and holds one of ``roles``."""
    return require_bank(tx.caller, file.banks, roles, action)


def record_deposit(
    tx: Transaction,
    request: pay.RecordDepositRequest,
    file: ChannelFile,
    existing: pay.Deposit | None,
    funding_used: pay.FundingReference | None,
) -> Transition[pay.ChannelResponse]:
    """A bank records a deposit into its side; it counts once the other bank confirms it.

    ``funding_used``: the public marker of the funding pacs.009, when a confirmed deposit counted it.
    """
    bank = require_channel_bank(tx, file, _TREASURY, "recording a deposit")
    if file.stub.state not in (pay.PAYMENT_CHANNEL_STATE_OPEN, pay.PAYMENT_CHANNEL_STATE_SUSPENDED):
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}: no deposit")
    check_uuid4(request.deposit_id, "deposit_id")
    check_uuid4(request.funding_uetr, "funding_uetr")
    check_money(request.amount, "amount")
    if request.amount.currency != file.stub.currency:
        raise invalid_input("amount.currency", f"must be the channel's currency {file.stub.currency}")
    key = deposit_key(file.channel_id, request.deposit_id)
    if existing is not None:
        if existing.amount == request.amount and existing.funding_uetr == request.funding_uetr:
            return Transition(response=pay.ChannelResponse(channel=file.stub))  # a replay
        raise duplicate("deposit_id", f"deposit {request.deposit_id} exists")
    if funding_used is not None:
        raise duplicate("funding_uetr", f"{request.funding_uetr} already funded a deposit")
    deposit = pay.Deposit(
        deposit_id=request.deposit_id,
        channel_id=file.channel_id,
        bank=bank,
        amount=request.amount,
        funding_uetr=request.funding_uetr,
        status=pay.DEPOSIT_STATUS_PENDING,
        recorded_at=tx.timestamp_proto(),
        salt=file.salt(key),
    )
    event = audit_event(
        tx,
        "deposit.recorded",
        object_type="deposit",
        object_id=f"{file.channel_id}/{request.deposit_id}",
        to_state="PENDING",
        payload_hash=record_hash(deposit),
    )
    return Transition(
        response=pay.ChannelResponse(channel=file.stub), writes=(file.private(key, deposit),), event=event
    )


def confirm_deposit(
    tx: Transaction,
    request: pay.ConfirmDepositRequest,
    file: ChannelFile,
    deposit: pay.Deposit | None,
    funding_used: pay.FundingReference | None,
) -> Transition[pay.ChannelResponse]:
    """The other bank confirms the funding arrived: the deposit and the depositor's capacity grow.

    One funding pacs.009 funds one deposit: its UETR is marked used (public, like a settlement
    reference), and a deposit whose funding another deposit counted already is refused
    (``funding_used``: that marker, read by the service).
    """
    if deposit is None:
        raise not_found("deposit_id", f"channel {file.channel_id} has no deposit {request.deposit_id}")
    confirmer = file.other(deposit.bank)
    require_bank(tx.caller, confirmer, _TREASURY, "confirming a deposit")
    if deposit.status != pay.DEPOSIT_STATUS_PENDING:
        raise invalid_state(f"deposit {request.deposit_id} is already confirmed")
    if file.stub.state not in RUNNING_STATES:
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}")
    if funding_used is not None:
        raise duplicate("funding_uetr", f"{deposit.funding_uetr} already funded a deposit")
    confirmed = pay.Deposit()
    confirmed.CopyFrom(deposit)
    confirmed.status = pay.DEPOSIT_STATUS_CONFIRMED
    confirmed.confirmed_at.CopyFrom(tx.timestamp_proto())
    position = pay.ChannelPosition()
    position.CopyFrom(file.position)
    shares = split(deposit.amount.minor_units, file.slots)
    if file.is_a(deposit.bank):
        position.deposit_a += deposit.amount.minor_units
        _add(position.granted_a, shares)
    else:
        position.deposit_b += deposit.amount.minor_units
        _add(position.granted_b, shares)
    after = advance(file, tx, "deposit.confirmed")
    key = deposit_key(file.channel_id, request.deposit_id)
    marker = pay.FundingReference(
        funding_uetr=deposit.funding_uetr, channel_id=file.channel_id, deposit_id=deposit.deposit_id
    )
    extra = (file.private(key, confirmed), file.public(funding_key(deposit.funding_uetr), marker))
    return _step(tx, file, after, "deposit.confirmed", position=position, extra=extra)


def _add(granted: RepeatedScalarFieldContainer[int], shares: Sequence[int]) -> None:
    for index, share in enumerate(shares):
        granted[index] += share


def suspend(tx: Transaction, request: pay.SuspendChannelRequest, file: ChannelFile) -> Transition[pay.ChannelResponse]:
    """Either bank stops new payments."""
    del request
    bank = require_channel_bank(tx, file, _OPERATORS, "suspending a payment channel")
    if file.stub.state != pay.PAYMENT_CHANNEL_STATE_OPEN:
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}")
    after = advance(file, tx, "channel.suspended")
    after.state = pay.PAYMENT_CHANNEL_STATE_SUSPENDED
    after.suspended_by_msp_id = bank.msp_id
    return _step(tx, file, after, "channel.suspended")


def resume(tx: Transaction, request: pay.ResumeChannelRequest, file: ChannelFile) -> Transition[pay.ChannelResponse]:
    """The bank that suspended the channel resumes it."""
    del request
    bank = require_channel_bank(tx, file, _OPERATORS, "resuming a payment channel")
    if file.stub.state != pay.PAYMENT_CHANNEL_STATE_SUSPENDED:
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}")
    if bank.msp_id != file.stub.suspended_by_msp_id:
        raise unauthorized(f"only {file.stub.suspended_by_msp_id}, which suspended the channel, resumes it")
    after = advance(file, tx, "channel.resumed")
    after.state = pay.PAYMENT_CHANNEL_STATE_OPEN
    after.suspended_by_msp_id = ""
    return _step(tx, file, after, "channel.resumed")


def wind_down(
    tx: Transaction, request: pay.WindDownChannelRequest, file: ChannelFile
) -> Transition[pay.ChannelResponse]:
    """Either bank stops new payments for good; the channel closes once everything is settled."""
    del request
    require_channel_bank(tx, file, _TREASURY, "winding down a payment channel")
    if file.stub.state not in (pay.PAYMENT_CHANNEL_STATE_OPEN, pay.PAYMENT_CHANNEL_STATE_SUSPENDED):
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}")
    after = advance(file, tx, "channel.winding_down")
    after.state = pay.PAYMENT_CHANNEL_STATE_CLOSING
    return _step(tx, file, after, "channel.winding_down")


@dataclass(frozen=True)
class Activity:
    """What a close must find empty: approvals pending, payments in cycles not frozen."""

    pending_approvals: int
    unfrozen_payments: int


def close(
    tx: Transaction, request: pay.CloseChannelRequest, file: ChannelFile, activity: Activity
) -> Transition[pay.ChannelResponse]:
    """Close a channel with nothing unsettled (INV-PAY-08): no pending approval, no payment in a
    cycle not frozen, every batch settled. Final balances are the deposits, paid out off-ledger.

    A channel still PROPOSED (nothing ran on it: no deposit, no payment) is closed by either bank: its
    proposer withdraws it, the other bank declines it -- e.g. a proposal that a configuration adopted
    since leaves with a bank that is not a member, which can no longer open."""
    del request
    require_channel_bank(tx, file, _TREASURY, "closing a payment channel")
    stub = file.stub
    if stub.state == pay.PAYMENT_CHANNEL_STATE_PROPOSED:
        after = advance(file, tx, "channel.closed")
        after.state = pay.PAYMENT_CHANNEL_STATE_CLOSED
        return _step(tx, file, after, "channel.closed")
    if stub.state not in RUNNING_STATES:
        raise invalid_state(f"channel {file.channel_id} is {state_name(stub.state)}")
    if activity.pending_approvals:
        raise invalid_state(f"{activity.pending_approvals} payment(s) wait for approval")
    if activity.unfrozen_payments or stub.last_frozen_cycle < stub.open_cycle - 1:
        raise invalid_state("payments are not netted yet: cut off, freeze and settle first")
    if stub.last_settled_cycle < stub.last_frozen_cycle:
        raise invalid_state(f"batch {stub.last_settled_cycle + 1} is not settled")
    after = advance(file, tx, "channel.closed")
    after.state = pay.PAYMENT_CHANNEL_STATE_CLOSED
    return _step(tx, file, after, "channel.closed")


def cycle_for(stub: pay.PaymentChannelStub, moment: datetime.datetime) -> int:
    """The cycle a payment made at ``moment`` goes into: the open cycle, or the next one once the
    scheduled cut-off has passed (INV-PAY-08)."""
    if moment >= stub.cutoff_at.ToDatetime(datetime.UTC):
        return stub.open_cycle + 1
    return stub.open_cycle


def cut_off(tx: Transaction, request: pay.CutOffRequest, file: ChannelFile) -> Transition[pay.ChannelResponse]:
    """Either bank records the cut-off of the open cycle: payments committed later go into the next
    cycle, and the cut-off cycle can be frozen (it changes no more)."""
    del request
    require_channel_bank(tx, file, _TREASURY, "cutting off a cycle")
    stub = file.stub
    if stub.state not in RUNNING_STATES:
        raise invalid_state(f"channel {file.channel_id} is {state_name(stub.state)}")
    if stub.last_frozen_cycle < stub.open_cycle - 1:
        raise invalid_state(f"freeze cycle {stub.open_cycle - 1} first")
    after = advance(file, tx, "cycle.cut_off")
    after.open_cycle += 1
    length = datetime.timedelta(seconds=stub.cycle_seconds)
    cutoff = stub.cutoff_at.ToDatetime(datetime.UTC)
    if cutoff <= tx.timestamp:  # the first cycle boundary after now, however long the channel was quiet
        cutoff += length * ((tx.timestamp - cutoff) // length + 1)
    after.cutoff_at.CopyFrom(_at(cutoff))
    return _step(tx, file, after, "cycle.cut_off", reason_code=f"CYCLE_{stub.open_cycle}")


@dataclass(frozen=True)
class TallyRow:
    """A bank's sends through one slot in the cycle being frozen."""

    bic: str
    slot: int
    tally: pay.CycleTally


def freeze(
    tx: Transaction, request: pay.FreezeBatchRequest, file: ChannelFile, tallies: Sequence[TallyRow]
) -> Transition[pay.BatchResponse]:
    """Freeze the netting batch of the cut-off cycle: gross per direction, net, the payments.

    ``tallies`` are the cycle's tallies of both banks (read by key). The conservation check
    (INV-PAY-02) runs here: for each bank the payments listed add up to its slots' gross, and the net
    moved between the banks' balances sums to zero.
    """
    require_channel_bank(tx, file, _TREASURY, "freezing a netting batch")
    stub = file.stub
    if stub.state not in RUNNING_STATES:
        raise invalid_state(f"channel {file.channel_id} is {state_name(stub.state)}")
    if request.cycle != stub.last_frozen_cycle + 1:
        raise invalid_state(f"the next batch to freeze is cycle {stub.last_frozen_cycle + 1}")
    if request.cycle >= stub.open_cycle:
        raise invalid_state(f"cycle {request.cycle} is not cut off yet")
    bank_a = stub.bank_a.bic[:8]
    slot_gross = {bank.bic[:8]: [0] * file.slots for bank in file.banks}
    counted = dict.fromkeys(slot_gross, 0)
    listed = dict.fromkeys(slot_gross, 0)
    uetrs = []
    for row in tallies:
        bic = row.bic[:8]
        slot_gross[bic][row.slot] += row.tally.gross
        counted[bic] += row.tally.count
        for entry in row.tally.entries:
            listed[bic] += entry.amount
            uetrs.append(entry.uetr)
    gross = {bic: sum(values) for bic, values in slot_gross.items()}
    if listed != gross or sum(counted.values()) != len(uetrs):
        raise invalid_state("conservation check failed: the cycle's payments do not add up to its tallies")
    bank_b = stub.bank_b.bic[:8]
    gross_a, gross_b = gross[bank_a], gross[bank_b]
    key = batch_record_key(file.channel_id, request.cycle)
    net = gross_a - gross_b
    batch = pay.NettingBatch(
        salt=file.salt(key),
        channel_id=file.channel_id,
        cycle=request.cycle,
        gross_a_to_b=gross_a,
        gross_b_to_a=gross_b,
        count_a_to_b=counted[bank_a],
        count_b_to_a=counted[bank_b],
        net_amount=abs(net),
        net_debtor_bic=bank_a if net > 0 else (bank_b if net < 0 else ""),
        payment_uetrs=sorted(uetrs),
        slot_gross_a=slot_gross[bank_a],
        slot_gross_b=slot_gross[bank_b],
    )
    position = pay.ChannelPosition()
    position.CopyFrom(file.position)
    position.netted_a += gross_b - gross_a
    position.netted_b += gross_a - gross_b
    if position.netted_a + position.netted_b != 0:
        raise invalid_state("conservation check failed: netted positions do not sum to zero")
    batch_stub = pay.NettingBatchStub(
        channel_id=file.channel_id,
        cycle=request.cycle,
        status=pay.BATCH_STATUS_FROZEN,
        batch_hash=record_hash(batch),
        frozen_at=tx.timestamp_proto(),
        version=1,
        frozen_tx_id=tx.tx_id,
    )
    after = advance(file, tx, "batch.frozen")
    after.last_frozen_cycle = request.cycle
    channel = _step(
        tx,
        file,
        after,
        "batch.frozen",
        position=position,
        extra=(file.private(key, batch), file.public(batch_key(file.channel_id, request.cycle), batch_stub)),
        reason_code=f"CYCLE_{request.cycle}",
        payload_hash=batch_stub.batch_hash,
    )
    return Transition(response=pay.BatchResponse(batch=batch_stub), writes=channel.writes, event=channel.event)


def settle(
    tx: Transaction,
    request: pay.SettleBatchRequest,
    file: ChannelFile,
    batch_stub: pay.NettingBatchStub | None,
    batch: pay.NettingBatch | None,
    reference_used: bool,
) -> Transition[pay.BatchResponse]:
    """The bank owed the net amount confirms the pacs.009 that paid it (either bank when the net is
    zero): the batch is settled, the netted positions reset and the capacity the batch used comes back
    to the slots it was drawn from. Batches settle in order, once (INV-PAY-08)."""
    stub = file.stub
    if batch_stub is None or batch is None:
        raise not_found("cycle", f"channel {file.channel_id} has no batch {request.cycle}")
    if batch_stub.status == pay.BATCH_STATUS_SETTLED:
        raise invalid_state(f"batch {request.cycle} is already settled (by {batch_stub.settlement_uetr})")
    if request.cycle != stub.last_settled_cycle + 1:
        raise invalid_state(f"batch {stub.last_settled_cycle + 1} settles first")
    check_uuid4(request.settlement_uetr, "settlement_uetr")
    if reference_used:
        raise duplicate("settlement_uetr", f"{request.settlement_uetr} already settled a batch")
    if batch.net_amount:
        creditor = next(bank for bank in file.banks if bank.bic[:8] != batch.net_debtor_bic)
        require_bank(tx.caller, creditor, _TREASURY, "confirming the settlement of a batch")
    else:
        require_channel_bank(tx, file, _TREASURY, "confirming the settlement of a batch")
    position = pay.ChannelPosition()
    position.CopyFrom(file.position)
    position.netted_a -= batch.gross_b_to_a - batch.gross_a_to_b
    position.netted_b -= batch.gross_a_to_b - batch.gross_b_to_a
    _add(position.granted_a, batch.slot_gross_a)
    _add(position.granted_b, batch.slot_gross_b)
    settled = pay.NettingBatchStub()
    settled.CopyFrom(batch_stub)
    settled.status = pay.BATCH_STATUS_SETTLED
    settled.settled_at.CopyFrom(tx.timestamp_proto())
    settled.settlement_uetr = request.settlement_uetr
    settled.settled_tx_id = tx.tx_id
    settled.version += 1
    after = advance(file, tx, "batch.settled")
    after.last_settled_cycle = request.cycle
    marker = pay.SettlementReference(
        settlement_uetr=request.settlement_uetr, channel_id=file.channel_id, cycle=request.cycle
    )
    channel = _step(
        tx,
        file,
        after,
        "batch.settled",
        position=position,
        extra=(
            file.public(batch_key(file.channel_id, request.cycle), settled),
            file.public(settlement_key(request.settlement_uetr), marker),
        ),
        reason_code=f"CYCLE_{request.cycle}",
        payload_hash=settled.batch_hash,
    )
    return Transition(response=pay.BatchResponse(batch=settled), writes=channel.writes, event=channel.event)
