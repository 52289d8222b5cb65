"""The presentation sub-machine: present, notice of completeness (eUCP), examine, refuse, waiver,
return, preclusion, honour, payment at maturity, the issuing bank's examination of forwarded documents
and reimbursement (arts. 7-8, 12-16, eUCP e7).

The examining bank is the bank presented to (the issuing, nominated or confirming bank). A
presentation reserves its claim against the credit when it is received, so that
``drawn + reserved <= max_amount`` always holds (INV-LC-04) and two presentations racing for the same
balance touch the same private key (at most one commits).
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from tradefin.chaincode.contracts.compliance.financing import check_fingerprints
from tradefin.protos import common_pb2, compliance_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from . import money
from .access import Role, Transaction, is_bank, require_bank
from .amendments import AcceptedAmendment, apply_accepted
from .banking_days import BankingDays, CalendarBook
from .credit import (
    CreditFile,
    advance,
    available_banks,
    copy,
    credit_banks,
    held_for_transfers,
    is_confirming_bank,
    presentation_banks,
    require_active,
)
from .errors import LcRuleError, deadline_passed, duplicate, expired, insufficient_funds, invalid_input, invalid_state
from .events import transition_event
from .examination import ExaminationBasis, instalment_of, latest_shipment, objective_discrepancies
from .ledger import Transition, Write
from .records import (
    amendment_key,
    credit_key,
    position_key,
    presentation_key,
    presentation_record_key,
    record_hash,
    request_hash,
    transfer_key,
)
from .terms import EUCP_RULES, amended_terms, examination_days, partial_drawings_allowed
from .validation import (
    check_at_most,
    check_bic,
    check_country,
    check_imo_number,
    check_money,
    check_place,
    check_same_currency,
    check_sha256_hex,
    check_text,
    from_date,
    to_date,
)

#: Honoured and paid: nothing is owed to the presenter any more.
PAID_STATES: Final = frozenset(
    {lc.PRESENTATION_STATE_HONOURED, lc.PRESENTATION_STATE_NEGOTIATED, lc.PRESENTATION_STATE_MATURED_PAID}
)
#: States from which the examining bank may honour without further examination.
HONOURABLE_STATES: Final = frozenset(
    {lc.PRESENTATION_STATE_COMPLYING, lc.PRESENTATION_STATE_WAIVED, lc.PRESENTATION_STATE_PRECLUDED}
)
#: Honoured by a nominated or confirming bank, which then forwards the documents to the issuing bank.
HONOURED_STATES: Final = PAID_STATES | {lc.PRESENTATION_STATE_ACCEPTED, lc.PRESENTATION_STATE_DEFERRED_UNDERTAKEN}
#: States in which the examining bank has not yet refused, and the refusal clock runs.
OPEN_EXAMINATION_STATES: Final = frozenset({lc.PRESENTATION_STATE_UNDER_EXAMINATION, lc.PRESENTATION_STATE_DISCREPANT})
#: Refusal disposals under which the issuing bank may still take the applicant's waiver (16c iii b).
WAIVABLE_DISPOSALS: Final = frozenset({lc.REFUSAL_DISPOSAL_HOLD, lc.REFUSAL_DISPOSAL_NOTIFY})

MAX_DOCUMENTS: Final = 99
#: MT734 77J (every discrepancy of a refusal) is 70*50z: each discrepancy takes at least one of its 70 lines.
MAX_DISCREPANCIES: Final = 70


def state_name(state: lc.PresentationState.ValueType) -> str:
    """``COMPLYING`` for PRESENTATION_STATE_COMPLYING."""
    return lc.PresentationState.Name(state).removeprefix("PRESENTATION_STATE_")


@dataclass(frozen=True)
class PresentationFile:
    """A presentation's public stub and private record."""

    stub: lc.PresentationStub
    record: lc.PresentationRecord

    @property
    def presentation_id(self) -> str:
        """The client-generated id."""
        return self.stub.presentation_id

    def response(self) -> api.PresentationResponse:
        """The answer for this presentation."""
        return api.PresentationResponse(presentation=self.stub, record=self.record)


def is_reimbursable(record: lc.PresentationRecord, issuing_msp_id: str) -> bool:
    """Whether the issuing bank owes the bank that honoured the presentation reimbursement (arts. 7c,
    8c): a bank other than the issuing bank honoured (or negotiated) a presentation found complying --
    by the last examination, the issuing bank's own of the forwarded documents when it made one -- or
    one whose discrepancies the issuing bank itself took on by accepting the applicant's waiver, or
    one whose forwarded documents the issuing bank is precluded from refusing (art. 16f).

    Not one honoured because its examining bank was precluded, until the issuing bank examined the
    forwarded documents and found them complying: art. 16f precludes only the bank that missed its own
    deadline, so a confirming bank's preclusion does not bind the issuing bank (and a nominated bank
    is never precluded). The issuing bank is precluded on a presentation made to it, which it honours
    itself: nothing to reimburse."""
    if not _honoured_by_another(record, issuing_msp_id):
        return False
    if record.waiver.status == lc.WAIVER_STATUS_ACCEPTED or record.issuer_precluded:
        return True
    return bool(record.examinations) and record.examinations[-1].result == lc.EXAMINATION_RESULT_COMPLYING


def _honoured_by_another(record: lc.PresentationRecord, issuing_msp_id: str) -> bool:
    """Honoured by a bank other than the issuing bank, which forwards the documents to it."""
    honoured_by = record.honour.bank_msp_id
    return bool(honoured_by) and honoured_by != issuing_msp_id


def awaits_issuer(record: lc.PresentationRecord, issuing_msp_id: str) -> bool:
    """Honoured by another bank on documents nobody found complying (a confirming bank's preclusion),
    and the issuing bank has neither examined the forwarded documents nor been precluded from refusing
    them: whether it reimburses is still open (arts. 8c, 16f)."""
    return (
        _honoured_by_another(record, issuing_msp_id)
        and record.HasField("forwarded_at")  # not a record older than this examination
        and not is_reimbursable(record, issuing_msp_id)
        and not examined_by(record, issuing_msp_id)
    )


def refused_forwarded(record: lc.PresentationRecord, issuing_msp_id: str) -> bool:
    """Whether the issuing bank refused documents another bank honoured and forwarded to it (its
    examination found them discrepant in time: :func:`examine_forwarded`)."""
    return _honoured_by_another(record, issuing_msp_id) and record.refusal.bank_msp_id == issuing_msp_id


def holds_forwarded(presentation: PresentationFile, issuing_msp_id: str) -> bool:
    """The issuing bank refused forwarded documents and still holds them -- for the honouring bank's
    instructions or the applicant's waiver -- with no waiver accepted yet: the honouring bank may still
    be reimbursed (art. 16b-c)."""
    return (
        refused_forwarded(presentation.record, issuing_msp_id)
        and presentation.stub.disposal in WAIVABLE_DISPOSALS
        and presentation.record.waiver.status != lc.WAIVER_STATUS_ACCEPTED
    )


def examined_by(record: lc.PresentationRecord, msp_id: str) -> bool:
    """Whether the bank recorded an examination of the presentation."""
    return any(examination.bank_msp_id == msp_id for examination in record.examinations)


def is_settled(presentation: PresentationFile, issuing_msp_id: str) -> bool:
    """Returned, reimbursed, lapsed, or paid and owed no reimbursement (paid by the issuing bank itself,
    or at the honouring bank's own risk once the issuing bank refused the forwarded documents and
    no longer holds them for a waiver): nothing left to do."""
    state, record = presentation.stub.state, presentation.record
    if state in (lc.PRESENTATION_STATE_RETURNED, lc.PRESENTATION_STATE_REIMBURSED, lc.PRESENTATION_STATE_LAPSED):
        return True
    return (
        state in PAID_STATES
        and not is_reimbursable(record, issuing_msp_id)
        and not awaits_issuer(record, issuing_msp_id)
        and not holds_forwarded(presentation, issuing_msp_id)
    )


def receiving_bank(credit: CreditFile, bic: str) -> common_pb2.BankRef:
    """The bank a presentation is made to, by BIC: one the credit is available with (art. 6). A text
    that is no BIC is refused as one (the BIC-8 match below would take any text starting with one)."""
    check_bic(bic, "receiving_bank_bic")
    for bank in presentation_banks(credit.stub, credit.terms.terms):
        if bank.bic[:8] == bic[:8] and (len(bic) == 8 or len(bank.bic) == 8 or bank.bic == bic):
            return bank
    raise invalid_input("receiving_bank_bic", "is not a bank the credit is available with or confirmed by")


def effective_expiry(credit: CreditFile, transfer: lc.TransferRecord | None) -> datetime.date:
    """The expiry a presentation is held to: the credit's, or the transferred credit's earlier one."""
    if transfer is not None and transfer.HasField("expiry_date"):
        return to_date(transfer.expiry_date, "transfer.expiry_date")
    return to_date(credit.terms.terms.expiry_date, "terms.expiry_date")


def confirmed_expiry(credit: CreditFile) -> datetime.date:
    """The expiry of the terms the confirming bank confirmed (INV-LC-13): the credit's, unless the
    beneficiary accepted an amendment of it that the confirming bank did not extend its confirmation to."""
    return to_date(credit.confirmed_terms.terms.expiry_date, "confirmed_terms.expiry_date")


def _confirmer_only(credit: CreditFile, receiver: common_pb2.BankRef) -> bool:
    """The bank presented to is the confirming bank and the credit is not available with it otherwise
    (as nominated bank): a presentation reaches it only through its confirmation (art. 8a)."""
    return is_confirming_bank(credit.stub, receiver.msp_id) and all(
        bank.msp_id != receiver.msp_id for bank in available_banks(credit.stub, credit.terms.terms)
    )


def _presented_on(stub: lc.PresentationStub) -> datetime.date:
    """The day the presentation was made: received, or (eUCP) its notice of completeness."""
    presented_on = stub.completeness_notified_on if stub.HasField("completeness_notified_on") else stub.received_on
    return to_date(presented_on, "received_on")


def as_confirmer(credit: CreditFile, presentation: PresentationFile, days: BankingDays) -> bool:
    """Whether the bank presented to holds the presentation as confirming bank, bound to honour it if
    it complies with the terms it confirmed (arts. 8a, 10b, INV-LC-13): it added its confirmation and
    the presentation was made by the (art. 29-extended) expiry of those terms. A presentation made to
    it later under an expiry it did not confirm -- possible only when the credit is also available
    with it -- it holds as a nominated bank, without an undertaking (art. 12a)."""
    stub = presentation.stub
    if not is_confirming_bank(credit.stub, stub.receiving_bank.msp_id):
        return False
    return _presented_on(stub) <= days.last_day(confirmed_expiry(credit))


def _examined_terms(credit: CreditFile, confirmer: bool) -> lc.CreditTermsRecord:
    """The terms a presentation is examined against: those the confirming bank confirmed for a
    presentation it holds as confirming bank (INV-LC-13), else the credit's (INV-LC-07)."""
    return credit.confirmed_terms if confirmer else credit.terms


def _bound_by_deadline(credit: CreditFile, presentation: PresentationFile, days: BankingDays) -> bool:
    """Art. 16f: an issuing bank or a confirming bank that does not refuse within the examination
    period is precluded from claiming that the documents do not comply, and must honour.

    A nominated bank is not (16f names only those two): it has no undertaking to honour or negotiate
    (art. 12a), so its examination period passing binds nobody -- neither itself to honour nor the
    issuing bank to reimburse. It stays able to examine and to refuse (giving the presenter its
    documents back or holding them, art. 16c), and honours only a complying presentation."""
    issuer = presentation.stub.receiving_bank.msp_id == credit.stub.issuing_bank.msp_id
    return issuer or as_confirmer(credit, presentation, days)


def presenting_bank(credit: CreditFile, transfer: lc.TransferRecord | None) -> common_pb2.BankRef:
    """The beneficiary's bank: the advising bank, or the second beneficiary's bank for a transfer."""
    return transfer.second_beneficiary_bank if transfer is not None else credit.stub.advising_bank


# ------------------------------------------------------------------------------------------------
# Input checks


def check_settlement_pair(lc_id: str, credit_msp_ids: Iterable[str], pair: Iterable[str] | None = None) -> None:
    """A settlement is made in the transaction that honours, pays or reimburses, and that transaction is
    endorsed by every bank of the credit (its collection and key-level policies): each endorser must
    read the payment channel's private records, which only the channel's two banks hold. So a credit
    with a bank outside the payment channel's pair (a confirming, nominated or second advising bank)
    takes no ``settlement``: its payment is made separately with ``Payments.pay``.

    ``pair``: the paying and the receiving bank's MSP ids; ``None`` when they are not known yet (the
    client): they are two of the credit's banks, so a credit of more than two banks is refused."""
    banks = set(credit_msp_ids)
    outside = sorted(banks - set(pair)) if pair is not None else (sorted(banks) if len(banks) > 2 else [])
    if outside:
        named = f" ({', '.join(outside)})" if pair is not None else ""
        raise invalid_input(
            "settlement",
            f"credit {lc_id} has a bank outside the payment channel's pair{named}, which endorses the credit's "
            "records but cannot read the channel's: act without a settlement and make the payment separately "
            "with Payments.pay",
        )


#: The presented documents whose fingerprints the duplicate-financing registry holds (DOMAIN.md 4.5: "an
#: LC presentation also registers its documents' fingerprints so the same B/L cannot support two
#: credits"), with the registry's type for each.
REGISTERED_DOCUMENTS: Final = {
    lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE: compliance_pb2.FINANCED_DOCUMENT_TYPE_INVOICE,
    lc.DOCUMENT_TYPE_BILL_OF_LADING: compliance_pb2.FINANCED_DOCUMENT_TYPE_BILL_OF_LADING,
}


def presented_fingerprints(
    documents: Sequence[lc.Document],
) -> list[tuple[str, compliance_pb2.FinancedDocumentType.ValueType]]:
    """Every fingerprint the documents carry, with the registry's type of its document."""
    return [
        (fingerprint, REGISTERED_DOCUMENTS[document.doc_type])
        for document in documents
        if document.doc_type in REGISTERED_DOCUMENTS
        for fingerprint in document.fingerprints
    ]


def presentation_commitment(record: lc.PresentationRecord) -> str:
    """The registry's commitment to a presentation holding documents: hex SHA-256 of its record's salt
    (private to the credit's banks) and its id. The entry itself names neither the credit nor a bank;
    the transaction that writes it is the presentation's, whose public stub it also writes (as a
    financing's transaction is its bank's)."""
    return hashlib.sha256(b"presentation:" + record.salt + record.presentation_id.encode()).hexdigest()


def check_documents(documents: Sequence[lc.Document], field: str = "documents") -> None:
    """Presented documents: types, references, hashes, counts and key data within bounds; fingerprints
    only on the documents the registry takes, each on one document."""
    if not documents:
        raise invalid_input(field, "a presentation contains at least one document")
    check_at_most(documents, field, most=MAX_DOCUMENTS, noun="documents")
    fingerprinted: set[str] = set()
    for index, document in enumerate(documents):
        if document.fingerprints:
            path = f"{field}[{index}].fingerprints"
            if document.doc_type not in REGISTERED_DOCUMENTS:
                raise invalid_input(path, "only a commercial invoice's and a bill of lading's are registered")
            check_fingerprints(document.fingerprints, path)
            if fingerprinted & set(document.fingerprints):
                raise invalid_input(path, "a fingerprint appears on two documents")
            fingerprinted.update(document.fingerprints)
        path = f"{field}[{index}]"
        if document.doc_type not in lc.DocumentType.DESCRIPTOR.values_by_number or not document.doc_type:
            raise invalid_input(f"{path}.doc_type", "is required")
        check_text(document.doc_ref, f"{path}.doc_ref", lines=1, width=35, required=True)
        if document.HasField("issue_date"):
            to_date(document.issue_date, f"{path}.issue_date")
        check_sha256_hex(document.sha256, f"{path}.sha256")
        if len(document.storage_uri) > 200 or not document.storage_uri.isprintable() or " " in document.storage_uri:
            raise invalid_input(f"{path}.storage_uri", "at most 200 printable characters without spaces")
        if document.originals > MAX_DOCUMENTS or document.copies > MAX_DOCUMENTS:
            raise invalid_input(path, f"at most {MAX_DOCUMENTS} originals and copies")
        _check_key_data(document.key_data, f"{path}.key_data")


def _check_key_data(key_data: lc.DocumentKeyData, field: str) -> None:
    for name in ("invoice_number", "transport_document_number", "vessel", "quantity_unit"):
        check_text(getattr(key_data, name), f"{field}.{name}", lines=1, width=35)
    if key_data.HasField("shipment_date"):
        to_date(key_data.shipment_date, f"{field}.shipment_date")
    check_place(key_data.port_of_loading, f"{field}.port_of_loading")
    check_place(key_data.port_of_discharge, f"{field}.port_of_discharge")
    if key_data.vessel_imo:
        check_imo_number(key_data.vessel_imo, f"{field}.vessel_imo")
    if key_data.vessel_flag:
        check_country(key_data.vessel_flag, f"{field}.vessel_flag")
    if key_data.quantity < 0:
        raise invalid_input(f"{field}.quantity", "must not be negative")
    if key_data.HasField("amount"):
        check_money(key_data.amount, f"{field}.amount")


def check_disposal(disposal: lc.RefusalDisposal.ValueType) -> None:
    """A refusal's disposal of the documents (77B): a code the schema defines (the client checks it
    early; whether the refusing bank may hold the documents for the applicant's waiver is on the
    ledger)."""
    if not disposal or disposal not in lc.RefusalDisposal.DESCRIPTOR.values_by_number:
        raise invalid_input("disposal", "a refusal states what happens to the documents (77B)")


def check_discrepancies(discrepancies: Sequence[lc.Discrepancy], field: str = "discrepancies") -> None:
    """Examiner-stated discrepancies: at most as many as 77J has lines, each a code from the closed list
    and text within 77J bounds."""
    check_at_most(discrepancies, field, most=MAX_DISCREPANCIES, noun="discrepancies (77J)")
    for index, item in enumerate(discrepancies):
        path = f"{field}[{index}]"
        if not item.code or item.code not in lc.DiscrepancyCode.DESCRIPTOR.values_by_number:
            raise invalid_input(f"{path}.code", "is required and must be a discrepancy code")
        check_text(item.text, f"{path}.text", lines=70, width=50, required=item.code == lc.DISCREPANCY_CODE_OTHER)
        check_text(item.doc_ref, f"{path}.doc_ref", lines=1, width=35)
        if item.automated:
            raise invalid_input(f"{path}.automated", "is set by the chaincode's objective checks only")


def _code_names(codes: Iterable[lc.DiscrepancyCode.ValueType]) -> str:
    return ",".join(lc.DiscrepancyCode.Name(code).removeprefix("DISCREPANCY_CODE_") for code in sorted(set(codes)))


# ------------------------------------------------------------------------------------------------
# One step of the sub-machine


def _step(
    tx: Transaction,
    credit: CreditFile,
    before: PresentationFile,
    after: PresentationFile,
    event_type: lc.LcEventType.ValueType,
    *,
    position: lc.CreditPosition | None = None,
    transfer: lc.TransferRecord | None = None,
    accepted: AcceptedAmendment | None = None,
    credit_state: lc.CreditState.ValueType | None = None,
    reason_code: str = "",
) -> Transition[api.PresentationResponse]:
    """Write the presentation (stub + record) and the credit stub, plus whatever else changed."""
    stub = after.stub
    stub.version = before.stub.version + 1
    stub.updated_tx_id = tx.tx_id
    if accepted is not None:  # the acceptance already advanced the stub within this transaction
        credit_stub = accepted.stub
        credit_stub.last_event = event_type
    else:
        credit_stub = advance(credit.stub, tx, event_type)
    if credit_state is not None:
        credit_stub.state = credit_state
    issuing = credit.stub.issuing_bank.msp_id
    if is_settled(after, issuing) and not is_settled(before, issuing):
        credit_stub.open_presentations -= 1
    lc_id, presentation_id = credit.lc_id, stub.presentation_id
    writes = [
        Write(presentation_key(presentation_id), stub),
        credit.private(presentation_record_key(presentation_id), after.record),
        Write(credit_key(lc_id), credit_stub),
    ]
    if position is not None:
        writes.append(credit.private(position_key(lc_id), position))
    if transfer is not None:
        writes.append(credit.private(transfer_key(lc_id, transfer.transfer_id), transfer))
    if accepted is not None:
        writes.append(credit.private(amendment_key(lc_id, accepted.amendment.seq), accepted.amendment))
        writes.extend(accepted.writes)
    event = transition_event(
        tx,
        event_type,
        lc_id=lc_id,
        object_type="presentation",
        object_id=presentation_id,
        from_state=state_name(before.stub.state),
        to_state=state_name(stub.state),
        reason_code=reason_code,
        payload_hash=record_hash(after.record),
    )
    return Transition(response=after.response(), writes=tuple(writes), event=event)


def _edit(presentation: PresentationFile) -> PresentationFile:
    return PresentationFile(copy(presentation.stub), copy(presentation.record))


def _release(
    position: lc.CreditPosition, record: lc.PresentationRecord, transfer: lc.TransferRecord | None, *, drawn: int = 0
) -> tuple[lc.CreditPosition, lc.TransferRecord | None]:
    """Give back a presentation's reservation, keeping ``drawn`` of it as utilised."""
    released = copy(position)
    released.reserved -= record.reserved
    if record.instalment:
        released.instalment_utilised[record.instalment - 1] += drawn - record.reserved
    updated_transfer = None
    if transfer is not None:
        updated_transfer = copy(transfer)
        updated_transfer.utilised += drawn - record.reserved
        released.transfer_utilised += drawn - record.reserved
    record.reserved = 0
    return released, updated_transfer


def _require_complete(presentation: PresentationFile) -> None:
    if presentation.stub.state == lc.PRESENTATION_STATE_INCOMPLETE:
        raise invalid_state("the presenter's notice of completeness (eUCP) has not been received yet")


def _past_deadline(presentation: PresentationFile, days: BankingDays, tx: Transaction) -> bool:
    deadline = to_date(presentation.stub.examination_deadline, "examination_deadline")
    return days.counting_day(tx.timestamp) > deadline


def _require_transfer_match(presentation: PresentationFile, transfer: lc.TransferRecord | None) -> None:
    expected = presentation.stub.transfer_id
    if (transfer.transfer_id if transfer else "") != expected:
        raise invalid_state("the transfer record does not match the presentation")


# ------------------------------------------------------------------------------------------------
# Transitions


def present(
    tx: Transaction,
    credit: CreditFile,
    request: api.PresentRequest,
    existing: lc.PresentationStub | None,
    existing_record: lc.PresentationRecord | None,
    transfer: lc.TransferRecord | None,
    calendars: CalendarBook,
) -> Transition[api.PresentationResponse]:
    """The beneficiary's bank presents documents. Idempotent: the same request under the same id is
    answered with the stored presentation and writes nothing; another request under it is a duplicate."""
    presenter = presenting_bank(credit, transfer)
    require_bank(tx.caller, presenter, (Role.CLIENT_BENEFICIARY, Role.ADVISOR), "presenting documents")
    fingerprint = request_hash(request)
    if existing is not None:
        if existing_record is None or existing.lc_id != request.lc_id or existing_record.request_hash != fingerprint:
            raise duplicate("presentation_id", "already used for a different presentation")
        return Transition(response=api.PresentationResponse(presentation=existing, record=existing_record))

    stub, terms = credit.stub, credit.terms.terms
    require_active(stub, "presentation")
    receiver = receiving_bank(credit, request.receiving_bank_bic)
    receiver_days = calendars.of(receiver)
    expiry = effective_expiry(credit, transfer)
    received_on = receiver_days.counting_day(tx.timestamp)
    if received_on > receiver_days.last_day(expiry):
        raise expired(
            f"presentation counted on {received_on.isoformat()} is after the expiry {expiry.isoformat()} "
            f"(extended to {receiver_days.last_day(expiry).isoformat()} at {receiver_days.place})"
        )
    _require_confirmation_covers(credit, receiver, received_on, receiver_days)
    check_same_currency(request.claimed, credit.currency, "claimed")
    check_documents(request.documents)
    if request.awaiting_completeness and terms.rules not in EUCP_RULES:
        raise invalid_input("awaiting_completeness", "only an eUCP credit takes electronic presentations in parts")

    claimed = request.claimed.minor_units
    position = copy(credit.position)
    available = position.max_amount - position.drawn - position.reserved
    if transfer is None:  # the first beneficiary: what is transferred and not yet used is the second's
        available -= held_for_transfers(position)
    if claimed > available:
        held = " after what is kept for second beneficiaries" if transfer is None and position.transferred else ""
        raise insufficient_funds(
            "claimed.minor_units",
            f"the credit's available balance{held} is {money.format_amount(available, credit.currency)} "
            f"{credit.currency}",
        )
    updated_transfer = None
    if transfer is not None:
        if claimed > transfer.amount.minor_units - transfer.utilised:
            raise insufficient_funds("claimed.minor_units", "exceeds what remains of the transferred amount")
        updated_transfer = copy(transfer)
        updated_transfer.utilised += claimed
        position.transfer_utilised += claimed

    record = lc.PresentationRecord(
        presentation_id=request.presentation_id,
        lc_id=stub.lc_id,
        salt=credit.salt_for(presentation_record_key(request.presentation_id)),
        request_hash=fingerprint,
        claimed=request.claimed,
        documents=request.documents,
        reserved=claimed,
    )
    record.instalment = instalment_of(terms, latest_shipment(record) or received_on)
    position.reserved += claimed
    if record.instalment:
        position.instalment_utilised[record.instalment - 1] += claimed
    record.presented_terms_seq = credit.terms.amendment_seq
    record.position_at_presentation.CopyFrom(position)

    presentation = lc.PresentationStub(
        presentation_id=request.presentation_id,
        lc_id=stub.lc_id,
        state=(
            lc.PRESENTATION_STATE_INCOMPLETE
            if request.awaiting_completeness
            else lc.PRESENTATION_STATE_UNDER_EXAMINATION
        ),
        presenting_bank=presenter,
        receiving_bank=receiver,
        received_on=from_date(received_on),
        calendar_place=receiver_days.place,
        calendar_version=receiver_days.version,
        transfer_id=request.transfer_id,
        version=1,
        created_tx_id=tx.tx_id,
        updated_tx_id=tx.tx_id,
    )
    if not request.awaiting_completeness:
        deadline = receiver_days.examination_deadline(received_on, examination_days(terms))
        presentation.examination_deadline.CopyFrom(from_date(deadline))

    credit_stub = advance(stub, tx, lc.LC_EVENT_TYPE_PRESENTED)
    credit_stub.open_presentations += 1
    writes = [
        Write(presentation_key(request.presentation_id), presentation, endorsers=tuple(stub.endorsing_msp_ids)),
        credit.private(presentation_record_key(request.presentation_id), record),
        credit.private(position_key(stub.lc_id), position),
        Write(credit_key(stub.lc_id), credit_stub),
    ]
    if updated_transfer is not None:
        writes.append(credit.private(transfer_key(stub.lc_id, updated_transfer.transfer_id), updated_transfer))
    event = transition_event(
        tx,
        lc.LC_EVENT_TYPE_PRESENTED,
        lc_id=stub.lc_id,
        object_type="presentation",
        object_id=request.presentation_id,
        to_state=state_name(presentation.state),
        payload_hash=record_hash(record),
    )
    return Transition(
        response=api.PresentationResponse(presentation=presentation, record=record), writes=tuple(writes), event=event
    )


def _require_confirmation_covers(
    credit: CreditFile, receiver: common_pb2.BankRef, presented_on: datetime.date, days: BankingDays
) -> None:
    """A presentation reaching the confirming bank only through its confirmation is made by the
    expiry it confirmed: an amendment extending the credit that it did not extend its confirmation to
    does not extend its undertaking (art. 10b, INV-LC-13) -- the presentation is for the issuing bank
    (or a nominated bank)."""
    if not _confirmer_only(credit, receiver):
        return
    expiry = confirmed_expiry(credit)
    if presented_on > days.last_day(expiry):
        raise expired(
            f"presentation counted on {presented_on.isoformat()} is after {expiry.isoformat()}, the expiry the "
            f"confirming bank confirmed (extended to {days.last_day(expiry).isoformat()} at {days.place}); it did "
            "not extend its confirmation to a later one (art. 10b): present to the issuing bank"
        )


def notify_completeness(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    transfer: lc.TransferRecord | None,
    calendars: CalendarBook,
) -> Transition[api.PresentationResponse]:
    """eUCP: the presenter's notice of completeness; the examination period starts the banking day
    after it, and the presentation must be complete by the expiry date."""
    require_bank(
        tx.caller, presentation.stub.presenting_bank, (Role.CLIENT_BENEFICIARY, Role.ADVISOR), "notifying completeness"
    )
    if presentation.stub.state != lc.PRESENTATION_STATE_INCOMPLETE:
        raise invalid_state(f"presentation is {state_name(presentation.stub.state)}, not INCOMPLETE")
    expiry = effective_expiry(credit, transfer)
    receiver_days = calendars.of(presentation.stub.receiving_bank)
    notified_on = receiver_days.counting_day(tx.timestamp)
    if notified_on > receiver_days.last_day(expiry):
        raise expired(f"notice of completeness on {notified_on.isoformat()} is after the expiry {expiry.isoformat()}")
    _require_confirmation_covers(credit, presentation.stub.receiving_bank, notified_on, receiver_days)
    after = _edit(presentation)
    after.stub.state = lc.PRESENTATION_STATE_UNDER_EXAMINATION
    after.stub.completeness_notified_on.CopyFrom(from_date(notified_on))
    deadline = receiver_days.examination_deadline(notified_on, examination_days(credit.terms.terms))
    after.stub.examination_deadline.CopyFrom(from_date(deadline))
    after.record.presented_terms_seq = credit.terms.amendment_seq  # made now (eUCP e5)
    return _step(tx, credit, presentation, after, lc.LC_EVENT_TYPE_COMPLETENESS_NOTIFIED)


def _basis(
    credit: CreditFile,
    terms: lc.LetterOfCreditTerms,
    presentation: PresentationFile,
    transfer: lc.TransferRecord | None,
    days: BankingDays,
) -> ExaminationBasis:
    return ExaminationBasis(
        terms=terms,
        position=credit.position,
        transfer=transfer,
        presented_on=_presented_on(presentation.stub),
        days=days,
    )


def _complying_amendment(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    transfer: lc.TransferRecord | None,
    days: BankingDays,
    pending: lc.AmendmentRecord | None,
) -> AcceptedAmendment | None:
    """INV-LC-07: a presentation that complies only with the next advised amendment accepts it."""
    if pending is None or pending.status != lc.AMENDMENT_STATUS_ADVISED or pending.changes.cancel:
        return None
    if min(credit.stub.pending_amendment_seqs, default=0) != pending.seq:
        return None
    try:
        terms = amended_terms(credit.terms.terms, pending.changes)
        if objective_discrepancies(_basis(credit, terms, presentation, transfer, days), presentation.record):
            return None
        return apply_accepted(
            tx, credit, pending, days.local_date(tx.timestamp), by_presentation=presentation.presentation_id
        )
    except LcRuleError:
        return None


def examine(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    request: api.ExamineRequest,
    transfer: lc.TransferRecord | None,
    calendars: CalendarBook,
    next_amendment: lc.AmendmentRecord | None,
) -> Transition[api.PresentationResponse]:
    """The examining bank records its examination: the objective checks plus its own findings.

    Discrepant after the refusal deadline means PRECLUDED for the issuing or a confirming bank: it
    can no longer refuse (art. 16f); a nominated bank's presentation stays DISCREPANT (see
    :func:`_bound_by_deadline`). A confirming bank holding the presentation as such examines it
    against the terms it confirmed (INV-LC-13).
    """
    require_bank(tx.caller, presentation.stub.receiving_bank, (Role.EXAMINER,), "examining a presentation")
    examiner_days = calendars.of(presentation.stub.receiving_bank)
    _require_complete(presentation)
    _require_transfer_match(presentation, transfer)
    if presentation.stub.state != lc.PRESENTATION_STATE_UNDER_EXAMINATION:
        raise invalid_state(f"presentation is {state_name(presentation.stub.state)}; it was examined already")
    check_discrepancies(request.discrepancies)

    terms_record = credit.terms
    automated = objective_discrepancies(
        _basis(credit, terms_record.terms, presentation, transfer, examiner_days), presentation.record
    )
    accepted = None
    terms_seq = terms_record.amendment_seq
    if automated and not request.discrepancies:  # the examiner's own findings: it complies with neither
        accepted = _complying_amendment(tx, credit, presentation, transfer, examiner_days, next_amendment)
        if accepted is not None:
            automated, terms_seq = [], accepted.amendment.seq
    if as_confirmer(credit, presentation, examiner_days):
        # the beneficiary is held to the credit's terms (acceptance above included), the confirming
        # bank's undertaking to the terms it confirmed (INV-LC-13)
        held_to = accepted.confirmed if accepted is not None and accepted.confirmed else credit.confirmed_terms
        terms_seq = held_to.amendment_seq
        automated = objective_discrepancies(
            _basis(credit, held_to.terms, presentation, transfer, examiner_days), presentation.record
        )
    found = [*automated, *request.discrepancies]
    after = _edit(presentation)
    if accepted is not None:
        after.record.presented_terms_seq = accepted.amendment.seq
    after.record.examinations.append(_examination(tx, found, examiner_days, terms_seq))
    if not found:
        after.stub.state = lc.PRESENTATION_STATE_COMPLYING
    elif _past_deadline(presentation, examiner_days, tx) and _bound_by_deadline(credit, presentation, examiner_days):
        after.stub.state = lc.PRESENTATION_STATE_PRECLUDED
    else:
        after.stub.state = lc.PRESENTATION_STATE_DISCREPANT
    after.stub.discrepancy_codes.extend(sorted({item.code for item in found}))
    reason = _code_names(item.code for item in found)
    if accepted is not None:
        reason = f"AMENDMENT_{accepted.amendment.seq}_ACCEPTED"
    return _step(tx, credit, presentation, after, lc.LC_EVENT_TYPE_EXAMINED, accepted=accepted, reason_code=reason)


def _examination(
    tx: Transaction, found: Sequence[lc.Discrepancy], days: BankingDays, terms_seq: int
) -> lc.Examination:
    """The caller's bank's examination, today at its place: COMPLYING, or DISCREPANT with ``found``,
    against the terms as amended up to ``terms_seq``."""
    return lc.Examination(
        bank_msp_id=tx.caller.msp_id,
        result=lc.EXAMINATION_RESULT_DISCREPANT if found else lc.EXAMINATION_RESULT_COMPLYING,
        discrepancies=found,
        examined_on=from_date(days.local_date(tx.timestamp)),
        terms_amendment_seq=terms_seq,
        examiner_hash=tx.caller.identity_hash,
    )


def refuse(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    request: api.RefuseRequest,
    transfer: lc.TransferRecord | None,
    calendars: CalendarBook,
) -> Transition[api.PresentationResponse]:
    """One complete refusal notice (art. 16c-d, MT734; INV-LC-06): by the examining bank, once, with
    every discrepancy and a disposal code, no later than the presentation's examination deadline (the
    fifth banking day after presentation; a standby's third, ISP98 rule 5.01) when the examining bank
    is the issuing or a confirming bank (art. 16f); a nominated bank is not precluded and may refuse
    later (:func:`_bound_by_deadline`)."""
    stub = presentation.stub
    require_bank(tx.caller, stub.receiving_bank, (Role.EXAMINER,), "refusing a presentation")
    examiner_days = calendars.of(stub.receiving_bank)
    _require_complete(presentation)
    _require_transfer_match(presentation, transfer)
    confirmer = as_confirmer(credit, presentation, examiner_days)
    if stub.state == lc.PRESENTATION_STATE_PRECLUDED or (
        stub.state in OPEN_EXAMINATION_STATES
        and _past_deadline(presentation, examiner_days, tx)
        and _bound_by_deadline(credit, presentation, examiner_days)
    ):
        raise deadline_passed(
            f"the refusal deadline was {to_date(stub.examination_deadline, 'deadline').isoformat()}: the "
            "presentation is precluded and can only be honoured (art. 16f)"
        )
    if stub.state not in OPEN_EXAMINATION_STATES:
        raise invalid_state(f"presentation is {state_name(stub.state)}; a refusal is given once, in one notice")
    if not request.discrepancies:
        raise invalid_input("discrepancies", "a refusal states at least one discrepancy")
    check_discrepancies(request.discrepancies)
    check_disposal(request.disposal)
    if request.disposal == lc.REFUSAL_DISPOSAL_NOTIFY and stub.receiving_bank.msp_id != credit.stub.issuing_bank.msp_id:
        raise invalid_input("disposal", "only the issuing bank holds documents pending the applicant's waiver")
    if request.HasField("charges_claimed"):
        check_same_currency(request.charges_claimed, credit.currency, "charges_claimed")
        if presentation.record.claimed.minor_units + request.charges_claimed.minor_units > money.MAX_MINOR_UNITS:
            raise invalid_input("charges_claimed", "with the amount claimed, the total (33a) exceeds the SWIFT format")
    check_text(request.narrative, "narrative", lines=20, width=65)

    terms_record = _examined_terms(credit, confirmer)
    required = {
        item.code
        for item in objective_discrepancies(
            _basis(credit, terms_record.terms, presentation, transfer, examiner_days), presentation.record
        )
    }
    for examination in presentation.record.examinations:
        required.update(item.code for item in examination.discrepancies)
    missing = required - {item.code for item in request.discrepancies}
    if missing:
        raise invalid_input("discrepancies", f"the notice must state every discrepancy; missing {_code_names(missing)}")

    after = _edit(presentation)
    record = after.record
    total = record.claimed.minor_units + (
        request.charges_claimed.minor_units if request.HasField("charges_claimed") else 0
    )
    record.refusal.CopyFrom(
        lc.RefusalNotice(
            bank_msp_id=tx.caller.msp_id,
            refused_on=from_date(examiner_days.local_date(tx.timestamp)),
            utilisation_amount=record.claimed,
            total_claimed=common_pb2.Money(currency=credit.currency, minor_units=total),
            discrepancies=request.discrepancies,
            disposal=request.disposal,
            narrative=request.narrative,
        )
    )
    if request.HasField("charges_claimed"):
        record.refusal.charges_claimed.CopyFrom(request.charges_claimed)
    if not record.examinations:
        record.examinations.append(
            lc.Examination(
                bank_msp_id=tx.caller.msp_id,
                result=lc.EXAMINATION_RESULT_DISCREPANT,
                discrepancies=request.discrepancies,
                examined_on=record.refusal.refused_on,
                terms_amendment_seq=terms_record.amendment_seq,
                examiner_hash=tx.caller.identity_hash,
            )
        )
    after.stub.disposal = request.disposal
    del after.stub.discrepancy_codes[:]
    after.stub.discrepancy_codes.extend(sorted({item.code for item in request.discrepancies}))
    position = updated_transfer = None
    if request.disposal == lc.REFUSAL_DISPOSAL_RETURN:
        after.stub.state = lc.PRESENTATION_STATE_RETURNED
        position, updated_transfer = _release(credit.position, record, transfer)
    else:
        after.stub.state = lc.PRESENTATION_STATE_REFUSED
    return _step(
        tx,
        credit,
        presentation,
        after,
        lc.LC_EVENT_TYPE_REFUSED,
        position=position,
        transfer=updated_transfer,
        reason_code=_disposal_code(request.disposal),
    )


def _disposal_code(disposal: lc.RefusalDisposal.ValueType) -> str:
    """A refusal's disposal as its event's reason code (``HOLD``, ``RETURN``, ...)."""
    return lc.RefusalDisposal.Name(disposal).removeprefix("REFUSAL_DISPOSAL_")


def _require_issuer_examines(credit: CreditFile, presentation: PresentationFile) -> None:
    issuing = credit.stub.issuing_bank.msp_id
    if presentation.stub.receiving_bank.msp_id != issuing and not refused_forwarded(presentation.record, issuing):
        raise invalid_state("a waiver is sought by the issuing bank on documents it examines (art. 16b)")


def _require_waivable(credit: CreditFile, presentation: PresentationFile) -> None:
    stub = presentation.stub
    if stub.state == lc.PRESENTATION_STATE_DISCREPANT:
        return
    if stub.state == lc.PRESENTATION_STATE_REFUSED and stub.disposal in WAIVABLE_DISPOSALS:
        return
    if stub.state in HONOURED_STATES and holds_forwarded(presentation, credit.stub.issuing_bank.msp_id):
        return  # forwarded documents the issuing bank refused and holds
    raise invalid_state(
        f"presentation is {state_name(stub.state)}: a waiver needs discrepant documents the issuing bank still holds"
    )


def request_waiver(
    tx: Transaction, credit: CreditFile, presentation: PresentationFile, calendars: CalendarBook
) -> Transition[api.PresentationResponse]:
    """The issuing bank asks the applicant to waive the discrepancies; the clock is not extended."""
    require_bank(tx.caller, credit.stub.issuing_bank, (Role.EXAMINER,), "requesting a waiver")
    issuer_days = calendars.of(credit.stub.issuing_bank)
    _require_issuer_examines(credit, presentation)
    _require_waivable(credit, presentation)
    if presentation.stub.state == lc.PRESENTATION_STATE_DISCREPANT and _past_deadline(presentation, issuer_days, tx):
        raise deadline_passed("the examination period is over: the presentation is precluded, not waivable")
    if presentation.record.waiver.status:
        raise invalid_state("a waiver was already requested for this presentation")
    after = _edit(presentation)
    after.record.waiver.status = lc.WAIVER_STATUS_REQUESTED
    after.record.waiver.requested_on.CopyFrom(from_date(issuer_days.local_date(tx.timestamp)))
    after.stub.waiver = lc.WAIVER_STATUS_REQUESTED
    return _step(tx, credit, presentation, after, lc.LC_EVENT_TYPE_WAIVER_REQUESTED)


def grant_waiver(
    tx: Transaction, credit: CreditFile, presentation: PresentationFile, calendars: CalendarBook
) -> Transition[api.PresentationResponse]:
    """The applicant (a client of the issuing bank) waives the discrepancies (INV-LC-10)."""
    require_bank(tx.caller, credit.stub.issuing_bank, (Role.CLIENT_APPLICANT,), "waiving discrepancies")
    issuer_days = calendars.of(credit.stub.issuing_bank)
    _require_waivable(credit, presentation)
    if presentation.record.waiver.status != lc.WAIVER_STATUS_REQUESTED:
        raise invalid_state("the issuing bank has not asked for a waiver (or it was already given)")
    after = _edit(presentation)
    after.record.waiver.status = lc.WAIVER_STATUS_GRANTED
    after.record.waiver.granted_on.CopyFrom(from_date(issuer_days.local_date(tx.timestamp)))
    after.record.waiver.applicant_hash = tx.caller.identity_hash
    after.stub.waiver = lc.WAIVER_STATUS_GRANTED
    return _step(tx, credit, presentation, after, lc.LC_EVENT_TYPE_WAIVER_GRANTED)


def accept_waiver(
    tx: Transaction, credit: CreditFile, presentation: PresentationFile, calendars: CalendarBook
) -> Transition[api.PresentationResponse]:
    """The issuing bank accepts the applicant's waiver; effective only while the presenter has not
    instructed otherwise (documents not returned)."""
    require_bank(tx.caller, credit.stub.issuing_bank, (Role.EXAMINER, Role.APPROVER), "accepting a waiver")
    issuer_days = calendars.of(credit.stub.issuing_bank)
    _require_issuer_examines(credit, presentation)
    _require_waivable(credit, presentation)
    if presentation.record.waiver.status != lc.WAIVER_STATUS_GRANTED:
        raise invalid_state("the applicant has not waived the discrepancies")
    after = _edit(presentation)
    after.record.waiver.status = lc.WAIVER_STATUS_ACCEPTED
    after.record.waiver.accepted_on.CopyFrom(from_date(issuer_days.local_date(tx.timestamp)))
    after.stub.waiver = lc.WAIVER_STATUS_ACCEPTED
    if refused_forwarded(presentation.record, credit.stub.issuing_bank.msp_id):
        # already honoured by the bank that forwarded them: the issuing bank now owes it reimbursement
        return _issuer_decides(tx, credit, presentation, after, lc.LC_EVENT_TYPE_WAIVER_ACCEPTED, precluded=False)
    after.stub.state = lc.PRESENTATION_STATE_WAIVED
    return _step(tx, credit, presentation, after, lc.LC_EVENT_TYPE_WAIVER_ACCEPTED)


def return_documents(
    tx: Transaction, credit: CreditFile, presentation: PresentationFile, transfer: lc.TransferRecord | None
) -> Transition[api.PresentationResponse]:
    """Refused documents go back to the presenter (examining bank's act or presenter's instruction);
    the reservation is released and a waiver can no longer take effect. Forwarded documents the
    issuing bank refused go back to the bank that honoured and forwarded them (the issuing bank's act
    or that bank's instruction): the drawing stands, at the honouring bank's risk."""
    stub = presentation.stub
    issuing = credit.stub.issuing_bank
    if refused_forwarded(presentation.record, issuing.msp_id):
        if is_bank(tx.caller, issuing):
            require_bank(tx.caller, issuing, (Role.EXAMINER,), "returning forwarded documents")
        else:
            require_bank(tx.caller, stub.receiving_bank, (Role.EXAMINER, Role.APPROVER), "instructing the return")
        if not holds_forwarded(presentation, issuing.msp_id):
            raise invalid_state(
                "the issuing bank no longer holds these forwarded documents (returned, or a waiver was accepted)"
            )
        after = _edit(presentation)
        after.stub.disposal = lc.REFUSAL_DISPOSAL_RETURN
        return _step(tx, credit, presentation, after, lc.LC_EVENT_TYPE_DOCUMENTS_RETURNED)
    if is_bank(tx.caller, stub.receiving_bank):
        require_bank(tx.caller, stub.receiving_bank, (Role.EXAMINER,), "returning documents")
    else:
        require_bank(tx.caller, stub.presenting_bank, (Role.CLIENT_BENEFICIARY, Role.ADVISOR), "instructing the return")
    _require_transfer_match(presentation, transfer)
    if stub.state != lc.PRESENTATION_STATE_REFUSED:
        raise invalid_state(f"presentation is {state_name(stub.state)}; only refused documents are returned")
    return _ended(
        tx, credit, presentation, transfer, lc.PRESENTATION_STATE_RETURNED, lc.LC_EVENT_TYPE_DOCUMENTS_RETURNED
    )


def _ended(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    transfer: lc.TransferRecord | None,
    state: lc.PresentationState.ValueType,
    event_type: lc.LcEventType.ValueType,
) -> Transition[api.PresentationResponse]:
    """The presentation ends in ``state`` without drawing anything: its reservation is given back."""
    after = _edit(presentation)
    after.stub.state = state
    position, updated_transfer = _release(credit.position, after.record, transfer)
    return _step(tx, credit, presentation, after, event_type, position=position, transfer=updated_transfer)


def lapse(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    transfer: lc.TransferRecord | None,
    calendars: CalendarBook,
) -> Transition[api.PresentationResponse]:
    """eUCP e6(c): an electronic presentation whose notice of completeness did not come by the expiry
    (at the receiving bank's place, extended as art. 29 extends it) is deemed not to have been made.
    Any bank of the credit records it once that day is past: the reservation is released and the
    credit no longer counts the presentation as open (so it can be closed)."""
    require_bank(tx.caller, credit_banks(credit.stub), (), "recording a lapsed presentation")
    _require_transfer_match(presentation, transfer)
    stub = presentation.stub
    if stub.state != lc.PRESENTATION_STATE_INCOMPLETE:
        raise invalid_state(
            f"presentation is {state_name(stub.state)}; only one awaiting its notice of completeness lapses"
        )
    receiver_days = calendars.of(stub.receiving_bank)
    last_day = receiver_days.last_day(effective_expiry(credit, transfer))
    if receiver_days.counting_day(tx.timestamp) <= last_day:
        raise invalid_state(f"the notice of completeness may still come until {last_day.isoformat()}")
    return _ended(
        tx, credit, presentation, transfer, lc.PRESENTATION_STATE_LAPSED, lc.LC_EVENT_TYPE_PRESENTATION_LAPSED
    )


def preclude(
    tx: Transaction, credit: CreditFile, presentation: PresentationFile, calendars: CalendarBook
) -> Transition[api.PresentationResponse]:
    """Any bank of the credit records that the examining bank -- the issuing bank, or the confirming
    bank holding the presentation as such -- let the refusal deadline pass (art. 16f); or, on
    documents another bank honoured and forwarded, that the issuing bank let its own examination
    period pass (:func:`awaits_issuer`): it then reimburses them."""
    require_bank(tx.caller, credit_banks(credit.stub), (), "recording a preclusion")
    issuing = credit.stub.issuing_bank
    if presentation.stub.state in HONOURED_STATES:
        if not awaits_issuer(presentation.record, issuing.msp_id):
            raise invalid_state(
                f"presentation is {state_name(presentation.stub.state)}: the issuing bank owes no decision on "
                "it (it honoured it, examined the forwarded documents, or owes reimbursement already)"
            )
        issuer_days, terms = calendars.of(issuing), credit.terms.terms
        if not _past_issuer_deadline(presentation.record, issuer_days, tx, terms):
            deadline = _issuer_deadline(presentation.record, issuer_days, terms)
            raise invalid_state(f"the issuing bank may examine the forwarded documents until {deadline.isoformat()}")
        return _issuer_decides(
            tx, credit, presentation, _edit(presentation), lc.LC_EVENT_TYPE_PRECLUDED, precluded=True,
            reason_code="ISSUING_BANK",
        )
    examiner_days = calendars.of(presentation.stub.receiving_bank)
    _require_complete(presentation)
    if presentation.stub.state not in OPEN_EXAMINATION_STATES:
        raise invalid_state(f"presentation is {state_name(presentation.stub.state)}; nothing to preclude")
    if not _bound_by_deadline(credit, presentation, examiner_days):
        raise invalid_state(
            "the bank presented to acts as a nominated bank, not as issuing or confirming bank: its examination "
            "period passing precludes nobody (art. 16f) -- it has no undertaking to honour (art. 12a) and may "
            "still refuse"
        )
    if not _past_deadline(presentation, examiner_days, tx):
        deadline = to_date(presentation.stub.examination_deadline, "examination_deadline")
        raise invalid_state(f"the examining bank may refuse until {deadline.isoformat()}")
    after = _edit(presentation)
    after.stub.state = lc.PRESENTATION_STATE_PRECLUDED
    return _step(tx, credit, presentation, after, lc.LC_EVENT_TYPE_PRECLUDED)


def examine_forwarded(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    request: api.ExamineForwardedRequest,
    transfer: lc.TransferRecord | None,
    calendars: CalendarBook,
    presented_terms: lc.CreditTermsRecord,
) -> Transition[api.PresentationResponse]:
    """The issuing bank examines documents a nominated or confirming bank honoured and forwarded to it
    (arts. 7c, 8c, 14b) by the presentation's ``issuer_examination_deadline``, against the credit's
    terms the presentation was made under (``presented_terms``: amendments accepted since do not
    apply to it) and the balances when it was made. Complying: it reimburses the honouring bank.
    Discrepant: it does not, and the honouring bank bears the loss -- unless the issuing bank's period
    had passed, which precludes it (art. 16f): it reimburses all the same. Once only, and not after a
    reimbursement (paying is taking the documents). A discrepant finding in time is the issuing bank's
    one refusal notice to the honouring bank (art. 16c-d, the record's ``refusal``), with a disposal
    of the documents: held (HOLD, or NOTIFY: for the applicant's waiver, which the issuing bank may
    seek, art. 16b, and which once accepted makes the honouring bank reimbursable), or returned."""
    issuing = credit.stub.issuing_bank
    require_bank(tx.caller, issuing, (Role.EXAMINER,), "examining forwarded documents")
    stub, record = presentation.stub, presentation.record
    honoured_by = record.honour.bank_msp_id
    if record.reimbursements or record.issuer_precluded:
        raise invalid_state("the issuing bank reimbursed, or is precluded: it took the documents as complying")
    if stub.state not in HONOURED_STATES or not honoured_by:
        raise invalid_state(
            f"presentation is {state_name(stub.state)}: the issuing bank examines forwarded documents once "
            "another bank honoured them"
        )
    if honoured_by == issuing.msp_id:
        raise invalid_state(
            "the issuing bank honoured this presentation itself: it examined it as the bank presented to"
        )
    if not record.HasField("forwarded_at"):
        raise invalid_state(
            "honoured before the ledger kept the issuing bank's examination of forwarded documents: settled as "
            "it was then"
        )
    if examined_by(record, issuing.msp_id):
        raise invalid_state("the issuing bank examined these documents already")
    check_discrepancies(request.discrepancies)
    _require_transfer_match(presentation, transfer)
    basis = ExaminationBasis(
        terms=presented_terms.terms,
        position=(
            record.position_at_presentation
            if record.HasField("position_at_presentation")
            else _as_examined(credit.position, record)  # presented before the ledger kept them
        ),
        transfer=transfer,
        presented_on=_presented_on(stub),
        days=calendars.of(stub.receiving_bank),
    )
    check_text(request.narrative, "narrative", lines=20, width=65)
    found = [*objective_discrepancies(basis, record), *request.discrepancies]
    issuer_days = calendars.of(issuing)
    late = bool(found) and _past_issuer_deadline(record, issuer_days, tx, presented_terms.terms)
    refusing = bool(found) and not late
    if refusing:
        if not request.disposal:
            raise invalid_input(
                "disposal",
                f"the documents are discrepant ({_code_names(item.code for item in found)}): the refusal states what "
                "happens to them (77B)",
            )
        check_disposal(request.disposal)
    elif late and (request.disposal or request.narrative):
        deadline = _issuer_deadline(record, issuer_days, presented_terms.terms)
        raise deadline_passed(
            f"the issuing bank's period for these documents ended on {deadline.isoformat()}: it is precluded "
            "from refusing them and reimburses them (art. 16f)"
        )
    elif request.disposal or request.narrative:
        raise invalid_input(
            "disposal" if request.disposal else "narrative", "the documents comply: there is nothing to refuse"
        )
    after = _edit(presentation)
    examination = _examination(tx, found, issuer_days, presented_terms.amendment_seq)
    after.record.examinations.append(examination)
    codes = sorted({*stub.discrepancy_codes, *(item.code for item in found)})
    del after.stub.discrepancy_codes[:]
    after.stub.discrepancy_codes.extend(codes)
    event, reason = lc.LC_EVENT_TYPE_EXAMINED, _code_names(item.code for item in found)
    if refusing:  # the honouring bank's notice: the event says so, with the disposal as refuse's does
        honoured = record.honour.amount
        after.record.refusal.CopyFrom(
            lc.RefusalNotice(
                bank_msp_id=issuing.msp_id,
                refused_on=examination.examined_on,
                utilisation_amount=honoured,
                total_claimed=honoured,
                discrepancies=found,
                disposal=request.disposal,
                narrative=request.narrative,
            )
        )
        after.stub.disposal = request.disposal
        event, reason = lc.LC_EVENT_TYPE_REFUSED, _disposal_code(request.disposal)
    return _issuer_decides(tx, credit, presentation, after, event, precluded=late, reason_code=reason)


def _as_examined(position: lc.CreditPosition, record: lc.PresentationRecord) -> lc.CreditPosition:
    """The credit's balances as the bank presented to examined the presentation: its claim reserved,
    its drawing not yet made (the drawn sum, the drawings counted, its instalment's utilisation)."""
    drawn, claimed = record.honour.amount.minor_units, record.claimed.minor_units
    examined = copy(position)
    examined.drawn -= drawn
    examined.reserved += claimed
    examined.honoured_drawings -= 1
    if record.instalment:
        examined.instalment_utilised[record.instalment - 1] += claimed - drawn
    return examined


def _issuer_deadline(
    record: lc.PresentationRecord, issuer_days: BankingDays, terms: lc.LetterOfCreditTerms
) -> datetime.date:
    """The last day of the issuing bank's examination of forwarded documents: as set at the honour, or
    the fifth banking day (a standby's third business day) after they reached its place (art. 33)."""
    if record.HasField("issuer_examination_deadline"):
        return to_date(record.issuer_examination_deadline, "issuer_examination_deadline")
    received_on = issuer_days.counting_day(record.forwarded_at.ToDatetime(datetime.UTC))
    return issuer_days.examination_deadline(received_on, examination_days(terms))


def _past_issuer_deadline(
    record: lc.PresentationRecord, issuer_days: BankingDays, tx: Transaction, terms: lc.LetterOfCreditTerms
) -> bool:
    return issuer_days.counting_day(tx.timestamp) > _issuer_deadline(record, issuer_days, terms)


def _issuer_decides(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    after: PresentationFile,
    event_type: lc.LcEventType.ValueType,
    *,
    precluded: bool,
    reason_code: str = "",
) -> Transition[api.PresentationResponse]:
    """Record the issuing bank's examination of forwarded documents or its preclusion (``precluded``:
    its period is over), already in ``after``, and move the sum it owes the honouring bank
    (``reimbursable``) with it."""
    issuing = credit.stub.issuing_bank.msp_id
    if precluded:
        after.record.issuer_precluded = True
    owed_before = is_reimbursable(presentation.record, issuing)
    owed_after = is_reimbursable(after.record, issuing)
    position = None
    if owed_before != owed_after:
        position = copy(credit.position)
        honoured = presentation.record.honour.amount.minor_units
        position.reimbursable += honoured if owed_after else -honoured
    return _step(tx, credit, presentation, after, event_type, position=position, reason_code=reason_code)


def _honour_kind(
    terms: lc.LetterOfCreditTerms, by_issuer: bool
) -> tuple[lc.HonourKind.ValueType, lc.PresentationState.ValueType]:
    if terms.available_by == lc.AVAILABLE_BY_ACCEPTANCE:
        return lc.HONOUR_KIND_ACCEPTANCE, lc.PRESENTATION_STATE_ACCEPTED
    if terms.available_by == lc.AVAILABLE_BY_DEFERRED_PAYMENT:
        return lc.HONOUR_KIND_DEFERRED_PAYMENT, lc.PRESENTATION_STATE_DEFERRED_UNDERTAKEN
    if terms.available_by == lc.AVAILABLE_BY_NEGOTIATION and not by_issuer:
        return lc.HONOUR_KIND_NEGOTIATION, lc.PRESENTATION_STATE_NEGOTIATED
    return lc.HONOUR_KIND_SIGHT_PAYMENT, lc.PRESENTATION_STATE_HONOURED


def honour(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    request: api.HonourRequest,
    transfer: lc.TransferRecord | None,
    calendars: CalendarBook,
) -> Transition[api.PresentationResponse]:
    """The examining bank honours a complying, waived or precluded presentation: pays at sight,
    negotiates, accepts a draft or undertakes deferred payment (INV-LC-05, INV-LC-09, INV-LC-11). The
    issuing bank owes a nominated or confirming bank reimbursement only for what :func:`is_reimbursable`
    says (arts. 7c, 8c)."""
    stub, terms, position = presentation.stub, credit.terms.terms, credit.position
    bank = require_bank(
        tx.caller, stub.receiving_bank, (Role.EXAMINER, Role.APPROVER, Role.TREASURY), "honouring a presentation"
    )
    examiner_days = calendars.of(bank)
    _require_complete(presentation)
    _require_transfer_match(presentation, transfer)
    precluded = (
        stub.state in OPEN_EXAMINATION_STATES
        and _past_deadline(presentation, examiner_days, tx)
        and _bound_by_deadline(credit, presentation, examiner_days)
    )
    if stub.state not in HONOURABLE_STATES and not precluded:
        raise invalid_state(
            f"presentation is {state_name(stub.state)}: only complying, waived or precluded presentations are honoured"
        )
    expiry = effective_expiry(credit, transfer)
    if to_date(stub.received_on, "received_on") > examiner_days.last_day(expiry):
        raise expired("the presentation was received after the expiry date and is never honoured")
    check_same_currency(request.amount, credit.currency, "amount")
    amount = request.amount.minor_units
    if amount > presentation.record.claimed.minor_units:
        raise invalid_input("amount", "is more than the presentation claims")
    available = position.max_amount - position.drawn - (position.reserved - presentation.record.reserved)
    if amount > available:
        raise insufficient_funds("amount", "exceeds the credit's available balance")
    if not partial_drawings_allowed(terms) and position.honoured_drawings:
        raise invalid_state("partial drawings are prohibited and the credit was already drawn (INV-LC-09)")
    by_issuer = bank.msp_id == credit.stub.issuing_bank.msp_id
    kind, state = _honour_kind(terms, by_issuer)
    honoured_on = examiner_days.local_date(tx.timestamp)
    deferred = kind in (lc.HONOUR_KIND_ACCEPTANCE, lc.HONOUR_KIND_DEFERRED_PAYMENT)
    if deferred != request.HasField("maturity_date"):
        raise invalid_input("maturity_date", "is required for acceptance or deferred payment, and only then")
    if deferred and to_date(request.maturity_date, "maturity_date") < honoured_on:
        raise invalid_input("maturity_date", "is before the date of honour")
    if deferred and request.HasField("settlement"):
        raise invalid_input("settlement", "an acceptance or deferred payment is settled when paid at maturity")

    after = _edit(presentation)
    updated_position, updated_transfer = _release(position, after.record, transfer, drawn=amount)
    updated_position.drawn += amount
    updated_position.honoured_drawings += 1
    after.record.honour.CopyFrom(
        lc.Honour(kind=kind, bank_msp_id=bank.msp_id, amount=request.amount, honoured_on=from_date(honoured_on))
    )
    if not by_issuer:  # the documents go to the issuing bank, whose own examination period starts
        after.record.forwarded_at.FromDatetime(tx.timestamp)
        try:
            deadline = _issuer_deadline(after.record, calendars.of(credit.stub.issuing_bank), terms)
        except LcRuleError:  # its calendar does not reach that far yet: worked out when needed
            pass
        else:
            after.record.issuer_examination_deadline.CopyFrom(from_date(deadline))
    if is_reimbursable(after.record, credit.stub.issuing_bank.msp_id):
        updated_position.reimbursable += amount
    if deferred:
        after.record.honour.maturity_date.CopyFrom(request.maturity_date)
    else:
        after.record.honour.paid_on.CopyFrom(from_date(honoured_on))
        after.record.honour.settlement_uetr = request.settlement.uetr
    after.stub.state = state
    utilised = updated_position.drawn >= updated_position.max_amount or not partial_drawings_allowed(terms)
    credit_state = (
        lc.CREDIT_STATE_FULLY_UTILISED
        if utilised and credit.stub.state in (lc.CREDIT_STATE_ISSUED, lc.CREDIT_STATE_ADVISED)
        else None
    )
    return _step(
        tx,
        credit,
        presentation,
        after,
        lc.LC_EVENT_TYPE_HONOURED,
        position=updated_position,
        transfer=updated_transfer,
        credit_state=credit_state,
        reason_code=lc.HonourKind.Name(kind).removeprefix("HONOUR_KIND_"),
    )


def pay_at_maturity(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    calendars: CalendarBook,
    settlement_uetr: str = "",
) -> Transition[api.PresentationResponse]:
    """The honouring bank pays an accepted draft or deferred-payment undertaking at maturity
    (``settlement_uetr``: the payment that settles it on a payment channel, if any)."""
    honour_record = presentation.record.honour
    payer = next((bank for bank in credit_banks(credit.stub) if bank.msp_id == honour_record.bank_msp_id), None)
    if payer is None or presentation.stub.state not in (
        lc.PRESENTATION_STATE_ACCEPTED,
        lc.PRESENTATION_STATE_DEFERRED_UNDERTAKEN,
    ):
        raise invalid_state(f"presentation is {state_name(presentation.stub.state)}; nothing matures")
    require_bank(tx.caller, payer, (Role.TREASURY, Role.APPROVER), "paying at maturity")
    today = calendars.of(payer).local_date(tx.timestamp)
    maturity = to_date(honour_record.maturity_date, "maturity_date")
    if today < maturity:
        raise invalid_state(f"payment falls due on {maturity.isoformat()}")
    after = _edit(presentation)
    after.record.honour.paid_on.CopyFrom(from_date(today))
    after.record.honour.settlement_uetr = settlement_uetr
    after.stub.state = lc.PRESENTATION_STATE_MATURED_PAID
    return _step(tx, credit, presentation, after, lc.LC_EVENT_TYPE_PAID_AT_MATURITY)


def reimburse(
    tx: Transaction,
    credit: CreditFile,
    presentation: PresentationFile,
    request: api.ReimburseRequest,
    calendars: CalendarBook,
) -> Transition[api.PresentationResponse]:
    """The issuing bank reimburses the nominated or confirming bank that honoured and paid a complying
    presentation -- found so by the bank presented to, or by the issuing bank's own examination of the
    forwarded documents -- one whose waiver it accepted, or one it is precluded from refusing (7c, 8c,
    16f; :func:`is_reimbursable`); the sum reimbursed
    never exceeds the sum honoured (INV-LC-11)."""
    # the approver too, as for honour and payment at maturity: a settlement dual control applies to is
    # made only by an officer with that role
    require_bank(tx.caller, credit.stub.issuing_bank, (Role.TREASURY, Role.ISSUER, Role.APPROVER), "reimbursing")
    honour_record = presentation.record.honour
    if presentation.stub.state not in PAID_STATES:
        raise invalid_state(f"presentation is {state_name(presentation.stub.state)}; nothing to reimburse")
    if honour_record.bank_msp_id == credit.stub.issuing_bank.msp_id:
        raise invalid_state("the issuing bank honoured this presentation itself; nothing to reimburse")
    issuing = credit.stub.issuing_bank.msp_id
    if awaits_issuer(presentation.record, issuing):
        raise invalid_state(
            f"{honour_record.bank_msp_id} honoured documents it did not find complying (its own preclusion binds "
            "only itself, art. 16f): the issuing bank reimburses them once it examined the forwarded documents "
            "and found them complying (ExamineForwarded), or was precluded from refusing them (arts. 7c, 8c)"
        )
    if not is_reimbursable(presentation.record, issuing):
        raise invalid_state(
            "the issuing bank found the forwarded documents discrepant: it reimburses a complying presentation "
            "only (arts. 7c, 8c)"
        )
    check_same_currency(request.amount, credit.currency, "amount")
    reimbursed = sum(item.amount.minor_units for item in presentation.record.reimbursements)
    outstanding = honour_record.amount.minor_units - reimbursed
    if request.amount.minor_units > outstanding:
        raise invalid_input("amount", f"exceeds the {money.format_amount(outstanding, credit.currency)} outstanding")
    after = _edit(presentation)
    after.record.reimbursements.append(
        lc.Reimbursement(
            amount=request.amount,
            value_date=from_date(calendars.of(credit.stub.issuing_bank).local_date(tx.timestamp)),
            paying_msp_id=tx.caller.msp_id,
            claimant_msp_id=honour_record.bank_msp_id,
            settlement_uetr=request.settlement.uetr,
        )
    )
    if request.amount.minor_units == outstanding:
        after.stub.state = lc.PRESENTATION_STATE_REIMBURSED
    position = copy(credit.position)
    position.reimbursed += request.amount.minor_units
    return _step(tx, credit, presentation, after, lc.LC_EVENT_TYPE_REIMBURSED, position=position)
