"""Validation of the credit's MT700 terms: every invalid field gets ERR_INVALID_INPUT naming it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.terms import (
    amended_terms,
    changed_fields,
    check_changes,
    max_amount,
    min_single_drawing,
    validate_terms,
)
from tradefin.protos import common_pb2
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import CONFIRMER, ISSUER, date, sample_terms, usd

Terms = lc.LetterOfCreditTerms


def _set(name: str, value: object) -> Callable[[Terms], None]:
    def change(terms: Terms) -> None:
        setattr(terms, name, value)

    return change


def _clear(name: str) -> Callable[[Terms], None]:
    def change(terms: Terms) -> None:
        terms.ClearField(name)  # type: ignore[arg-type]

    return change


def _drafts_on(drawee: common_pb2.InstitutionRef) -> Callable[[Terms], None]:
    def change(terms: Terms) -> None:
        terms.draft_tenor = "AT SIGHT"
        terms.drawee.CopyFrom(drawee)

    return change


def _draft_on_applicant_bic(terms: Terms) -> None:
    terms.applicant.bic = "SHIMCNSH"
    _drafts_on(common_pb2.InstitutionRef(bic="SHIMCNSHXXX"))(terms)


def _deferred_with_drafts(terms: Terms) -> None:
    terms.available_by = lc.AVAILABLE_BY_DEFERRED_PAYMENT
    terms.deferred_payment = "90 DAYS"
    _drafts_on(common_pb2.InstitutionRef(bic="TFINCNSH"))(terms)


def _confirm_without_58a(terms: Terms) -> None:
    terms.confirmation_instruction = lc.CONFIRMATION_INSTRUCTION_CONFIRM


def _without_but_58a(terms: Terms) -> None:
    terms.requested_confirmer.CopyFrom(CONFIRMER)


def _self_confirmation(terms: Terms) -> None:
    terms.confirmation_instruction = lc.CONFIRMATION_INSTRUCTION_MAY_ADD
    terms.requested_confirmer.CopyFrom(ISSUER)


def _both_44c_and_44d(terms: Terms) -> None:
    terms.shipment_period = "SHIPMENT IN DECEMBER 2025"


def _window_after_expiry(terms: Terms) -> None:
    terms.ClearField("latest_shipment_date")
    terms.shipment_window.CopyFrom(lc.DateTerm(kind=lc.DATE_TERM_KIND_FIRST_HALF_OF_MONTH, date=date("2026-01-01")))


def _instalments(*periods: tuple[str, str, str]) -> Callable[[Terms], None]:
    def change(terms: Terms) -> None:
        for start, end, amount in periods:
            terms.instalments.append(lc.Instalment(period_start=date(start), period_end=date(end), amount=usd(amount)))

    return change


INVALID: list[tuple[str, Callable[[Terms], None], str]] = [
    ("revocable", _set("form", lc.CREDIT_FORM_REVOCABLE), "terms.form"),
    ("no form", _set("form", 0), "terms.form"),
    ("unknown form", _set("form", 42), "terms.form"),
    ("credit number", _set("lc_number", "LC//1"), "terms.lc_number"),
    ("pre-advice ref", _set("pre_advice_ref", "/PRE"), "terms.pre_advice_ref"),
    ("no rules", _set("rules", 0), "terms.rules"),
    ("OTHR without narrative", _set("rules", lc.APPLICABLE_RULES_OTHR), "terms.rules_narrative"),
    ("narrative without OTHR", _set("rules_narrative", "URDG 758"), "terms.rules_narrative"),
    ("no expiry", _clear("expiry_date"), "terms.expiry_date"),
    (
        "impossible expiry",
        lambda t: t.expiry_date.CopyFrom(common_pb2.Date(year=2025, month=2, day=29)),
        "terms.expiry_date",
    ),
    ("expiry before issue", lambda t: t.issue_date.CopyFrom(date("2026-01-02")), "terms.expiry_date"),
    ("no expiry place", lambda t: t.expiry_place.Clear(), "terms.expiry_place.name"),
    ("long expiry place", lambda t: setattr(t.expiry_place, "name", "X" * 30), "terms.expiry_place.name"),
    ("applicant name", lambda t: setattr(t.applicant, "name", ""), "terms.applicant.name"),
    ("applicant address", lambda t: t.applicant.address.extend(["A", "B", "C"]), "terms.applicant.address"),
    ("applicant country", lambda t: setattr(t.applicant, "country", "UK"), "terms.applicant.country"),
    ("applicant LEI", lambda t: setattr(t.applicant, "lei", "5493001KJTIIGC8Y1R00"), "terms.applicant.lei"),
    ("applicant KYC", lambda t: setattr(t.applicant, "kyc_ref", ""), "terms.applicant.kyc_ref"),
    ("beneficiary BIC", lambda t: setattr(t.beneficiary, "bic", "NOTABIC"), "terms.beneficiary.bic"),
    ("no beneficiary", _clear("beneficiary"), "terms.beneficiary"),
    (
        "account",
        lambda t: setattr(t.beneficiary_account, "iban", "GB00WEST12345698765432"),
        "terms.beneficiary_account.iban",
    ),
    ("currency", lambda t: setattr(t.amount, "currency", "usd"), "terms.amount.currency"),
    ("zero amount", lambda t: setattr(t.amount, "minor_units", 0), "terms.amount.minor_units"),
    ("no amount", _clear("amount"), "terms.amount"),
    ("39A above 99", lambda t: setattr(t.tolerance, "plus_pct", 100), "terms.tolerance.plus_pct"),
    ("39A and about", _set("amount_about", True), "terms.tolerance"),
    ("39C too long", _set("additional_amounts", "\n".join(["X"] * 5)), "terms.additional_amounts"),
    ("no availability", _clear("available_with"), "terms.available_with"),
    (
        "nominated bank BIC",
        lambda t: setattr(t.available_with.nominated_bank, "bic", "BAD"),
        "terms.available_with.nominated_bank.bic",
    ),
    (
        "any bank country",
        lambda t: t.available_with.any_bank.CopyFrom(lc.AnyBank(country="ZZ")),
        "terms.available_with.any_bank.country",
    ),
    ("no availability method", _set("available_by", 0), "terms.available_by"),
    ("42C without 42a", _set("draft_tenor", "AT SIGHT"), "terms.drawee"),
    ("42a without 42C", lambda t: t.drawee.CopyFrom(common_pb2.InstitutionRef(bic="TFINCNSH")), "terms.draft_tenor"),
    (
        "draft on the applicant by name",
        _drafts_on(common_pb2.InstitutionRef(name="Shanghai  Imports Co Ltd")),
        "terms.drawee",
    ),
    (
        "draft on the applicant by BIC",
        _draft_on_applicant_bic,
        "terms.drawee",
    ),
    ("drawee both BIC and name", _drafts_on(common_pb2.InstitutionRef(bic="TFINCNSH", name="X")), "terms.drawee"),
    ("acceptance without drafts", _set("available_by", lc.AVAILABLE_BY_ACCEPTANCE), "terms.draft_tenor"),
    ("mixed without 42M", _set("available_by", lc.AVAILABLE_BY_MIXED_PAYMENT), "terms.mixed_payment"),
    ("42M without mixed", _set("mixed_payment", "50 PCT AT SIGHT"), "terms.mixed_payment"),
    ("deferred without 42P", _set("available_by", lc.AVAILABLE_BY_DEFERRED_PAYMENT), "terms.deferred_payment"),
    ("42P without deferred", _set("deferred_payment", "90 DAYS AFTER B/L"), "terms.deferred_payment"),
    (
        "drafts with deferred payment",
        _deferred_with_drafts,
        "terms.draft_tenor",
    ),
    ("43P code", _set("partial_shipments", 9), "terms.partial_shipments"),
    ("43T code", _set("transhipment", 9), "terms.transhipment"),
    ("port LOCODE", lambda t: setattr(t.port_of_loading, "un_locode", "GB1"), "terms.port_of_loading.un_locode"),
    ("44C after 31D", lambda t: t.latest_shipment_date.CopyFrom(date("2026-01-01")), "terms.latest_shipment_date"),
    ("44C and 44D", _both_44c_and_44d, "terms.latest_shipment_date"),
    ("44D window after 31D", _window_after_expiry, "terms.shipment_window"),
    ("no goods", lambda t: t.goods.Clear(), "terms.goods.description"),
    ("HS code", lambda t: setattr(t.goods, "hs_code", "84X"), "terms.goods.hs_code"),
    ("quantity without unit", lambda t: setattr(t.goods, "unit", ""), "terms.goods.unit"),
    (
        "unit price currency",
        lambda t: t.goods.unit_price.CopyFrom(common_pb2.Money(currency="EUR", minor_units=1)),
        "terms.goods.unit_price.currency",
    ),
    ("incoterm", lambda t: setattr(t.goods, "incoterm", "CNF"), "terms.goods.incoterm"),
    ("no documents", _clear("documents_required"), "terms.documents_required"),
    (
        "document type",
        lambda t: setattr(t.documents_required[1], "doc_type", 0),
        r"terms.documents_required\[1\].doc_type",
    ),
    (
        "document originals",
        lambda t: setattr(t.documents_required[0], "originals", 100),
        r"terms.documents_required\[0\]",
    ),
    ("47A too long", _set("additional_conditions", "\n".join(["X"] * 101)), "terms.additional_conditions"),
    ("49H width", _set("special_payment_bank", "X" * 66), "terms.special_payment_bank"),
    ("71D", _set("charges", "ALL CHARGES\n" * 7), "terms.charges"),
    (
        "48 days",
        lambda t: t.presentation_period.CopyFrom(lc.PresentationPeriod(days=0)),
        "terms.presentation_period.days",
    ),
    ("no 49", _set("confirmation_instruction", 0), "terms.confirmation_instruction"),
    ("CONFIRM without 58a", _confirm_without_58a, "terms.requested_confirmer"),
    ("WITHOUT with 58a", _without_but_58a, "terms.requested_confirmer"),
    ("issuer confirming", _self_confirmation, "terms.requested_confirmer"),
    ("78", _set("instructions_to_bank", "\n".join(["X"] * 13)), "terms.instructions_to_bank"),
    ("72Z", _set("bank_to_bank_info", "é"), "terms.bank_to_bank_info"),
    ("no issuing bank", _clear("issuing_bank"), "terms.issuing_bank"),
    ("issuing bank MSP", lambda t: setattr(t.issuing_bank, "msp_id", "bad msp"), "terms.issuing_bank.msp_id"),
    ("advising = issuing", lambda t: setattr(t.advising_bank, "msp_id", ISSUER.msp_id), "terms.advising_bank"),
    (
        "57a BIC",
        lambda t: t.second_advising_bank.CopyFrom(common_pb2.BankRef(bic="X", msp_id="M")),
        "terms.second_advising_bank.bic",
    ),
    (
        "reimbursing bank",
        lambda t: t.reimbursing_bank.CopyFrom(common_pb2.InstitutionRef()),
        "terms.reimbursing_bank.name",
    ),
    (
        "instalments overlap",
        _instalments(("2025-11-01", "2025-11-30", "50000"), ("2025-11-30", "2025-12-10", "50000")),
        r"terms.instalments\[1\].period_start",
    ),
    (
        "instalment after expiry",
        _instalments(("2025-11-01", "2026-01-30", "50000")),
        r"terms.instalments\[0\].period_end",
    ),
    (
        "instalments too large",
        _instalments(("2025-11-01", "2025-11-30", "60000"), ("2025-12-01", "2025-12-10", "60000")),
        "terms.instalments",
    ),
]


@pytest.mark.parametrize(
    ("change", "field"), [(change, field) for _, change, field in INVALID], ids=[name for name, _, _ in INVALID]
)
def test_invalid_terms_name_the_field(change: Callable[[Terms], None], field: str) -> None:
    terms = sample_terms()
    change(terms)
    with pytest.raises(LcRuleError, match=rf"^ERR_INVALID_INPUT: {field}: "):
        validate_terms(terms)


def test_sample_terms_are_valid_and_variants_too() -> None:
    validate_terms(sample_terms())
    standby = sample_terms(rules=lc.APPLICABLE_RULES_ISP_LATEST_VERSION)
    standby.goods.Clear()
    validate_terms(standby)
    acceptance = sample_terms(available_by=lc.AVAILABLE_BY_ACCEPTANCE, draft_tenor="90 DAYS SIGHT")
    acceptance.drawee.CopyFrom(common_pb2.InstitutionRef(bic="TFINCNSH"))
    validate_terms(acceptance)
    validate_terms(sample_terms(available_by=lc.AVAILABLE_BY_MIXED_PAYMENT, mixed_payment="50 PCT AT SIGHT"))


def test_about_amount_without_39a() -> None:
    terms = sample_terms(amount_about=True)
    terms.ClearField("tolerance")
    validate_terms(terms)
    assert max_amount(terms) == 11_000_000


def test_drawing_ceiling_and_floor_from_the_terms() -> None:
    terms = sample_terms()
    assert max_amount(terms) == 10_500_000
    assert min_single_drawing(terms) == 9_500_000
    no_tolerance = sample_terms()
    no_tolerance.ClearField("tolerance")
    assert min_single_drawing(no_tolerance) == 9_500_000  # art. 30c 5% shortfall
    zero = sample_terms(tolerance=lc.AmountTolerance())
    assert min_single_drawing(zero) == 10_000_000  # a stated 0/0 tolerance excludes 30c


def test_amendment_application() -> None:
    terms = sample_terms()
    changes = lc.AmendmentChanges(
        expiry_date=date("2026-01-31"),
        increase=usd("20000"),
        latest_shipment_date=date("2026-01-15"),
        goods_description=lc.NarrativeEdit(action=lc.NARRATIVE_EDIT_ACTION_ADD, text="PLUS 200 CARTONS"),
        documents_required=lc.DocumentsEdit(
            action=lc.NARRATIVE_EDIT_ACTION_ADD,
            documents=[lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_CERTIFICATE_OF_ORIGIN, originals=1)],
        ),
    )
    amended = amended_terms(terms, changes)
    assert amended.amount.minor_units == 12_000_000
    assert amended.expiry_date == date("2026-01-31")
    assert amended.goods.description.endswith("\nPLUS 200 CARTONS")
    assert len(amended.documents_required) == 4
    assert terms.amount.minor_units == 10_000_000  # the original is untouched
    assert changed_fields(changes) == [
        "expiry_date",
        "increase",
        "latest_shipment_date",
        "goods_description",
        "documents_required",
    ]


def test_amendment_switching_44c_to_44d_and_back() -> None:
    to_period = amended_terms(sample_terms(), lc.AmendmentChanges(shipment_period="DURING DECEMBER 2025"))
    assert not to_period.HasField("latest_shipment_date")
    back = amended_terms(to_period, lc.AmendmentChanges(latest_shipment_date=date("2025-12-20")))
    assert back.shipment_period == "" and back.HasField("latest_shipment_date")


def test_amended_terms_are_validated_as_a_whole() -> None:
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: amended_terms.latest_shipment_date: "):
        amended_terms(sample_terms(), lc.AmendmentChanges(expiry_date=date("2025-12-05")))
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: changes.decrease: "):
        amended_terms(sample_terms(), lc.AmendmentChanges(decrease=usd("100000")))


def test_a_refusal_of_amended_terms_names_the_change_as_sent() -> None:
    """The request has ``changes``, not ``amended_terms``: a change that is wrong in itself is named
    there; a term the changes made wrong without changing it keeps its amended-terms path."""
    bad_date = lc.AmendmentChanges()
    bad_date.expiry_date.year, bad_date.expiry_date.month, bad_date.expiry_date.day = 2025, 0, 10
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: changes.expiry_date: "):
        amended_terms(sample_terms(), bad_date)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: changes.tolerance.plus_pct: "):
        amended_terms(sample_terms(), lc.AmendmentChanges(tolerance=lc.AmountTolerance(plus_pct=100)))
    early = lc.AmendmentChanges(latest_shipment_date=date("2026-06-30"))  # after the expiry
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: changes.latest_shipment_date: "):
        amended_terms(sample_terms(), early)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: amended_terms.latest_shipment_date: "):
        amended_terms(sample_terms(), lc.AmendmentChanges(expiry_date=date("2025-12-05")))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (lc.AmendmentChanges(), "changes"),
        (lc.AmendmentChanges(cancel=True, increase=usd("1")), "changes.cancel"),
        (lc.AmendmentChanges(increase=usd("1"), decrease=usd("1")), "changes.decrease"),
        (lc.AmendmentChanges(increase=common_pb2.Money(currency="EUR", minor_units=1)), "changes.increase.currency"),
        (lc.AmendmentChanges(goods_description=lc.NarrativeEdit(text="X")), "changes.goods_description.action"),
    ],
)
def test_invalid_amendment_changes_name_the_field(changes: lc.AmendmentChanges, field: str) -> None:
    with pytest.raises(LcRuleError, match=rf"^ERR_INVALID_INPUT: {field}: "):
        check_changes(changes, "USD")
