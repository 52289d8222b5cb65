"""Credit-level transitions: apply, issue, advise, add/decline confirmation, expire, close.

Every function is pure: it takes the current records, the request and the transaction and returns a
:class:`~.ledger.Transition` or raises :class:`~.errors.LcRuleError`. A transition always rewrites the
credit's public stub with version + 1, so the stub's history lists every transition (INV-LC-14).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, TypeVar

from google.protobuf.message import Message

from tradefin.protos import common_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .access import Role, Transaction, require_bank
from .banking_days import BankingDays, CalendarBook
from .errors import duplicate, expired, invalid_input, invalid_state
from .events import transition_event
from .ledger import Transition, Write
from .records import (
    SALT_BYTES,
    RecordKey,
    credit_collection_name,
    credit_key,
    derived_salt,
    lc_id_of,
    position_key,
    terms_hash,
    terms_key,
)
from .terms import max_amount, validate_terms
from .validation import has_field, to_date

MessageT = TypeVar("MessageT", bound=Message)

#: States in which a credit can be presented under, amended or transferred (INV-LC-08).
ACTIVE_STATES: Final = frozenset({lc.CREDIT_STATE_ISSUED, lc.CREDIT_STATE_ADVISED})


def copy(message: MessageT) -> MessageT:
    """A deep copy of a message (records are never changed in place)."""
    duplicate_message = type(message)()
    duplicate_message.CopyFrom(message)
    return duplicate_message


def credit_state_name(state: lc.CreditState.ValueType) -> str:
    """``ISSUED`` for CREDIT_STATE_ISSUED."""
    return lc.CreditState.Name(state).removeprefix("CREDIT_STATE_")


@dataclass(frozen=True)
class CreditFile:
    """A credit's public stub and its private records, as read at the start of a transaction."""

    stub: lc.CreditStub
    terms: lc.CreditTermsRecord
    position: lc.CreditPosition
    #: The terms the confirming bank is bound by when they differ from ``terms`` (an amendment it did
    #: not extend its confirmation to was accepted, art. 10b); read only for such a credit.
    confirmed: lc.CreditTermsRecord | None = None

    @property
    def lc_id(self) -> str:
        """The credit's id."""
        return self.stub.lc_id

    @property
    def confirmed_terms(self) -> lc.CreditTermsRecord:
        """The terms the confirming bank's undertaking covers (INV-LC-13): the terms it confirmed plus
        the accepted amendments it extended its confirmation to -- the credit's own terms as long as
        it extended its confirmation to every accepted amendment."""
        return self.confirmed if self.confirmed is not None else self.terms

    @property
    def currency(self) -> str:
        """The credit's currency."""
        return self.terms.terms.amount.currency

    def salt_for(self, key: RecordKey) -> bytes:
        """The salt of one of the credit's private records (derived from the credit's secret)."""
        return derived_salt(self.terms.salt, key)

    def private(self, key: RecordKey, record: Message) -> Write:
        """A write of one of the credit's private records to its collection."""
        return Write(key, record, self.stub.collection)


def advance(stub: lc.CreditStub, tx: Transaction, event_type: lc.LcEventType.ValueType) -> lc.CreditStub:
    """A copy of the stub with version + 1, the transaction id and the event recorded."""
    advanced = copy(stub)
    advanced.version += 1
    advanced.updated_tx_id = tx.tx_id
    advanced.last_event = event_type
    return advanced


#: The bank parties of a credit, whose set shares the credit's private data collection.
CREDIT_BANK_FIELDS: Final = (
    "issuing_bank",
    "advising_bank",
    "second_advising_bank",
    "confirming_bank",
    "nominated_bank",
)
#: The most banks a credit's collection has (the network defines no collection of more).
MAX_CREDIT_BANKS: Final = len(CREDIT_BANK_FIELDS)


def stub_banks(stub: lc.CreditStub) -> list[common_pb2.BankRef]:
    """Every bank field the stub holds (issuing, advising, second advising, confirming, nominated),
    two of one MSP id included."""
    return [getattr(stub, name) for name in CREDIT_BANK_FIELDS if has_field(stub, name)]


def credit_banks(stub: lc.CreditStub) -> list[common_pb2.BankRef]:
    """Every bank party to the credit (issuing, advising, second advising, confirming, nominated), one
    per MSP id."""
    return _unique(stub_banks(stub))


def terms_banks(terms: lc.LetterOfCreditTerms) -> list[tuple[str, common_pb2.BankRef]]:
    """Every bank the terms name, with its field: those the credit's stub takes from them."""
    named = [("terms.issuing_bank", terms.issuing_bank), ("terms.advising_bank", terms.advising_bank)]
    for name in ("second_advising_bank", "requested_confirmer"):
        if terms.HasField(name):
            named.append((f"terms.{name}", getattr(terms, name)))
    if terms.available_with.HasField("nominated_bank"):
        named.append(("terms.available_with.nominated_bank", terms.available_with.nominated_bank))
    return named


def available_banks(stub: lc.CreditStub, terms: lc.LetterOfCreditTerms) -> list[common_pb2.BankRef]:
    """Banks the credit is available with, whatever any confirmation: the issuing bank and the
    nominated bank (the advising bank for "any bank" credits) (art. 6a, 6d)."""
    banks = [stub.issuing_bank]
    if stub.HasField("nominated_bank"):
        banks.append(stub.nominated_bank)
    if terms.available_with.WhichOneof("bank") == "any_bank":
        banks.append(stub.advising_bank)
    return _unique(banks)


def presentation_banks(stub: lc.CreditStub, terms: lc.LetterOfCreditTerms) -> list[common_pb2.BankRef]:
    """Banks a presentation may be made to: the issuing bank, the nominated bank (the advising bank
    for "any bank" credits) and the confirming bank once it confirmed (art. 6a, 6d, 8a)."""
    banks = available_banks(stub, terms)
    if stub.confirmation == lc.CONFIRMATION_STATUS_ADDED:
        banks.append(stub.confirming_bank)
    return _unique(banks)


def is_confirming_bank(stub: lc.CreditStub, msp_id: str) -> bool:
    """Whether ``msp_id`` is the bank that added its confirmation to the credit."""
    return stub.confirmation == lc.CONFIRMATION_STATUS_ADDED and stub.confirming_bank.msp_id == msp_id


def _unique(banks: Iterable[common_pb2.BankRef]) -> list[common_pb2.BankRef]:
    seen: set[str] = set()
    unique = []
    for bank in banks:
        if bank.msp_id not in seen:
            seen.add(bank.msp_id)
            unique.append(bank)
    return unique


def require_active(stub: lc.CreditStub, action: str) -> None:
    """INV-LC-08: only an issued or advised credit takes presentations, amendments and transfers."""
    if stub.state in ACTIVE_STATES:
        return
    if stub.state == lc.CREDIT_STATE_EXPIRED:
        raise expired(f"credit {stub.lc_id} has expired: no {action}")
    raise invalid_state(f"credit {stub.lc_id} is {credit_state_name(stub.state)}: no {action}")


def require_not_expired(
    expiry: datetime.date, days: BankingDays, tx: Transaction, action: str, *, what: str = "the credit"
) -> datetime.date:
    """The act counts on a banking day no later than the (art. 29-extended) expiry; returns that day."""
    day = days.counting_day(tx.timestamp)
    last_day = days.last_day(expiry)
    if day > last_day:
        raise expired(
            f"{what} expired on {expiry.isoformat()} (last banking day at {days.place}: "
            f"{last_day.isoformat()}); {action} counted on {day.isoformat()} is too late"
        )
    return day


def credit_event(
    tx: Transaction,
    event_type: lc.LcEventType.ValueType,
    before: lc.CreditStub,
    after: lc.CreditStub,
    *,
    payload_hash: str = "",
    reason_code: str = "",
) -> lc.LetterOfCreditEvent:
    """The event of a credit-level transition from ``before`` to ``after``."""
    return transition_event(
        tx,
        event_type,
        lc_id=after.lc_id,
        object_type="credit",
        object_id=after.lc_id,
        from_state=credit_state_name(before.state) if before.state else "",
        to_state=credit_state_name(after.state),
        payload_hash=payload_hash,
        reason_code=reason_code,
    )


def _stub_only(
    tx: Transaction,
    stub: lc.CreditStub,
    event_type: lc.LcEventType.ValueType,
    updated: lc.CreditStub,
    *,
    endorsers: tuple[str, ...] = (),
) -> Transition[api.CreditResponse]:
    return Transition(
        response=api.CreditResponse(credit=updated),
        writes=(Write(credit_key(updated.lc_id), updated, endorsers=endorsers),),
        event=credit_event(tx, event_type, stub, updated),
    )


# ------------------------------------------------------------------------------------------------


def apply_for_credit(
    tx: Transaction,
    request: api.ApplyRequest,
    existing: lc.CreditStub | None,
    calendars: CalendarBook,
) -> Transition[api.CreditResponse]:
    """The applicant, through the issuing bank, files an application (DRAFT_APPLICATION)."""
    terms = request.terms
    if not request.HasField("terms"):
        raise invalid_input("terms", "is required")
    validate_terms(terms)
    require_bank(tx.caller, terms.issuing_bank, (Role.CLIENT_APPLICANT, Role.ISSUER), "applying for a credit")
    if terms.HasField("issue_date"):
        raise invalid_input("terms.issue_date", "31C is set by the issuing bank when it issues the credit")
    if len(request.salt) != SALT_BYTES:
        raise invalid_input("salt", f"must be {SALT_BYTES} random bytes")
    today = calendars.of(terms.issuing_bank).local_date(tx.timestamp)
    if to_date(terms.expiry_date, "terms.expiry_date") < today:
        raise invalid_input("terms.expiry_date", f"is before today ({today.isoformat()})")
    lc_id = lc_id_of(terms.issuing_bank.bic, terms.lc_number)
    if existing is not None:
        raise duplicate("terms.lc_number", f"credit {lc_id} already exists: numbers are unique per issuing bank")

    stub = lc.CreditStub(
        lc_id=lc_id,
        lc_number=terms.lc_number,
        issuing_bank=terms.issuing_bank,
        advising_bank=terms.advising_bank,
        state=lc.CREDIT_STATE_DRAFT_APPLICATION,
        confirmation=lc.CONFIRMATION_STATUS_NONE,
        transferable=terms.form == lc.CREDIT_FORM_IRREVOCABLE_TRANSFERABLE,
        expiry_date=terms.expiry_date,
        terms_hash=terms_hash(terms, request.salt),
        endorsing_msp_ids=sorted({terms.issuing_bank.msp_id, terms.advising_bank.msp_id}),
        version=1,
        created_tx_id=tx.tx_id,
        updated_tx_id=tx.tx_id,
        last_event=lc.LC_EVENT_TYPE_APPLIED,
    )
    if terms.HasField("second_advising_bank"):
        stub.second_advising_bank.CopyFrom(terms.second_advising_bank)
    if terms.HasField("requested_confirmer"):
        stub.confirming_bank.CopyFrom(terms.requested_confirmer)
    nominated = terms.available_with.nominated_bank
    if terms.available_with.HasField("nominated_bank") and nominated.msp_id != terms.issuing_bank.msp_id:
        stub.nominated_bank.CopyFrom(nominated)
    stub.collection = credit_collection_name(bank.msp_id for bank in credit_banks(stub))

    terms_record = lc.CreditTermsRecord(terms=terms, salt=request.salt, amendment_seq=0)
    position = lc.CreditPosition(
        salt=derived_salt(request.salt, position_key(lc_id)),
        currency=terms.amount.currency,
        max_amount=max_amount(terms),
        instalment_utilised=[0] * len(terms.instalments),
    )
    return Transition(
        response=api.CreditResponse(credit=stub),
        writes=(
            Write(credit_key(lc_id), stub, endorsers=tuple(stub.endorsing_msp_ids)),
            Write(terms_key(lc_id), terms_record, stub.collection),
            Write(position_key(lc_id), position, stub.collection),
        ),
        event=credit_event(tx, lc.LC_EVENT_TYPE_APPLIED, lc.CreditStub(), stub, payload_hash=stub.terms_hash),
    )


def issue_credit(tx: Transaction, credit: CreditFile, calendars: CalendarBook) -> Transition[api.CreditResponse]:
    """The issuing bank issues the credit; 31C is its business date (INV-LC-01)."""
    stub = credit.stub
    require_bank(tx.caller, stub.issuing_bank, (Role.ISSUER,), "issuing a credit")
    if stub.state != lc.CREDIT_STATE_DRAFT_APPLICATION:
        raise invalid_state(f"credit {stub.lc_id} is {credit_state_name(stub.state)}, not an application")
    issue_date = calendars.of(stub.issuing_bank).local_date(tx.timestamp)
    terms_record = copy(credit.terms)
    terms = terms_record.terms
    if issue_date > to_date(terms.expiry_date, "terms.expiry_date"):
        raise expired(f"the expiry date {to_date(terms.expiry_date, 'expiry_date')} has passed")
    terms.issue_date.CopyFrom(common_pb2.Date(year=issue_date.year, month=issue_date.month, day=issue_date.day))
    validate_terms(terms)

    issued = advance(stub, tx, lc.LC_EVENT_TYPE_ISSUED)
    issued.state = lc.CREDIT_STATE_ISSUED
    issued.issue_date.CopyFrom(terms.issue_date)
    issued.terms_hash = terms_hash(terms, terms_record.salt)
    wants_confirmation = terms.confirmation_instruction != lc.CONFIRMATION_INSTRUCTION_WITHOUT
    issued.confirmation = lc.CONFIRMATION_STATUS_REQUESTED if wants_confirmation else lc.CONFIRMATION_STATUS_NONE
    return Transition(
        response=api.CreditResponse(credit=issued),
        writes=(
            Write(credit_key(stub.lc_id), issued),
            Write(terms_key(stub.lc_id), terms_record, stub.collection),
        ),
        event=credit_event(tx, lc.LC_EVENT_TYPE_ISSUED, stub, issued, payload_hash=issued.terms_hash),
    )


def advise_credit(tx: Transaction, stub: lc.CreditStub, calendars: CalendarBook) -> Transition[api.CreditResponse]:
    """The advising bank advises the issued credit to the beneficiary."""
    require_bank(tx.caller, stub.advising_bank, (Role.ADVISOR,), "advising a credit")
    if stub.state != lc.CREDIT_STATE_ISSUED:
        raise invalid_state(f"credit {stub.lc_id} is {credit_state_name(stub.state)}; only an issued credit is advised")
    require_not_expired(to_date(stub.expiry_date, "expiry_date"), calendars.of(stub.advising_bank), tx, "advice")
    advised = advance(stub, tx, lc.LC_EVENT_TYPE_ADVISED)
    advised.state = lc.CREDIT_STATE_ADVISED
    return _stub_only(tx, stub, lc.LC_EVENT_TYPE_ADVISED, advised)


def _require_requested_confirmer(tx: Transaction, stub: lc.CreditStub, action: str) -> None:
    if not stub.HasField("confirming_bank"):
        raise invalid_state(f"credit {stub.lc_id} names no requested confirmer (58a)")
    require_bank(tx.caller, stub.confirming_bank, (Role.ISSUER, Role.APPROVER), action)
    if stub.confirmation != lc.CONFIRMATION_STATUS_REQUESTED:
        status = lc.ConfirmationStatus.Name(stub.confirmation).removeprefix("CONFIRMATION_STATUS_")
        raise invalid_state(f"confirmation of {stub.lc_id} is {status}, not REQUESTED")
    require_active(stub, action)


def add_confirmation(tx: Transaction, stub: lc.CreditStub, calendars: CalendarBook) -> Transition[api.CreditResponse]:
    """The requested confirmer adds its undertaking (art. 8); from now on it must endorse too."""
    _require_requested_confirmer(tx, stub, "adding a confirmation")
    confirmer_days = calendars.of(stub.confirming_bank)
    require_not_expired(to_date(stub.expiry_date, "expiry_date"), confirmer_days, tx, "confirmation")
    confirmed = advance(stub, tx, lc.LC_EVENT_TYPE_CONFIRMATION_ADDED)
    confirmed.confirmation = lc.CONFIRMATION_STATUS_ADDED
    endorsers = sorted({*stub.endorsing_msp_ids, stub.confirming_bank.msp_id})
    del confirmed.endorsing_msp_ids[:]
    confirmed.endorsing_msp_ids.extend(endorsers)
    return _stub_only(tx, stub, lc.LC_EVENT_TYPE_CONFIRMATION_ADDED, confirmed, endorsers=tuple(endorsers))


def decline_confirmation(tx: Transaction, stub: lc.CreditStub) -> Transition[api.CreditResponse]:
    """The requested confirmer declines to confirm; the credit stays unconfirmed."""
    _require_requested_confirmer(tx, stub, "declining a confirmation")
    declined = advance(stub, tx, lc.LC_EVENT_TYPE_CONFIRMATION_DECLINED)
    declined.confirmation = lc.CONFIRMATION_STATUS_DECLINED
    return _stub_only(tx, stub, lc.LC_EVENT_TYPE_CONFIRMATION_DECLINED, declined)


def expire_credit(tx: Transaction, stub: lc.CreditStub, calendars: CalendarBook) -> Transition[api.CreditResponse]:
    """Any bank of the credit records its expiry once the business date is past the art. 29-extended
    expiry at the place of every bank of the credit (the places a presentation could still be made).
    Presentations already received carry on (INV-LC-05). Reads only public records."""
    banks = credit_banks(stub)
    require_bank(tx.caller, banks, (), "recording the expiry of a credit")
    if stub.state not in ACTIVE_STATES:
        raise invalid_state(f"credit {stub.lc_id} is {credit_state_name(stub.state)}; it cannot expire")
    expiry = to_date(stub.expiry_date, "expiry_date")
    for days in (calendars.of(bank) for bank in banks):
        day, last_day = days.counting_day(tx.timestamp), days.last_day(expiry)
        if day <= last_day:
            raise invalid_state(
                f"credit {stub.lc_id} can still be presented at {days.place} until {last_day.isoformat()}"
            )
    lapsed = advance(stub, tx, lc.LC_EVENT_TYPE_EXPIRED)
    lapsed.state = lc.CREDIT_STATE_EXPIRED
    return _stub_only(tx, stub, lc.LC_EVENT_TYPE_EXPIRED, lapsed)


def close_credit(tx: Transaction, credit: CreditFile) -> Transition[api.CreditResponse]:
    """The issuing bank closes an expired, utilised or cancelled credit with nothing outstanding."""
    stub, position = credit.stub, credit.position
    require_bank(tx.caller, stub.issuing_bank, (Role.ISSUER,), "closing a credit")
    closable = (lc.CREDIT_STATE_EXPIRED, lc.CREDIT_STATE_FULLY_UTILISED, lc.CREDIT_STATE_CANCELLED)
    if stub.state not in closable:
        raise invalid_state(f"credit {stub.lc_id} is {credit_state_name(stub.state)}; it cannot be closed yet")
    if stub.open_presentations:
        raise invalid_state(f"credit {stub.lc_id} has {stub.open_presentations} presentation(s) not yet settled")
    if position.reimbursed != position.reimbursable:
        raise invalid_state(f"credit {stub.lc_id} has reimbursements outstanding")
    closed = advance(stub, tx, lc.LC_EVENT_TYPE_CLOSED)
    closed.state = lc.CREDIT_STATE_CLOSED
    return _stub_only(tx, stub, lc.LC_EVENT_TYPE_CLOSED, closed)


def held_for_transfers(position: lc.CreditPosition) -> int:
    """What is transferred to second beneficiaries and not yet claimed or drawn under the transfers:
    kept for them, out of the first beneficiary's reach (art. 38, INV-LC-12)."""
    return max(position.transferred - position.transfer_utilised, 0)
