"""Letters of credit through the ``lc`` contract: one typed method per operation of the lifecycle.

:class:`LettersOfCredit` (blocking) and :class:`AsyncLettersOfCredit` (asyncio) have the same methods,
both written once as flows in :class:`LettersOfCreditFlows`. Submits put their request message in the
transient map (terms, documents and amounts never reach a block) and answer :class:`Committed` with the
public record the transaction wrote; queries answer the records themselves.

Endorsement: a credit's keys require its banks (state-based endorsement AND(issuing, advising
[, confirming]) and a private data collection of all its banks). The client endorses each submit by
exactly those banks, read from the credit's public stub once and remembered, so that a credit moves on
a channel with banks that are not party to it (the gateway's discovery only sees the channel's policy
for transitions that write no private data). So a ``settlement`` (the payment made on the payment
channel of the paying and the receiving bank in the same transaction, whose private records only those
two banks' peers hold) is taken only for a credit of two banks; a credit with a third bank (confirming,
nominated, second advising) is refused with ``InvalidInputError`` on ``settlement``, and its payment
is made separately with ``Payments.pay``.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from google.protobuf.message import Message

from tradefin.chaincode.contracts.letters_of_credit import (
    amendments,
    banking_days,
    records,
    terms,
    transfers,
    validation,
)
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.money import format_amount, parse_amount
from tradefin.chaincode.contracts.letters_of_credit.presentations import (
    check_discrepancies,
    check_disposal,
    check_documents,
    check_settlement_pair,
)
from tradefin.chaincode.contracts.letters_of_credit.service import audit_key
from tradefin.gateway import ChaincodeEvent, Gateway, aio
from tradefin.protos import calendar_pb2, common_pb2, errors_pb2, payments_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from ._core import (
    SALT_BYTES,
    ClientSettings,
    Committed,
    Flow,
    FlowsBase,
    Session,
    StubVersion,
    enum_value,
    refused,
    salt_or_new,
    stub_versions,
)
from ._drivers import DEFAULT_CHAINCODE, AsyncClient, BlockingClient, asynchronous, blocking
from .errors import InvalidInputError, NotFoundError

__all__ = [
    "CONTRACT_NAME",
    "AmendmentDetails",
    "AsyncLettersOfCredit",
    "CreditDetails",
    "LettersOfCredit",
    "LettersOfCreditFlows",
    "PresentationDetails",
    "StubVersion",
    "TransferDetails",
    "as_date",
    "credit_event",
    "date_of",
    "money",
    "money_text",
]

CreditAnswerT = TypeVar("CreditAnswerT", api.CreditResponse, api.AmendmentResponse, api.TransferResponse)

#: The contract's name in the chaincode (transactions are ``lc:<Operation>``).
CONTRACT_NAME: Final = "lc"
# Credits and presentations whose endorsing banks the client remembers (then it starts afresh).
_MEMORY: Final = 100_000


# ------------------------------------------------------------------------------------------------
# Values


def money(currency: str, amount: str) -> common_pb2.Money:
    """Money from a decimal string: ``money("USD", "1250.00")`` is 125000 minor units.

    Raises:
        InvalidInputError: unknown currency, too many decimals, or not a positive amount.
    """
    try:
        return common_pb2.Money(currency=currency, minor_units=parse_amount(amount, currency))
    except LcRuleError as refusal:
        raise refused(refusal) from None


def money_text(value: common_pb2.Money) -> str:
    """``"USD 1250.00"``: the amount with its currency's decimals."""
    return f"{value.currency} {format_amount(value.minor_units, value.currency)}"


def date_of(day: datetime.date) -> common_pb2.Date:
    """A schema date from a :class:`datetime.date`."""
    return validation.from_date(day)


def as_date(day: common_pb2.Date) -> datetime.date:
    """A schema date as a :class:`datetime.date`.

    Raises:
        InvalidInputError: the date does not exist.
    """
    try:
        return validation.to_date(day, "date")
    except LcRuleError as refusal:
        raise refused(refusal) from None


def _optional_date(day: datetime.date | common_pb2.Date | None) -> common_pb2.Date | None:
    if day is None or isinstance(day, common_pb2.Date):
        return day
    return date_of(day)


def credit_event(event: ChaincodeEvent) -> lc.LetterOfCreditEvent:
    """Decode a chaincode event of the ``lc`` contract (named ``lc.<transition>``).

    Raises:
        ValueError: the event is not one of the contract's.
    """
    if not event.event_name.startswith(f"{CONTRACT_NAME}."):
        raise ValueError(f"{event.event_name!r} is not an event of the {CONTRACT_NAME} contract")
    return lc.LetterOfCreditEvent.FromString(event.payload)


# ------------------------------------------------------------------------------------------------
# Query answers


@dataclass(frozen=True, slots=True)
class CreditDetails:
    """A credit as its banks see it: the public stub, the binding terms, and the balances."""

    credit: lc.CreditStub
    terms: lc.CreditTermsRecord
    position: lc.CreditPosition


@dataclass(frozen=True, slots=True)
class PresentationDetails:
    """A presentation: its public stub, and its private record when the caller is a bank of the credit
    (``None`` for any other member of the channel)."""

    presentation: lc.PresentationStub
    record: lc.PresentationRecord | None


@dataclass(frozen=True, slots=True)
class AmendmentDetails:
    """An amendment and its credit's stub."""

    credit: lc.CreditStub
    amendment: lc.AmendmentRecord


@dataclass(frozen=True, slots=True)
class TransferDetails:
    """A transfer to a second beneficiary and its credit's stub."""

    credit: lc.CreditStub
    transfer: lc.TransferRecord




# ------------------------------------------------------------------------------------------------
# Endorsing banks


def _bank_ids(banks: Iterable[common_pb2.BankRef]) -> tuple[str, ...]:
    return tuple(sorted({bank.msp_id for bank in banks if bank.msp_id}))


def credit_banks(stub: lc.CreditStub) -> tuple[str, ...]:
    """MSP ids of every bank of a credit: the members of its private collection, whose peers must
    endorse any transition that writes its private records (and the credit's key-level policy)."""
    banks = [stub.issuing_bank, stub.advising_bank]
    for optional in (stub.second_advising_bank, stub.confirming_bank, stub.nominated_bank):
        if optional.msp_id:
            banks.append(optional)
    return _bank_ids(banks)


def application_banks(credit_terms: lc.LetterOfCreditTerms) -> tuple[str, ...]:
    """MSP ids of the banks a new credit will have (see :func:`credit_banks`)."""
    banks = [credit_terms.issuing_bank, credit_terms.advising_bank]
    for name in ("second_advising_bank", "requested_confirmer"):
        if credit_terms.HasField(name):
            banks.append(getattr(credit_terms, name))
    if credit_terms.available_with.HasField("nominated_bank"):
        banks.append(credit_terms.available_with.nominated_bank)
    return _bank_ids(banks)


# ------------------------------------------------------------------------------------------------
# The operations, written once


class LettersOfCreditFlows(FlowsBase):
    """Every operation of the ``lc`` contract as a flow (see ``_core``); the clients are its twins."""

    def __init__(self, settings: ClientSettings) -> None:
        super().__init__(settings)
        session = settings.session
        # lc_id -> its banks' MSP ids (they never change); presentation_id -> lc_id. Shared by a session.
        self._banks: dict[str, tuple[str, ...]] = session.endorsers if session is not None else {}
        self._credit_of: dict[str, str] = session.parents if session is not None else {}

    # -- endorsing banks -------------------------------------------------------------------------

    def _remember(self, stub: lc.CreditStub) -> tuple[str, ...]:
        if len(self._banks) >= _MEMORY:
            self._banks.clear()
        banks = self._banks[stub.lc_id] = credit_banks(stub)
        return banks

    def _remember_presentation(self, presentation: lc.PresentationStub) -> None:
        if len(self._credit_of) >= _MEMORY:
            self._credit_of.clear()
        self._credit_of[presentation.presentation_id] = presentation.lc_id

    def _banks_of_credit(self, lc_id: str) -> Flow[tuple[str, ...] | None]:
        """The credit's banks, from memory or its public stub; ``None`` (the gateway chooses, the
        chaincode refuses) when there is no such credit."""
        known = self._banks.get(lc_id)
        if known is not None or not self.settings.pin_endorsers:
            return known
        try:
            answer = yield from self._query("GetCredit", api.GetCreditRequest(lc_id=lc_id), api.CreditResponse)
        except (NotFoundError, InvalidInputError):
            return None
        return self._remember(answer.credit)

    def _banks_of_presentation(self, presentation_id: str) -> Flow[tuple[str, ...] | None]:
        lc_id = self._credit_of.get(presentation_id)
        if lc_id is None and self.settings.pin_endorsers:
            request = api.GetPresentationRequest(presentation_id=presentation_id)
            try:
                answer = yield from self._query("GetPresentation", request, api.PresentationResponse)
            except (NotFoundError, InvalidInputError):
                return None
            self._remember_presentation(answer.presentation)
            lc_id = answer.presentation.lc_id
        return (yield from self._banks_of_credit(lc_id)) if lc_id else None

    # -- submit helpers --------------------------------------------------------------------------

    def _credit_transition(
        self, transaction: str, request: Message, answer: type[CreditAnswerT], lc_id: str
    ) -> Flow[Committed[lc.CreditStub]]:
        self._check(records.parse_lc_id, lc_id)
        banks = yield from self._banks_of_credit(lc_id)
        return (yield from self._credit_submit(transaction, request, answer, banks))

    def _credit_submit(
        self, transaction: str, request: Message, answer: type[CreditAnswerT], banks: tuple[str, ...] | None
    ) -> Flow[Committed[lc.CreditStub]]:
        receipt, response = yield from self._transact(transaction, request, answer, banks)
        self._remember(response.credit)
        return Committed(response.credit, receipt.transaction_id, receipt.block_number)

    def _presentation_transition(
        self, transaction: str, request: Message, presentation_id: str, *, settled: bool = False
    ) -> Flow[Committed[lc.PresentationStub]]:
        """``settled``: the request carries a settlement, refused early (as the chaincode refuses it)
        when the credit has a bank that cannot endorse the payment (see
        :func:`~tradefin.chaincode.contracts.letters_of_credit.presentations.check_settlement_pair`: the
        client knows the credit's banks, not yet which two of them pay)."""
        self._check(validation.check_uuid4, presentation_id, "presentation_id")
        banks = yield from self._banks_of_presentation(presentation_id)
        if settled and banks is not None:
            lc_id = self._credit_of.get(presentation_id, "")
            self._check(check_settlement_pair, lc_id, banks)
        return (yield from self._presentation_submit(transaction, request, banks))

    def _presentation_submit(
        self, transaction: str, request: Message, banks: tuple[str, ...] | None
    ) -> Flow[Committed[lc.PresentationStub]]:
        receipt, response = yield from self._transact(transaction, request, api.PresentationResponse, banks)
        self._remember_presentation(response.presentation)
        return Committed(response.presentation, receipt.transaction_id, receipt.block_number)

    # -- credit ----------------------------------------------------------------------------------

    def apply(
        self, credit_terms: lc.LetterOfCreditTerms, *, salt: bytes | None = None
    ) -> Flow[Committed[lc.CreditStub]]:
        """The applicant, through its bank (the issuing bank), applies for a credit (DRAFT_APPLICATION).

        Args:
            credit_terms: the MT700 terms; ``issue_date`` stays empty (the issuing bank sets 31C).
            salt: 32 random bytes salting the terms hash and every private record of the credit
                (default: fresh random bytes).

        Needs role ``client-applicant`` or ``issuer`` at the issuing bank, and the issuing bank's
        banking-day calendar published.
        """
        salt = salt_or_new(salt)
        self._check(terms.validate_terms, credit_terms)
        if credit_terms.HasField("issue_date"):
            self._check(_refuse, "terms.issue_date", "31C is set by the issuing bank when it issues the credit")
        if len(salt) != SALT_BYTES:
            self._check(_refuse, "salt", f"must be {SALT_BYTES} random bytes")
        request = api.ApplyRequest(terms=credit_terms, salt=salt)
        return (yield from self._credit_submit("Apply", request, api.CreditResponse, application_banks(credit_terms)))

    def issue(self, lc_id: str) -> Flow[Committed[lc.CreditStub]]:
        """The issuing bank issues the credit; 31C is its business date (role ``issuer``)."""
        return (yield from self._credit_transition("Issue", api.IssueRequest(lc_id=lc_id), api.CreditResponse, lc_id))

    def advise(self, lc_id: str) -> Flow[Committed[lc.CreditStub]]:
        """The advising bank advises the issued credit to the beneficiary (role ``advisor``)."""
        request = api.AdviseRequest(lc_id=lc_id)
        return (yield from self._credit_transition("Advise", request, api.CreditResponse, lc_id))

    def add_confirmation(self, lc_id: str) -> Flow[Committed[lc.CreditStub]]:
        """The requested confirmer adds its confirmation (art. 8; role ``issuer`` or ``approver``)."""
        request = api.AddConfirmationRequest(lc_id=lc_id)
        return (yield from self._credit_transition("AddConfirmation", request, api.CreditResponse, lc_id))

    def decline_confirmation(self, lc_id: str) -> Flow[Committed[lc.CreditStub]]:
        """The requested confirmer declines to confirm (role ``issuer`` or ``approver``)."""
        request = api.DeclineConfirmationRequest(lc_id=lc_id)
        return (yield from self._credit_transition("DeclineConfirmation", request, api.CreditResponse, lc_id))

    def expire(self, lc_id: str) -> Flow[Committed[lc.CreditStub]]:
        """Any bank of the credit records its expiry (after the art. 29-extended expiry at every bank)."""
        request = api.ExpireRequest(lc_id=lc_id)
        return (yield from self._credit_transition("Expire", request, api.CreditResponse, lc_id))

    def close(self, lc_id: str) -> Flow[Committed[lc.CreditStub]]:
        """The issuing bank closes an expired, utilised or cancelled credit with nothing outstanding."""
        request = api.CloseRequest(lc_id=lc_id)
        return (yield from self._credit_transition("Close", request, api.CreditResponse, lc_id))

    # -- amendments ------------------------------------------------------------------------------

    def propose_amendment(
        self,
        lc_id: str,
        seq: int,
        changes: lc.AmendmentChanges,
        *,
        charges_payable_by: lc.ChargesPayableBy.ValueType | str = lc.CHARGES_PAYABLE_BY_UNSPECIFIED,
        deemed_acceptance_clause: str = "",
        narrative: str = "",
    ) -> Flow[Committed[lc.CreditStub]]:
        """The issuing bank proposes amendment ``seq`` (= last + 1; MT707). ``changes.cancel`` proposes
        the cancellation. A deemed-acceptance clause is recorded and ignored (art. 10f).
        ``charges_payable_by`` is a number or a label (``"CHARGES_PAYABLE_BY_APPLICANT"``)."""
        charges_payable_by = enum_value(lc.ChargesPayableBy, charges_payable_by, "charges_payable_by")
        self._check(_positive_seq, seq)
        currency = changes.increase.currency if changes.HasField("increase") else changes.decrease.currency
        self._check(terms.check_changes, changes, currency)
        self._check(amendments.check_amendment_texts, deemed_acceptance_clause, narrative)
        self._check(amendments.check_charges_payable_by, charges_payable_by)
        request = api.ProposeAmendmentRequest(
            lc_id=lc_id,
            seq=seq,
            changes=changes,
            charges_payable_by=charges_payable_by,
            deemed_acceptance_clause=deemed_acceptance_clause,
            narrative=narrative,
        )
        return (yield from self._credit_transition("ProposeAmendment", request, api.AmendmentResponse, lc_id))

    def advise_amendment(self, lc_id: str, seq: int) -> Flow[Committed[lc.CreditStub]]:
        """The advising bank advises amendment ``seq`` to the beneficiary (role ``advisor``)."""
        self._check(_existing_seq, lc_id, seq)
        request = api.AdviseAmendmentRequest(lc_id=lc_id, seq=seq)
        return (yield from self._credit_transition("AdviseAmendment", request, api.AmendmentResponse, lc_id))

    def decide_amendment_confirmation(self, lc_id: str, seq: int, *, extend: bool) -> Flow[Committed[lc.CreditStub]]:
        """The confirming bank extends its confirmation to amendment ``seq``, or not (art. 10b)."""
        self._check(_existing_seq, lc_id, seq)
        request = api.DecideAmendmentConfirmationRequest(lc_id=lc_id, seq=seq, extend=extend)
        return (
            yield from self._credit_transition("DecideAmendmentConfirmation", request, api.AmendmentResponse, lc_id)
        )

    def accept_amendment(
        self, lc_id: str, seq: int, *, excluded_changes: Sequence[str] = ()
    ) -> Flow[Committed[lc.CreditStub]]:
        """The beneficiary, through the advising bank, accepts amendment ``seq``. Naming any change in
        ``excluded_changes`` is a partial acceptance, which counts as a rejection (art. 10e)."""
        self._check(_existing_seq, lc_id, seq)
        self._check(amendments.check_excluded_changes, excluded_changes)
        request = api.AcceptAmendmentRequest(lc_id=lc_id, seq=seq, excluded_changes=excluded_changes)
        return (yield from self._credit_transition("AcceptAmendment", request, api.AmendmentResponse, lc_id))

    def reject_amendment(self, lc_id: str, seq: int, *, reason: str = "") -> Flow[Committed[lc.CreditStub]]:
        """The beneficiary, through the advising bank, rejects amendment ``seq``."""
        self._check(_existing_seq, lc_id, seq)
        request = api.RejectAmendmentRequest(lc_id=lc_id, seq=seq, reason=reason)
        return (yield from self._credit_transition("RejectAmendment", request, api.AmendmentResponse, lc_id))

    # -- presentations ---------------------------------------------------------------------------

    def present(
        self,
        lc_id: str,
        *,
        receiving_bank_bic: str,
        claimed: common_pb2.Money,
        documents: Sequence[lc.Document],
        presentation_id: str | None = None,
        transfer_id: str = "",
        awaiting_completeness: bool = False,
    ) -> Flow[Committed[lc.PresentationStub]]:
        """The beneficiary's bank presents documents to ``receiving_bank_bic`` (the issuing, nominated
        or confirming bank). Idempotent: the same request under the same ``presentation_id`` answers
        the stored presentation and writes nothing (default id: a new UUID v4; keep it to retry).

        Needs role ``client-beneficiary`` or ``advisor`` at the beneficiary's bank.
        """
        presentation_id = str(uuid.uuid4()) if presentation_id is None else presentation_id
        self._check(validation.check_uuid4, presentation_id, "presentation_id")
        self._check(records.parse_lc_id, lc_id)
        self._check(validation.check_bic, receiving_bank_bic, "receiving_bank_bic")
        self._check(validation.check_money, claimed, "claimed")
        self._check(check_documents, documents)
        if transfer_id:
            self._check(validation.check_uuid4, transfer_id, "transfer_id")
        request = api.PresentRequest(
            presentation_id=presentation_id,
            lc_id=lc_id,
            receiving_bank_bic=receiving_bank_bic,
            claimed=claimed,
            documents=documents,
            transfer_id=transfer_id,
            awaiting_completeness=awaiting_completeness,
        )
        banks = yield from self._banks_of_credit(lc_id)
        return (yield from self._presentation_submit("Present", request, banks))

    def notify_completeness(self, presentation_id: str) -> Flow[Committed[lc.PresentationStub]]:
        """eUCP: the presenter's notice of completeness; the examination period starts the next banking day."""
        request = api.NotifyCompletenessRequest(presentation_id=presentation_id)
        return (yield from self._presentation_transition("NotifyCompleteness", request, presentation_id))

    def examine(
        self, presentation_id: str, discrepancies: Sequence[lc.Discrepancy] = ()
    ) -> Flow[Committed[lc.PresentationStub]]:
        """The examining bank records its examination: the chaincode's objective checks plus the
        examiner's own ``discrepancies`` (role ``examiner``). COMPLYING, DISCREPANT, or PRECLUDED when
        discrepant after the refusal deadline at the issuing or a confirming bank (art. 16f; a nominated
        bank is not precluded and may still refuse). A confirming bank examines against the terms it
        confirmed (an amendment it did not extend its confirmation to does not bind it)."""
        self._check(check_discrepancies, discrepancies)
        request = api.ExamineRequest(presentation_id=presentation_id, discrepancies=discrepancies)
        return (yield from self._presentation_transition("Examine", request, presentation_id))

    def examine_forwarded(
        self,
        presentation_id: str,
        discrepancies: Sequence[lc.Discrepancy] = (),
        *,
        disposal: lc.RefusalDisposal.ValueType | str | None = None,
        narrative: str = "",
    ) -> Flow[Committed[lc.PresentationStub]]:
        """The issuing bank examines documents a nominated or confirming bank honoured and forwarded to it
        (role ``examiner``; arts. 7c, 8c, 14b): the chaincode's objective checks against the credit's
        terms plus its own ``discrepancies``, by the presentation record's
        ``issuer_examination_deadline``. Complying, it reimburses the honouring bank. Discrepant in
        time, this is its one refusal notice to the honouring bank (the record's ``refusal``) and needs
        a ``disposal`` of the documents (a number or a label): ``REFUSAL_DISPOSAL_HOLD`` or ``_NOTIFY``
        keep them -- the issuing bank may then seek the applicant's waiver (:meth:`request_waiver`),
        which once accepted makes the honouring bank reimbursable -- until they are sent back
        (:meth:`return_documents`); ``_RETURN`` sends them back, the honouring bank bearing the drawing.
        Discrepant only after that day, it is precluded (art. 16f) and reimburses all the same (no
        disposal then). A confirming bank's honour on its own preclusion is reimbursed only after this
        examination found the documents complying, or after ``preclude`` recorded the issuing bank's
        silence past its period."""
        self._check(check_discrepancies, discrepancies)
        code = lc.REFUSAL_DISPOSAL_UNSPECIFIED
        if disposal is not None:
            code = enum_value(lc.RefusalDisposal, disposal, "disposal")
            self._check(check_disposal, code)
        self._check(validation.check_text, narrative, "narrative", lines=20, width=65)
        request = api.ExamineForwardedRequest(
            presentation_id=presentation_id, discrepancies=discrepancies, disposal=code, narrative=narrative
        )
        return (yield from self._presentation_transition("ExamineForwarded", request, presentation_id))

    def refuse(
        self,
        presentation_id: str,
        discrepancies: Sequence[lc.Discrepancy],
        disposal: lc.RefusalDisposal.ValueType | str,
        *,
        charges_claimed: common_pb2.Money | None = None,
        narrative: str = "",
    ) -> Flow[Committed[lc.PresentationStub]]:
        """One complete refusal notice (MT734): every discrepancy and a disposal of the documents, by
        the presentation's ``examination_deadline`` -- the fifth banking day after presentation, a
        standby's third business day (role ``examiner``). The disposal is a number or a label
        (``"REFUSAL_DISPOSAL_HOLD"``)."""
        disposal = enum_value(lc.RefusalDisposal, disposal, "disposal")
        if not discrepancies:
            self._check(_refuse, "discrepancies", "a refusal states at least one discrepancy")
        self._check(check_discrepancies, discrepancies)
        self._check(check_disposal, disposal)
        if charges_claimed is not None:
            self._check(validation.check_money, charges_claimed, "charges_claimed")
        self._check(validation.check_text, narrative, "narrative", lines=20, width=65)
        request = api.RefuseRequest(
            presentation_id=presentation_id,
            discrepancies=discrepancies,
            disposal=disposal,
            charges_claimed=charges_claimed,
            narrative=narrative,
        )
        return (yield from self._presentation_transition("Refuse", request, presentation_id))

    def request_waiver(self, presentation_id: str) -> Flow[Committed[lc.PresentationStub]]:
        """The issuing bank asks the applicant to waive the discrepancies (art. 16b; role ``examiner``)."""
        request = api.RequestWaiverRequest(presentation_id=presentation_id)
        return (yield from self._presentation_transition("RequestWaiver", request, presentation_id))

    def grant_waiver(self, presentation_id: str) -> Flow[Committed[lc.PresentationStub]]:
        """The applicant waives the discrepancies (role ``client-applicant`` at the issuing bank)."""
        request = api.GrantWaiverRequest(presentation_id=presentation_id)
        return (yield from self._presentation_transition("GrantWaiver", request, presentation_id))

    def accept_waiver(self, presentation_id: str) -> Flow[Committed[lc.PresentationStub]]:
        """The issuing bank accepts the applicant's waiver: the presentation can be honoured."""
        request = api.AcceptWaiverRequest(presentation_id=presentation_id)
        return (yield from self._presentation_transition("AcceptWaiver", request, presentation_id))

    def return_documents(self, presentation_id: str) -> Flow[Committed[lc.PresentationStub]]:
        """Refused documents go back to the presenter (examining bank, or the presenter's instruction);
        forwarded documents the issuing bank refused and holds go back to the bank that honoured them
        (the issuing bank, or that bank's instruction), which then bears the drawing."""
        request = api.ReturnDocumentsRequest(presentation_id=presentation_id)
        return (yield from self._presentation_transition("ReturnDocuments", request, presentation_id))

    def lapse_presentation(self, presentation_id: str) -> Flow[Committed[lc.PresentationStub]]:
        """Any bank of the credit records that an eUCP presentation's notice of completeness did not come
        by the expiry: the presentation is deemed not made (eUCP e6(c)); its reservation and its
        documents are released."""
        request = api.LapsePresentationRequest(presentation_id=presentation_id)
        return (yield from self._presentation_transition("LapsePresentation", request, presentation_id))

    def preclude(self, presentation_id: str) -> Flow[Committed[lc.PresentationStub]]:
        """Any bank of the credit records that the examining bank let the refusal deadline pass (art. 16f),
        or that the issuing bank let its period for documents another bank honoured and forwarded pass
        (see :meth:`examine_forwarded`)."""
        request = api.PrecludeRequest(presentation_id=presentation_id)
        return (yield from self._presentation_transition("Preclude", request, presentation_id))

    def honour(
        self,
        presentation_id: str,
        amount: common_pb2.Money,
        *,
        maturity_date: datetime.date | common_pb2.Date | None = None,
        settlement: payments_pb2.CreditSettlement | None = None,
    ) -> Flow[Committed[lc.PresentationStub]]:
        """The examining bank honours a complying, waived or precluded presentation: sight payment,
        negotiation, acceptance or deferred payment as the credit is available by. ``maturity_date``
        is required for acceptance and deferred payment, and only then (roles ``examiner``,
        ``approver`` or ``treasury``). With ``settlement`` a sight payment or negotiation also pays
        the presenting bank on their payment channel, in the same transaction."""
        self._check(validation.check_money, amount, "amount")
        request = api.HonourRequest(
            presentation_id=presentation_id,
            amount=amount,
            maturity_date=_optional_date(maturity_date),
            settlement=settlement,
        )
        settled = settlement is not None
        return (yield from self._presentation_transition("Honour", request, presentation_id, settled=settled))

    def pay_at_maturity(
        self, presentation_id: str, *, settlement: payments_pb2.CreditSettlement | None = None
    ) -> Flow[Committed[lc.PresentationStub]]:
        """The honouring bank pays an accepted draft or a deferred-payment undertaking at maturity (with
        ``settlement``, on the payment channel with the presenting bank, in the same transaction)."""
        request = api.PayAtMaturityRequest(presentation_id=presentation_id, settlement=settlement)
        settled = settlement is not None
        return (yield from self._presentation_transition("PayAtMaturity", request, presentation_id, settled=settled))

    def reimburse(
        self,
        presentation_id: str,
        amount: common_pb2.Money,
        *,
        settlement: payments_pb2.CreditSettlement | None = None,
    ) -> Flow[Committed[lc.PresentationStub]]:
        """The issuing bank reimburses the bank that honoured (roles ``treasury``, ``issuer`` or ``approver``;
        with a settlement dual control applies to, ``approver``) a
        presentation it found complying, one the issuing bank found complying when the documents were
        forwarded (:meth:`examine_forwarded`), one whose waiver the issuing bank accepted, or one it is
        precluded from refusing (arts. 7c, 8c, 16f); with
        ``settlement``, the reimbursement is paid on their payment channel in the same transaction."""
        self._check(validation.check_money, amount, "amount")
        request = api.ReimburseRequest(presentation_id=presentation_id, amount=amount, settlement=settlement)
        settled = settlement is not None
        return (yield from self._presentation_transition("Reimburse", request, presentation_id, settled=settled))

    # -- transfer and governance -----------------------------------------------------------------

    def transfer(
        self,
        lc_id: str,
        *,
        second_beneficiary: common_pb2.PartyRef,
        second_beneficiary_bank: common_pb2.BankRef,
        amount: common_pb2.Money,
        transfer_id: str | None = None,
        expiry_date: datetime.date | common_pb2.Date | None = None,
        latest_shipment_date: datetime.date | common_pb2.Date | None = None,
        presentation_period_days: int = 0,
        unit_price: common_pb2.Money | None = None,
        insurance_cover_pct: int = 0,
        substitute_applicant: bool = False,
    ) -> Flow[Committed[lc.CreditStub]]:
        """The transferring bank transfers (part of) a transferable credit to a second beneficiary
        (art. 38); reduced terms can only be earlier, shorter or lower. Default id: a new UUID v4."""
        transfer_id = str(uuid.uuid4()) if transfer_id is None else transfer_id
        self._check(validation.check_uuid4, transfer_id, "transfer_id")
        self._check(validation.check_party, second_beneficiary, "second_beneficiary", kyc_required=True)
        self._check(validation.check_bank, second_beneficiary_bank, "second_beneficiary_bank")
        self._check(validation.check_money, amount, "amount")
        request = api.TransferRequest(
            lc_id=lc_id,
            transfer_id=transfer_id,
            second_beneficiary=second_beneficiary,
            second_beneficiary_bank=second_beneficiary_bank,
            amount=amount,
            expiry_date=_optional_date(expiry_date),
            latest_shipment_date=_optional_date(latest_shipment_date),
            presentation_period_days=presentation_period_days,
            unit_price=unit_price,
            insurance_cover_pct=insurance_cover_pct,
            substitute_applicant=substitute_applicant,
        )
        self._check(transfers.check_reduction, request)
        return (yield from self._credit_transition("Transfer", request, api.TransferResponse, lc_id))

    def publish_calendar(self, calendar: calendar_pb2.BankingCalendar) -> Flow[Committed[calendar_pb2.BankingCalendar]]:
        """Publish the next version of a place's banking-day calendar (role ``compliance``); it takes
        effect through the channel's endorsement policy."""
        self._check(banking_days.check_calendar, calendar)
        request = api.PublishCalendarRequest(calendar=calendar)
        receipt, response = yield from self._transact("PublishCalendar", request, api.CalendarResponse, None)
        return Committed(response.calendar, receipt.transaction_id, receipt.block_number)

    # -- queries ---------------------------------------------------------------------------------

    def get_credit(self, lc_id: str) -> Flow[lc.CreditStub]:
        """The public stub of a credit (any member of the channel)."""
        self._check(records.parse_lc_id, lc_id)
        answer = yield from self._query("GetCredit", api.GetCreditRequest(lc_id=lc_id), api.CreditResponse)
        self._remember(answer.credit)
        return answer.credit

    def get_credit_terms(self, lc_id: str) -> Flow[CreditDetails]:
        """The stub, binding terms and balances of a credit (its banks only)."""
        self._check(records.parse_lc_id, lc_id)
        request = api.GetCreditTermsRequest(lc_id=lc_id)
        answer = yield from self._query("GetCreditTerms", request, api.CreditTermsResponse)
        return CreditDetails(answer.credit, answer.terms, answer.position)

    def get_amendment(self, lc_id: str, seq: int) -> Flow[AmendmentDetails]:
        """An amendment (the credit's banks only)."""
        self._check(records.parse_lc_id, lc_id)
        request = api.GetAmendmentRequest(lc_id=lc_id, seq=seq)
        answer = yield from self._query("GetAmendment", request, api.AmendmentResponse)
        return AmendmentDetails(answer.credit, answer.amendment)

    def get_presentation(self, presentation_id: str) -> Flow[PresentationDetails]:
        """A presentation: its stub for any member, its private record for the credit's banks."""
        self._check(validation.check_uuid4, presentation_id, "presentation_id")
        request = api.GetPresentationRequest(presentation_id=presentation_id)
        answer = yield from self._query("GetPresentation", request, api.PresentationResponse)
        self._remember_presentation(answer.presentation)
        return PresentationDetails(answer.presentation, answer.record if answer.HasField("record") else None)

    def get_transfer(self, lc_id: str, transfer_id: str) -> Flow[TransferDetails]:
        """A transfer (the credit's banks only)."""
        self._check(records.parse_lc_id, lc_id)
        self._check(validation.check_uuid4, transfer_id, "transfer_id")
        request = api.GetTransferRequest(lc_id=lc_id, transfer_id=transfer_id)
        answer = yield from self._query("GetTransfer", request, api.TransferResponse)
        return TransferDetails(answer.credit, answer.transfer)

    def get_calendar(self, place: str) -> Flow[calendar_pb2.BankingCalendar]:
        """The current banking-day calendar of a place (a country code or a UN/LOCODE)."""
        self._check(validation.check_place_code, place, "place")
        answer = yield from self._query("GetCalendar", api.GetCalendarRequest(place=place), api.CalendarResponse)
        return answer.calendar

    def audit_trail(self, object_type: str, object_id: str) -> Flow[list[cp.AuditEntry]]:
        """Every committed write of a credit's public stub (``"credit"``, the credit id), a
        presentation's (``"presentation"``, its id) or a place's banking-day calendar (``"calendar"``,
        the place), newest first; empty when none was written. Any bank of the channel may read it:
        the records are public."""
        request = cp.GetAuditTrailRequest(object_type=object_type, object_id=object_id)
        self._check(audit_key, request)
        answer = yield from self._query("GetAuditTrail", request, cp.AuditTrailResponse)
        return list(answer.entries)

    def credit_history(self, lc_id: str) -> Flow[list[StubVersion[lc.CreditStub]]]:
        """Every version of a credit's public stub, newest first (one per transition: ``version``
        counts them), with the transaction that wrote it and that transaction's timestamp; empty for a
        credit never applied for. Any bank of the channel may read it."""
        entries = yield from self.audit_trail("credit", lc_id)
        return stub_versions(entries, lc.CreditStub)

    def presentation_history(self, presentation_id: str) -> Flow[list[StubVersion[lc.PresentationStub]]]:
        """Every version of a presentation's public stub, newest first, with the transaction that
        wrote it and that transaction's timestamp; empty for an id never presented. Any bank of the
        channel may read it."""
        entries = yield from self.audit_trail("presentation", presentation_id)
        return stub_versions(entries, lc.PresentationStub)


def _refuse(field: str, message: str) -> None:
    raise LcRuleError(errors_pb2.ERR_INVALID_INPUT, field, message)


def _positive_seq(seq: int) -> None:
    if seq < 1:
        _refuse("seq", "amendment numbers start at 1")


def _existing_seq(lc_id: str, seq: int) -> None:
    """An amendment below 1 does not exist: refused as the chaincode refuses it (ERR_NOT_FOUND)."""
    if seq < 1:
        raise LcRuleError(errors_pb2.ERR_NOT_FOUND, "seq", f"credit {lc_id} has no amendment {seq}")


# ------------------------------------------------------------------------------------------------
# The two front ends


class LettersOfCredit(BlockingClient[LettersOfCreditFlows]):
    """Letters of credit on one channel, through a blocking :class:`~tradefin.gateway.Gateway`.

    Every method is one operation of the ``lc`` contract. Submits return :class:`Committed` (the
    public record written, the transaction id, the block); queries return the records. A refusal by
    the chaincode raises the error class of its code (:class:`~.errors.InvalidInputError`, ...);
    a transaction that was endorsed but committed invalid raises the gateway's ``CommitError``.
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
    ) -> None:
        """Args:
        gateway: a connection to one of the caller's bank's peers, as a role-bearing user.
        channel: the consortium channel of the credit's banks.
        chaincode: the chaincode that runs the ``lc`` contract.
        validate: check arguments early with the rules' own checks (the chaincode checks anyway).
        pin_endorsers: endorse by the credit's banks (else: the gateway's discovery).
        session: shared by clients that must read each other's writes (see :class:`Session`).
        """
        settings = ClientSettings(
            gateway.identity.msp_id,
            validate=validate,
            pin_endorsers=pin_endorsers,
            session=session,
            channel=channel,
        )
        super().__init__(gateway, channel, CONTRACT_NAME, LettersOfCreditFlows(settings), chaincode)

    apply = blocking(LettersOfCreditFlows.apply)
    issue = blocking(LettersOfCreditFlows.issue)
    advise = blocking(LettersOfCreditFlows.advise)
    add_confirmation = blocking(LettersOfCreditFlows.add_confirmation)
    decline_confirmation = blocking(LettersOfCreditFlows.decline_confirmation)
    expire = blocking(LettersOfCreditFlows.expire)
    close = blocking(LettersOfCreditFlows.close)
    propose_amendment = blocking(LettersOfCreditFlows.propose_amendment)
    advise_amendment = blocking(LettersOfCreditFlows.advise_amendment)
    decide_amendment_confirmation = blocking(LettersOfCreditFlows.decide_amendment_confirmation)
    accept_amendment = blocking(LettersOfCreditFlows.accept_amendment)
    reject_amendment = blocking(LettersOfCreditFlows.reject_amendment)
    present = blocking(LettersOfCreditFlows.present)
    notify_completeness = blocking(LettersOfCreditFlows.notify_completeness)
    examine = blocking(LettersOfCreditFlows.examine)
    examine_forwarded = blocking(LettersOfCreditFlows.examine_forwarded)
    refuse = blocking(LettersOfCreditFlows.refuse)
    request_waiver = blocking(LettersOfCreditFlows.request_waiver)
    grant_waiver = blocking(LettersOfCreditFlows.grant_waiver)
    accept_waiver = blocking(LettersOfCreditFlows.accept_waiver)
    return_documents = blocking(LettersOfCreditFlows.return_documents)
    lapse_presentation = blocking(LettersOfCreditFlows.lapse_presentation)
    preclude = blocking(LettersOfCreditFlows.preclude)
    honour = blocking(LettersOfCreditFlows.honour)
    pay_at_maturity = blocking(LettersOfCreditFlows.pay_at_maturity)
    reimburse = blocking(LettersOfCreditFlows.reimburse)
    transfer = blocking(LettersOfCreditFlows.transfer)
    publish_calendar = blocking(LettersOfCreditFlows.publish_calendar)
    get_credit = blocking(LettersOfCreditFlows.get_credit)
    get_credit_terms = blocking(LettersOfCreditFlows.get_credit_terms)
    get_amendment = blocking(LettersOfCreditFlows.get_amendment)
    get_presentation = blocking(LettersOfCreditFlows.get_presentation)
    get_transfer = blocking(LettersOfCreditFlows.get_transfer)
    get_calendar = blocking(LettersOfCreditFlows.get_calendar)
    audit_trail = blocking(LettersOfCreditFlows.audit_trail)
    credit_history = blocking(LettersOfCreditFlows.credit_history)
    presentation_history = blocking(LettersOfCreditFlows.presentation_history)


class AsyncLettersOfCredit(AsyncClient[LettersOfCreditFlows]):
    """The asyncio twin of :class:`LettersOfCredit` (``tradefin.gateway.tradefin.aio.LettersOfCredit``):
    the same methods as coroutines, through an :class:`tradefin.gateway.aio.Gateway`."""

    def __init__(
        self,
        gateway: aio.Gateway,
        channel: str,
        *,
        chaincode: str = DEFAULT_CHAINCODE,
        validate: bool = True,
        pin_endorsers: bool = True,
        session: Session | None = None,
    ) -> None:
        """Args: as for :class:`LettersOfCredit`."""
        settings = ClientSettings(
            gateway.identity.msp_id,
            validate=validate,
            pin_endorsers=pin_endorsers,
            session=session,
            channel=channel,
        )
        super().__init__(gateway, channel, CONTRACT_NAME, LettersOfCreditFlows(settings), chaincode)

    apply = asynchronous(LettersOfCreditFlows.apply)
    issue = asynchronous(LettersOfCreditFlows.issue)
    advise = asynchronous(LettersOfCreditFlows.advise)
    add_confirmation = asynchronous(LettersOfCreditFlows.add_confirmation)
    decline_confirmation = asynchronous(LettersOfCreditFlows.decline_confirmation)
    expire = asynchronous(LettersOfCreditFlows.expire)
    close = asynchronous(LettersOfCreditFlows.close)
    propose_amendment = asynchronous(LettersOfCreditFlows.propose_amendment)
    advise_amendment = asynchronous(LettersOfCreditFlows.advise_amendment)
    decide_amendment_confirmation = asynchronous(LettersOfCreditFlows.decide_amendment_confirmation)
    accept_amendment = asynchronous(LettersOfCreditFlows.accept_amendment)
    reject_amendment = asynchronous(LettersOfCreditFlows.reject_amendment)
    present = asynchronous(LettersOfCreditFlows.present)
    notify_completeness = asynchronous(LettersOfCreditFlows.notify_completeness)
    examine = asynchronous(LettersOfCreditFlows.examine)
    examine_forwarded = asynchronous(LettersOfCreditFlows.examine_forwarded)
    refuse = asynchronous(LettersOfCreditFlows.refuse)
    request_waiver = asynchronous(LettersOfCreditFlows.request_waiver)
    grant_waiver = asynchronous(LettersOfCreditFlows.grant_waiver)
    accept_waiver = asynchronous(LettersOfCreditFlows.accept_waiver)
    return_documents = asynchronous(LettersOfCreditFlows.return_documents)
    lapse_presentation = asynchronous(LettersOfCreditFlows.lapse_presentation)
    preclude = asynchronous(LettersOfCreditFlows.preclude)
    honour = asynchronous(LettersOfCreditFlows.honour)
    pay_at_maturity = asynchronous(LettersOfCreditFlows.pay_at_maturity)
    reimburse = asynchronous(LettersOfCreditFlows.reimburse)
    transfer = asynchronous(LettersOfCreditFlows.transfer)
    publish_calendar = asynchronous(LettersOfCreditFlows.publish_calendar)
    get_credit = asynchronous(LettersOfCreditFlows.get_credit)
    get_credit_terms = asynchronous(LettersOfCreditFlows.get_credit_terms)
    get_amendment = asynchronous(LettersOfCreditFlows.get_amendment)
    get_presentation = asynchronous(LettersOfCreditFlows.get_presentation)
    get_transfer = asynchronous(LettersOfCreditFlows.get_transfer)
    get_calendar = asynchronous(LettersOfCreditFlows.get_calendar)
    audit_trail = asynchronous(LettersOfCreditFlows.audit_trail)
    credit_history = asynchronous(LettersOfCreditFlows.credit_history)
    presentation_history = asynchronous(LettersOfCreditFlows.presentation_history)
