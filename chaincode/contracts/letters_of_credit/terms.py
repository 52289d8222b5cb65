"""Validation of a credit's terms (MT700, DOMAIN.md section 2.2) and application of amendments (MT707).

Each rule raises ERR_INVALID_INPUT naming the field, e.g. ``terms.drawee`` for a draft drawn on the
applicant (art. 6c) or ``terms.latest_shipment_date`` when 44C is after 31D.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from google.protobuf.descriptor import EnumDescriptor

from tradefin.protos import common_pb2
from tradefin.protos import letters_of_credit_pb2 as lc

from . import money
from .banking_days import EXAMINATION_BANKING_DAYS, STANDBY_DISHONOUR_BUSINESS_DAYS
from .date_terms import date_range, latest_date
from .errors import LcRuleError, invalid_input
from .validation import (
    SWIFT_X,
    check_account,
    check_at_most,
    check_bank,
    check_country,
    check_institution,
    check_money,
    check_party,
    check_place,
    check_ref16,
    check_same_currency,
    check_text,
    has_field,
    to_date,
)

#: Default period for presentation: 21 calendar days after shipment (art. 14c).
DEFAULT_PRESENTATION_DAYS: Final = 21
MAX_PRESENTATION_DAYS: Final = 999
MAX_DOCUMENT_COUNT: Final = 99
#: 46A Documents Required (and a 46B edit of it) is 100*65z: each document takes at least one of its lines.
MAX_DOCUMENTS_REQUIRED: Final = 100
#: An art. 32 schedule is stated in the credit's 100*65z narrative (45A/47A), at least a line an instalment.
MAX_INSTALMENTS: Final = 100

INCOTERMS_2020: Final = frozenset({"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"})
_HS_CODE = re.compile(r"^[0-9]{6,10}\Z")  # \Z: '$' also matches before a trailing newline

_STANDBY_RULES: Final = frozenset({lc.APPLICABLE_RULES_ISP_LATEST_VERSION})
EUCP_RULES: Final = frozenset({lc.APPLICABLE_RULES_EUCP_LATEST_VERSION, lc.APPLICABLE_RULES_EUCPURR_LATEST_VERSION})


def _check_enum(enum: EnumDescriptor, value: int, field: str) -> None:
    if value == 0:
        raise invalid_input(field, "is required")
    if value not in enum.values_by_number:
        raise invalid_input(field, f"{value} is not a valid code")


def _check_optional_enum(enum: EnumDescriptor, value: int, field: str) -> None:
    if value and value not in enum.values_by_number:
        raise invalid_input(field, f"{value} is not a valid code")


def is_standby(terms: lc.LetterOfCreditTerms) -> bool:
    """A standby credit under ISP98 (no shipment, demand-based presentation)."""
    return terms.rules in _STANDBY_RULES


def examination_days(terms: lc.LetterOfCreditTerms) -> int:
    """Banking days the examining bank has to refuse after the day of presentation: five (art. 14b),
    three for a standby (ISP98 rule 5.01's safe harbour)."""
    return STANDBY_DISHONOUR_BUSINESS_DAYS if is_standby(terms) else EXAMINATION_BANKING_DAYS


def presentation_days(terms: lc.LetterOfCreditTerms) -> int:
    """Field 48, or 21 calendar days when it is absent (art. 14c)."""
    return terms.presentation_period.days if terms.HasField("presentation_period") else DEFAULT_PRESENTATION_DAYS


def partial_drawings_allowed(terms: lc.LetterOfCreditTerms) -> bool:
    """Art. 31a: partial drawings/shipments are allowed unless 43P says NOT ALLOWED."""
    return terms.partial_shipments != lc.SHIPMENT_PERMISSION_NOT_ALLOWED


def max_amount(terms: lc.LetterOfCreditTerms) -> int:
    """The credit's drawing ceiling in minor units (INV-LC-04)."""
    return money.max_drawing(terms.amount.minor_units, terms.tolerance.plus_pct, about=terms.amount_about)


def min_single_drawing(terms: lc.LetterOfCreditTerms) -> int:
    """Smallest drawing that counts as a full drawing when partial drawings are prohibited (art. 30)."""
    return money.min_single_drawing(
        terms.amount.minor_units,
        terms.tolerance.minus_pct,
        about=terms.amount_about,
        tolerance_stated=terms.HasField("tolerance"),
    )


def _same_party(drawee: common_pb2.InstitutionRef, applicant: common_pb2.PartyRef) -> bool:
    if drawee.bic and applicant.bic:
        return drawee.bic[:8] == applicant.bic[:8]
    return bool(drawee.name) and " ".join(drawee.name.casefold().split()) == " ".join(applicant.name.casefold().split())


def validate_terms(terms: lc.LetterOfCreditTerms, field: str = "terms") -> None:
    """Every field and every cross-field rule of the credit's terms."""
    _check_form_and_references(terms, field)
    _check_parties(terms, field)
    _check_amount(terms, field)
    _check_availability(terms, field)
    _check_shipment(terms, field)
    _check_goods_and_documents(terms, field)
    _check_confirmation(terms, field)
    _check_instalments(terms, field)
    for name, lines, width in (
        ("additional_amounts", 4, 35),
        ("additional_conditions", 100, 65),
        ("special_payment_beneficiary", 100, 65),
        ("special_payment_bank", 100, 65),
        ("charges", 6, 35),
        ("instructions_to_bank", 12, 65),
        ("bank_to_bank_info", 6, 35),
    ):
        check_text(getattr(terms, name), f"{field}.{name}", lines=lines, width=width)
    if terms.HasField("presentation_period"):
        _check_presentation_period(terms.presentation_period, f"{field}.presentation_period")


def _check_presentation_period(period: lc.PresentationPeriod, field: str) -> None:
    """48: 1..999 calendar days and a one-line narrative."""
    if not 1 <= period.days <= MAX_PRESENTATION_DAYS:
        raise invalid_input(f"{field}.days", "must be 1..999 calendar days")
    check_text(period.narrative, f"{field}.narrative", lines=1, width=35)


def _check_tolerance(tolerance: lc.AmountTolerance, field: str) -> None:
    """39A: each side 0..99 percent."""
    for side in ("plus_pct", "minus_pct"):
        if getattr(tolerance, side) > 99:
            raise invalid_input(f"{field}.{side}", "must be 0..99 percent")


def _check_shipment_period(period: str, field: str) -> None:
    """44D as text: 6 lines of 65 characters."""
    check_text(period, field, lines=6, width=65)


def _check_form_and_references(terms: lc.LetterOfCreditTerms, field: str) -> None:
    if terms.form == lc.CREDIT_FORM_REVOCABLE:
        raise invalid_input(f"{field}.form", "revocable credits are not accepted: a UCP 600 credit is irrevocable")
    _check_enum(lc.CreditForm.DESCRIPTOR, terms.form, f"{field}.form")
    check_ref16(terms.lc_number, f"{field}.lc_number")
    check_ref16(terms.pre_advice_ref, f"{field}.pre_advice_ref", required=False)
    _check_enum(lc.ApplicableRules.DESCRIPTOR, terms.rules, f"{field}.rules")
    if terms.rules == lc.APPLICABLE_RULES_OTHR:
        check_text(terms.rules_narrative, f"{field}.rules_narrative", lines=1, width=35, required=True)
    elif terms.rules_narrative:
        raise invalid_input(f"{field}.rules_narrative", "only allowed with rules OTHR")
    if not terms.HasField("expiry_date"):
        raise invalid_input(f"{field}.expiry_date", "is required")
    expiry = to_date(terms.expiry_date, f"{field}.expiry_date")
    check_place(terms.expiry_place, f"{field}.expiry_place", required=True)
    if len(terms.expiry_place.name) > 29:
        raise invalid_input(f"{field}.expiry_place.name", "31D place is at most 29 characters")
    if terms.HasField("issue_date") and to_date(terms.issue_date, f"{field}.issue_date") > expiry:
        raise invalid_input(f"{field}.expiry_date", "is before the date of issue")


def _check_parties(terms: lc.LetterOfCreditTerms, field: str) -> None:
    if not terms.HasField("issuing_bank"):
        raise invalid_input(f"{field}.issuing_bank", "is required")
    check_bank(terms.issuing_bank, f"{field}.issuing_bank")
    if not terms.HasField("advising_bank"):
        raise invalid_input(f"{field}.advising_bank", "is required")
    check_bank(terms.advising_bank, f"{field}.advising_bank")
    if terms.advising_bank.msp_id == terms.issuing_bank.msp_id:
        raise invalid_input(f"{field}.advising_bank", "must be another bank than the issuing bank")
    if terms.HasField("second_advising_bank"):
        check_bank(terms.second_advising_bank, f"{field}.second_advising_bank")
    if terms.HasField("applicant_bank"):
        check_institution(terms.applicant_bank, f"{field}.applicant_bank")
    if not terms.HasField("applicant"):
        raise invalid_input(f"{field}.applicant", "is required")
    check_party(terms.applicant, f"{field}.applicant", kyc_required=True)
    if not terms.HasField("beneficiary"):
        raise invalid_input(f"{field}.beneficiary", "is required")
    check_party(terms.beneficiary, f"{field}.beneficiary", kyc_required=False)
    if terms.HasField("beneficiary_account"):
        check_account(terms.beneficiary_account, f"{field}.beneficiary_account")
    if terms.HasField("reimbursing_bank"):
        check_institution(terms.reimbursing_bank, f"{field}.reimbursing_bank")


def _check_amount(terms: lc.LetterOfCreditTerms, field: str) -> None:
    if not terms.HasField("amount"):
        raise invalid_input(f"{field}.amount", "is required")
    check_money(terms.amount, f"{field}.amount")
    if terms.HasField("tolerance"):
        if terms.amount_about:
            raise invalid_input(f"{field}.tolerance", "39A and an 'about' amount exclude each other")
        _check_tolerance(terms.tolerance, f"{field}.tolerance")
    if max_amount(terms) > money.MAX_MINOR_UNITS:
        raise invalid_input(f"{field}.amount", "with its tolerance exceeds the SWIFT amount format")


def _check_availability(terms: lc.LetterOfCreditTerms, field: str) -> None:
    which = terms.available_with.WhichOneof("bank")
    if which is None:
        raise invalid_input(f"{field}.available_with", "is required (a named bank or any bank)")
    if which == "nominated_bank":
        check_bank(terms.available_with.nominated_bank, f"{field}.available_with.nominated_bank")
    elif terms.available_with.any_bank.country:
        check_country(terms.available_with.any_bank.country, f"{field}.available_with.any_bank.country")
    _check_enum(lc.AvailableBy.DESCRIPTOR, terms.available_by, f"{field}.available_by")
    check_text(terms.draft_tenor, f"{field}.draft_tenor", lines=3, width=35)
    check_text(terms.mixed_payment, f"{field}.mixed_payment", lines=4, width=35)
    check_text(terms.deferred_payment, f"{field}.deferred_payment", lines=4, width=35)
    drafts = bool(terms.draft_tenor)
    if drafts != terms.HasField("drawee"):
        raise invalid_input(f"{field}.drawee" if drafts else f"{field}.draft_tenor", "42C and 42a go together")
    if terms.HasField("drawee"):
        check_institution(terms.drawee, f"{field}.drawee")
        if _same_party(terms.drawee, terms.applicant):
            raise invalid_input(f"{field}.drawee", "a credit must not be available by a draft drawn on the applicant")
    by = terms.available_by
    if by == lc.AVAILABLE_BY_ACCEPTANCE and not drafts:
        raise invalid_input(f"{field}.draft_tenor", "a credit available by acceptance needs drafts (42C/42a)")
    if (by == lc.AVAILABLE_BY_MIXED_PAYMENT) != bool(terms.mixed_payment):
        raise invalid_input(f"{field}.mixed_payment", "42M is required exactly when available by mixed payment")
    if (by == lc.AVAILABLE_BY_DEFERRED_PAYMENT) != bool(terms.deferred_payment):
        raise invalid_input(f"{field}.deferred_payment", "42P is required exactly when available by deferred payment")
    if drafts and by in (lc.AVAILABLE_BY_DEFERRED_PAYMENT, lc.AVAILABLE_BY_MIXED_PAYMENT):
        raise invalid_input(f"{field}.draft_tenor", "drafts (42C/42a) exclude 42M and 42P")


def _check_shipment(terms: lc.LetterOfCreditTerms, field: str) -> None:
    _check_optional_enum(lc.ShipmentPermission.DESCRIPTOR, terms.partial_shipments, f"{field}.partial_shipments")
    _check_optional_enum(lc.ShipmentPermission.DESCRIPTOR, terms.transhipment, f"{field}.transhipment")
    for name in ("place_of_receipt", "port_of_loading", "port_of_discharge", "final_destination"):
        check_place(getattr(terms, name), f"{field}.{name}")
    expiry = to_date(terms.expiry_date, f"{field}.expiry_date")
    _check_shipment_period(terms.shipment_period, f"{field}.shipment_period")
    period_stated = bool(terms.shipment_period) or terms.HasField("shipment_window")
    if terms.HasField("latest_shipment_date"):
        if period_stated:
            raise invalid_input(f"{field}.latest_shipment_date", "44C and 44D exclude each other")
        if to_date(terms.latest_shipment_date, f"{field}.latest_shipment_date") > expiry:
            raise invalid_input(f"{field}.latest_shipment_date", "44C must not be after the expiry date 31D")
    if terms.HasField("shipment_window"):
        last = latest_date(terms.shipment_window, f"{field}.shipment_window")
        if last is not None and last > expiry:
            raise invalid_input(f"{field}.shipment_window", "ends after the expiry date 31D")


def _check_goods_and_documents(terms: lc.LetterOfCreditTerms, field: str) -> None:
    goods, path = terms.goods, f"{field}.goods"
    check_text(goods.description, f"{path}.description", lines=100, width=65, required=not is_standby(terms))
    if goods.hs_code and not _HS_CODE.match(goods.hs_code):
        raise invalid_input(f"{path}.hs_code", "must be 6 to 10 digits")
    if goods.quantity < 0:
        raise invalid_input(f"{path}.quantity", "must not be negative")
    check_text(goods.unit, f"{path}.unit", lines=1, width=35, required=goods.quantity > 0, charset=SWIFT_X)
    if goods.HasField("unit_price"):
        check_same_currency(goods.unit_price, terms.amount.currency, f"{path}.unit_price")
    if goods.incoterm and goods.incoterm not in INCOTERMS_2020:
        raise invalid_input(f"{path}.incoterm", f"{goods.incoterm!r} is not an Incoterms 2020 rule")
    if not terms.documents_required:
        raise invalid_input(f"{field}.documents_required", "46A must name at least one document")
    check_document_requirements(terms.documents_required, f"{field}.documents_required")


def check_document_requirements(requirements: Sequence[lc.DocumentRequirement], field: str) -> None:
    """At most MAX_DOCUMENTS_REQUIRED 46A entries, each a document type, counts, issuer and data
    requirements within bounds."""
    check_at_most(requirements, field, most=MAX_DOCUMENTS_REQUIRED, noun="documents (46A)")
    for index, requirement in enumerate(requirements):
        path = f"{field}[{index}]"
        _check_enum(lc.DocumentType.DESCRIPTOR, requirement.doc_type, f"{path}.doc_type")
        if requirement.originals > MAX_DOCUMENT_COUNT or requirement.copies > MAX_DOCUMENT_COUNT:
            raise invalid_input(path, f"at most {MAX_DOCUMENT_COUNT} originals and copies")
        check_text(requirement.issuer, f"{path}.issuer", lines=1, width=65)
        check_text(requirement.data_requirements, f"{path}.data_requirements", lines=10, width=65)


def _check_confirmation(terms: lc.LetterOfCreditTerms, field: str) -> None:
    _check_enum(
        lc.ConfirmationInstruction.DESCRIPTOR, terms.confirmation_instruction, f"{field}.confirmation_instruction"
    )
    wanted = terms.confirmation_instruction != lc.CONFIRMATION_INSTRUCTION_WITHOUT
    if wanted != terms.HasField("requested_confirmer"):
        raise invalid_input(
            f"{field}.requested_confirmer",
            "58a is required with 49 CONFIRM or MAY ADD and not allowed with WITHOUT",
        )
    if wanted:
        check_bank(terms.requested_confirmer, f"{field}.requested_confirmer")
        if terms.requested_confirmer.msp_id == terms.issuing_bank.msp_id:
            raise invalid_input(f"{field}.requested_confirmer", "the issuing bank cannot confirm its own credit")


def _check_instalments(terms: lc.LetterOfCreditTerms, field: str) -> None:
    check_at_most(terms.instalments, f"{field}.instalments", most=MAX_INSTALMENTS, noun="instalments")
    expiry = to_date(terms.expiry_date, f"{field}.expiry_date")
    previous_end = None
    total = 0
    for index, instalment in enumerate(terms.instalments):
        path = f"{field}.instalments[{index}]"
        start = to_date(instalment.period_start, f"{path}.period_start")
        end = to_date(instalment.period_end, f"{path}.period_end")
        if end < start:
            raise invalid_input(f"{path}.period_end", "is before the period start")
        if previous_end is not None and start <= previous_end:
            raise invalid_input(f"{path}.period_start", "instalment periods must follow each other without overlap")
        if end > expiry:
            raise invalid_input(f"{path}.period_end", "is after the expiry date")
        check_same_currency(instalment.amount, terms.amount.currency, f"{path}.amount")
        previous_end = end
        total += instalment.amount.minor_units
    if total > max_amount(terms):
        raise invalid_input(f"{field}.instalments", "instalments add up to more than the credit allows")


# ------------------------------------------------------------------------------------------------
# Amendments


def changed_fields(changes: lc.AmendmentChanges) -> list[str]:
    """Names of the fields an amendment changes (what a partial acceptance could exclude)."""
    return [descriptor.name for descriptor, _ in changes.ListFields()]


def check_changes(changes: lc.AmendmentChanges, currency: str, field: str = "changes") -> None:
    """An amendment's changes on their own: something changes, and each change is well-formed (what
    the credit's terms make of them is checked on the amended terms)."""
    if not changed_fields(changes):
        raise invalid_input(field, "an amendment must change something")
    if changes.cancel and len(changed_fields(changes)) > 1:
        raise invalid_input(f"{field}.cancel", "a cancellation cannot change other terms")
    if changes.HasField("increase") and changes.HasField("decrease"):
        raise invalid_input(f"{field}.decrease", "an amendment increases or decreases the amount, not both")
    if changes.HasField("latest_shipment_date") and (changes.shipment_period or changes.HasField("shipment_window")):
        raise invalid_input(f"{field}.latest_shipment_date", "44C and 44D exclude each other")
    for name in ("expiry_date", "latest_shipment_date"):
        if changes.HasField(name):
            to_date(getattr(changes, name), f"{field}.{name}")  # a real date (what it may be: the amended terms)
    if changes.HasField("shipment_window"):
        date_range(changes.shipment_window, f"{field}.shipment_window")
    for name in ("increase", "decrease"):
        if has_field(changes, name):
            check_same_currency(getattr(changes, name), currency, f"{field}.{name}")
    if changes.HasField("tolerance"):
        _check_tolerance(changes.tolerance, f"{field}.tolerance")
    _check_shipment_period(changes.shipment_period, f"{field}.shipment_period")
    for name in ("partial_shipments", "transhipment"):
        _check_optional_enum(lc.ShipmentPermission.DESCRIPTOR, getattr(changes, name), f"{field}.{name}")
    if changes.HasField("presentation_period"):
        _check_presentation_period(changes.presentation_period, f"{field}.presentation_period")
    for name in ("port_of_loading", "port_of_discharge"):
        if has_field(changes, name):
            check_place(getattr(changes, name), f"{field}.{name}")
    for name in ("goods_description", "additional_conditions", "documents_required"):
        if has_field(changes, name):
            _check_enum(lc.NarrativeEditAction.DESCRIPTOR, getattr(changes, name).action, f"{field}.{name}.action")
    for name in ("goods_description", "additional_conditions"):
        if has_field(changes, name):
            edit = getattr(changes, name)
            adding = edit.action == lc.NARRATIVE_EDIT_ACTION_ADD
            check_text(edit.text, f"{field}.{name}.text", lines=100, width=65, required=adding)
    if changes.HasField("documents_required"):
        check_document_requirements(changes.documents_required.documents, f"{field}.documents_required.documents")


def _edit(current: str, edit: lc.NarrativeEdit) -> str:
    if edit.action == lc.NARRATIVE_EDIT_ACTION_REPLACE_ALL or not current:
        return edit.text
    return f"{current}\n{edit.text}"


#: Terms an amendment's change replaces whole, under the same name in ``changes`` and in the terms.
_REPLACED: Final = (
    "expiry_date",
    "expiry_place",
    "tolerance",
    "presentation_period",
    "port_of_loading",
    "port_of_discharge",
)
#: The change behind each term an amendment sets: (term path, change path). A term that holds a
#: change as it was sent has the same name; the amount is the increase's result; a narrative, its edit's;
#: the documents required, their 46B edit's (one that makes the list longer than 46A holds).
_CHANGE_OF_TERM: Final = (
    *((name, name) for name in _REPLACED),
    *((name, name) for name in ("latest_shipment_date", "shipment_period", "shipment_window")),
    *((name, name) for name in ("partial_shipments", "transhipment")),
    ("amount", "increase"),
    ("goods.description", "goods_description.text"),
    ("additional_conditions", "additional_conditions.text"),
    ("documents_required", "documents_required.documents"),
)


def amended_terms(terms: lc.LetterOfCreditTerms, changes: lc.AmendmentChanges) -> lc.LetterOfCreditTerms:
    """The terms with an amendment applied, validated as a whole. A refusal names the change behind
    the faulty term (``changes.expiry_date``, ``changes.increase`` for the amount) when the amendment
    set that term, and otherwise the amended terms (``amended_terms.latest_shipment_date``: a term the
    amendment left as it was but made wrong, e.g. by moving the expiry before it)."""
    amended = _applied(terms, changes)
    try:
        validate_terms(amended, "amended_terms")
    except LcRuleError as error:
        _, _, path = error.field.partition(".")
        changed = changed_fields(changes)
        for term, change in _CHANGE_OF_TERM:
            if change.split(".")[0] in changed and (path == term or path.startswith((f"{term}.", f"{term}["))):
                named = change if change != term else path
                raise LcRuleError(error.code, f"changes.{named}", error.message) from None
        raise
    return amended


def _applied(terms: lc.LetterOfCreditTerms, changes: lc.AmendmentChanges) -> lc.LetterOfCreditTerms:
    amended = lc.LetterOfCreditTerms()
    amended.CopyFrom(terms)
    for name in _REPLACED:
        if has_field(changes, name):
            getattr(amended, name).CopyFrom(getattr(changes, name))
    if changes.HasField("increase"):
        amended.amount.minor_units += changes.increase.minor_units
    if changes.HasField("decrease"):
        if changes.decrease.minor_units >= amended.amount.minor_units:
            raise invalid_input("changes.decrease", "would reduce the credit amount to zero or below")
        amended.amount.minor_units -= changes.decrease.minor_units
    if changes.HasField("latest_shipment_date"):
        amended.latest_shipment_date.CopyFrom(changes.latest_shipment_date)
        amended.shipment_period = ""
        amended.ClearField("shipment_window")
    if changes.shipment_period or changes.HasField("shipment_window"):
        amended.ClearField("latest_shipment_date")
        amended.shipment_period = changes.shipment_period
        if changes.HasField("shipment_window"):
            amended.shipment_window.CopyFrom(changes.shipment_window)
        else:
            amended.ClearField("shipment_window")
    if changes.partial_shipments:
        amended.partial_shipments = changes.partial_shipments
    if changes.transhipment:
        amended.transhipment = changes.transhipment
    if changes.HasField("goods_description"):
        amended.goods.description = _edit(amended.goods.description, changes.goods_description)
    if changes.HasField("additional_conditions"):
        amended.additional_conditions = _edit(amended.additional_conditions, changes.additional_conditions)
    if changes.HasField("documents_required"):
        if changes.documents_required.action == lc.NARRATIVE_EDIT_ACTION_REPLACE_ALL:
            del amended.documents_required[:]
        amended.documents_required.extend(changes.documents_required.documents)
    return amended
