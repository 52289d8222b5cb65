"""Transfer of a transferable credit to a second beneficiary (art. 38; INV-LC-12).

Only a credit issued IRREVOCABLE TRANSFERABLE is transferred, by a transferring bank (the nominated
bank, the advising bank of an "any bank" credit, or the issuing bank) that consents by submitting the
transfer, at the first beneficiary's request. Transfers always come from the first beneficiary, so a
second beneficiary cannot transfer onward. Several partial transfers need partial drawings allowed; the
sum transferred never exceeds the credit amount; reduced terms never exceed the credit's. The second
beneficiary's bank must be a bank of the credit, as it must read the credit's private records.
"""

from __future__ import annotations

import datetime

from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .access import Role, Transaction, require_bank
from .banking_days import BankingDays, CalendarBook
from .credit import (
    CreditFile,
    advance,
    copy,
    credit_banks,
    held_for_transfers,
    require_active,
    require_not_expired,
)
from .errors import duplicate, insufficient_funds, invalid_input, invalid_state
from .events import transition_event
from .ledger import Transition, Write
from .records import credit_key, position_key, record_hash, transfer_key
from .terms import partial_drawings_allowed, presentation_days
from .validation import check_bank, check_money, check_party, check_same_currency, from_date, to_date

MAX_INSURANCE_COVER_PCT = 999


def check_reduction(request: api.TransferRequest) -> None:
    """What a transfer's reduced terms must be whatever the credit (the client checks it early): a
    valid unit price, an insurance cover of at most MAX_INSURANCE_COVER_PCT percent."""
    if request.HasField("unit_price"):
        check_money(request.unit_price, "unit_price")
    if request.insurance_cover_pct > MAX_INSURANCE_COVER_PCT:
        raise invalid_input("insurance_cover_pct", f"at most {MAX_INSURANCE_COVER_PCT} percent")


def _check_reduced_terms(
    credit: CreditFile, request: api.TransferRequest, days: BankingDays, transferred_on: datetime.date
) -> None:
    check_reduction(request)
    terms = credit.terms.terms
    expiry = to_date(terms.expiry_date, "terms.expiry_date")
    if request.HasField("expiry_date"):
        reduced = to_date(request.expiry_date, "expiry_date")
        if reduced > expiry:
            raise invalid_input("expiry_date", "a transferred credit's expiry can only be earlier than the credit's")
        # Held to the transferred expiry extended by art. 29a, as the credit's own expiry is (a transfer on a
        # closed day counts on the next banking day): one whose extension ends before the transfer would hold
        # its amount for a second beneficiary who can never present.
        if reduced < transferred_on and days.last_day(reduced) < transferred_on:
            raise invalid_input("expiry_date", f"is before the date of transfer ({transferred_on.isoformat()})")
    if request.HasField("latest_shipment_date"):
        latest = to_date(request.latest_shipment_date, "latest_shipment_date")
        limit = (
            to_date(terms.latest_shipment_date, "terms.latest_shipment_date")
            if terms.HasField("latest_shipment_date")
            else expiry
        )
        if latest > limit:
            raise invalid_input("latest_shipment_date", "can only be curtailed, not extended")
    if request.presentation_period_days > presentation_days(terms):
        raise invalid_input("presentation_period_days", "the presentation period can only be shortened")
    if request.HasField("unit_price"):
        if not terms.goods.HasField("unit_price"):
            raise invalid_input("unit_price", "the credit states no unit price to reduce")
        check_same_currency(request.unit_price, terms.amount.currency, "unit_price")
        if request.unit_price.minor_units > terms.goods.unit_price.minor_units:
            raise invalid_input("unit_price", "the unit price can only be reduced")


def transfer_credit(
    tx: Transaction,
    credit: CreditFile,
    request: api.TransferRequest,
    existing: lc.TransferRecord | None,
    calendars: CalendarBook,
) -> Transition[api.TransferResponse]:
    """Record a transfer of (part of) the credit to a second beneficiary."""
    stub, terms, position = credit.stub, credit.terms.terms, credit.position
    allowed = [stub.issuing_bank]
    if stub.HasField("nominated_bank"):
        allowed.append(stub.nominated_bank)
    if terms.available_with.WhichOneof("bank") == "any_bank":
        allowed.append(stub.advising_bank)
    bank = require_bank(tx.caller, allowed, (Role.ADVISOR, Role.ISSUER), "transferring a credit")
    if not stub.transferable:
        raise invalid_state(f"credit {stub.lc_id} is not transferable (40A)")
    require_active(stub, "transfer")
    days = calendars.of(bank)
    transferred_on = require_not_expired(to_date(stub.expiry_date, "expiry_date"), days, tx, "the transfer")
    if existing is not None:
        raise duplicate("transfer_id", "already used for a transfer of this credit")
    if position.transferred and not partial_drawings_allowed(terms):
        raise invalid_state("partial drawings are prohibited: the credit can be transferred to one second beneficiary")
    check_party(request.second_beneficiary, "second_beneficiary", kyc_required=True)
    check_bank(request.second_beneficiary_bank, "second_beneficiary_bank")
    if request.second_beneficiary_bank.msp_id not in {member.msp_id for member in credit_banks(stub)}:
        raise invalid_input("second_beneficiary_bank", "must be a bank of the credit (it reads the private records)")
    check_same_currency(request.amount, credit.currency, "amount")
    if position.transferred + request.amount.minor_units > terms.amount.minor_units:
        raise insufficient_funds("amount", "the sum transferred would exceed the credit amount")
    untouched = position.max_amount - position.drawn - position.reserved - held_for_transfers(position)
    if request.amount.minor_units > untouched:
        raise insufficient_funds("amount", "exceeds what is neither drawn, claimed nor already transferred")
    _check_reduced_terms(credit, request, days, transferred_on)

    key = transfer_key(stub.lc_id, request.transfer_id)
    record = lc.TransferRecord(
        transfer_id=request.transfer_id,
        lc_id=stub.lc_id,
        salt=credit.salt_for(key),
        transferring_bank=bank,
        second_beneficiary=request.second_beneficiary,
        second_beneficiary_bank=request.second_beneficiary_bank,
        amount=request.amount,
        presentation_period_days=request.presentation_period_days,
        insurance_cover_pct=request.insurance_cover_pct,
        substitute_applicant=request.substitute_applicant,
        transferred_on=from_date(transferred_on),
    )
    for name in ("expiry_date", "latest_shipment_date", "unit_price"):
        if request.HasField(name):
            getattr(record, name).CopyFrom(getattr(request, name))
    updated_position = copy(position)
    updated_position.transferred += request.amount.minor_units
    updated = advance(stub, tx, lc.LC_EVENT_TYPE_TRANSFERRED)
    updated.transferred = True
    return Transition(
        response=api.TransferResponse(credit=updated, transfer=record),
        writes=(
            Write(credit_key(stub.lc_id), updated),
            credit.private(key, record),
            credit.private(position_key(stub.lc_id), updated_position),
        ),
        event=transition_event(
            tx,
            lc.LC_EVENT_TYPE_TRANSFERRED,
            lc_id=stub.lc_id,
            object_type="transfer",
            object_id=request.transfer_id,
            payload_hash=record_hash(record),
        ),
    )
