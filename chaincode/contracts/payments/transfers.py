"""Payments on a channel (DOMAIN.md sections 3.3-3.4, 4.4): initiation with compliance, caps and dual
control, execution against sharded capacity, status reports, lapse of pending approvals, returns and
recalls.

Every function is pure. The service reads the records (channel, quote, compliance files, slots and
tallies) and hands them in; a function returns a
:class:`~tradefin.chaincode.contracts.compliance.ledger.Transition` or raises a rule error.

Status is monotonic (INV-PAY-05): PDNG -> ACSP -> ACSC -> ACCC, ACSP/ACSC -> ACCC, ACSP -> RJCT (only
while the payment's cycle is still open, so a frozen batch never changes); nothing leaves ACCC or
RJCT except a return, which is a new payment under a new UETR linked to the original.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.access import Role, Transaction, require_bank
from tradefin.chaincode.contracts.letters_of_credit.records import SALT_BYTES, RecordKey, record_hash, request_hash
from tradefin.chaincode.contracts.letters_of_credit.validation import (
    SWIFT_X,
    check_account,
    check_money,
    check_party,
    check_text,
    check_uuid4,
    from_date,
)
from tradefin.protos import common_pb2, compliance_pb2
from tradefin.protos import payments_pb2 as pay

from ..compliance.audit import audit_event
from ..compliance.errors import (
    approval_required,
    duplicate,
    expired,
    insufficient_funds,
    invalid_input,
    invalid_state,
    limit_exceeded,
    not_found,
    unauthorized,
)
from ..compliance.gate import GateResult, bic_country
from ..compliance.ledger import Transition, Write
from ..compliance.limits import ClearanceEvidence
from ..compliance.rates import convert_back, in_currency, parse_rate
from ..compliance.records import PAYMENT_PRODUCT
from .amounts import (
    check_fee_shapes,
    check_fees,
    credited_amount,
    fees_by,
    payment_amounts,
    require_within_disclosure,
)
from .capacity import SlotRoom, drawn, given_back
from .channels import PAYING_STATES, RUNNING_STATES, ChannelFile, state_name
from .quotes import QuoteFile, use_quote
from .records import payment_key, payment_record_key, pending_key, quote_key, slot_key, tally_key

_PURPOSE = re.compile(r"^[A-Z]{4}\Z")
_REASON = re.compile(r"^[A-Z0-9]{4}\Z")
#: Reason code of a payment whose approval window elapsed.
LAPSED_REASON: Final = "NARR"
_CREDIT_REPORTS: Final = frozenset({pay.PAYMENT_STATUS_ACSC, pay.PAYMENT_STATUS_ACCC})
#: The statuses a creditor agent reports.
_REPORTED: Final = _CREDIT_REPORTS | {pay.PAYMENT_STATUS_RJCT}
#: Return reason of a return that answers a recall (pacs.004 "following cancellation request").
RECALL_RETURN_REASON: Final = "FOCR"
#: The statuses of a payment that moved on the channel: what a recall can ask back.
_MOVED: Final = frozenset({pay.PAYMENT_STATUS_ACSP}) | _CREDIT_REPORTS
#: The recalls a payment keeps (each request with its answer).
MAX_RECALLS: Final = 8
#: The event of a change to a payment's private record alone (a recall or its rejection).
ANNOTATED_EVENT: Final = "payment.annotated"
_NEXT: Final[Mapping[int, frozenset[int]]] = {
    pay.PAYMENT_STATUS_ACSP: frozenset({pay.PAYMENT_STATUS_ACSC, pay.PAYMENT_STATUS_ACCC, pay.PAYMENT_STATUS_RJCT}),
    pay.PAYMENT_STATUS_ACSC: frozenset({pay.PAYMENT_STATUS_ACCC}),
}


def check_reason_code(value: str, kind: str = "reason code") -> None:
    """An ISO 20022 reason code: 4 upper-case letters or digits ("AC04", "DUPL", "FOCR")."""
    if not _REASON.match(value):
        raise invalid_input("reason_code", f"an ISO 20022 {kind} (4 upper-case letters or digits)")


def status_name(status: pay.PaymentStatus.ValueType) -> str:
    """``ACSP`` for PAYMENT_STATUS_ACSP; empty before the payment exists."""
    if status == pay.PAYMENT_STATUS_UNSPECIFIED:
        return ""
    return pay.PaymentStatus.Name(status).removeprefix("PAYMENT_STATUS_")


@dataclass(frozen=True)
class PaymentFile:
    """A payment's public stub and private record."""

    stub: pay.PaymentStub
    record: pay.PaymentRecord


def fingerprint(request: pay.InitiatePaymentRequest) -> str:
    """The idempotency fingerprint of an initiation: its content, whatever slot the client picked and
    whatever fresh salt a resubmission drew."""
    content = pay.InitiatePaymentRequest()
    content.CopyFrom(request)
    content.slot_hint = 0
    content.salt = b""
    return request_hash(content)


# ------------------------------------------------------------------------------------------------
# Initiation


@dataclass(frozen=True)
class Preparation:
    """A checked payment, ready to be made pending or executed."""

    record: pay.PaymentRecord
    sender: common_pb2.BankRef
    receiver: common_pb2.BankRef
    needs_approval: bool
    #: The quote's stub marked USED by this payment (None without a quote).
    used_quote: pay.QuoteStub | None


def check_request(request: pay.InitiatePaymentRequest) -> None:
    """Ids, amount, parties, accounts (the travel rule: FATF R.16) and free text."""
    check_uuid4(request.uetr, "uetr")
    if not request.end_to_end_id or len(request.end_to_end_id) > 35 or not set(request.end_to_end_id) <= SWIFT_X:
        raise invalid_input("end_to_end_id", "1..35 characters of the SWIFT x set")
    if request.kind not in (pay.PAYMENT_KIND_CUSTOMER_CREDIT_TRANSFER, pay.PAYMENT_KIND_FI_CREDIT_TRANSFER):
        raise invalid_input("kind", "CUSTOMER_CREDIT_TRANSFER or FI_CREDIT_TRANSFER (returns have their own request)")
    check_money(request.instructed_amount, "instructed_amount")
    if request.charge_bearer not in (pay.CHARGE_BEARER_DEBT, pay.CHARGE_BEARER_CRED, pay.CHARGE_BEARER_SHAR):
        raise invalid_input("charge_bearer", "DEBT, CRED or SHAR")
    check_party(request.debtor, "debtor", kyc_required=True)
    check_party(request.creditor, "creditor", kyc_required=True)
    check_account(request.debtor_account, "debtor_account")
    check_account(request.creditor_account, "creditor_account")
    if request.purpose and not _PURPOSE.match(request.purpose):
        raise invalid_input("purpose", "an ISO 20022 purpose code (4 upper-case letters)")
    check_text(request.remittance_information, "remittance_information", lines=1, width=140)
    check_fee_shapes(request.fees_disclosed, "fees_disclosed")
    check_fee_shapes(request.fees_charged, "fees_charged")
    if len(request.salt) != SALT_BYTES:
        raise invalid_input("salt", f"{SALT_BYTES} random bytes")


def _reference_amount(amount: common_pb2.Money, governance: compliance_pb2.ComplianceGovernance) -> common_pb2.Money:
    reference = governance.reference_currency
    return common_pb2.Money(
        currency=reference, minor_units=in_currency(amount, reference, governance, "instructed_amount")
    )


def check_caps(
    reference_amount: common_pb2.Money,
    countries: Sequence[str],
    governance: compliance_pb2.ComplianceGovernance,
) -> None:
    """The pilot's per-payment cap and the country caps (INV-PAY-07)."""
    if reference_amount.minor_units > governance.pilot_caps.max_per_payment.minor_units:
        raise limit_exceeded("instructed_amount", "exceeds the pilot's per-payment cap")
    for cap in governance.country_caps:
        if cap.country in countries and reference_amount.minor_units > cap.max_per_payment.minor_units:
            raise limit_exceeded("instructed_amount", f"exceeds the per-payment cap for {cap.country}")


def reportable_in(
    reference_amount: common_pb2.Money,
    agents: Sequence[common_pb2.BankRef],
    governance: compliance_pb2.ComplianceGovernance,
) -> list[str]:
    """Countries of the agents whose reporting threshold the payment reaches."""
    countries = {bic_country(agent.bic) for agent in agents}
    return sorted(
        {
            threshold.country
            for threshold in governance.reporting_thresholds
            if threshold.country in countries and reference_amount.minor_units >= threshold.amount.minor_units
        }
    )


def prepare(
    tx: Transaction,
    request: pay.InitiatePaymentRequest,
    file: ChannelFile,
    sender: common_pb2.BankRef,
    governance: compliance_pb2.ComplianceGovernance,
    quote: QuoteFile | None,
    gate: GateResult,
    clearance: ClearanceEvidence,
    kyc_banks: tuple[common_pb2.BankRef, common_pb2.BankRef],
) -> Preparation:
    """Check an initiation against the channel and build the payment's record; decide whether it needs a
    second approver.

    The request on its own has passed ``check_request`` (the service runs it before any ledger read).
    ``sender`` is the debtor agent (the caller's bank, already authorised); ``kyc_banks`` the banks
    whose attestations covered the debtor and the creditor.
    """
    if file.stub.state not in PAYING_STATES:
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}: no new payments")
    receiver = file.other(sender)
    currency = file.stub.currency
    used_quote = None
    rate = None
    if request.quote_id:
        used_quote = use_quote(
            tx,
            quote,
            quote_id=request.quote_id,
            channel_id=file.channel_id,
            sender_bic=sender.bic,
            instructed=request.instructed_amount,
            uetr=request.uetr,
        )
        if request.fees_disclosed:
            raise invalid_input("fees_disclosed", "the quote's fees are the disclosure")
        assert quote is not None
        disclosed = list(quote.record.fees)
        rate = quote.rate
    else:
        if request.instructed_amount.currency != currency:
            raise invalid_input("instructed_amount.currency", f"needs an FX quote into the channel's {currency}")
        disclosed = list(request.fees_disclosed)
    agents = [sender.bic, receiver.bic]
    check_fees(disclosed, currency, agents, "fees_disclosed")
    check_fees(request.fees_charged, currency, [sender.bic], "fees_charged")
    require_within_disclosure(request.fees_charged, disclosed, sender.bic, "fees_charged")
    amounts = payment_amounts(
        instructed=request.instructed_amount.minor_units,
        sell_currency=request.instructed_amount.currency,
        channel_currency=currency,
        rate=rate,
        bearer=request.charge_bearer,
        disclosed=disclosed,
        charged=request.fees_charged,
        debtor_agent_bic=sender.bic,
        creditor_agent_bic=receiver.bic,
    )
    settlement = common_pb2.Money(currency=currency, minor_units=amounts.settlement)
    reference = _reference_amount(settlement, governance)
    check_caps(reference, [request.debtor.country, request.creditor.country], governance)
    clearance.check(
        compliance_pb2.LimitClearance(
            reservation_id=request.uetr,
            amount=request.instructed_amount,
            counterparty_bic=receiver.bic[:8],
            country=request.creditor.country,
            customer_ref=request.debtor.kyc_ref,
            product=PAYMENT_PRODUCT,
            salt=request.limit_clearance_salt,
        )
    )
    record = pay.PaymentRecord(
        uetr=request.uetr,
        salt=request.salt,
        request_hash=fingerprint(request),
        end_to_end_id=request.end_to_end_id,
        kind=request.kind,
        debtor=request.debtor,
        debtor_account=request.debtor_account,
        creditor=request.creditor,
        creditor_account=request.creditor_account,
        debtor_agent=sender,
        creditor_agent=receiver,
        instructed_amount=request.instructed_amount,
        quote_id=request.quote_id,
        exchange_rate=str(rate) if rate is not None else "",
        converted_amount=common_pb2.Money(currency=currency, minor_units=amounts.converted),
        settlement_amount=settlement,
        credited_amount=common_pb2.Money(currency=currency, minor_units=amounts.expected_credited),
        charge_bearer=request.charge_bearer,
        fees_disclosed=disclosed,
        fees_charged=request.fees_charged,
        purpose=request.purpose,
        remittance_information=request.remittance_information,
        maker_hash=tx.caller.identity_hash,
        initiated_at=tx.timestamp_proto(),
        reportable_in=reportable_in(reference, [sender, receiver], governance),
        debtor_kyc_bank=kyc_banks[0],
        creditor_kyc_bank=kyc_banks[1],
        reference_amount=reference,
    )
    needs_approval = (
        reference.minor_units >= governance.dual_control_threshold.minor_units or gate.needs_second_approver
    )
    return Preparation(record, sender, receiver, needs_approval, used_quote)


def _stub(
    tx: Transaction, file: ChannelFile, record: pay.PaymentRecord, status: pay.PaymentStatus.ValueType, cycle: int
) -> pay.PaymentStub:
    return pay.PaymentStub(
        uetr=record.uetr,
        channel_id=file.channel_id,
        kind=record.kind,
        status=status,
        cycle=cycle,
        sender_bic=record.debtor_agent.bic[:8],
        receiver_bic=record.creditor_agent.bic[:8],
        return_of_uetr=record.return_of_uetr,
        lc_id=record.lc_id,
        presentation_id=record.presentation_id,
        status_history=[_change(tx, status, record.debtor_agent.bic)],
        record_hash=record_hash(record),
        version=1,
        created_tx_id=tx.tx_id,
        updated_tx_id=tx.tx_id,
    )


def _change(tx: Transaction, status: pay.PaymentStatus.ValueType, agent_bic: str, reason: str = "") -> pay.StatusChange:
    return pay.StatusChange(
        status=status, agent_bic=agent_bic[:8], reason_code=reason, at=tx.timestamp_proto(), tx_id=tx.tx_id
    )


def _payment_event(
    tx: Transaction, event_type: str, stub: pay.PaymentStub, from_status: pay.PaymentStatus.ValueType, reason: str = ""
) -> compliance_pb2.AuditEvent:
    return audit_event(
        tx,
        event_type,
        object_type="payment",
        object_id=stub.uetr,
        from_state=status_name(from_status),
        to_state=status_name(stub.status),
        reason_code=reason,
        payload_hash=stub.record_hash,
    )


def make_pending(tx: Transaction, preparation: Preparation, file: ChannelFile) -> Transition[pay.PaymentResponse]:
    """Record a payment that waits for its second approver (nothing moves yet)."""
    record = preparation.record
    stub = _stub(tx, file, record, pay.PAYMENT_STATUS_PDNG, 0)
    writes = [
        file.public(payment_key(record.uetr), stub),
        file.private(payment_record_key(record.uetr), record),
        file.public(pending_key(file.channel_id, record.uetr), pay.PendingApproval(uetr=record.uetr)),
    ]
    if preparation.used_quote is not None:
        writes.append(file.public(_quote_key(preparation.used_quote), preparation.used_quote))
    return Transition(
        response=pay.PaymentResponse(payment=stub),
        writes=tuple(writes),
        event=_payment_event(tx, "payment.pending", stub, pay.PAYMENT_STATUS_UNSPECIFIED, "DUAL_CONTROL"),
    )


def _quote_key(stub: pay.QuoteStub) -> RecordKey:
    return quote_key(stub.quote_id)


# ------------------------------------------------------------------------------------------------
# Execution against capacity


@dataclass(frozen=True)
class Draw:
    """A part of the payment drawn from one slot, with the slot and the cycle tally before and after."""

    slot: int
    amount: int


def allocate(amount: int, rooms: Sequence[tuple[int, SlotRoom]]) -> list[Draw]:
    """Draw ``amount`` from the slots in the given order (the client's pick first).

    Refused with ERR_INSUFFICIENT_FUNDS when the slots' capacity does not cover it (INV-PAY-01), or
    ERR_LIMIT_EXCEEDED when only the per-day pilot cap stands in the way (INV-PAY-07).
    """
    draws = []
    remaining = amount
    for slot, slot_room in rooms:
        part = min(slot_room.usable, remaining)
        if part > 0:
            draws.append(Draw(slot, part))
            remaining -= part
        if remaining == 0:
            return draws
    if sum(max(0, slot_room.capacity) for _, slot_room in rooms) < amount:
        raise insufficient_funds("instructed_amount", "the sending bank's capacity on the channel does not cover it")
    raise limit_exceeded("instructed_amount", "the pilot's per-day cap for this channel does not cover it")


@dataclass(frozen=True)
class CapacityState:
    """The slots and cycle tallies a payment touches, as read (None: not written yet)."""

    slots: Mapping[int, pay.CapacitySlot]
    tallies: Mapping[int, pay.CycleTally | None]
    day: datetime.date


def capacity_writes(
    file: ChannelFile,
    record: pay.PaymentRecord,
    cycle: int,
    draws: Sequence[Draw],
    state: CapacityState,
    *,
    sign: int,
) -> list[Write]:
    """Slots and tallies after drawing (sign +1) or giving back (sign -1) the payment's draws.

    The payment is listed and counted once, in the tally of its first slot.
    """
    sender = record.debtor_agent
    writes = []
    for index, draw in enumerate(draws):
        slot = state.slots[draw.slot]
        updated = drawn(slot, draw.amount, state.day) if sign > 0 else given_back(slot, draw.amount, state.day)
        writes.append(file.private(slot_key(file.channel_id, sender.bic, draw.slot), updated))
        key = tally_key(file.channel_id, cycle, sender.bic, draw.slot)
        tally = pay.CycleTally()
        before = state.tallies.get(draw.slot)
        if before is not None:
            tally.CopyFrom(before)
        else:
            tally.salt = file.salt(key)
        tally.gross += sign * draw.amount
        if index == 0:
            tally.count += sign
            if sign > 0:
                tally.entries.append(
                    pay.CycleEntry(
                        uetr=record.uetr, sender_bic=sender.bic[:8], amount=record.settlement_amount.minor_units
                    )
                )
            else:
                kept = [entry for entry in tally.entries if entry.uetr != record.uetr]
                del tally.entries[:]
                tally.entries.extend(kept)
        writes.append(file.private(key, tally))
    return writes


def execute(
    tx: Transaction,
    file: ChannelFile,
    record: pay.PaymentRecord,
    cycle: int,
    draws: Sequence[Draw],
    state: CapacityState,
    *,
    event_type: str,
    previous: pay.PaymentStub | None = None,
    extra: Sequence[Write] = (),
) -> Transition[pay.PaymentResponse]:
    """Move the payment on the channel: draw capacity, count it in its cycle, status ACSP."""
    executed = pay.PaymentRecord()
    executed.CopyFrom(record)
    executed.cycle = cycle
    executed.pilot_day.CopyFrom(from_date(state.day))
    del executed.draws[:]
    executed.draws.extend(pay.SlotDraw(slot=draw.slot, amount=draw.amount) for draw in draws)
    sender = executed.debtor_agent
    if previous is None:
        stub = _stub(tx, file, executed, pay.PAYMENT_STATUS_ACSP, cycle)
        from_status: pay.PaymentStatus.ValueType = pay.PAYMENT_STATUS_UNSPECIFIED
    else:
        stub = _advance(tx, previous, executed)
        stub.status = pay.PAYMENT_STATUS_ACSP
        stub.cycle = cycle
        stub.status_history.append(_change(tx, pay.PAYMENT_STATUS_ACSP, sender.bic))
        from_status = previous.status
    writes = [
        file.public(payment_key(executed.uetr), stub),
        file.private(payment_record_key(executed.uetr), executed),
        *capacity_writes(file, executed, cycle, draws, state, sign=1),
        *extra,
    ]
    return Transition(
        response=pay.PaymentResponse(payment=stub),
        writes=tuple(writes),
        event=_payment_event(tx, event_type, stub, from_status),
    )


def _advance(tx: Transaction, stub: pay.PaymentStub, record: pay.PaymentRecord) -> pay.PaymentStub:
    updated = pay.PaymentStub()
    updated.CopyFrom(stub)
    updated.version += 1
    updated.updated_tx_id = tx.tx_id
    updated.record_hash = record_hash(record)
    return updated


def executed_with_quote(preparation: Preparation, file: ChannelFile) -> list[Write]:
    """The quote stub marked USED, when the payment used one."""
    if preparation.used_quote is None:
        return []
    return [file.public(_quote_key(preparation.used_quote), preparation.used_quote)]


def resolved_marker(file: ChannelFile, uetr: str) -> Write:
    """The pending-approval marker of a payment, resolved."""
    return file.public(pending_key(file.channel_id, uetr), pay.PendingApproval(uetr=uetr, resolved=True))


# ------------------------------------------------------------------------------------------------
# Dual control


def check_approval(
    tx: Transaction, payment: PaymentFile, file: ChannelFile, governance: compliance_pb2.ComplianceGovernance
) -> None:
    """A second officer of the debtor agent (role approver, another identity) approves within the
    governance window (DOMAIN.md 4.4)."""
    if payment.stub.status != pay.PAYMENT_STATUS_PDNG:
        raise invalid_state(f"payment {payment.stub.uetr} is {status_name(payment.stub.status)}, not pending")
    require_bank(tx.caller, payment.record.debtor_agent, (Role.APPROVER,), "approving a payment")
    if tx.caller.identity_hash == payment.record.maker_hash:
        raise unauthorized("the officer who made the payment cannot approve it (dual control)")
    if tx.timestamp > _approval_deadline(payment, governance):
        raise expired(f"the approval window of {governance.approval_window_hours} h has elapsed")
    if file.stub.state not in PAYING_STATES:
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}: no new payments")


def _approval_deadline(payment: PaymentFile, governance: compliance_pb2.ComplianceGovernance) -> datetime.datetime:
    initiated = payment.record.initiated_at.ToDatetime(datetime.UTC)
    return initiated + datetime.timedelta(hours=governance.approval_window_hours)


def approved_record(tx: Transaction, payment: PaymentFile) -> pay.PaymentRecord:
    """The record with its approver."""
    record = pay.PaymentRecord()
    record.CopyFrom(payment.record)
    record.approver_hash = tx.caller.identity_hash
    return record


def lapse(
    tx: Transaction,
    payment: PaymentFile,
    file: ChannelFile,
    governance: compliance_pb2.ComplianceGovernance,
) -> Transition[pay.PaymentResponse]:
    """A bank of the channel records that a pending payment's approval window elapsed: RJCT."""
    require_bank(tx.caller, file.banks, (Role.TREASURY, Role.APPROVER), "lapsing a payment")
    if payment.stub.status != pay.PAYMENT_STATUS_PDNG:
        raise invalid_state(f"payment {payment.stub.uetr} is {status_name(payment.stub.status)}, not pending")
    if tx.timestamp <= _approval_deadline(payment, governance):
        raise invalid_state("the approval window is still open")
    record = pay.PaymentRecord()
    record.CopyFrom(payment.record)
    record.reason_code = LAPSED_REASON
    stub = _advance(tx, payment.stub, record)
    stub.status = pay.PAYMENT_STATUS_RJCT
    stub.status_history.append(_change(tx, pay.PAYMENT_STATUS_RJCT, record.debtor_agent.bic, LAPSED_REASON))
    return Transition(
        response=pay.PaymentResponse(payment=stub),
        writes=(
            file.public(payment_key(stub.uetr), stub),
            file.private(payment_record_key(stub.uetr), record),
            resolved_marker(file, stub.uetr),
        ),
        event=_payment_event(tx, "payment.lapsed", stub, pay.PAYMENT_STATUS_PDNG, LAPSED_REASON),
    )


# ------------------------------------------------------------------------------------------------
# Status reports


def check_report(request: pay.ReportPaymentStatusRequest) -> None:
    """A status report on its own, as a client can check it before it knows the payment: a UUID v4,
    ACSC, ACCC or RJCT, a reason code of 4 characters (which a rejection needs) and charges of the
    right shape (none on a rejection)."""
    check_uuid4(request.uetr, "uetr")
    if request.status not in _REPORTED:
        raise invalid_input("status", "ACSC, ACCC or RJCT")
    if request.reason_code:
        check_reason_code(request.reason_code)
    if request.status == pay.PAYMENT_STATUS_RJCT:
        if not request.reason_code:
            raise invalid_input("reason_code", "a rejection states its reason")
        if request.fees_charged:
            raise invalid_input("fees_charged", "a rejected payment is not charged")
    check_fee_shapes(request.fees_charged, "fees_charged")


def report_status(
    tx: Transaction,
    request: pay.ReportPaymentStatusRequest,
    payment: PaymentFile,
    file: ChannelFile,
    release: CapacityState | None,
) -> Transition[pay.PaymentResponse]:
    """The creditor agent reports ACSC, ACCC or RJCT (INV-PAY-05, INV-PAY-09).

    A credit report may state what the creditor agent deducted: at most what it disclosed
    (INV-PAY-06); the credited amount follows from the charge bearer. A rejection is possible only
    while the payment's cycle is open, and never of a credit's settlement (its presentation records
    it as paid: a return sends the money back); it gives the capacity back (``release`` holds the
    slots and tallies of the payment's draws).
    """
    stub, record = payment.stub, payment.record
    receiver = record.creditor_agent
    require_bank(tx.caller, receiver, (Role.TREASURY, Role.APPROVER), "reporting a payment's status")
    check_report(request)
    if stub.status == pay.PAYMENT_STATUS_PDNG:
        raise approval_required(f"payment {stub.uetr} waits for its second approver")
    allowed = _NEXT.get(stub.status, frozenset())
    if request.status not in allowed:
        raise invalid_state(
            f"payment {stub.uetr} is {status_name(stub.status)}: it cannot become {status_name(request.status)}"
        )
    updated = pay.PaymentRecord()
    updated.CopyFrom(record)
    writes: list[Write] = []
    if request.status == pay.PAYMENT_STATUS_RJCT:
        if record.lc_id:
            # its presentation counts it as paid: the money goes back by a return, linked to both
            raise invalid_state(
                f"payment {stub.uetr} settles letter of credit {record.lc_id}: its presentation records it as "
                "paid; it is not rejected: credit it and return it instead"
            )
        if stub.cycle < file.stub.open_cycle or release is None:
            raise invalid_state(f"cycle {stub.cycle} is cut off: return the payment instead")
        draws = [Draw(draw.slot, draw.amount) for draw in record.draws]
        writes += capacity_writes(file, record, stub.cycle, draws, release, sign=-1)
        updated.reason_code = request.reason_code
        if _open_recall(updated) is not None:  # nothing reached the creditor: what the recall asked is done
            _answer_recall(tx, updated)
    else:
        _apply_credit_report(updated, request)
    after = _advance(tx, stub, updated)
    after.status = request.status
    after.status_history.append(_change(tx, request.status, receiver.bic, request.reason_code))
    writes = [file.public(payment_key(stub.uetr), after), file.private(payment_record_key(stub.uetr), updated), *writes]
    return Transition(
        response=pay.PaymentResponse(payment=after),
        writes=tuple(writes),
        event=_payment_event(tx, "payment.status", after, stub.status, request.reason_code),
    )


def _apply_credit_report(record: pay.PaymentRecord, request: pay.ReportPaymentStatusRequest) -> None:
    receiver = record.creditor_agent
    currency = record.settlement_amount.currency
    check_fees(request.fees_charged, currency, [receiver.bic], "fees_charged")
    already = fees_by(record.fees_charged, receiver.bic)
    if request.fees_charged:
        if already:
            raise invalid_state("the creditor agent's charges were already reported")
        require_within_disclosure(request.fees_charged, record.fees_disclosed, receiver.bic, "fees_charged")
        record.fees_charged.extend(request.fees_charged)
    charged = fees_by(record.fees_charged, receiver.bic)
    credited = credited_amount(record.settlement_amount.minor_units, record.charge_bearer, charged)
    if credited < record.returned_amount:
        # A return gives back at most what the creditor received (check_return): charges reported
        # after it may not make the creditor have received less than it gave back.
        raise invalid_state("the creditor agent's charges would leave less credited than was already returned")
    record.credited_amount.CopyFrom(common_pb2.Money(currency=currency, minor_units=credited))


# ------------------------------------------------------------------------------------------------
# Returns (pacs.004)


def check_return_uetr(request: pay.ReturnPaymentRequest) -> None:
    """A return has a UETR of its own."""
    check_uuid4(request.return_uetr, "return_uetr")
    if request.return_uetr == request.original_uetr:
        raise invalid_input("return_uetr", "a return has a UETR of its own")


def check_return_request(request: pay.ReturnPaymentRequest) -> None:
    """A return on its own, as a client can check it before it knows the original payment: both
    UETRs, a valid amount, a 4-character return reason and the salt."""
    check_uuid4(request.original_uetr, "original_uetr")
    check_return_uetr(request)
    check_money(request.returned_amount, "returned_amount")
    check_reason_code(request.reason_code, "return reason")
    if len(request.salt) != SALT_BYTES:
        raise invalid_input("salt", f"{SALT_BYTES} random bytes")


def require_returner(tx: Transaction, original: PaymentFile) -> None:
    """Only the original's creditor agent (treasury) returns it."""
    require_bank(tx.caller, original.record.creditor_agent, (Role.TREASURY,), "returning a payment")


def check_return(tx: Transaction, request: pay.ReturnPaymentRequest, original: PaymentFile) -> None:
    """The creditor agent returns at most what the creditor received and was not returned yet."""
    record = original.record
    require_returner(tx, original)
    if original.stub.status not in _CREDIT_REPORTS:
        raise invalid_state(
            f"payment {original.stub.uetr} is {status_name(original.stub.status)}: only settled or credited payments "
            "are returned"
        )
    check_return_request(request)
    if request.reason_code == RECALL_RETURN_REASON and _open_recall(record) is None:
        raise invalid_state(f"no recall of payment {original.stub.uetr} is open: {RECALL_RETURN_REASON} answers one")
    if request.returned_amount.currency != record.settlement_amount.currency:
        raise invalid_input("returned_amount.currency", "a return is in the channel's currency")
    if request.returned_amount.minor_units > _outstanding(record):
        raise invalid_input("returned_amount", "exceeds what the creditor received and was not returned yet")


def build_return(tx: Transaction, request: pay.ReturnPaymentRequest, original: PaymentFile) -> pay.PaymentRecord:
    """The return's record: the original's parties and agents swapped; its amount in the original
    instructed currency converted back at the original rate, half-even to that currency's minor unit."""
    record = original.record
    amount = request.returned_amount
    instructed = amount
    if record.exchange_rate:
        rate = parse_rate(record.exchange_rate, "exchange_rate")
        instructed = common_pb2.Money(
            currency=record.instructed_amount.currency,
            minor_units=convert_back(amount.minor_units, record.instructed_amount.currency, amount.currency, rate),
        )
    return pay.PaymentRecord(
        uetr=request.return_uetr,
        salt=request.salt,
        request_hash=return_fingerprint(request),
        end_to_end_id=record.end_to_end_id,
        kind=pay.PAYMENT_KIND_RETURN,
        debtor=record.creditor,
        debtor_account=record.creditor_account,
        creditor=record.debtor,
        creditor_account=record.debtor_account,
        debtor_agent=record.creditor_agent,
        creditor_agent=record.debtor_agent,
        instructed_amount=instructed,
        exchange_rate=record.exchange_rate,
        converted_amount=amount,
        settlement_amount=amount,
        credited_amount=amount,
        charge_bearer=pay.CHARGE_BEARER_SHAR,
        purpose=record.purpose,
        remittance_information=f"RETURN OF {record.uetr}",
        lc_id=record.lc_id,
        presentation_id=record.presentation_id,
        maker_hash=tx.caller.identity_hash,
        initiated_at=tx.timestamp_proto(),
        return_of_uetr=record.uetr,
        debtor_kyc_bank=record.creditor_kyc_bank,
        creditor_kyc_bank=record.debtor_kyc_bank,
        reason_code=request.reason_code,
    )


def return_fingerprint(request: pay.ReturnPaymentRequest) -> str:
    """The idempotency fingerprint of a return: its content, whatever slot and fresh salt a
    resubmission picked."""
    content = pay.ReturnPaymentRequest()
    content.CopyFrom(request)
    content.slot_hint = 0
    content.salt = b""
    return request_hash(content)


def returned_original(
    tx: Transaction, original: PaymentFile, file: ChannelFile, request: pay.ReturnPaymentRequest
) -> list[Write]:
    """The original payment linked to its return (its status does not change, INV-PAY-05)."""
    record = pay.PaymentRecord()
    record.CopyFrom(original.record)
    record.returned_amount += request.returned_amount.minor_units
    # FOCR answers the open recall (check_return); so does any return that leaves nothing to return
    if _open_recall(record) is not None and (request.reason_code == RECALL_RETURN_REASON or _outstanding(record) == 0):
        _answer_recall(tx, record, request.return_uetr)
    stub = _advance(tx, original.stub, record)
    stub.return_uetrs.append(request.return_uetr)
    return [file.public(payment_key(stub.uetr), stub), file.private(payment_record_key(stub.uetr), record)]


# ------------------------------------------------------------------------------------------------
# Recalls (camt.056, answered by camt.029 or a return)


def _outstanding(record: pay.PaymentRecord) -> int:
    """What the creditor received and was not returned yet (settlement currency)."""
    return record.credited_amount.minor_units - record.returned_amount


def _open_recall(record: pay.PaymentRecord) -> pay.PaymentRecall | None:
    """The payment's recall waiting for an answer (only the last one can)."""
    if record.recalls and record.recalls[-1].status == pay.RECALL_STATUS_REQUESTED:
        return record.recalls[-1]
    return None


def _recall(record: pay.PaymentRecord, recall_id: str) -> pay.PaymentRecall | None:
    return next((recall for recall in record.recalls if recall.recall_id == recall_id), None)


def _answer_recall(tx: Transaction, record: pay.PaymentRecord, return_uetr: str = "") -> None:
    """The open recall of ``record`` (a copy being updated) is accepted, by ``return_uetr`` or (empty)
    by the payment's rejection."""
    recall = _open_recall(record)
    assert recall is not None
    recall.status = pay.RECALL_STATUS_ACCEPTED
    recall.return_uetr = return_uetr
    recall.resolved_at.CopyFrom(tx.timestamp_proto())


def _annotated(
    tx: Transaction, payment: PaymentFile, file: ChannelFile, record: pay.PaymentRecord
) -> Transition[pay.PaymentResponse]:
    """The payment with its private record updated and its status unchanged. The event says only that
    (``payment.annotated``): which annotation, and its reasons, are the two banks' own."""
    after = _advance(tx, payment.stub, record)
    return Transition(
        response=pay.PaymentResponse(payment=after),
        writes=(file.public(payment_key(after.uetr), after), file.private(payment_record_key(after.uetr), record)),
        event=_payment_event(tx, ANNOTATED_EVENT, after, payment.stub.status),
    )


def check_recall_request(request: pay.RecallPaymentRequest | pay.RejectRecallRequest) -> None:
    """A recall or its rejection on its own, as a client can check it before it knows the payment: the
    payment's UETR, a reason code and the recall's id."""
    check_uuid4(request.uetr, "uetr")
    check_reason_code(request.reason_code)
    check_uuid4(request.recall_id, "recall_id")


def recall(
    tx: Transaction, request: pay.RecallPaymentRequest, payment: PaymentFile, file: ChannelFile
) -> Transition[pay.PaymentResponse]:
    """The debtor agent asks the creditor agent to cancel a payment that moved (camt.056): nothing moves;
    the creditor agent answers by a return with reason FOCR (or a rejection of the payment while its
    cycle is open) or rejects the recall. The same request again answers the payment as it stands."""
    stub, record = payment.stub, payment.record
    require_bank(tx.caller, record.debtor_agent, (Role.TREASURY,), "recalling a payment")
    check_recall_request(request)
    made = _recall(record, request.recall_id)
    if made is not None:
        if made.reason_code != request.reason_code:
            raise duplicate("recall_id", f"recall {request.recall_id} of payment {stub.uetr} gave another reason")
        return Transition(response=pay.PaymentResponse(payment=stub))
    if record.kind == pay.PAYMENT_KIND_RETURN:
        raise invalid_state(f"payment {stub.uetr} is a return: a return is not recalled")
    if record.lc_id:
        raise invalid_state(
            f"payment {stub.uetr} settles letter of credit {record.lc_id}: its presentation records it; it is not "
            "recalled"
        )
    if stub.status not in _MOVED:
        raise invalid_state(
            f"payment {stub.uetr} is {status_name(stub.status)}: only a payment that moved on the channel is recalled"
        )
    if file.stub.state not in RUNNING_STATES:
        raise invalid_state(f"channel {file.channel_id} is {state_name(file.stub.state)}: nothing comes back on it")
    pending = _open_recall(record)
    if pending is not None:
        raise invalid_state(f"recall {pending.recall_id} of payment {stub.uetr} waits for its answer")
    if _outstanding(record) <= 0:
        raise invalid_state(f"payment {stub.uetr} was returned in full")
    if len(record.recalls) >= MAX_RECALLS:
        raise invalid_state(f"payment {stub.uetr} was recalled {MAX_RECALLS} times")
    updated = pay.PaymentRecord()
    updated.CopyFrom(record)
    updated.recalls.append(
        pay.PaymentRecall(
            recall_id=request.recall_id,
            status=pay.RECALL_STATUS_REQUESTED,
            reason_code=request.reason_code,
            requested_at=tx.timestamp_proto(),
            requested_tx_id=tx.tx_id,
        )
    )
    return _annotated(tx, payment, file, updated)


def reject_recall(
    tx: Transaction, request: pay.RejectRecallRequest, payment: PaymentFile, file: ChannelFile
) -> Transition[pay.PaymentResponse]:
    """The creditor agent rejects a payment's open recall (camt.029); the payment stands. The same
    rejection again answers the payment as it stands."""
    stub, record = payment.stub, payment.record
    require_bank(tx.caller, record.creditor_agent, (Role.TREASURY,), "answering a recall")
    check_recall_request(request)
    target = _recall(record, request.recall_id)
    if target is None:
        raise not_found("recall_id", f"payment {stub.uetr} has no recall {request.recall_id}")
    if target.status == pay.RECALL_STATUS_REJECTED and target.rejection_reason == request.reason_code:
        return Transition(response=pay.PaymentResponse(payment=stub))
    if target.status != pay.RECALL_STATUS_REQUESTED:
        raise invalid_state(
            f"recall {request.recall_id} of payment {stub.uetr} was answered "
            f"({pay.RecallStatus.Name(target.status).removeprefix('RECALL_STATUS_')})"
        )
    updated = pay.PaymentRecord()
    updated.CopyFrom(record)
    answered = _recall(updated, request.recall_id)
    assert answered is not None
    answered.status = pay.RECALL_STATUS_REJECTED
    answered.rejection_reason = request.reason_code
    answered.resolved_at.CopyFrom(tx.timestamp_proto())
    return _annotated(tx, payment, file, updated)
