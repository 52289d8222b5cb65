"""Objective examination checks (arts. 14, 18, 29-32), called directly on the pure function."""

from __future__ import annotations

import datetime

import pytest

from tradefin.chaincode.contracts.letters_of_credit.banking_days import BankingDays
from tradefin.chaincode.contracts.letters_of_credit.examination import (
    ExaminationBasis,
    instalment_of,
    objective_discrepancies,
)
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import calendars, date, demand_documents, documents, sample_terms, standby_terms, usd

C = lc.DiscrepancyCode


def examine(
    docs: list[lc.Document] | None = None,
    *,
    claimed: str = "100000.00",
    presented: str = "2025-12-03",
    terms: lc.LetterOfCreditTerms | None = None,
    position: lc.CreditPosition | None = None,
    transfer: lc.TransferRecord | None = None,
    instalment: int = 0,
) -> list[int]:
    terms = terms or sample_terms()
    record = lc.PresentationRecord(
        claimed=usd(claimed), documents=documents() if docs is None else docs, instalment=instalment
    )
    basis = ExaminationBasis(
        terms=terms,
        position=position or lc.CreditPosition(max_amount=10_500_000, instalment_utilised=[0] * len(terms.instalments)),
        transfer=transfer,
        presented_on=datetime.date.fromisoformat(presented),
        days=BankingDays.from_record(calendars()[1]),
    )
    return [item.code for item in objective_discrepancies(basis, record)]


def test_a_complying_set() -> None:
    assert examine() == []


def test_missing_documents_and_originals() -> None:
    docs = documents()
    del docs[2]
    assert examine(docs) == [C.DISCREPANCY_CODE_DOC_MISSING]
    docs = documents()
    docs[1].originals = 2
    assert examine(docs) == [C.DISCREPANCY_CODE_DOC_MISSING]


def test_document_dated_after_presentation() -> None:
    assert examine(documents(issued="2025-12-04")) == [C.DISCREPANCY_CODE_INCONSISTENT_DATA]


def test_shipment_dated_after_presentation() -> None:
    """A transport document whose shipment date is later than the presentation cannot comply (art. 14i:
    a document is not dated later than its presentation; the on-board date dates the shipment, art.
    20a ii) -- even though it is neither late nor presented late."""
    docs = documents(shipped="2025-12-01", issued="2025-12-01")
    docs[1].key_data.shipment_date.CopyFrom(date("2025-12-05"))
    assert examine(docs, presented="2025-12-03") == [C.DISCREPANCY_CODE_INCONSISTENT_DATA]
    assert examine(docs, presented="2025-12-05") == []


def test_late_shipment_is_never_extended() -> None:
    assert examine(documents(shipped="2025-12-11", issued="2025-12-11"), presented="2025-12-12") == [
        C.DISCREPANCY_CODE_LATE_SHIPMENT
    ]
    assert examine(documents(shipped="2025-12-10", issued="2025-12-10"), presented="2025-12-12") == []
    # art. 29c: a 44C falling on a day the bank is closed (Saturday 6 Dec) is not moved to the next day
    weekend = sample_terms()
    weekend.latest_shipment_date.CopyFrom(date("2025-12-06"))
    assert examine(documents(shipped="2025-12-06", issued="2025-12-06"), presented="2025-12-09", terms=weekend) == []
    assert examine(documents(shipped="2025-12-08", issued="2025-12-08"), presented="2025-12-09", terms=weekend) == [
        C.DISCREPANCY_CODE_LATE_SHIPMENT
    ]


def test_shipment_window_uses_art_3_terms() -> None:
    terms = sample_terms()
    terms.ClearField("latest_shipment_date")
    terms.shipment_window.CopyFrom(lc.DateTerm(kind=lc.DATE_TERM_KIND_SECOND_HALF_OF_MONTH, date=date("2025-11-01")))
    assert examine(documents(shipped="2025-11-16", issued="2025-11-16"), terms=terms) == []
    assert examine(documents(shipped="2025-11-15", issued="2025-11-15"), terms=terms) == [
        C.DISCREPANCY_CODE_LATE_SHIPMENT
    ]
    assert examine(documents(shipped="2025-12-01"), terms=terms) == [C.DISCREPANCY_CODE_LATE_SHIPMENT]


def test_21_days_after_shipment_with_the_art_29_extension() -> None:
    shipped = documents(shipped="2025-11-01", issued="2025-11-01")
    # 1 Nov + 21 days = Saturday 22 Nov: the last day moves to Monday 24 Nov.
    assert examine(shipped, presented="2025-11-24") == []
    assert examine(shipped, presented="2025-11-25") == [C.DISCREPANCY_CODE_LATE_PRESENTATION]


def test_field_48_replaces_the_21_days() -> None:
    terms = sample_terms(presentation_period=lc.PresentationPeriod(days=10))
    shipped = documents(shipped="2025-11-20", issued="2025-11-20")
    assert examine(shipped, presented="2025-12-01", terms=terms) == []
    assert examine(shipped, presented="2025-12-02", terms=terms) == [C.DISCREPANCY_CODE_LATE_PRESENTATION]


def test_latest_of_several_transport_documents_governs() -> None:
    docs = documents(shipped="2025-11-01", issued="2025-11-01")
    second = lc.Document()
    second.CopyFrom(docs[1])
    second.key_data.shipment_date.CopyFrom(date("2025-11-10"))
    docs.append(second)
    assert examine(docs, presented="2025-11-28") == []  # 21 days after 10 Nov is 1 Dec


def test_transport_document_without_a_shipment_date() -> None:
    docs = documents()
    docs[1].key_data.ClearField("shipment_date")
    assert examine(docs) == [C.DISCREPANCY_CODE_INCONSISTENT_DATA]


def test_port_un_locode_must_match_when_both_are_stated() -> None:
    docs = documents()
    docs[1].key_data.port_of_loading.un_locode = "GBSOU"
    assert examine(docs) == [C.DISCREPANCY_CODE_INCONSISTENT_DATA]
    docs[1].key_data.port_of_loading.un_locode = ""
    assert examine(docs) == []


def test_amount_against_the_ceiling_and_the_invoice() -> None:
    assert examine(documents(invoiced="105000.01"), claimed="105000.01") == [C.DISCREPANCY_CODE_OVERDRAWN]
    assert examine(documents(invoiced="105000.00"), claimed="105000.00") == []
    assert examine(documents(invoiced="90000.00"), claimed="95000.00") == [C.DISCREPANCY_CODE_INCONSISTENT_DATA]
    assert examine(documents(invoiced="120000.00"), claimed="100000.00") == []  # art. 18b
    docs = documents()
    docs[0].key_data.amount.currency = "EUR"
    assert examine(docs) == [C.DISCREPANCY_CODE_INCONSISTENT_DATA]


def test_partial_drawings_prohibited_art_30c_and_39a() -> None:
    no_partial = sample_terms(partial_shipments=lc.SHIPMENT_PERMISSION_NOT_ALLOWED)
    assert examine(documents(invoiced="95000.00"), claimed="95000.00", terms=no_partial) == []  # 39A minus 5%
    assert examine(documents(invoiced="94999.99"), claimed="94999.99", terms=no_partial) == [
        C.DISCREPANCY_CODE_PARTIAL_NOT_ALLOWED
    ]
    drawn = lc.CreditPosition(max_amount=10_500_000, honoured_drawings=1)
    assert examine(terms=no_partial, position=drawn) == [C.DISCREPANCY_CODE_PARTIAL_NOT_ALLOWED]
    exact = sample_terms(partial_shipments=lc.SHIPMENT_PERMISSION_NOT_ALLOWED, tolerance=lc.AmountTolerance())
    assert C.DISCREPANCY_CODE_PARTIAL_NOT_ALLOWED in examine(
        documents(invoiced="99999.99"), claimed="99999.99", terms=exact
    )
    allowed = sample_terms()
    assert examine(documents(invoiced="10.00", quantity=1), claimed="10.00", terms=allowed) == []


def test_quantity_tolerance_art_30b() -> None:
    assert examine(documents(quantity=1001)) == [C.DISCREPANCY_CODE_QUANTITY_OUT_OF_TOLERANCE]  # packing units
    bulk = sample_terms()
    bulk.goods.quantity_in_packing_units = False
    bulk.goods.unit = "METRIC TONS"
    assert examine(documents(quantity=1050), terms=bulk) == []
    assert examine(documents(quantity=1051), terms=bulk) == [C.DISCREPANCY_CODE_QUANTITY_OUT_OF_TOLERANCE]
    bulk.partial_shipments = lc.SHIPMENT_PERMISSION_NOT_ALLOWED
    assert examine(documents(quantity=949), terms=bulk) == [C.DISCREPANCY_CODE_PARTIAL_NOT_ALLOWED]


def instalment_terms() -> lc.LetterOfCreditTerms:
    return sample_terms(
        instalments=[
            lc.Instalment(period_start=date("2025-11-01"), period_end=date("2025-11-15"), amount=usd("50000")),
            lc.Instalment(period_start=date("2025-11-16"), period_end=date("2025-12-10"), amount=usd("50000")),
        ]
    )


def test_instalments_art_32() -> None:
    terms = instalment_terms()
    assert instalment_of(terms, datetime.date(2025, 11, 20)) == 2
    assert instalment_of(terms, datetime.date(2025, 10, 20)) == 0
    second = documents(shipped="2025-11-20", issued="2025-11-20", invoiced="50000.00", quantity=500)
    drawn_first = lc.CreditPosition(max_amount=10_500_000, instalment_utilised=[5_000_000, 5_000_000])
    assert examine(second, claimed="50000.00", terms=terms, position=drawn_first, instalment=2) == []
    missed_first = lc.CreditPosition(max_amount=10_500_000, instalment_utilised=[0, 5_000_000])
    assert examine(second, claimed="50000.00", terms=terms, position=missed_first, instalment=2) == [
        C.DISCREPANCY_CODE_INSTALMENT_LAPSED
    ]
    over = lc.CreditPosition(max_amount=10_500_000, instalment_utilised=[5_000_000, 5_250_001])
    assert examine(second, claimed="50000.00", terms=terms, position=over, instalment=2) == [
        C.DISCREPANCY_CODE_OVERDRAWN
    ]
    assert examine(second, claimed="50000.00", terms=terms, position=drawn_first, instalment=0) == [
        C.DISCREPANCY_CODE_INSTALMENT_LAPSED
    ]


def test_standby_has_no_shipment_checks() -> None:
    standby, demand = standby_terms(), demand_documents()
    assert examine(demand, terms=standby, presented="2025-12-30") == []
    assert examine(documents(shipped="2025-12-20", issued="2025-12-20"), terms=standby, presented="2025-12-22") == [
        C.DISCREPANCY_CODE_DOC_MISSING
    ]


@pytest.mark.parametrize("field", ["latest_shipment_date", "presentation_period_days"])
def test_transferred_terms_are_used_for_a_second_beneficiary(field: str) -> None:
    transfer = lc.TransferRecord(amount=usd("60000"))
    if field == "latest_shipment_date":
        transfer.latest_shipment_date.CopyFrom(date("2025-11-30"))
        docs, presented = documents(shipped="2025-12-01", invoiced="60000.00", quantity=600), "2025-12-03"
        expected = [C.DISCREPANCY_CODE_LATE_SHIPMENT]
    else:
        transfer.presentation_period_days = 5
        docs, presented = (
            documents(shipped="2025-11-20", issued="2025-11-20", invoiced="60000.00", quantity=600),
            "2025-11-26",
        )
        expected = [C.DISCREPANCY_CODE_LATE_PRESENTATION]
    assert examine(docs, claimed="60000.00", presented=presented, transfer=transfer) == expected
