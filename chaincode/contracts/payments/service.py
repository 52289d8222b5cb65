"""Every payment operation over a record ledger: read what the rule needs, decide, write.

The service also builds the payment a letter of credit's honour creates
(:meth:`PaymentsService.credit_settlement`), for the letters-of-credit service to write in the same
transaction as the honour.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeVar

from google.protobuf.message import Message

from tradefin.chaincode.contracts.letters_of_credit.access import Caller, Role, Transaction, is_bank, require_bank
from tradefin.chaincode.contracts.letters_of_credit.ledger import batch_reader
from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey
from tradefin.chaincode.contracts.letters_of_credit.validation import check_uuid4, is_msp_id, to_date
from tradefin.protos import common_pb2, compliance_pb2
from tradefin.protos import payments_pb2 as pay

from ..compliance.errors import approval_required, duplicate, invalid_input, not_found, unauthorized
from ..compliance.gate import GateResult, account_countries, check_parties
from ..compliance.governance import pilot_day
from ..compliance.ledger import PUBLIC, RecordLedger, Transition, Write, commit, get
from ..compliance.limits import ClearanceEvidence
from ..compliance.rates import in_currency
from ..compliance.reader import ComplianceReader, audit_trail, audited_key
from ..compliance.records import (
    clearance_key,
    credit_line_reservation_id,
    governance_key,
    implicit_collection,
    limit_policy_key,
)
from . import channels, quotes, transfers
from .capacity import room, split
from .channels import Activity, ChannelFile, TallyRow
from .quotes import QuoteFile
from .records import (
    PENDING_TYPE,
    SLOT_TYPE,
    TALLY_TYPE,
    batch_key,
    batch_record_key,
    channel_id_of,
    channel_key,
    cycle_prefix,
    deposit_key,
    end_to_end_key,
    funding_key,
    parse_channel_id,
    payment_key,
    payment_record_key,
    position_key,
    quote_key,
    quote_record_key,
    settlement_key,
    slot_key,
    tally_key,
)
from .transfers import CapacityState, Draw, PaymentFile

#: Digits of the largest cycle number (a uint64).
_MAX_CYCLE_DIGITS: Final = len(str(2**64 - 1))

MessageT = TypeVar("MessageT", bound=Message)

#: Object types GetAuditTrail answers for, and how their id is written.
AUDITED_OBJECTS = ("payment (UETR)", "payment-channel (channel id)", "batch (channel id/cycle)", "quote (quote id)")


class PaymentsService:
    """Payment channels, quotes and payments."""

    def __init__(self, ledger: RecordLedger) -> None:
        self._ledger = ledger
        self.compliance = ComplianceReader(ledger)

    # -- reading -------------------------------------------------------------------------------

    async def _get(self, key: RecordKey, message_type: type[MessageT], collection: str = PUBLIC) -> MessageT | None:
        return await get(self._ledger, key, message_type, collection)

    async def _stub(self, channel_id: str) -> pay.PaymentChannelStub:
        stub = await self._get(channel_key(channel_id), pay.PaymentChannelStub)
        if stub is None:
            raise not_found("channel_id", f"no payment channel {channel_id}")
        return stub

    async def _channel(self, channel_id: str, stub: pay.PaymentChannelStub | None = None) -> ChannelFile:
        stub = stub or await self._stub(channel_id)
        position = await self._get(position_key(channel_id), pay.ChannelPosition, stub.collection)
        if position is None:
            raise not_found("channel_id", f"the position of {channel_id} is missing from {stub.collection}")
        return ChannelFile(stub, position)

    async def _member_channel(self, caller: Caller, channel_id: str) -> ChannelFile:
        """Only the channel's banks read its private records (checked before reading them)."""
        stub = await self._stub(channel_id)
        if not any(is_bank(caller, bank) for bank in (stub.bank_a, stub.bank_b)):
            raise unauthorized(f"{caller.msp_id} is not a bank of payment channel {channel_id}")
        return await self._channel(channel_id, stub)

    async def _payment(
        self, uetr: str, channel: pay.PaymentChannelStub | None = None, field: str = "uetr"
    ) -> PaymentFile | None:
        """The payment under ``uetr``, if any. Looked up for ``channel``, a UETR another channel used is
        a duplicate, refused before its private record (in another collection, maybe) is read."""
        stub = await self._get(payment_key(uetr, field), pay.PaymentStub)
        if stub is None:
            return None
        if channel is None:
            channel = await self._stub(stub.channel_id)
        elif stub.channel_id != channel.channel_id:
            raise duplicate(field, f"payment {uetr} exists on another channel")
        record = await self._get(payment_record_key(uetr), pay.PaymentRecord, channel.collection)
        if record is None:
            raise not_found("uetr", f"the record of payment {uetr} is missing")
        return PaymentFile(stub, record)

    async def _required_payment(
        self, caller: Caller, uetr: str, field: str = "uetr"
    ) -> tuple[PaymentFile, ChannelFile]:
        """The payment the request names in ``field``, refused as that field when malformed or missing."""
        stub = await self._get(payment_key(uetr, field), pay.PaymentStub)
        if stub is None:
            raise not_found(field, f"no payment {uetr}")
        file = await self._member_channel(caller, stub.channel_id)
        payment = await self._payment(uetr, file.stub)
        assert payment is not None
        return payment, file

    async def _quote(self, quote_id: str, collection: str) -> QuoteFile | None:
        stub = await self._get(quote_key(quote_id), pay.QuoteStub)
        if stub is None:
            return None
        record = await self._get(quote_record_key(quote_id), pay.FxQuote, collection)
        if record is None:
            raise not_found("quote_id", f"the record of quote {quote_id} is missing")
        return QuoteFile(stub, record)

    async def _clearance(self, msp_id: str, reservation_id: str) -> ClearanceEvidence:
        """Whether the bank clears against private limits, and the published hash of its clearance
        (every peer of the channel reads it; only the bank's peers hold the value)."""
        if not await self.compliance.clearance_required(msp_id):
            return ClearanceEvidence(required=False)
        published = await self._ledger.read_hash(clearance_key(reservation_id), implicit_collection(msp_id))
        return ClearanceEvidence(True, published)

    # -- channels ----------------------------------------------------------------------------------

    async def propose_channel(self, tx: Transaction, request: pay.ProposeChannelRequest) -> pay.ChannelResponse:
        """Propose a channel (treasury of the proposing bank)."""
        channel_id = channels.check_proposal(request)
        existing = await self._get(channel_key(channel_id), pay.PaymentChannelStub)
        clearance = await self._clearance(
            request.proposer.msp_id, credit_line_reservation_id(channel_id, request.counterparty.bic)
        )
        governance = await self.compliance.governance()
        return await commit(self._ledger, channels.propose(tx, request, existing, clearance, governance))

    async def accept_channel(self, tx: Transaction, request: pay.AcceptChannelRequest) -> pay.ChannelResponse:
        """Accept a proposed channel (treasury of the other bank): it opens."""
        file = await self._member_channel(tx.caller, request.channel_id)
        acceptor = next((bank for bank in file.banks if bank.msp_id != file.stub.proposed_by_msp_id), file.stub.bank_b)
        clearance = await self._clearance(
            acceptor.msp_id, credit_line_reservation_id(file.channel_id, file.other(acceptor).bic)
        )
        governance = await self.compliance.governance()
        return await commit(self._ledger, channels.accept(tx, request, file, clearance, governance))

    async def record_deposit(self, tx: Transaction, request: pay.RecordDepositRequest) -> pay.ChannelResponse:
        """Record a deposit (pending until the other bank confirms it)."""
        file = await self._member_channel(tx.caller, request.channel_id)
        existing = await self._get(deposit_key(file.channel_id, request.deposit_id), pay.Deposit, file.stub.collection)
        used = await self._get(funding_key(request.funding_uetr), pay.FundingReference)
        return await commit(self._ledger, channels.record_deposit(tx, request, file, existing, used))

    async def confirm_deposit(self, tx: Transaction, request: pay.ConfirmDepositRequest) -> pay.ChannelResponse:
        """Confirm a deposit's funding (the other bank)."""
        file = await self._member_channel(tx.caller, request.channel_id)
        deposit = await self._get(deposit_key(file.channel_id, request.deposit_id), pay.Deposit, file.stub.collection)
        used = None
        if deposit is not None:
            used = await self._get(funding_key(deposit.funding_uetr), pay.FundingReference)
        return await commit(self._ledger, channels.confirm_deposit(tx, request, file, deposit, used))

    async def suspend_channel(self, tx: Transaction, request: pay.SuspendChannelRequest) -> pay.ChannelResponse:
        """Stop new payments."""
        return await commit(
            self._ledger, channels.suspend(tx, request, await self._member_channel(tx.caller, request.channel_id))
        )

    async def resume_channel(self, tx: Transaction, request: pay.ResumeChannelRequest) -> pay.ChannelResponse:
        """Take new payments again."""
        return await commit(
            self._ledger, channels.resume(tx, request, await self._member_channel(tx.caller, request.channel_id))
        )

    async def wind_down_channel(self, tx: Transaction, request: pay.WindDownChannelRequest) -> pay.ChannelResponse:
        """No new payments; close once settled."""
        return await commit(
            self._ledger, channels.wind_down(tx, request, await self._member_channel(tx.caller, request.channel_id))
        )

    async def close_channel(self, tx: Transaction, request: pay.CloseChannelRequest) -> pay.ChannelResponse:
        """Close a channel with nothing unsettled."""
        file = await self._member_channel(tx.caller, request.channel_id)
        return await commit(self._ledger, channels.close(tx, request, file, await self._activity(file)))

    async def _activity(self, file: ChannelFile) -> Activity:
        pending = 0
        for _, value in await self._ledger.scan(PENDING_TYPE, (file.channel_id,)):
            if not pay.PendingApproval.FromString(value).resolved:
                pending += 1
        live = 0
        for cycle in range(file.stub.last_frozen_cycle + 1, file.stub.open_cycle + 2):
            live += sum(row.tally.count for row in await self._tallies(file, cycle))
        return Activity(pending, live)

    async def _tallies(self, file: ChannelFile, cycle: int) -> list[TallyRow]:
        """Both banks' tallies of a cycle, read by key (a write may not follow a private range query)."""
        rows = []
        for bank in file.banks:
            for slot in range(file.slots):
                key = tally_key(file.channel_id, cycle, bank.bic, slot)
                tally = await self._get(key, pay.CycleTally, file.stub.collection)
                if tally is not None:
                    rows.append(TallyRow(bank.bic, slot, tally))
        return rows

    async def _scanned_tallies(self, file: ChannelFile, cycle: int) -> list[TallyRow]:
        """Both banks' tallies of a cycle by one range query (read-only transactions only)."""
        found = await self._ledger.scan(TALLY_TYPE, cycle_prefix(file.channel_id, cycle), file.stub.collection)
        rows = []
        for key, value in found:
            _, _, bic, slot = key.attributes
            rows.append(TallyRow(bic, int(slot), pay.CycleTally.FromString(value)))
        return rows

    async def cut_off(self, tx: Transaction, request: pay.CutOffRequest) -> pay.ChannelResponse:
        """Record the cut-off of the open cycle."""
        return await commit(
            self._ledger, channels.cut_off(tx, request, await self._member_channel(tx.caller, request.channel_id))
        )

    async def freeze_batch(self, tx: Transaction, request: pay.FreezeBatchRequest) -> pay.BatchResponse:
        """Freeze the netting batch of the cut-off cycle."""
        file = await self._member_channel(tx.caller, request.channel_id)
        tallies = await self._tallies(file, request.cycle) if request.cycle else []
        return await commit(self._ledger, channels.freeze(tx, request, file, tallies))

    async def settle_batch(self, tx: Transaction, request: pay.SettleBatchRequest) -> pay.BatchResponse:
        """Confirm a batch's settlement by its pacs.009."""
        file = await self._member_channel(tx.caller, request.channel_id)
        batch_stub = await self._get(batch_key(file.channel_id, request.cycle), pay.NettingBatchStub)
        batch = await self._get(
            batch_record_key(file.channel_id, request.cycle), pay.NettingBatch, file.stub.collection
        )
        check_uuid4(request.settlement_uetr, "settlement_uetr")
        used = await self._get(settlement_key(request.settlement_uetr), pay.SettlementReference) is not None
        return await commit(self._ledger, channels.settle(tx, request, file, batch_stub, batch, used))

    # -- quotes ------------------------------------------------------------------------------------

    async def create_quote(self, tx: Transaction, request: pay.CreateQuoteRequest) -> pay.QuoteResponse:
        """Quote a conversion into the channel's currency."""
        quotes.check_quote(request.quote)  # before any ledger read, as the client checks it
        file = await self._member_channel(tx.caller, request.quote.channel_id)
        existing = await self._get(quote_key(request.quote.quote_id), pay.QuoteStub)
        return await commit(self._ledger, quotes.create_quote(tx, request, file, existing))

    # -- payments ----------------------------------------------------------------------------------

    async def initiate_payment(self, tx: Transaction, request: pay.InitiatePaymentRequest) -> pay.PaymentResponse:
        """Initiate a payment (treasury of the debtor agent); a replay answers the stored payment."""
        check_uuid4(request.uetr, "uetr")
        # The public records a payment reads, in one round trip (the ledger remembers them for the
        # transaction): its channel, the UETR (a replay?), the compliance configuration, the caller's
        # limit policy (when the caller's MSP id can be a channel bank's: any other is refused below).
        ahead = [channel_key(request.channel_id), payment_key(request.uetr), governance_key()]
        if is_msp_id(tx.caller.msp_id):
            ahead.append(limit_policy_key(tx.caller.msp_id))
        await batch_reader(self._ledger)(ahead, PUBLIC)
        file = await self._member_channel(tx.caller, request.channel_id)
        sender = require_bank(tx.caller, file.banks, (Role.TREASURY,), "initiating a payment")
        replay = await self._replay(request, file)
        if replay is not None:
            return replay
        transition = await self._initiation(tx, request, file, sender, debtor_kyc_bank=sender)
        return await commit(self._ledger, transition)

    async def _replay(self, request: pay.InitiatePaymentRequest, file: ChannelFile) -> pay.PaymentResponse | None:
        """INV-PAY-03: the same request under its UETR gets the stored payment; another is a duplicate
        (a UETR used on another channel too, whoever's)."""
        existing = await self._payment(request.uetr, file.stub)
        if existing is None:
            return None
        if existing.record.request_hash == transfers.fingerprint(request):
            return pay.PaymentResponse(payment=existing.stub)
        raise duplicate("uetr", f"payment {request.uetr} exists with other content")

    async def _initiation(
        self,
        tx: Transaction,
        request: pay.InitiatePaymentRequest,
        file: ChannelFile,
        sender: common_pb2.BankRef,
        *,
        debtor_kyc_bank: common_pb2.BankRef,
        lc_link: tuple[str, str] = ("", ""),
    ) -> Transition[pay.PaymentResponse]:
        transfers.check_request(request)
        governance = await self.compliance.required_governance("payment")
        receiver = file.other(sender)
        accounts = (("debtor_account", request.debtor_account), ("creditor_account", request.creditor_account))
        gate = await self._gate(
            tx, governance, request.debtor, debtor_kyc_bank, request.creditor, receiver, accounts
        )
        quote = await self._quote(request.quote_id, file.stub.collection) if request.quote_id else None
        clearance = (
            await self._clearance(sender.msp_id, request.uetr) if not lc_link[0] else ClearanceEvidence(required=False)
        )
        preparation = transfers.prepare(
            tx,
            request,
            file,
            sender,
            governance,
            quote,
            gate,
            clearance,
            (debtor_kyc_bank, receiver),
        )
        record = preparation.record
        record.lc_id, record.presentation_id = lc_link
        end_to_end = await self._end_to_end_write(file, sender, record)
        # A credit's settlement never waits for a second approver: held, it could lapse to RJCT while its
        # presentation counts it as paid. So one that dual control applies to (DOMAIN.md 4.4: amount,
        # HIGH-risk party or country) is made only by an officer with role approver; another is refused,
        # and the credit's transition with it: the bank settles it apart, by a payment of its own.
        if preparation.needs_approval and lc_link[0] and Role.APPROVER not in tx.caller.roles:
            raise approval_required(
                f"the settlement of letter of credit {lc_link[0]} needs dual control: an officer with role approver "
                "makes it, or the credit is settled apart by a payment (which a second approver approves)"
            )
        if preparation.needs_approval and not lc_link[0]:
            pending = transfers.make_pending(tx, preparation, file)
            return Transition(pending.response, (*pending.writes, end_to_end), pending.event)
        cycle = channels.cycle_for(file.stub, tx.timestamp)
        draws, state = await self._draw(
            file, governance, sender, record.settlement_amount.minor_units, request.slot_hint, cycle, tx
        )
        extra = [end_to_end, *transfers.executed_with_quote(preparation, file)]
        return transfers.execute(tx, file, record, cycle, draws, state, event_type="payment.initiated", extra=extra)

    async def _end_to_end_write(
        self, file: ChannelFile, sender: common_pb2.BankRef, record: pay.PaymentRecord
    ) -> Write:
        """The sender's EndToEndId index entry (refused when the id was used by another payment)."""
        key = end_to_end_key(file.channel_id, sender.bic, record.end_to_end_id)
        used = await self._get(key, pay.EndToEndReference, file.stub.collection)
        if used is not None and used.uetr != record.uetr:
            raise duplicate("end_to_end_id", f"{sender.bic[:8]} used {record.end_to_end_id} for another payment")
        return file.private(key, pay.EndToEndReference(uetr=record.uetr, salt=file.salt(key)))

    async def _gate(
        self,
        tx: Transaction,
        governance: compliance_pb2.ComplianceGovernance,
        debtor: common_pb2.PartyRef,
        debtor_bank: common_pb2.BankRef,
        creditor: common_pb2.PartyRef,
        creditor_bank: common_pb2.BankRef,
        accounts: Sequence[tuple[str, common_pb2.AccountRef]] = (),
    ) -> GateResult:
        files = await self.compliance.party_files(
            governance, [("debtor", debtor, debtor_bank), ("creditor", creditor, creditor_bank)]
        )
        return check_parties(governance, files, tx, other_countries=account_countries(accounts))

    async def _draw(
        self,
        file: ChannelFile,
        governance: compliance_pb2.ComplianceGovernance,
        sender: common_pb2.BankRef,
        amount: int,
        hint: int,
        cycle: int,
        tx: Transaction,
    ) -> tuple[list[Draw], CapacityState]:
        """Read the sender's slots from the hint on until they cover the amount; plan the draws."""
        slots = file.slots
        granted = file.granted(sender)
        day = pilot_day(governance, tx)
        daily = in_currency(governance.pilot_caps.max_per_day, file.stub.currency, governance, "pilot_caps.max_per_day")
        shares = split(daily, slots)
        read: dict[int, pay.CapacitySlot] = {}
        rooms = []
        for step in range(slots):
            index = (hint + step) % slots
            key = slot_key(file.channel_id, sender.bic, index)
            slot = await self._get(key, pay.CapacitySlot, file.stub.collection) or pay.CapacitySlot(salt=file.salt(key))
            read[index] = slot
            rooms.append((index, room(slot, granted[index], day, shares[index])))
            if sum(item.usable for _, item in rooms) >= amount:
                break
        draws = transfers.allocate(amount, rooms)
        tallies = {
            draw.slot: await self._get(
                tally_key(file.channel_id, cycle, sender.bic, draw.slot), pay.CycleTally, file.stub.collection
            )
            for draw in draws
        }
        return draws, CapacityState(read, tallies, day)

    async def _draws_state(self, file: ChannelFile, payment: PaymentFile) -> CapacityState:
        """The slots and tallies a payment drew on (to give them back)."""
        sender = payment.record.debtor_agent
        slots, tallies = {}, {}
        for draw in payment.record.draws:
            key = slot_key(file.channel_id, sender.bic, draw.slot)
            slots[draw.slot] = await self._get(key, pay.CapacitySlot, file.stub.collection) or pay.CapacitySlot()
            tallies[draw.slot] = await self._get(
                tally_key(file.channel_id, payment.stub.cycle, sender.bic, draw.slot),
                pay.CycleTally,
                file.stub.collection,
            )
        return CapacityState(slots, tallies, to_date(payment.record.pilot_day, "pilot_day"))

    async def approve_payment(self, tx: Transaction, request: pay.ApprovePaymentRequest) -> pay.PaymentResponse:
        """A second officer approves a pending payment; it moves."""
        payment, file = await self._required_payment(tx.caller, request.uetr)
        governance = await self.compliance.required_governance("payment")
        transfers.check_approval(tx, payment, file, governance)
        record = transfers.approved_record(tx, payment)
        await self._gate(
            tx, governance, record.debtor, record.debtor_kyc_bank, record.creditor, record.creditor_kyc_bank,
            (("debtor_account", record.debtor_account), ("creditor_account", record.creditor_account)),
        )
        cycle = channels.cycle_for(file.stub, tx.timestamp)
        draws, state = await self._draw(
            file, governance, record.debtor_agent, record.settlement_amount.minor_units, request.slot_hint, cycle, tx
        )
        transition = transfers.execute(
            tx,
            file,
            record,
            cycle,
            draws,
            state,
            event_type="payment.approved",
            previous=payment.stub,
            extra=[transfers.resolved_marker(file, payment.stub.uetr)],
        )
        return await commit(self._ledger, transition)

    async def lapse_payment(self, tx: Transaction, request: pay.LapsePaymentRequest) -> pay.PaymentResponse:
        """Record that a pending payment's approval window elapsed."""
        payment, file = await self._required_payment(tx.caller, request.uetr)
        governance = await self.compliance.required_governance("payment")
        return await commit(self._ledger, transfers.lapse(tx, payment, file, governance))

    async def report_status(self, tx: Transaction, request: pay.ReportPaymentStatusRequest) -> pay.PaymentResponse:
        """The creditor agent reports ACSC, ACCC or RJCT."""
        payment, file = await self._required_payment(tx.caller, request.uetr)
        release = None
        if request.status == pay.PAYMENT_STATUS_RJCT and payment.record.draws:
            release = await self._draws_state(file, payment)
        return await commit(self._ledger, transfers.report_status(tx, request, payment, file, release))

    async def recall_payment(self, tx: Transaction, request: pay.RecallPaymentRequest) -> pay.PaymentResponse:
        """The debtor agent asks the creditor agent to cancel a payment that moved (camt.056)."""
        payment, file = await self._required_payment(tx.caller, request.uetr)
        return await commit(self._ledger, transfers.recall(tx, request, payment, file))

    async def reject_recall(self, tx: Transaction, request: pay.RejectRecallRequest) -> pay.PaymentResponse:
        """The creditor agent rejects a payment's open recall (camt.029)."""
        payment, file = await self._required_payment(tx.caller, request.uetr)
        return await commit(self._ledger, transfers.reject_recall(tx, request, payment, file))

    async def return_payment(self, tx: Transaction, request: pay.ReturnPaymentRequest) -> pay.PaymentResponse:
        """Return (part of) a payment under a new UETR (creditor agent); idempotent on the return UETR:
        a replay gets the stored return before the amount is checked against what is left to return."""
        original, file = await self._required_payment(tx.caller, request.original_uetr, "original_uetr")
        transfers.check_return_uetr(request)
        existing = await self._payment(request.return_uetr, file.stub, "return_uetr")
        if existing is not None:
            transfers.require_returner(tx, original)
            if (
                existing.record.request_hash == transfers.return_fingerprint(request)
                and existing.stub.return_of_uetr == original.stub.uetr
            ):
                return pay.PaymentResponse(payment=existing.stub)
            raise duplicate("return_uetr", f"payment {request.return_uetr} exists")
        transfers.check_return(tx, request, original)
        record = transfers.build_return(tx, request, original)
        if file.stub.state not in channels.RUNNING_STATES:
            raise invalid_input("original_uetr", f"channel {file.channel_id} is closed")
        governance = await self.compliance.required_governance("payment")
        sender = record.debtor_agent
        cycle = channels.cycle_for(file.stub, tx.timestamp)
        draws, state = await self._draw(
            file, governance, sender, record.settlement_amount.minor_units, request.slot_hint, cycle, tx
        )
        extra = transfers.returned_original(tx, original, file, request)
        transition = transfers.execute(
            tx, file, record, cycle, draws, state, event_type="payment.returned", extra=extra
        )
        return await commit(self._ledger, transition)

    async def credit_settlement(
        self,
        tx: Transaction,
        settlement: pay.CreditSettlement,
        *,
        paying_bank: common_pb2.BankRef,
        receiving_bank: common_pb2.BankRef,
        issuing_bank: common_pb2.BankRef,
        amount: common_pb2.Money,
        applicant: common_pb2.PartyRef,
        beneficiary: common_pb2.PartyRef,
        beneficiary_account: common_pb2.AccountRef | None,
        lc_id: str,
        presentation_id: str,
    ) -> Transition[pay.PaymentResponse]:
        """The payment an honour creates on the channel between the paying and the receiving bank, in
        the credit's currency (not written: the letters-of-credit service writes it with the honour).

        The applicant (debtor) is vouched for by the issuing bank, the beneficiary (creditor) by the
        receiving bank. The honour already authorised the paying bank's officer.
        """
        channel_id = channel_id_of(paying_bank.bic, receiving_bank.bic, amount.currency)
        file = await self._member_channel(tx.caller, channel_id)
        sender = file.bank_by_bic(paying_bank.bic)
        if sender is None or sender.msp_id != paying_bank.msp_id:
            raise invalid_input("settlement", f"the paying bank is not a bank of {channel_id}")
        if file.other(sender).msp_id != receiving_bank.msp_id:  # its BIC, another organisation's channel side
            raise invalid_input("settlement", f"the receiving bank is not a bank of {channel_id}")
        creditor_account = common_pb2.AccountRef()
        if settlement.HasField("creditor_account"):
            creditor_account.CopyFrom(settlement.creditor_account)
        elif beneficiary_account is not None:
            creditor_account.CopyFrom(beneficiary_account)
        request = pay.InitiatePaymentRequest(
            uetr=settlement.uetr,
            end_to_end_id=settlement.end_to_end_id or lc_id.replace(":", "/")[:35],
            channel_id=channel_id,
            kind=pay.PAYMENT_KIND_FI_CREDIT_TRANSFER,
            instructed_amount=amount,
            charge_bearer=pay.CHARGE_BEARER_SHAR,
            debtor=applicant,
            debtor_account=settlement.debtor_account,
            creditor=beneficiary,
            creditor_account=creditor_account,
            purpose="TRAD",
            remittance_information=f"/LC/{lc_id}/PRES/{presentation_id}",
            slot_hint=settlement.slot_hint,
            salt=settlement.salt,
        )
        check_uuid4(request.uetr, "settlement.uetr")
        if await self._get(payment_key(request.uetr), pay.PaymentStub) is not None:
            raise duplicate("settlement.uetr", f"payment {request.uetr} exists")
        return await self._initiation(
            tx, request, file, sender, debtor_kyc_bank=issuing_bank, lc_link=(lc_id, presentation_id)
        )

    # -- queries ---------------------------------------------------------------------------------

    async def get_channel(self, caller: Caller, request: pay.GetChannelRequest) -> pay.ChannelResponse:
        """The channel's stub for anyone; position and balances for its banks."""
        parse_channel_id(request.channel_id)
        stub = await self._stub(request.channel_id)
        pending = len(
            [
                value
                for _, value in await self._ledger.scan(PENDING_TYPE, (request.channel_id,))
                if not pay.PendingApproval.FromString(value).resolved
            ]
        )
        if not any(is_bank(caller, bank) for bank in (stub.bank_a, stub.bank_b)):
            return pay.ChannelResponse(channel=stub, pending_approvals=pending)
        file = await self._channel(request.channel_id, stub)
        return pay.ChannelResponse(
            channel=stub, position=file.position, balances=await self._balances(file), pending_approvals=pending
        )

    async def _balances(self, file: ChannelFile) -> list[pay.BankBalance]:
        sent = {bank.bic[:8]: 0 for bank in file.banks}
        for cycle in range(file.stub.last_frozen_cycle + 1, file.stub.open_cycle + 2):
            for row in await self._scanned_tallies(file, cycle):
                sent[row.bic[:8]] = sent.get(row.bic[:8], 0) + row.tally.gross
        balances = []
        position = file.position
        for bank in file.banks:
            is_a = file.is_a(bank)
            spent = 0
            for _, value in await self._ledger.scan(SLOT_TYPE, (file.channel_id, bank.bic[:8]), file.stub.collection):
                spent += pay.CapacitySlot.FromString(value).spent
            deposit = position.deposit_a if is_a else position.deposit_b
            netted = position.netted_a if is_a else position.netted_b
            mine, theirs = sent[bank.bic[:8]], sent[file.other(bank).bic[:8]]
            balances.append(
                pay.BankBalance(
                    bic=bank.bic[:8],
                    deposit=deposit,
                    credit_limit=position.credit_limit_a if is_a else position.credit_limit_b,
                    balance=deposit + netted + theirs - mine,
                    capacity=sum(file.granted(bank)) - spent,
                    sent_unfrozen=mine,
                    received_unfrozen=theirs,
                    netted=netted,
                )
            )
        return balances

    async def get_payment(self, caller: Caller, request: pay.GetPaymentRequest) -> pay.PaymentResponse:
        """A payment's stub for anyone; its record for the channel's banks."""
        stub = await self._get(payment_key(request.uetr), pay.PaymentStub)
        if stub is None:
            raise not_found("uetr", f"no payment {request.uetr}")
        channel = await self._stub(stub.channel_id)
        if not any(is_bank(caller, bank) for bank in (channel.bank_a, channel.bank_b)):
            return pay.PaymentResponse(payment=stub)
        payment = await self._payment(request.uetr, channel)
        assert payment is not None
        return pay.PaymentResponse(payment=payment.stub, record=payment.record)

    async def get_batch(self, caller: Caller, request: pay.GetBatchRequest) -> pay.BatchResponse:
        """A netting batch's stub for anyone; its record for the channel's banks."""
        stub = await self._stub(request.channel_id)
        batch = await self._get(batch_key(request.channel_id, request.cycle), pay.NettingBatchStub)
        if batch is None:
            raise not_found("cycle", f"channel {request.channel_id} has no batch {request.cycle}")
        if not any(is_bank(caller, bank) for bank in (stub.bank_a, stub.bank_b)):
            return pay.BatchResponse(batch=batch)
        record = await self._get(batch_record_key(request.channel_id, request.cycle), pay.NettingBatch, stub.collection)
        return pay.BatchResponse(batch=batch, record=record)

    async def get_quote(self, caller: Caller, request: pay.GetQuoteRequest) -> pay.QuoteResponse:
        """A quote's stub for anyone (EXPIRED once past its validity); its terms for the channel's banks."""
        stub = await self._get(quote_key(request.quote_id), pay.QuoteStub)
        if stub is None:
            raise not_found("quote_id", f"no quote {request.quote_id}")
        channel = await self._stub(stub.channel_id)
        if not any(is_bank(caller, bank) for bank in (channel.bank_a, channel.bank_b)):
            return pay.QuoteResponse(quote=stub)
        record = await self._get(quote_record_key(request.quote_id), pay.FxQuote, channel.collection)
        return pay.QuoteResponse(quote=stub, record=record)

    async def get_audit_trail(
        self, caller: Caller, request: compliance_pb2.GetAuditTrailRequest
    ) -> compliance_pb2.AuditTrailResponse:
        """The history of a payment, channel, batch or quote stub."""
        del caller
        return await audit_trail(self._ledger, audit_key(request))


def audit_key(request: compliance_pb2.GetAuditTrailRequest) -> RecordKey:
    """The key of the stub a GetAuditTrail request names: an object type of AUDITED_OBJECTS, spelt
    exactly, and an id of its form (the client checks it early)."""
    object_id = request.object_id

    def build() -> RecordKey:
        if request.object_type == "payment":
            return payment_key(object_id)
        if request.object_type == "payment-channel":
            return channel_key(object_id)
        if request.object_type == "batch":
            channel_id, _, cycle = object_id.rpartition("/")
            # ASCII digits (int() refuses some others, '\u00b2'), at most a uint64's 20 (int() refuses
            # more than 4,300)
            if not (cycle.isascii() and cycle.isdigit()) or len(cycle) > _MAX_CYCLE_DIGITS:
                raise invalid_input("object_id", "a batch is '<channel id>/<cycle>'")
            parse_channel_id(channel_id, "object_id")
            return batch_key(channel_id, int(cycle))
        if request.object_type == "quote":
            return quote_key(object_id)
        raise invalid_input("object_type", f"one of {', '.join(AUDITED_OBJECTS)}")

    return audited_key(request.object_type, build)


async def reservation_releasable(ledger: RecordLedger, reservation_id: str) -> bool:
    """Whether what a limit reservation cleared no longer stands: a payment rejected (or lapsed),
    returned in full or never made; the credit line of a closed or never opened channel.

    Public records only, except for a payment with returns: whether they add up to what the creditor
    was credited is in the payment's private record (the channel's collection, which the reserving
    bank's peer holds). A partial return leaves the reservation standing.
    """
    if "/credit/" in reservation_id:
        channel_id = reservation_id.split("/credit/", 1)[0]
        parse_channel_id(channel_id, "reservation_id")
        channel = await get(ledger, channel_key(channel_id), pay.PaymentChannelStub)
        return channel is None or channel.state == pay.PAYMENT_CHANNEL_STATE_CLOSED
    stub = await get(ledger, payment_key(reservation_id, "reservation_id"), pay.PaymentStub)
    if stub is None or stub.status == pay.PAYMENT_STATUS_RJCT:
        return True
    if not stub.return_uetrs:
        return False
    channel = await get(ledger, channel_key(stub.channel_id), pay.PaymentChannelStub)
    if channel is None:
        return False
    record = await get(ledger, payment_record_key(stub.uetr), pay.PaymentRecord, channel.collection)
    return record is not None and record.returned_amount >= record.credited_amount.minor_units
