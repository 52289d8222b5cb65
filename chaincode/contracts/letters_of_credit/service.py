"""The lifecycle of a credit over a :class:`~.ledger.CreditLedger`: read, decide, write.

One method per operation. Each reads the records the operation needs, hands them to the pure rule
function, and stores what the rule returned (records, endorsement policies, the event). A rule error
propagates before anything is written. The contract layer only decodes arguments, builds the
:class:`~.access.Transaction`, calls one method and encodes the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from google.protobuf.message import Message

from tradefin.protos import calendar_pb2, common_pb2, compliance_pb2, payments_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from ..compliance.credits import CreditParty, check_credit, check_documents, credit_checks, credit_governance
from ..compliance.directory import require_listed, require_listed_on_record
from ..compliance.financing import hold_for_presentation, release_presentation
from ..compliance.ledger import KeyHistory, RecordLedger
from ..compliance.reader import audit_trail, audited_key
from ..compliance.records import financing_key, governance_key
from ..payments.service import PaymentsService
from . import amendments, credit, governance, presentations, transfers
from .access import Caller, Transaction, is_bank
from .banking_days import CalendarBook, calendar_place
from .credit import CreditFile, credit_banks, presentation_banks, stub_banks, terms_banks
from .errors import LcRuleError, invalid_input, invalid_state, not_found, unauthorized
from .events import event_name
from .ledger import PUBLIC, CreditLedger, Transition, batch_reader, get, parsed, store
from .presentations import PresentationFile
from .records import (
    RecordKey,
    amendment_key,
    calendar_key,
    confirmed_terms_key,
    credit_key,
    lc_id_of,
    position_key,
    presentation_key,
    presentation_record_key,
    terms_key,
    terms_version_key,
    transfer_key,
)
from .terms import amended_terms
from .validation import check_bank, check_place_code, check_ref16

MessageT = TypeVar("MessageT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)

#: Public records GetAuditTrail answers for, and how their id is written.
AUDITED_OBJECTS = ("credit (credit id)", "presentation (presentation id)", "calendar (place)")

class LettersOfCreditService:
    """Every operation of the letters-of-credit lifecycle, over a ledger."""

    def __init__(self, ledger: CreditLedger) -> None:
        self._ledger = ledger
        self._read_many = batch_reader(ledger)

    # -- reading -------------------------------------------------------------------------------

    async def _get(self, key: RecordKey, message_type: type[MessageT], collection: str = PUBLIC) -> MessageT | None:
        return await get(self._ledger, key, message_type, collection)

    async def _stub(self, lc_id: str, ahead: Sequence[RecordKey] = ()) -> lc.CreditStub:
        """The credit's public stub; ``ahead``: public keys the operation reads next, read in the same
        round trip (see :func:`_read_ahead`)."""
        stub = parsed((await self._read_many([credit_key(lc_id), *ahead], PUBLIC))[0], lc.CreditStub)
        if stub is None:
            raise not_found("lc_id", f"no credit {lc_id}")
        return stub

    async def _credit_file(
        self, caller: Caller, stub: lc.CreditStub, also: Sequence[RecordKey] = ()
    ) -> tuple[CreditFile, list[bytes | None]]:
        """The credit's private records, and ``also`` more of its private keys, in one round trip;
        only a bank of the credit reads them."""
        _require_member(caller, stub)
        lc_id = stub.lc_id
        # the confirming bank's own terms exist only once an amendment it did not extend its
        # confirmation to was accepted (art. 10b); no other credit reads the key
        differ = stub.confirmation == lc.CONFIRMATION_STATUS_ADDED and bool(stub.unconfirmed_amendment_seqs)
        own = [terms_key(lc_id), position_key(lc_id), *([confirmed_terms_key(lc_id)] if differ else [])]
        values = await self._read_many([*own, *also], stub.collection)
        terms = parsed(values[0], lc.CreditTermsRecord)
        position = parsed(values[1], lc.CreditPosition)
        if terms is None or position is None:
            raise _missing_private_records(stub)
        confirmed = parsed(values[2], lc.CreditTermsRecord) if differ else None
        return CreditFile(stub=stub, terms=terms, position=position, confirmed=confirmed), values[len(own) :]

    async def _credit(self, caller: Caller, lc_id: str, ahead: Sequence[RecordKey] = ()) -> CreditFile:
        """The credit's stub and private records; only a bank of the credit reads the private part."""
        credit_file, _ = await self._credit_file(caller, await self._stub(lc_id, ahead))
        return credit_file

    async def _calendars(self, banks: Iterable[common_pb2.BankRef]) -> CalendarBook:
        places = list(dict.fromkeys(calendar_place(bank) for bank in banks))
        return _calendar_book(places, await self._read_many([calendar_key(place) for place in places], PUBLIC))

    async def _presentation(
        self, caller: Caller, presentation_id: str, *, governance: bool = False
    ) -> tuple[CreditFile, PresentationFile, lc.TransferRecord | None]:
        """A presentation with its credit and, when made under a transfer, the transfer record (the
        calendars a step needs, and the compliance configuration with ``governance``, read ahead)."""
        stub = await self._get(presentation_key(presentation_id), lc.PresentationStub)
        if stub is None:
            raise not_found("presentation_id", f"no presentation {presentation_id}")
        also = [presentation_record_key(presentation_id)]
        if stub.transfer_id:
            also.append(transfer_key(stub.lc_id, stub.transfer_id))
        ahead = _read_ahead(caller, stub.lc_id, [stub.receiving_bank], governance=governance)
        credit_file, values = await self._credit_file(caller, await self._stub(stub.lc_id, ahead), also)
        record = parsed(values[0], lc.PresentationRecord)
        if record is None:
            raise _missing_private_records(credit_file.stub)
        transfer = parsed(values[1], lc.TransferRecord) if stub.transfer_id else None
        return credit_file, PresentationFile(stub, record), transfer

    async def _amendment(self, credit_file: CreditFile, seq: int) -> lc.AmendmentRecord:
        amendment = await self._get(
            amendment_key(credit_file.lc_id, seq), lc.AmendmentRecord, credit_file.stub.collection
        )
        return _require_amendment(amendment, credit_file.lc_id, seq)

    async def _credit_and_amendment(
        self, caller: Caller, lc_id: str, seq: int
    ) -> tuple[CreditFile, lc.AmendmentRecord]:
        """The credit and one of its amendments, the private records in one round trip."""
        stub = await self._stub(lc_id)
        _require_member(caller, stub)
        credit_file, (value,) = await self._credit_file(caller, stub, [amendment_key(stub.lc_id, seq)])
        return credit_file, _require_amendment(parsed(value, lc.AmendmentRecord), stub.lc_id, seq)

    async def _calendars_and_governance(
        self, banks: Iterable[common_pb2.BankRef]
    ) -> tuple[CalendarBook, compliance_pb2.ComplianceGovernance | None]:
        """The banks' calendars and, in the same round trip, the compliance configuration in force
        (``None`` before the first adoption)."""
        places = list(dict.fromkeys(calendar_place(bank) for bank in banks))
        values = await self._read_many([*(calendar_key(place) for place in places), governance_key()], PUBLIC)
        return _calendar_book(places, values[:-1]), parsed(values[-1], compliance_pb2.ComplianceGovernance)

    async def _calendars_and_checks(
        self, banks: Iterable[common_pb2.BankRef]
    ) -> tuple[CalendarBook, compliance_pb2.ComplianceGovernance | None]:
        """The banks' calendars and, in the same round trip, the compliance configuration when it
        checks credits (``None`` otherwise)."""
        calendars, governance = await self._calendars_and_governance(banks)
        return calendars, credit_checks(governance)

    async def _compliance(
        self,
        tx: Transaction,
        checks: compliance_pb2.ComplianceGovernance | None,
        credit_file: CreditFile,
        parties: Sequence[CreditParty],
        *,
        amount: common_pb2.Money | None = None,
        terms: lc.LetterOfCreditTerms | None = None,
        documents: Sequence[lc.Document] = (),
    ) -> None:
        """When the consortium's compliance configuration checks credits (``checks``): KYC and
        sanctions of the parties by their banks, the embargo, the per-credit cap (DOMAIN.md 4.1-4.3);
        on ``terms`` when given (an amendment's), else the credit's; and the embargo on presented
        ``documents``' ports (4.2)."""
        if checks is not None:
            banks = credit_banks(credit_file.stub)
            checked = credit_file.terms.terms if terms is None else terms
            await check_credit(self._ledger, checks, tx, checked, banks, parties, amount=amount)
            check_documents(checks, documents)

    async def _amended_compliance(
        self, tx: Transaction, credit_file: CreditFile, changes: lc.AmendmentChanges
    ) -> None:
        """An amendment meets the checks the credit met at issue: the embargo on the amended places and
        the per-credit cap on the amended amount (else an amendment could carry a credit past both)."""
        if changes.cancel:
            return
        _, checks = await self._calendars_and_checks([])
        if checks is not None:
            amended = amended_terms(credit_file.terms.terms, changes)
            await self._compliance(tx, checks, credit_file, [], amount=amended.amount, terms=amended)

    # -- writing -------------------------------------------------------------------------------

    async def _commit(self, transition: Transition[ResponseT]) -> ResponseT:
        await store(self._ledger, transition.writes)
        if transition.event is not None:
            await self._ledger.emit_event(
                event_name(transition.event.type), transition.event.SerializeToString(deterministic=True)
            )
        return transition.response

    # -- credit ----------------------------------------------------------------------------------

    async def apply(self, tx: Transaction, request: api.ApplyRequest) -> api.CreditResponse:
        """Apply for a credit (the applicant through the issuing bank)."""
        terms = request.terms
        check_bank(terms.issuing_bank, "terms.issuing_bank")
        check_ref16(terms.lc_number, "terms.lc_number")
        place = calendar_place(terms.issuing_bank)
        keys = [credit_key(lc_id_of(terms.issuing_bank.bic, terms.lc_number)), calendar_key(place), governance_key()]
        credit_value, calendar_value, governance_value = await self._read_many(keys, PUBLIC)
        existing = parsed(credit_value, lc.CreditStub)
        calendars = _calendar_book([place], [calendar_value])
        transition = credit.apply_for_credit(tx, request, existing, calendars)
        require_listed(parsed(governance_value, compliance_pb2.ComplianceGovernance), terms_banks(terms))
        return await self._commit(transition)

    async def issue(self, tx: Transaction, request: api.IssueRequest) -> api.CreditResponse:
        """Issue the credit (issuing bank)."""
        ahead = _read_ahead(tx.caller, request.lc_id, governance=True)
        credit_file = await self._credit(tx.caller, request.lc_id, ahead)
        calendars, config = await self._calendars_and_governance([credit_file.stub.issuing_bank])
        transition = credit.issue_credit(tx, credit_file, calendars)
        terms = credit_file.terms.terms
        # applied before the directory (or a change of it): the credit names its banks as it must
        require_listed_on_record(config, [bank for _, bank in terms_banks(terms)], f"credit {credit_file.lc_id}")
        checks = credit_checks(config)
        applicant = ("applicant", terms.applicant, credit_file.stub.issuing_bank)
        await self._compliance(tx, checks, credit_file, [applicant], amount=terms.amount)
        return await self._commit(transition)

    async def advise(self, tx: Transaction, request: api.AdviseRequest) -> api.CreditResponse:
        """Advise the credit (advising bank)."""
        stub = await self._stub(request.lc_id, _read_ahead(tx.caller, request.lc_id, governance=True))
        calendars, config = await self._calendars_and_governance([stub.advising_bank])
        transition = credit.advise_credit(tx, stub, calendars)
        # issued before the directory: the beneficiary is not told of a credit under a BIC not its bank's
        require_listed_on_record(config, stub_banks(stub), f"credit {stub.lc_id}")
        checks = credit_checks(config)
        if checks is not None:
            credit_file = await self._credit(tx.caller, request.lc_id)
            beneficiary = ("beneficiary", credit_file.terms.terms.beneficiary, stub.advising_bank)
            await self._compliance(tx, checks, credit_file, [beneficiary])
        return await self._commit(transition)

    async def add_confirmation(self, tx: Transaction, request: api.AddConfirmationRequest) -> api.CreditResponse:
        """Add a confirmation (requested confirmer)."""
        stub = await self._stub(request.lc_id)
        calendars = await self._calendars([stub.confirming_bank] if stub.HasField("confirming_bank") else [])
        return await self._commit(credit.add_confirmation(tx, stub, calendars))

    async def decline_confirmation(
        self, tx: Transaction, request: api.DeclineConfirmationRequest
    ) -> api.CreditResponse:
        """Decline to confirm (requested confirmer)."""
        return await self._commit(credit.decline_confirmation(tx, await self._stub(request.lc_id)))

    async def expire(self, tx: Transaction, request: api.ExpireRequest) -> api.CreditResponse:
        """Record the credit's expiry (any bank of the credit)."""
        stub = await self._stub(request.lc_id)
        return await self._commit(credit.expire_credit(tx, stub, await self._calendars(credit_banks(stub))))

    async def close(self, tx: Transaction, request: api.CloseRequest) -> api.CreditResponse:
        """Close a finished credit (issuing bank)."""
        return await self._commit(credit.close_credit(tx, await self._credit(tx.caller, request.lc_id)))

    # -- amendments ------------------------------------------------------------------------------

    async def propose_amendment(self, tx: Transaction, request: api.ProposeAmendmentRequest) -> api.AmendmentResponse:
        """Propose the next amendment (issuing bank)."""
        credit_file = await self._credit(tx.caller, request.lc_id)
        calendars = await self._calendars([credit_file.stub.issuing_bank])
        transition = amendments.propose_amendment(tx, credit_file, request, calendars)
        await self._amended_compliance(tx, credit_file, request.changes)
        return await self._commit(transition)

    async def advise_amendment(self, tx: Transaction, request: api.AdviseAmendmentRequest) -> api.AmendmentResponse:
        """Advise an amendment (advising bank)."""
        credit_file, amendment = await self._credit_and_amendment(tx.caller, request.lc_id, request.seq)
        calendars = await self._calendars([credit_file.stub.advising_bank])
        return await self._commit(amendments.advise_amendment(tx, credit_file, amendment, request.seq, calendars))

    async def decide_amendment_confirmation(
        self, tx: Transaction, request: api.DecideAmendmentConfirmationRequest
    ) -> api.AmendmentResponse:
        """Extend the confirmation to an amendment, or not (confirming bank)."""
        credit_file, amendment = await self._credit_and_amendment(tx.caller, request.lc_id, request.seq)
        return await self._commit(amendments.decide_amendment_confirmation(tx, credit_file, amendment, request))

    async def accept_amendment(self, tx: Transaction, request: api.AcceptAmendmentRequest) -> api.AmendmentResponse:
        """Accept an amendment (beneficiary, through the advising bank)."""
        credit_file, amendment = await self._credit_and_amendment(tx.caller, request.lc_id, request.seq)
        calendars = await self._calendars([credit_file.stub.advising_bank])
        transition = amendments.accept_amendment(tx, credit_file, amendment, request, calendars)
        await self._amended_compliance(tx, credit_file, amendment.changes)  # the configuration may have changed
        return await self._commit(transition)

    async def reject_amendment(self, tx: Transaction, request: api.RejectAmendmentRequest) -> api.AmendmentResponse:
        """Reject an amendment (beneficiary, through the advising bank)."""
        credit_file, amendment = await self._credit_and_amendment(tx.caller, request.lc_id, request.seq)
        calendars = await self._calendars([credit_file.stub.advising_bank])
        return await self._commit(amendments.reject_amendment(tx, credit_file, amendment, request, calendars))

    # -- presentations ---------------------------------------------------------------------------

    async def present(self, tx: Transaction, request: api.PresentRequest) -> api.PresentationResponse:
        """Present documents (beneficiary's bank); idempotent on the presentation id."""
        key = presentation_key(request.presentation_id)
        receiver = common_pb2.BankRef(bic=request.receiving_bank_bic)
        ahead = _read_ahead(tx.caller, request.lc_id, [receiver], governance=True)
        credit_value, existing_value, *_ = await self._read_many([credit_key(request.lc_id), key, *ahead], PUBLIC)
        credit_stub = parsed(credit_value, lc.CreditStub)
        if credit_stub is None:
            raise not_found("lc_id", f"no credit {request.lc_id}")
        _require_member(tx.caller, credit_stub)
        existing = parsed(existing_value, lc.PresentationStub)
        replay = existing is not None and existing.lc_id == credit_stub.lc_id
        also = [presentation_record_key(request.presentation_id)] if replay else []
        if request.transfer_id:
            also.append(transfer_key(credit_stub.lc_id, request.transfer_id))
        credit_file, values = await self._credit_file(tx.caller, credit_stub, also)
        existing_record = parsed(values[0], lc.PresentationRecord) if replay else None
        transfer = parsed(values[-1], lc.TransferRecord) if request.transfer_id else None
        if request.transfer_id and transfer is None:
            raise not_found("transfer_id", f"credit {credit_file.lc_id} has no transfer {request.transfer_id}")
        banks = presentation_banks(credit_file.stub, credit_file.terms.terms)
        calendars, checks = await self._calendars_and_checks(banks)
        transition = presentations.present(tx, credit_file, request, existing, existing_record, transfer, calendars)
        if transition.writes:  # a replay is answered with the stored presentation, whatever changed since
            await self._compliance(
                tx, checks, credit_file, [_beneficiary(credit_file, transfer)],
                documents=transition.response.record.documents,
            )
            transition = await self._registry(tx, transition, transition.response.record, hold=True)
        return await self._commit(transition)

    async def _presentation_step(
        self, tx: Transaction, presentation_id: str, *, governance: bool = False
    ) -> tuple[CreditFile, PresentationFile, lc.TransferRecord | None, CalendarBook]:
        credit_file, presentation, transfer = await self._presentation(
            tx.caller, presentation_id, governance=governance
        )
        banks = [presentation.stub.receiving_bank, credit_file.stub.issuing_bank]
        payer = next(
            (bank for bank in credit_banks(credit_file.stub) if bank.msp_id == presentation.record.honour.bank_msp_id),
            None,
        )
        if payer is not None:
            banks.append(payer)
        return credit_file, presentation, transfer, await self._calendars(banks)

    async def notify_completeness(
        self, tx: Transaction, request: api.NotifyCompletenessRequest
    ) -> api.PresentationResponse:
        """eUCP notice of completeness (presenter)."""
        credit_file, presentation, transfer, calendars = await self._presentation_step(tx, request.presentation_id)
        return await self._commit(presentations.notify_completeness(tx, credit_file, presentation, transfer, calendars))

    async def examine(self, tx: Transaction, request: api.ExamineRequest) -> api.PresentationResponse:
        """Record the examination (examining bank)."""
        credit_file, presentation, transfer, calendars = await self._presentation_step(tx, request.presentation_id)
        pending = credit_file.stub.pending_amendment_seqs
        next_amendment = await self._amendment(credit_file, min(pending)) if pending else None
        return await self._commit(
            presentations.examine(tx, credit_file, presentation, request, transfer, calendars, next_amendment)
        )

    async def examine_forwarded(
        self, tx: Transaction, request: api.ExamineForwardedRequest
    ) -> api.PresentationResponse:
        """Record the issuing bank's examination of documents another bank honoured and forwarded."""
        credit_file, presentation, transfer, calendars = await self._presentation_step(tx, request.presentation_id)
        presented_terms = await self._presented_terms(credit_file, presentation.record)
        transition = presentations.examine_forwarded(
            tx, credit_file, presentation, request, transfer, calendars, presented_terms
        )
        return await self._commit(transition)

    async def _presented_terms(self, credit_file: CreditFile, record: lc.PresentationRecord) -> lc.CreditTermsRecord:
        """The credit's terms the presentation was made under: the credit's own unless an amendment was
        accepted since, else the version kept when it was (a record older than that snapshot: the
        credit's)."""
        seq = record.presented_terms_seq
        if not record.HasField("position_at_presentation") or seq == credit_file.terms.amendment_seq:
            return credit_file.terms
        key = terms_version_key(credit_file.lc_id, seq)
        kept = await self._get(key, lc.CreditTermsRecord, credit_file.stub.collection)
        if kept is None:
            raise invalid_state(
                f"the credit's terms as amended up to {seq}, which the presentation was made under, are not on the "
                "ledger (amended before the ledger kept past terms)"
            )
        return kept

    async def refuse(self, tx: Transaction, request: api.RefuseRequest) -> api.PresentationResponse:
        """Refuse in one notice (examining bank)."""
        credit_file, presentation, transfer, calendars = await self._presentation_step(tx, request.presentation_id)
        transition = presentations.refuse(tx, credit_file, presentation, request, transfer, calendars)
        if transition.response.presentation.state == lc.PRESENTATION_STATE_RETURNED:  # disposal: returned at once
            transition = await self._registry(tx, transition, presentation.record, hold=False)
        return await self._commit(transition)

    async def request_waiver(self, tx: Transaction, request: api.RequestWaiverRequest) -> api.PresentationResponse:
        """Ask the applicant for a waiver (issuing bank)."""
        credit_file, presentation, _, calendars = await self._presentation_step(tx, request.presentation_id)
        return await self._commit(presentations.request_waiver(tx, credit_file, presentation, calendars))

    async def grant_waiver(self, tx: Transaction, request: api.GrantWaiverRequest) -> api.PresentationResponse:
        """Waive the discrepancies (applicant)."""
        credit_file, presentation, _, calendars = await self._presentation_step(tx, request.presentation_id)
        return await self._commit(presentations.grant_waiver(tx, credit_file, presentation, calendars))

    async def accept_waiver(self, tx: Transaction, request: api.AcceptWaiverRequest) -> api.PresentationResponse:
        """Accept the applicant's waiver (issuing bank)."""
        credit_file, presentation, _, calendars = await self._presentation_step(tx, request.presentation_id)
        return await self._commit(presentations.accept_waiver(tx, credit_file, presentation, calendars))

    async def return_documents(self, tx: Transaction, request: api.ReturnDocumentsRequest) -> api.PresentationResponse:
        """Return refused documents (examining bank, or on the presenter's instruction). Their
        fingerprints are released only when the presentation ends undrawn: forwarded documents the
        issuing bank refused go back to the bank that honoured them, and still back that drawing."""
        credit_file, presentation, transfer, _ = await self._presentation_step(tx, request.presentation_id)
        transition = presentations.return_documents(tx, credit_file, presentation, transfer)
        if transition.response.presentation.state != lc.PRESENTATION_STATE_RETURNED:
            return await self._commit(transition)
        return await self._commit(await self._registry(tx, transition, presentation.record, hold=False))

    async def _registry(
        self,
        tx: Transaction,
        transition: Transition[api.PresentationResponse],
        record: lc.PresentationRecord,
        *,
        hold: bool,
    ) -> Transition[api.PresentationResponse]:
        """The transition with the duplicate-financing registry's writes for the presentation's
        fingerprinted documents: held when presented (refused if financed or held elsewhere), released
        when returned. Nothing is read for a presentation without fingerprints."""
        documents = presentations.presented_fingerprints(record.documents)
        if not documents:
            return transition
        fingerprints = [fingerprint for fingerprint, _ in documents]
        values = await self._read_many([financing_key(fingerprint) for fingerprint in fingerprints], PUBLIC)
        entries = {
            fingerprint: parsed(value, compliance_pb2.FinancingEntry)
            for fingerprint, value in zip(fingerprints, values, strict=True)
        }
        commitment = presentations.presentation_commitment(record)
        if hold:
            writes = hold_for_presentation(tx, documents, entries, commitment)
        else:
            writes = release_presentation(tx, fingerprints, entries, commitment)
        return Transition(transition.response, (*transition.writes, *writes), transition.event)

    async def lapse_presentation(
        self, tx: Transaction, request: api.LapsePresentationRequest
    ) -> api.PresentationResponse:
        """Record that an eUCP presentation's notice of completeness did not come by the expiry (any
        bank of the credit): deemed not made, its reservation and its documents released."""
        credit_file, presentation, transfer, calendars = await self._presentation_step(tx, request.presentation_id)
        transition = presentations.lapse(tx, credit_file, presentation, transfer, calendars)
        return await self._commit(await self._registry(tx, transition, presentation.record, hold=False))

    async def preclude(self, tx: Transaction, request: api.PrecludeRequest) -> api.PresentationResponse:
        """Record that the refusal deadline passed (any bank of the credit)."""
        credit_file, presentation, _, calendars = await self._presentation_step(tx, request.presentation_id)
        return await self._commit(presentations.preclude(tx, credit_file, presentation, calendars))

    async def honour(self, tx: Transaction, request: api.HonourRequest) -> api.PresentationResponse:
        """Honour, negotiate, accept or undertake deferred payment (examining bank)."""
        credit_file, presentation, transfer, calendars = await self._presentation_step(
            tx, request.presentation_id, governance=True
        )
        transition = presentations.honour(tx, credit_file, presentation, request, transfer, calendars)
        applicant = ("applicant", credit_file.terms.terms.applicant, credit_file.stub.issuing_bank)
        checks = await credit_governance(self._ledger)
        await self._compliance(
            tx, checks, credit_file, [applicant, _beneficiary(credit_file, transfer)],
            documents=presentation.record.documents,
        )
        if request.HasField("settlement"):
            paying, receiving = presentation.stub.receiving_bank, presentation.stub.presenting_bank
            transition = await self._settled(
                tx, transition, request.settlement, credit_file, presentation, transfer, (paying, receiving),
                request.amount,
            )
        return await self._commit(transition)

    async def pay_at_maturity(self, tx: Transaction, request: api.PayAtMaturityRequest) -> api.PresentationResponse:
        """Pay an acceptance or deferred-payment undertaking at maturity (honouring bank)."""
        credit_file, presentation, transfer, calendars = await self._presentation_step(tx, request.presentation_id)
        settlement_uetr = request.settlement.uetr if request.HasField("settlement") else ""
        transition = presentations.pay_at_maturity(tx, credit_file, presentation, calendars, settlement_uetr)
        if request.HasField("settlement"):
            honour = presentation.record.honour
            paying = next(bank for bank in credit_banks(credit_file.stub) if bank.msp_id == honour.bank_msp_id)
            banks = (paying, presentation.stub.presenting_bank)
            transition = await self._settled(
                tx, transition, request.settlement, credit_file, presentation, transfer, banks, honour.amount
            )
        return await self._commit(transition)

    async def _settled(
        self,
        tx: Transaction,
        transition: Transition[api.PresentationResponse],
        settlement: payments_pb2.CreditSettlement,
        credit_file: CreditFile,
        presentation: PresentationFile,
        transfer: lc.TransferRecord | None,
        banks: tuple[common_pb2.BankRef, common_pb2.BankRef],
        amount: common_pb2.Money,
    ) -> Transition[api.PresentationResponse]:
        """The transition with the payment that settles it: made on the payment channel between the
        paying and the receiving bank (``banks``) in the credit's currency, in the same transaction --
        only for a credit of those two banks (:func:`.presentations.check_settlement_pair`), refused
        before the channel is read."""
        if not isinstance(self._ledger, RecordLedger):
            raise invalid_state("this ledger cannot make payments")
        paying_bank, receiving_bank = banks
        if paying_bank.msp_id == receiving_bank.msp_id:
            raise invalid_input("settlement", "the bank pays its own customer: there is no payment between banks")
        presentations.check_settlement_pair(
            credit_file.lc_id,
            (bank.msp_id for bank in credit_banks(credit_file.stub)),
            (paying_bank.msp_id, receiving_bank.msp_id),
        )
        terms = credit_file.terms.terms
        _, beneficiary, _ = _beneficiary(credit_file, transfer)
        payment = await PaymentsService(self._ledger).credit_settlement(
            tx,
            settlement,
            paying_bank=paying_bank,
            receiving_bank=receiving_bank,
            issuing_bank=credit_file.stub.issuing_bank,
            amount=amount,
            applicant=terms.applicant,
            beneficiary=beneficiary,
            beneficiary_account=terms.beneficiary_account if terms.HasField("beneficiary_account") else None,
            lc_id=credit_file.lc_id,
            presentation_id=presentation.presentation_id,
        )
        return Transition(transition.response, (*transition.writes, *payment.writes), transition.event)

    async def reimburse(self, tx: Transaction, request: api.ReimburseRequest) -> api.PresentationResponse:
        """Reimburse the honouring bank (issuing bank)."""
        credit_file, presentation, transfer, calendars = await self._presentation_step(tx, request.presentation_id)
        transition = presentations.reimburse(tx, credit_file, presentation, request, calendars)
        if request.HasField("settlement"):
            honour = presentation.record.honour
            claimant = next(bank for bank in credit_banks(credit_file.stub) if bank.msp_id == honour.bank_msp_id)
            banks = (credit_file.stub.issuing_bank, claimant)
            transition = await self._settled(
                tx, transition, request.settlement, credit_file, presentation, transfer, banks, request.amount
            )
        return await self._commit(transition)

    # -- transfer and governance -----------------------------------------------------------------

    async def transfer(self, tx: Transaction, request: api.TransferRequest) -> api.TransferResponse:
        """Transfer the credit to a second beneficiary (transferring bank)."""
        stub = await self._stub(request.lc_id)
        _require_member(tx.caller, stub)
        also = [transfer_key(stub.lc_id, request.transfer_id)]
        credit_file, (value,) = await self._credit_file(tx.caller, stub, also)
        existing = parsed(value, lc.TransferRecord)
        calendars, config = await self._calendars_and_governance(credit_banks(credit_file.stub))
        transition = transfers.transfer_credit(tx, credit_file, request, existing, calendars)
        require_listed(config, [("second_beneficiary_bank", request.second_beneficiary_bank)])
        return await self._commit(transition)

    async def publish_calendar(self, tx: Transaction, request: api.PublishCalendarRequest) -> api.CalendarResponse:
        """Publish the next version of a place's banking-day calendar (compliance officer)."""
        check_place_code(request.calendar.place, "calendar.place")
        current = await self._get(calendar_key(request.calendar.place), calendar_pb2.BankingCalendar)
        return await self._commit(governance.publish_calendar(tx, request, current))

    # -- queries ---------------------------------------------------------------------------------

    async def get_credit(self, caller: Caller, request: api.GetCreditRequest) -> api.CreditResponse:
        """The public stub of a credit (any member of the channel)."""
        del caller
        return api.CreditResponse(credit=await self._stub(request.lc_id))

    async def get_credit_terms(self, caller: Caller, request: api.GetCreditTermsRequest) -> api.CreditTermsResponse:
        """The terms and balances of a credit (its banks only)."""
        credit_file = await self._credit(caller, request.lc_id)
        return api.CreditTermsResponse(credit=credit_file.stub, terms=credit_file.terms, position=credit_file.position)

    async def get_amendment(self, caller: Caller, request: api.GetAmendmentRequest) -> api.AmendmentResponse:
        """An amendment (the credit's banks only)."""
        credit_file = await self._credit(caller, request.lc_id)
        return api.AmendmentResponse(credit=credit_file.stub, amendment=await self._amendment(credit_file, request.seq))

    async def get_presentation(self, caller: Caller, request: api.GetPresentationRequest) -> api.PresentationResponse:
        """A presentation: its public stub for anyone, its private record for the credit's banks."""
        stub = await self._get(presentation_key(request.presentation_id), lc.PresentationStub)
        if stub is None:
            raise not_found("presentation_id", f"no presentation {request.presentation_id}")
        credit_stub = await self._stub(stub.lc_id)
        if not any(is_bank(caller, bank) for bank in credit_banks(credit_stub)):
            return api.PresentationResponse(presentation=stub)
        record = await self._get(
            presentation_record_key(request.presentation_id), lc.PresentationRecord, credit_stub.collection
        )
        if record is None:
            raise _missing_private_records(credit_stub)
        return api.PresentationResponse(presentation=stub, record=record)

    async def get_transfer(self, caller: Caller, request: api.GetTransferRequest) -> api.TransferResponse:
        """A transfer (the credit's banks only)."""
        credit_file = await self._credit(caller, request.lc_id)
        record = await self._get(
            transfer_key(request.lc_id, request.transfer_id), lc.TransferRecord, credit_file.stub.collection
        )
        if record is None:
            raise not_found("transfer_id", f"credit {request.lc_id} has no transfer {request.transfer_id}")
        return api.TransferResponse(credit=credit_file.stub, transfer=record)

    async def get_calendar(self, caller: Caller, request: api.GetCalendarRequest) -> api.CalendarResponse:
        """The current banking-day calendar of a place (anyone)."""
        del caller
        check_place_code(request.place, "place")
        calendar = await self._get(calendar_key(request.place), calendar_pb2.BankingCalendar)
        if calendar is None:
            raise not_found("place", f"no banking-day calendar has been published for {request.place}")
        return api.CalendarResponse(calendar=calendar)

    async def get_audit_trail(
        self, caller: Caller, request: compliance_pb2.GetAuditTrailRequest
    ) -> compliance_pb2.AuditTrailResponse:
        """Every committed version of a credit's or a presentation's public stub, or of a place's
        banking-day calendar, newest first (anyone of the channel: public records, which every peer
        holds). A record never written has an empty trail."""
        del caller
        key = audit_key(request)
        if not isinstance(self._ledger, KeyHistory):
            raise invalid_state("this ledger keeps no history")
        return await audit_trail(self._ledger, key)


def audit_key(request: compliance_pb2.GetAuditTrailRequest) -> RecordKey:
    """The key of the public record a GetAuditTrail request names: an object type of AUDITED_OBJECTS,
    spelt exactly, and an id of its form (the client checks it early)."""
    object_id = request.object_id

    def build() -> RecordKey:
        if request.object_type == "credit":
            return credit_key(object_id)
        if request.object_type == "presentation":
            return presentation_key(object_id)
        if request.object_type == "calendar":
            check_place_code(object_id, "place")
            return calendar_key(object_id)
        raise invalid_input("object_type", f"one of {', '.join(AUDITED_OBJECTS)}")

    return audited_key(request.object_type, build)


def _read_ahead(
    caller: Caller, lc_id: str, banks: Iterable[common_pb2.BankRef] = (), *, governance: bool
) -> list[RecordKey]:
    """Public keys an operation on credit ``lc_id`` reads after the credit's stub, to read with the
    stub in one round trip (each read is a round trip between the chaincode and the peer): the
    banking-day calendars of the issuing bank (its BIC8 opens the credit id), of the caller's bank (its
    certificate's ``bic``) and of ``banks``, and the compliance configuration when the operation
    checks it (``governance``). A guess that misses costs the round trip it meant to save. A key the
    operation turns out not to need still enters the transaction's read set: the transaction then
    fails its MVCC check if that key is written meanwhile -- a calendar or the configuration, both
    rarely written, never a credit's or a payment's own record. No answer changes: the ledger
    remembers what it read for the transaction (:class:`..rule_contract.StubLedger`)."""
    places = [lc_id[4:6], caller.bic[4:6], *(calendar_place(bank) for bank in banks)]
    keys = [calendar_key(place) for place in dict.fromkeys(places) if len(place) == 2 and place.isalpha()]
    if governance:
        keys.append(governance_key())
    return keys


def _calendar_book(places: Sequence[str], values: Sequence[bytes | None]) -> CalendarBook:
    """The calendars found among those read for ``places``."""
    found = {}
    for place, value in zip(places, values, strict=True):
        calendar = parsed(value, calendar_pb2.BankingCalendar)
        if calendar is not None:
            found[place] = calendar
    return CalendarBook(found)


def _require_amendment(amendment: lc.AmendmentRecord | None, lc_id: str, seq: int) -> lc.AmendmentRecord:
    if amendment is None:
        raise not_found("seq", f"credit {lc_id} has no amendment {seq}")
    return amendment


def _missing_private_records(stub: lc.CreditStub) -> LcRuleError:
    return not_found("lc_id", f"the private records of {stub.lc_id} are missing from {stub.collection}")


def _require_member(caller: Caller, stub: lc.CreditStub) -> None:
    """Only the credit's banks see its private records (checked before reading them)."""
    if not any(is_bank(caller, bank) for bank in credit_banks(stub)):
        raise unauthorized(f"{caller.msp_id} is not a bank of credit {stub.lc_id}")


def _beneficiary(credit_file: CreditFile, transfer: lc.TransferRecord | None) -> CreditParty:
    """The beneficiary presenting (the second beneficiary under a transfer) and its bank."""
    party = transfer.second_beneficiary if transfer is not None else credit_file.terms.terms.beneficiary
    return ("beneficiary", party, presentations.presenting_bank(credit_file, transfer))
