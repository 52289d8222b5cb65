"""The objective part of document examination, automated on the ledger (arts. 14, 18, 29-32).

Only checks that need no judgement run here: required documents present, dates (shipment against
44C/44D, presentation within 21 days or field 48 with the art. 29 extension, documents not dated after
presentation), amounts (ceiling with 39A or "about", invoice against the drawing, art. 30c shortfall
when partial drawings are prohibited, quantity tolerance of art. 30b), instalments (art. 32) and
UN/LOCODE ports. Whether data conflict, descriptions match or transhipment clauses are acceptable
(e.g. art. 20c) is the examiner's call, recorded as the examiner's own discrepancies.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from tradefin.protos import letters_of_credit_pb2 as lc

from . import money
from .banking_days import BankingDays
from .date_terms import covers
from .terms import is_standby, max_amount, partial_drawings_allowed, presentation_days
from .validation import to_date

TRANSPORT_DOCUMENTS: Final = frozenset(
    {
        lc.DOCUMENT_TYPE_BILL_OF_LADING,
        lc.DOCUMENT_TYPE_SEA_WAYBILL,
        lc.DOCUMENT_TYPE_AIR_WAYBILL,
        lc.DOCUMENT_TYPE_MULTIMODAL_TRANSPORT,
        lc.DOCUMENT_TYPE_ROAD_RAIL_TRANSPORT,
    }
)


def discrepancy(code: lc.DiscrepancyCode.ValueType, text: str, doc_ref: str = "") -> lc.Discrepancy:
    """An automated discrepancy."""
    return lc.Discrepancy(code=code, text=text, doc_ref=doc_ref, automated=True)


@dataclass(frozen=True)
class ExaminationBasis:
    """What a presentation is examined against: the accepted terms (INV-LC-07), the balances, the
    transfer it is made under, its presentation date and the receiving bank's banking days."""

    terms: lc.LetterOfCreditTerms
    position: lc.CreditPosition
    transfer: lc.TransferRecord | None
    presented_on: datetime.date
    days: BankingDays

    @property
    def latest_shipment_date(self) -> datetime.date | None:
        """44C, or the transfer's curtailed date."""
        if self.transfer is not None and self.transfer.HasField("latest_shipment_date"):
            return to_date(self.transfer.latest_shipment_date, "transfer.latest_shipment_date")
        if self.terms.HasField("latest_shipment_date"):
            return to_date(self.terms.latest_shipment_date, "terms.latest_shipment_date")
        return None

    @property
    def presentation_days(self) -> int:
        """Field 48 (or 21 days), or the transfer's shortened period."""
        if self.transfer is not None and self.transfer.presentation_period_days:
            return self.transfer.presentation_period_days
        return presentation_days(self.terms)

    @property
    def drawable_amount(self) -> int:
        """The amount a single full drawing is measured against (the transferred amount for a transfer)."""
        if self.transfer is not None:
            return self.transfer.amount.minor_units
        return self.terms.amount.minor_units


def objective_discrepancies(basis: ExaminationBasis, presentation: lc.PresentationRecord) -> list[lc.Discrepancy]:
    """Every objective discrepancy of the presentation, in a stable order."""
    found = [
        *_missing_documents(basis.terms, presentation),
        *_document_dates(basis, presentation),
        *_amounts(basis, presentation),
        *_instalments(basis, presentation),
    ]
    if not is_standby(basis.terms):
        found.extend(_shipment(basis, presentation))
        found.extend(_quantity(basis, presentation))
    return found


def _missing_documents(terms: lc.LetterOfCreditTerms, presentation: lc.PresentationRecord) -> Iterator[lc.Discrepancy]:
    for requirement in terms.documents_required:
        presented = [document for document in presentation.documents if document.doc_type == requirement.doc_type]
        name = lc.DocumentType.Name(requirement.doc_type).removeprefix("DOCUMENT_TYPE_")
        if not presented:
            yield discrepancy(lc.DISCREPANCY_CODE_DOC_MISSING, f"{name} required by 46A not presented")
        elif sum(document.originals for document in presented) < requirement.originals:
            yield discrepancy(lc.DISCREPANCY_CODE_DOC_MISSING, f"{name}: {requirement.originals} original(s) required")


def _document_dates(basis: ExaminationBasis, presentation: lc.PresentationRecord) -> Iterator[lc.Discrepancy]:
    for index, document in enumerate(presentation.documents):
        if document.HasField("issue_date"):
            issued = to_date(document.issue_date, f"documents[{index}].issue_date")
            if issued > basis.presented_on:
                yield discrepancy(
                    lc.DISCREPANCY_CODE_INCONSISTENT_DATA,
                    "document dated after the date of presentation (art. 14i)",
                    document.doc_ref,
                )


def _shipment_dates(presentation: lc.PresentationRecord) -> list[tuple[lc.Document, datetime.date | None]]:
    return [
        (
            document,
            to_date(document.key_data.shipment_date, "documents.key_data.shipment_date")
            if document.key_data.HasField("shipment_date")
            else None,
        )
        for document in presentation.documents
        if document.doc_type in TRANSPORT_DOCUMENTS
    ]


def latest_shipment(presentation: lc.PresentationRecord) -> datetime.date | None:
    """Date of shipment of the presentation: the latest of its transport documents (art. 31b)."""
    dates = [shipped for _, shipped in _shipment_dates(presentation) if shipped is not None]
    return max(dates, default=None)


def _shipment(basis: ExaminationBasis, presentation: lc.PresentationRecord) -> Iterator[lc.Discrepancy]:
    terms = basis.terms
    latest_allowed = basis.latest_shipment_date
    for document, shipped in _shipment_dates(presentation):
        if shipped is None:
            yield discrepancy(
                lc.DISCREPANCY_CODE_INCONSISTENT_DATA, "transport document shows no date of shipment", document.doc_ref
            )
            continue
        if shipped > basis.presented_on:
            yield discrepancy(
                lc.DISCREPANCY_CODE_INCONSISTENT_DATA,
                f"shipped {shipped.isoformat()}, after the date of presentation (art. 14i, 20a ii)",
                document.doc_ref,
            )
        if latest_allowed is not None and shipped > latest_allowed:
            yield discrepancy(
                lc.DISCREPANCY_CODE_LATE_SHIPMENT,
                f"shipped {shipped.isoformat()}, latest shipment date {latest_allowed.isoformat()}",
                document.doc_ref,
            )
        if terms.HasField("shipment_window") and not covers(terms.shipment_window, shipped, "terms.shipment_window"):
            yield discrepancy(
                lc.DISCREPANCY_CODE_LATE_SHIPMENT,
                f"shipped {shipped.isoformat()}, outside the shipment period (44D)",
                document.doc_ref,
            )
        for name in ("port_of_loading", "port_of_discharge"):
            wanted, shown = getattr(terms, name).un_locode, getattr(document.key_data, name).un_locode
            if wanted and shown and wanted != shown:
                yield discrepancy(
                    lc.DISCREPANCY_CODE_INCONSISTENT_DATA,
                    f"{name.replace('_', ' ')} {shown} differs from the credit's {wanted}",
                    document.doc_ref,
                )
    shipped_last = latest_shipment(presentation)
    if shipped_last is not None and shipped_last < basis.presented_on:  # else it cannot be late (nor overflow)
        last_day = basis.days.last_day(shipped_last + datetime.timedelta(days=basis.presentation_days))
        if basis.presented_on > last_day:
            yield discrepancy(
                lc.DISCREPANCY_CODE_LATE_PRESENTATION,
                f"presented {basis.presented_on.isoformat()}, more than {basis.presentation_days} days after "
                f"shipment on {shipped_last.isoformat()} (last day {last_day.isoformat()})",
            )


def _amounts(basis: ExaminationBasis, presentation: lc.PresentationRecord) -> Iterator[lc.Discrepancy]:
    terms, claimed = basis.terms, presentation.claimed.minor_units
    ceiling = max_amount(terms)
    if claimed > ceiling:
        yield discrepancy(
            lc.DISCREPANCY_CODE_OVERDRAWN,
            f"drawing exceeds the credit's ceiling {money.format_amount(ceiling, terms.amount.currency)}",
        )
    invoices = [
        document.key_data.amount
        for document in presentation.documents
        if document.doc_type == lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE and document.key_data.HasField("amount")
    ]
    if any(amount.currency != terms.amount.currency for amount in invoices):
        yield discrepancy(lc.DISCREPANCY_CODE_INCONSISTENT_DATA, "invoice currency differs from the credit's")
    elif invoices and sum(amount.minor_units for amount in invoices) < claimed:
        yield discrepancy(lc.DISCREPANCY_CODE_INCONSISTENT_DATA, "drawing exceeds the invoiced amount")
    if not partial_drawings_allowed(terms):
        if basis.position.honoured_drawings:
            yield discrepancy(
                lc.DISCREPANCY_CODE_PARTIAL_NOT_ALLOWED, "partial drawings prohibited and the credit was already drawn"
            )
        minimum = money.min_single_drawing(
            basis.drawable_amount,
            terms.tolerance.minus_pct,
            about=terms.amount_about,
            tolerance_stated=terms.HasField("tolerance"),
        )
        if claimed < minimum:
            yield discrepancy(
                lc.DISCREPANCY_CODE_PARTIAL_NOT_ALLOWED,
                "partial drawings prohibited: at least "
                f"{money.format_amount(minimum, terms.amount.currency)} must be drawn",
            )


def _quantity(basis: ExaminationBasis, presentation: lc.PresentationRecord) -> Iterator[lc.Discrepancy]:
    goods = basis.terms.goods
    invoiced = [
        document.key_data.quantity
        for document in presentation.documents
        if document.doc_type == lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE and document.key_data.quantity
    ]
    if not goods.quantity or not invoiced:
        return
    if goods.quantity_about:
        tolerance = money.ABOUT_TOLERANCE_PCT
    elif goods.quantity_in_packing_units:
        tolerance = 0
    else:
        tolerance = money.BULK_QUANTITY_TOLERANCE_PCT
    total = sum(invoiced)
    if total > money.ceiling(goods.quantity, tolerance):
        yield discrepancy(
            lc.DISCREPANCY_CODE_QUANTITY_OUT_OF_TOLERANCE,
            f"invoiced quantity {total} {goods.unit} exceeds {goods.quantity} {goods.unit} + {tolerance}%",
        )
    if not partial_drawings_allowed(basis.terms) and total < money.floor(goods.quantity, tolerance):
        yield discrepancy(
            lc.DISCREPANCY_CODE_PARTIAL_NOT_ALLOWED,
            f"partial shipments prohibited: {total} of {goods.quantity} {goods.unit} shipped",
        )


def instalment_of(terms: lc.LetterOfCreditTerms, day: datetime.date) -> int:
    """Number (from 1) of the instalment whose period contains ``day``; 0 when none does."""
    for number, instalment in enumerate(terms.instalments, start=1):
        start = to_date(instalment.period_start, "terms.instalments.period_start")
        end = to_date(instalment.period_end, "terms.instalments.period_end")
        if start <= day <= end:
            return number
    return 0


def _instalments(basis: ExaminationBasis, presentation: lc.PresentationRecord) -> Iterator[lc.Discrepancy]:
    terms = basis.terms
    if not terms.instalments:
        return
    number = presentation.instalment
    if number == 0:
        yield discrepancy(lc.DISCREPANCY_CODE_INSTALMENT_LAPSED, "shipment outside every instalment period (art. 32)")
        return
    for earlier in range(number - 1):
        if basis.position.instalment_utilised[earlier] == 0:
            yield discrepancy(
                lc.DISCREPANCY_CODE_INSTALMENT_LAPSED,
                f"instalment {earlier + 1} was not drawn in its period: the credit ceased to be available for it "
                "and every later instalment (art. 32)",
            )
            break
    instalment = terms.instalments[number - 1]
    ceiling = money.max_drawing(instalment.amount.minor_units, terms.tolerance.plus_pct, about=terms.amount_about)
    if basis.position.instalment_utilised[number - 1] > ceiling:
        yield discrepancy(lc.DISCREPANCY_CODE_OVERDRAWN, f"drawings exceed instalment {number}")
