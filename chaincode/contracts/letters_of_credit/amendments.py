"""Amendments (art. 10, MT707): propose, advise, confirming bank's decision, accept, reject.

INV-LC-07: an amendment binds the beneficiary only once it accepts it (or a presentation complies
only with the amended terms, see :func:`accept_by_presentation`); a partial acceptance is a rejection;
a "deemed accepted unless rejected" clause is stored and ignored; until acceptance, examination uses
the last accepted terms. Numbers are strictly sequential and amendments are decided in number order.
Cancellation is an amendment with ``changes.cancel`` (INV-LC-08).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .access import Role, Transaction, require_bank
from .banking_days import CalendarBook
from .credit import CreditFile, advance, copy, credit_event, require_active, require_not_expired
from .errors import ErrorCode, LcRuleError, invalid_input, invalid_state
from .events import transition_event
from .ledger import Transition, Write
from .records import (
    amendment_key,
    confirmed_terms_key,
    credit_key,
    position_key,
    record_hash,
    terms_hash,
    terms_key,
    terms_version_key,
)
from .terms import amended_terms, changed_fields, check_changes, max_amount
from .validation import check_at_most, check_text, from_date, to_date

PARTIAL_ACCEPTANCE = "PARTIAL_ACCEPTANCE"
#: A partial acceptance names each change it excludes once: at most every field an amendment can change.
MAX_EXCLUDED_CHANGES: Final = len(lc.AmendmentChanges.DESCRIPTOR.fields)


def check_amendment_texts(deemed_acceptance_clause: str, narrative: str) -> None:
    """An amendment's deemed-acceptance clause and narrative: 10 lines of 65 characters each (the
    client checks them early)."""
    check_text(deemed_acceptance_clause, "deemed_acceptance_clause", lines=10, width=65)
    check_text(narrative, "narrative", lines=10, width=65)


def check_charges_payable_by(charges_payable_by: lc.ChargesPayableBy.ValueType) -> None:
    """Who pays the amendment's charges: a code the schema defines, or none (the client checks it
    early)."""
    if charges_payable_by not in lc.ChargesPayableBy.DESCRIPTOR.values_by_number:
        raise invalid_input("charges_payable_by", "is not a valid code")


def check_excluded_changes(excluded_changes: Sequence[str]) -> None:
    """No more excluded changes than an amendment has fields (the client checks it early; which
    changes the amendment makes is on the ledger)."""
    check_at_most(excluded_changes, "excluded_changes", most=MAX_EXCLUDED_CHANGES, noun="changes")


def status_name(status: lc.AmendmentStatus.ValueType) -> str:
    """``ADVISED`` for AMENDMENT_STATUS_ADVISED."""
    return lc.AmendmentStatus.Name(status).removeprefix("AMENDMENT_STATUS_")


def _event(
    tx: Transaction,
    event_type: lc.LcEventType.ValueType,
    before: lc.AmendmentRecord | None,
    after: lc.AmendmentRecord,
    *,
    reason_code: str = "",
) -> lc.LetterOfCreditEvent:
    return transition_event(
        tx,
        event_type,
        lc_id=after.lc_id,
        object_type="amendment",
        object_id=f"{after.lc_id}/{after.seq}",
        from_state=status_name(before.status) if before else "",
        to_state=status_name(after.status),
        reason_code=reason_code,
        payload_hash=record_hash(after),
    )


def _check_seq(stub: lc.CreditStub, amendment: lc.AmendmentRecord, seq: int) -> None:
    if amendment.seq != seq or amendment.lc_id != stub.lc_id:
        raise invalid_input("seq", f"amendment {seq} of {stub.lc_id} does not match the stored record")


def propose_amendment(
    tx: Transaction, credit: CreditFile, request: api.ProposeAmendmentRequest, calendars: CalendarBook
) -> Transition[api.AmendmentResponse]:
    """The issuing bank proposes the next amendment (INV-LC-01); it is bound by it from now on."""
    stub = credit.stub
    require_bank(tx.caller, stub.issuing_bank, (Role.ISSUER,), "amending a credit")
    require_active(stub, "amendment")
    issuer_days = calendars.of(stub.issuing_bank)
    require_not_expired(to_date(stub.expiry_date, "expiry_date"), issuer_days, tx, "the amendment")
    expected = stub.last_amendment_seq + 1
    if request.seq != expected:
        raise invalid_input("seq", f"amendment numbers are sequential: the next one of {stub.lc_id} is {expected}")
    check_changes(request.changes, credit.currency)
    check_charges_payable_by(request.charges_payable_by)
    check_amendment_texts(request.deemed_acceptance_clause, request.narrative)
    if not request.changes.cancel:
        amended_terms(credit.terms.terms, request.changes)

    key = amendment_key(stub.lc_id, request.seq)
    confirmed = stub.confirmation == lc.CONFIRMATION_STATUS_ADDED
    amendment = lc.AmendmentRecord(
        lc_id=stub.lc_id,
        seq=request.seq,
        salt=credit.salt_for(key),
        changes=request.changes,
        status=lc.AMENDMENT_STATUS_PROPOSED,
        proposed_on=from_date(issuer_days.local_date(tx.timestamp)),
        charges_payable_by=request.charges_payable_by,
        deemed_acceptance_clause=request.deemed_acceptance_clause,
        confirmation=(lc.AMENDMENT_CONFIRMATION_UNSPECIFIED if confirmed else lc.AMENDMENT_CONFIRMATION_NOT_APPLICABLE),
        narrative=request.narrative,
    )
    updated = advance(stub, tx, lc.LC_EVENT_TYPE_AMENDMENT_PROPOSED)
    updated.last_amendment_seq = request.seq
    updated.pending_amendment_seqs.append(request.seq)
    return Transition(
        response=api.AmendmentResponse(credit=updated, amendment=amendment),
        writes=(Write(credit_key(stub.lc_id), updated), credit.private(key, amendment)),
        event=_event(tx, lc.LC_EVENT_TYPE_AMENDMENT_PROPOSED, None, amendment),
    )


def _amendment_step(
    tx: Transaction,
    credit: CreditFile,
    before: lc.AmendmentRecord,
    after: lc.AmendmentRecord,
    stub: lc.CreditStub,
    event_type: lc.LcEventType.ValueType,
    *,
    extra_writes: tuple[Write, ...] = (),
    reason_code: str = "",
    event: lc.LetterOfCreditEvent | None = None,
) -> Transition[api.AmendmentResponse]:
    return Transition(
        response=api.AmendmentResponse(credit=stub, amendment=after),
        writes=(
            Write(credit_key(stub.lc_id), stub),
            credit.private(amendment_key(stub.lc_id, after.seq), after),
            *extra_writes,
        ),
        event=event or _event(tx, event_type, before, after, reason_code=reason_code),
    )


def advise_amendment(
    tx: Transaction,
    credit: CreditFile,
    amendment: lc.AmendmentRecord,
    seq: int,
    calendars: CalendarBook,
) -> Transition[api.AmendmentResponse]:
    """The advising bank advises the amendment to the beneficiary."""
    stub = credit.stub
    _check_seq(stub, amendment, seq)
    require_bank(tx.caller, stub.advising_bank, (Role.ADVISOR,), "advising an amendment")
    if amendment.status != lc.AMENDMENT_STATUS_PROPOSED:
        raise invalid_state(f"amendment {seq} is {status_name(amendment.status)}, not PROPOSED")
    advised = copy(amendment)
    advised.status = lc.AMENDMENT_STATUS_ADVISED
    advised.advised_on.CopyFrom(from_date(calendars.of(stub.advising_bank).local_date(tx.timestamp)))
    updated = advance(stub, tx, lc.LC_EVENT_TYPE_AMENDMENT_ADVISED)
    return _amendment_step(tx, credit, amendment, advised, updated, lc.LC_EVENT_TYPE_AMENDMENT_ADVISED)


def decide_amendment_confirmation(
    tx: Transaction,
    credit: CreditFile,
    amendment: lc.AmendmentRecord,
    request: api.DecideAmendmentConfirmationRequest,
) -> Transition[api.AmendmentResponse]:
    """The confirming bank extends its confirmation to the amendment or not (art. 10b); an
    amendment it does not extend to is flagged on the stub (INV-LC-13)."""
    stub = credit.stub
    _check_seq(stub, amendment, request.seq)
    if stub.confirmation != lc.CONFIRMATION_STATUS_ADDED:
        raise invalid_state(f"credit {stub.lc_id} is not confirmed")
    require_bank(tx.caller, stub.confirming_bank, (Role.ISSUER, Role.APPROVER), "deciding on an amendment")
    if amendment.status not in (lc.AMENDMENT_STATUS_PROPOSED, lc.AMENDMENT_STATUS_ADVISED):
        raise invalid_state(f"amendment {request.seq} is {status_name(amendment.status)}")
    # NOT_APPLICABLE: proposed before the confirmation was added, so not covered by it either
    if amendment.confirmation not in (lc.AMENDMENT_CONFIRMATION_UNSPECIFIED, lc.AMENDMENT_CONFIRMATION_NOT_APPLICABLE):
        raise invalid_state(f"the confirming bank already decided on amendment {request.seq}")
    decided = copy(amendment)
    decided.confirmation = (
        lc.AMENDMENT_CONFIRMATION_EXTENDED if request.extend else lc.AMENDMENT_CONFIRMATION_NOT_EXTENDED
    )
    updated = advance(stub, tx, lc.LC_EVENT_TYPE_AMENDMENT_CONFIRMATION_DECIDED)
    if not request.extend:
        updated.unconfirmed_amendment_seqs.append(request.seq)
    reason = lc.AmendmentConfirmation.Name(decided.confirmation).removeprefix("AMENDMENT_CONFIRMATION_")
    return _amendment_step(
        tx, credit, amendment, decided, updated, lc.LC_EVENT_TYPE_AMENDMENT_CONFIRMATION_DECIDED, reason_code=reason
    )


def _require_beneficiary_decision(
    tx: Transaction, credit: CreditFile, amendment: lc.AmendmentRecord, seq: int, action: str
) -> None:
    stub = credit.stub
    _check_seq(stub, amendment, seq)
    require_bank(tx.caller, stub.advising_bank, (Role.CLIENT_BENEFICIARY, Role.ADVISOR), action)
    if amendment.status != lc.AMENDMENT_STATUS_ADVISED:
        raise invalid_state(
            f"amendment {seq} is {status_name(amendment.status)}; the beneficiary decides on advised amendments"
        )
    if stub.pending_amendment_seqs and min(stub.pending_amendment_seqs) != seq:
        raise invalid_state(f"amendment {min(stub.pending_amendment_seqs)} must be decided before amendment {seq}")


def _decided(stub: lc.CreditStub, tx: Transaction, seq: int, event_type: lc.LcEventType.ValueType) -> lc.CreditStub:
    updated = advance(stub, tx, event_type)
    remaining = [pending for pending in stub.pending_amendment_seqs if pending != seq]
    del updated.pending_amendment_seqs[:]
    updated.pending_amendment_seqs.extend(remaining)
    return updated


@dataclass(frozen=True)
class AcceptedAmendment:
    """The records an accepted amendment rewrites."""

    stub: lc.CreditStub
    amendment: lc.AmendmentRecord
    writes: tuple[Write, ...]
    event: lc.LetterOfCreditEvent
    #: The terms the confirming bank is bound by after the acceptance (``None``: no confirmation).
    confirmed: lc.CreditTermsRecord | None = None


def _confirmed_after(
    credit: CreditFile, amendment: lc.AmendmentRecord, amended: lc.CreditTermsRecord
) -> tuple[lc.CreditTermsRecord, bool]:
    """The terms the confirming bank is bound by once the beneficiary accepted ``amendment`` (the
    credit's terms then being ``amended``), and whether that record is to be written.

    Art. 10b: the confirming bank is bound by an amendment only when it advised it with its
    confirmation extended. One it did not extend to (declined, or not decided when the beneficiary
    accepted) leaves it on the terms it confirmed, which are kept from then on in their own record
    (INV-LC-13); an amendment it extended to applies to those terms too."""
    if amendment.confirmation == lc.AMENDMENT_CONFIRMATION_EXTENDED:
        if credit.confirmed is None:
            return amended, False  # bound as the issuing bank is: its terms are the credit's
        applying = f"amendment {amendment.seq}, which the confirming bank extended its confirmation to, does not apply"
        return _amended_record(credit.confirmed, amendment, f"{applying} to the terms it confirmed"), True
    if credit.confirmed is not None:
        return credit.confirmed, False
    kept = copy(credit.terms)
    kept.salt = credit.salt_for(confirmed_terms_key(credit.lc_id))
    return kept, True


def _amended_record(
    record: lc.CreditTermsRecord, amendment: lc.AmendmentRecord, refusal: str
) -> lc.CreditTermsRecord:
    """``record`` with the amendment's changes applied and its number; changes that no longer apply
    (ERR_INVALID_INPUT from the terms' rules) are refused as ``refusal: why``, ERR_INVALID_STATE."""
    amended = copy(record)
    try:
        amended.terms.CopyFrom(amended_terms(record.terms, amendment.changes))
    except LcRuleError as error:
        if error.code != ErrorCode.Value("ERR_INVALID_INPUT"):
            raise
        raise invalid_state(f"{refusal}: {error.text}") from None
    amended.amendment_seq = amendment.seq
    return amended


def apply_accepted(
    tx: Transaction,
    credit: CreditFile,
    amendment: lc.AmendmentRecord,
    decided_on: datetime.date,
    *,
    by_presentation: str = "",
) -> AcceptedAmendment:
    """Bind the beneficiary to the amendment: new terms, new ceiling, or cancellation of the credit."""
    stub = credit.stub
    accepted = copy(amendment)
    accepted.status = lc.AMENDMENT_STATUS_ACCEPTED
    accepted.decided_on.CopyFrom(from_date(decided_on))
    accepted.accepted_by_presentation_id = by_presentation
    if amendment.changes.cancel:
        if stub.confirmation == lc.CONFIRMATION_STATUS_ADDED and (
            amendment.confirmation != lc.AMENDMENT_CONFIRMATION_EXTENDED
        ):
            raise invalid_state("cancelling a confirmed credit needs the confirming bank's agreement (art. 10a)")
        updated = _decided(stub, tx, amendment.seq, lc.LC_EVENT_TYPE_CANCELLED)
        updated.accepted_amendment_seq = amendment.seq
        updated.state = lc.CREDIT_STATE_CANCELLED
        event = credit_event(
            tx,
            lc.LC_EVENT_TYPE_CANCELLED,
            stub,
            updated,
            reason_code=f"AMENDMENT_{amendment.seq}",
            payload_hash=record_hash(accepted),
        )
        return AcceptedAmendment(updated, accepted, (), event)

    # The changes applied when proposed; an amendment accepted since (proposed while this one was
    # pending) changed the terms under them. Nothing in the accepting request can mend that.
    terms_record = _amended_record(
        credit.terms, amendment, f"amendment {amendment.seq} no longer applies to the credit's terms as amended since"
    )
    position = copy(credit.position)
    position.max_amount = max_amount(terms_record.terms)
    if position.drawn + position.reserved > position.max_amount:
        raise invalid_state("the amendment would lower the credit below what is drawn and reserved (INV-LC-04)")
    if position.transferred > terms_record.terms.amount.minor_units:
        raise invalid_state("the amendment would lower the credit below what is transferred (INV-LC-12)")
    updated = _decided(stub, tx, amendment.seq, lc.LC_EVENT_TYPE_AMENDMENT_ACCEPTED)
    updated.accepted_amendment_seq = amendment.seq
    updated.expiry_date.CopyFrom(terms_record.terms.expiry_date)
    updated.terms_hash = terms_hash(terms_record.terms, terms_record.salt)
    writes = [
        credit.private(terms_key(stub.lc_id), terms_record),
        # the terms replaced, for presentations made under them
        credit.private(terms_version_key(stub.lc_id, credit.terms.amendment_seq), credit.terms),
        credit.private(position_key(stub.lc_id), position),
    ]
    confirmed = None
    if stub.confirmation == lc.CONFIRMATION_STATUS_ADDED:
        confirmed, changed = _confirmed_after(credit, amendment, terms_record)
        if changed:
            writes.append(credit.private(confirmed_terms_key(stub.lc_id), confirmed))
        extended = amendment.confirmation == lc.AMENDMENT_CONFIRMATION_EXTENDED
        if not extended and amendment.seq not in updated.unconfirmed_amendment_seqs:
            updated.unconfirmed_amendment_seqs.append(amendment.seq)  # accepted before the confirmer decided
    event = _event(tx, lc.LC_EVENT_TYPE_AMENDMENT_ACCEPTED, amendment, accepted)
    return AcceptedAmendment(updated, accepted, tuple(writes), event, confirmed)


def accept_amendment(
    tx: Transaction,
    credit: CreditFile,
    amendment: lc.AmendmentRecord,
    request: api.AcceptAmendmentRequest,
    calendars: CalendarBook,
) -> Transition[api.AmendmentResponse]:
    """The beneficiary accepts the whole amendment; excluding any change makes it a rejection (10e)."""
    stub = credit.stub
    _require_beneficiary_decision(tx, credit, amendment, request.seq, "accepting an amendment")
    require_active(stub, "amendment")
    decided_on = require_not_expired(
        to_date(stub.expiry_date, "expiry_date"), calendars.of(stub.advising_bank), tx, "the acceptance"
    )
    check_excluded_changes(request.excluded_changes)
    changes = changed_fields(amendment.changes)
    for index, name in enumerate(request.excluded_changes):
        if name not in changes:
            raise invalid_input(f"excluded_changes[{index}]", f"{name!r} is not a change of amendment {request.seq}")
    if request.excluded_changes:
        rejected = copy(amendment)
        rejected.status = lc.AMENDMENT_STATUS_REJECTED
        rejected.decided_on.CopyFrom(from_date(decided_on))
        rejected.excluded_changes.extend(request.excluded_changes)
        rejected.rejection_reason = "partial acceptance is a rejection (UCP 600 art. 10e)"
        updated = _decided(stub, tx, request.seq, lc.LC_EVENT_TYPE_AMENDMENT_REJECTED)
        return _amendment_step(
            tx,
            credit,
            amendment,
            rejected,
            updated,
            lc.LC_EVENT_TYPE_AMENDMENT_REJECTED,
            reason_code=PARTIAL_ACCEPTANCE,
        )
    accepted = apply_accepted(tx, credit, amendment, decided_on)
    return _amendment_step(
        tx,
        credit,
        amendment,
        accepted.amendment,
        accepted.stub,
        accepted.stub.last_event,
        extra_writes=accepted.writes,
        event=accepted.event,
    )


def reject_amendment(
    tx: Transaction,
    credit: CreditFile,
    amendment: lc.AmendmentRecord,
    request: api.RejectAmendmentRequest,
    calendars: CalendarBook,
) -> Transition[api.AmendmentResponse]:
    """The beneficiary rejects the amendment; the credit stays on its accepted terms."""
    _require_beneficiary_decision(tx, credit, amendment, request.seq, "rejecting an amendment")
    check_text(request.reason, "reason", lines=10, width=65)
    rejected = copy(amendment)
    rejected.status = lc.AMENDMENT_STATUS_REJECTED
    rejected.decided_on.CopyFrom(from_date(calendars.of(credit.stub.advising_bank).local_date(tx.timestamp)))
    rejected.rejection_reason = request.reason
    updated = _decided(credit.stub, tx, request.seq, lc.LC_EVENT_TYPE_AMENDMENT_REJECTED)
    return _amendment_step(tx, credit, amendment, rejected, updated, lc.LC_EVENT_TYPE_AMENDMENT_REJECTED)
