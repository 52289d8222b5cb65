"""Test support for the letters-of-credit rules: an in-memory ledger (the state layer the contract
implements over the shim), three banks with their calendars, valid sample terms, and a desk that runs
operations as transactions (all writes of a failed operation are discarded, like Fabric does)."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from google.protobuf.message import Message

from tradefin.chaincode.contracts.compliance.ledger import HistoryEntry
from tradefin.chaincode.contracts.letters_of_credit.access import Caller, Transaction
from tradefin.chaincode.contracts.letters_of_credit.records import (
    RecordKey,
    credit_key,
    position_key,
    presentation_key,
    presentation_record_key,
    terms_key,
)
from tradefin.chaincode.contracts.letters_of_credit.service import LettersOfCreditService
from tradefin.protos import calendar_pb2, common_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

MessageT = TypeVar("MessageT", bound=Message)
UTC = datetime.UTC

ISSUER = common_pb2.BankRef(bic="TFINCNSHXXX", msp_id="IssuerMSP")
ADVISER = common_pb2.BankRef(bic="TFADGB2L", msp_id="AdviserMSP")
CONFIRMER = common_pb2.BankRef(bic="TFCODEFF", msp_id="ConfirmerMSP")
OUTSIDER = common_pb2.BankRef(bic="TFOTUS33", msp_id="OutsiderMSP")

USD = "USD"


def caller(bank: common_pb2.BankRef, role: str, name: str = "officer") -> Caller:
    """A certificate of ``bank`` carrying ``role`` and the bank's BIC as Fabric CA attributes."""
    return Caller(
        msp_id=bank.msp_id,
        identity=f"x509::CN={name},OU={role},O={bank.msp_id}::CN=ca.{bank.msp_id}",
        role=role,
        bic=bank.bic,
    )


def make_lei(prefix: str) -> str:
    """An LEI with valid ISO 7064 MOD 97-10 check digits for an 18-character prefix."""
    number = int("".join(str(int(char, 36)) for char in prefix + "00"))
    return f"{prefix}{98 - number % 97:02d}"


def date(text: str) -> common_pb2.Date:
    """A schema Date from ISO text."""
    day = datetime.date.fromisoformat(text)
    return common_pb2.Date(year=day.year, month=day.month, day=day.day)


def usd(amount: str) -> common_pb2.Money:
    """USD money from a decimal string."""
    whole, _, cents = amount.partition(".")
    return common_pb2.Money(currency=USD, minor_units=int(whole) * 100 + int(cents.ljust(2, "0")))


def calendars() -> list[calendar_pb2.BankingCalendar]:
    """Calendars of the three banks' countries: China (UTC+8, Golden Week), UK, Germany."""
    weekend = [calendar_pb2.WEEKDAY_SATURDAY, calendar_pb2.WEEKDAY_SUNDAY]
    golden_week = [date(f"2025-10-0{day}") for day in range(1, 8)]
    return [
        calendar_pb2.BankingCalendar(
            place="CN",
            version=1,
            weekend_days=weekend,
            holidays=golden_week,
            open_weekend_days=[date("2025-09-28"), date("2025-10-11")],
            utc_offset_minutes=480,
            close_of_business_minutes=17 * 60,
            description="PRC banking days 2025",
        ),
        calendar_pb2.BankingCalendar(
            place="GB",
            version=1,
            weekend_days=weekend,
            holidays=[date("2025-12-25"), date("2025-12-26")],
            utc_offset_minutes=0,
            description="UK bank holidays 2025",
        ),
        calendar_pb2.BankingCalendar(place="DE", version=1, weekend_days=weekend, utc_offset_minutes=60),
    ]


def sample_terms(**overrides: Any) -> lc.LetterOfCreditTerms:
    """Valid terms of a sight credit, available with the advising bank in London, USD 100,000 +/-5%."""
    terms = lc.LetterOfCreditTerms(
        form=lc.CREDIT_FORM_IRREVOCABLE,
        lc_number="LC2025-0001",
        rules=lc.APPLICABLE_RULES_UCP_LATEST_VERSION,
        expiry_date=date("2025-12-31"),
        expiry_place=common_pb2.Place(name="LONDON", un_locode="GBLON"),
        applicant=common_pb2.PartyRef(
            name="SHANGHAI IMPORTS CO LTD",
            address=["88 ZHONGSHAN ROAD", "SHANGHAI"],
            country="CN",
            lei=make_lei("5493001KJTIIGC8Y1R"),
            kyc_ref="KYC-CN-0042",
        ),
        beneficiary=common_pb2.PartyRef(
            name="LONDON MACHINE TOOLS PLC", address=["1 KING STREET", "LONDON"], country="GB", kyc_ref="KYC-GB-7"
        ),
        amount=usd("100000.00"),
        tolerance=lc.AmountTolerance(plus_pct=5, minus_pct=5),
        available_with=lc.AvailableWith(nominated_bank=ADVISER),
        available_by=lc.AVAILABLE_BY_PAYMENT,
        partial_shipments=lc.SHIPMENT_PERMISSION_ALLOWED,
        transhipment=lc.SHIPMENT_PERMISSION_NOT_ALLOWED,
        port_of_loading=common_pb2.Place(name="FELIXSTOWE", un_locode="GBFXT"),
        port_of_discharge=common_pb2.Place(name="SHANGHAI", un_locode="CNSHA"),
        latest_shipment_date=date("2025-12-10"),
        goods=lc.Goods(
            description="1000 CARTONS OF LATHE SPARE PARTS",
            quantity=1000,
            unit="CARTONS",
            quantity_in_packing_units=True,
            unit_price=usd("100.00"),
            incoterm="CIF",
        ),
        documents_required=[
            lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE, originals=1, copies=2),
            lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_BILL_OF_LADING, originals=3),
            lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_INSURANCE, originals=1),
        ],
        confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_WITHOUT,
        issuing_bank=ISSUER,
        advising_bank=ADVISER,
    )
    for name, value in overrides.items():
        if isinstance(value, Message):
            getattr(terms, name).CopyFrom(value)
        elif isinstance(value, list):
            field = getattr(terms, name)
            del field[:]
            field.extend(value)
        else:
            setattr(terms, name, value)
    return terms


def standby_terms() -> lc.LetterOfCreditTerms:
    """The sample terms as a standby (40E ISP LATEST VERSION) drawn by a demand alone."""
    standby = sample_terms(rules=lc.APPLICABLE_RULES_ISP_LATEST_VERSION)
    del standby.documents_required[:]
    standby.documents_required.append(lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_DEMAND, originals=1))
    return standby


def demand_documents() -> list[lc.Document]:
    """A standby's complying presentation: one demand."""
    return [lc.Document(doc_type=lc.DOCUMENT_TYPE_DEMAND, doc_ref="DEMAND-1", sha256="d" * 64, originals=1)]


def documents(
    shipped: str = "2025-12-01",
    invoiced: str = "100000.00",
    quantity: int = 1000,
    issued: str = "2025-12-01",
) -> list[lc.Document]:
    """A complying set: invoice, bill of lading (3/3), insurance."""
    return [
        lc.Document(
            doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE,
            doc_ref="INV-778",
            issue_date=date(issued),
            sha256="a" * 64,
            originals=1,
            copies=2,
            key_data=lc.DocumentKeyData(invoice_number="INV-778", amount=usd(invoiced), quantity=quantity),
        ),
        lc.Document(
            doc_type=lc.DOCUMENT_TYPE_BILL_OF_LADING,
            doc_ref="BL-ONE-1",
            issue_date=date(shipped),
            sha256="b" * 64,
            originals=3,
            key_data=lc.DocumentKeyData(
                transport_document_number="BL-ONE-1",
                shipment_date=date(shipped),
                port_of_loading=common_pb2.Place(un_locode="GBFXT"),
                port_of_discharge=common_pb2.Place(un_locode="CNSHA"),
                vessel="EVER GIVEN",
                vessel_imo="IMO9811000",
                vessel_flag="PA",
            ),
        ),
        lc.Document(
            doc_type=lc.DOCUMENT_TYPE_INSURANCE,
            doc_ref="INS-1",
            issue_date=date(shipped),
            sha256="c" * 64,
            originals=1,
        ),
    ]


class MemoryLedger:
    """The rules' state layer over dicts; writes become visible when the transaction commits."""

    def __init__(self) -> None:
        self.state: dict[tuple[str, RecordKey], bytes] = {}
        self.written_by: dict[tuple[str, RecordKey], list[str]] = defaultdict(list)
        self.public_versions: dict[RecordKey, list[HistoryEntry]] = defaultdict(list)
        self.endorsers: dict[tuple[str, RecordKey], tuple[str, ...]] = {}
        self.events: list[tuple[str, str, bytes]] = []
        self._writes: dict[tuple[str, RecordKey], bytes] = {}
        self._endorsers: dict[tuple[str, RecordKey], tuple[str, ...]] = {}
        self._event: tuple[str, bytes] | None = None

    async def read(self, key: RecordKey, collection: str = "") -> bytes | None:
        return self.state.get((collection, key))

    async def write(self, key: RecordKey, value: bytes, collection: str = "") -> None:
        self._writes[(collection, key)] = value

    async def require_endorsers(self, key: RecordKey, msp_ids: tuple[str, ...], collection: str = "") -> None:
        self._endorsers[(collection, key)] = msp_ids

    async def emit_event(self, name: str, payload: bytes) -> None:
        self._event = (name, payload)

    async def history(self, key: RecordKey) -> list[HistoryEntry]:
        return list(reversed(self.public_versions[key]))

    def commit(self, tx_id: str, timestamp: datetime.datetime) -> None:
        for slot, value in self._writes.items():
            self.state[slot] = value
            self.written_by[slot].append(tx_id)
            collection, key = slot
            if not collection:
                self.public_versions[key].append(HistoryEntry(tx_id, timestamp, value, False))
        self.endorsers.update(self._endorsers)
        if self._event is not None:
            self.events.append((tx_id, *self._event))
        self.rollback()

    def rollback(self) -> None:
        self._writes, self._endorsers, self._event = {}, {}, None

    def get(self, message_type: type[MessageT], key: RecordKey, collection: str = "") -> MessageT | None:
        value = self.state.get((collection, key))
        if value is None:
            return None
        message = message_type()
        message.ParseFromString(value)
        return message

    def last_event(self) -> lc.LetterOfCreditEvent:
        event = lc.LetterOfCreditEvent()
        event.ParseFromString(self.events[-1][2])
        return event


class Desk:
    """Runs operations of the service as transactions at a controllable time."""

    def __init__(self, now: str = "2025-11-03T09:00:00+00:00") -> None:
        self.ledger = MemoryLedger()
        self.service = LettersOfCreditService(self.ledger)
        self.now = datetime.datetime.fromisoformat(now)
        self._count = 0
        for calendar in calendars():
            self.call(
                caller(ISSUER, "compliance"),
                self.service.publish_calendar,
                api.PublishCalendarRequest(calendar=calendar),
            )

    def at(self, when: str) -> Desk:
        """Move the clock (ISO timestamp with offset, or a date meaning 10:00 UTC)."""
        self.now = datetime.datetime.fromisoformat(when if "T" in when else f"{when}T10:00:00+00:00")
        return self

    def tx(self, who: Caller) -> Transaction:
        self._count += 1
        return Transaction(tx_id=f"tx{self._count:04d}", timestamp=self.now, caller=who)

    def call(
        self,
        who: Caller,
        operation: Callable[[Transaction, Any], Coroutine[Any, Any, MessageT]],
        request: Message,
    ) -> MessageT:
        """Run one operation as a transaction: commit on success, discard every write on failure."""
        tx = self.tx(who)
        try:
            response: MessageT = asyncio.run(operation(tx, request))
        except BaseException:
            self.ledger.rollback()
            raise
        self.ledger.commit(tx.tx_id, tx.timestamp)
        return response

    def query(
        self, who: Caller, operation: Callable[[Caller, Any], Coroutine[Any, Any, MessageT]], request: Message
    ) -> MessageT:
        return asyncio.run(operation(who, request))

    # -- records ---------------------------------------------------------------------------------

    def stub(self, lc_id: str) -> lc.CreditStub:
        stub = self.ledger.get(lc.CreditStub, credit_key(lc_id))
        assert stub is not None
        return stub

    def terms(self, lc_id: str) -> lc.CreditTermsRecord:
        record = self.ledger.get(lc.CreditTermsRecord, terms_key(lc_id), self.stub(lc_id).collection)
        assert record is not None
        return record

    def position(self, lc_id: str) -> lc.CreditPosition:
        record = self.ledger.get(lc.CreditPosition, position_key(lc_id), self.stub(lc_id).collection)
        assert record is not None
        return record

    def presentation(self, presentation_id: str) -> tuple[lc.PresentationStub, lc.PresentationRecord]:
        stub = self.ledger.get(lc.PresentationStub, presentation_key(presentation_id))
        assert stub is not None
        record = self.ledger.get(
            lc.PresentationRecord, presentation_record_key(presentation_id), self.stub(stub.lc_id).collection
        )
        assert record is not None
        return stub, record

    # -- common flows ----------------------------------------------------------------------------

    def apply(self, terms: lc.LetterOfCreditTerms | None = None) -> str:
        response = self.call(
            caller(ISSUER, "client-applicant"),
            self.service.apply,
            api.ApplyRequest(terms=terms or sample_terms(), salt=bytes(range(32))),
        )
        return response.credit.lc_id

    def open_credit(self, terms: lc.LetterOfCreditTerms | None = None) -> str:
        """Apply, issue and advise; returns the credit id."""
        lc_id = self.apply(terms)
        self.call(caller(ISSUER, "issuer"), self.service.issue, api.IssueRequest(lc_id=lc_id))
        self.call(caller(ADVISER, "advisor"), self.service.advise, api.AdviseRequest(lc_id=lc_id))
        return lc_id

    def present(
        self, lc_id: str, claimed: str = "100000.00", docs: list[lc.Document] | None = None, **options: Any
    ) -> str:
        """Present documents (the options of :meth:`present_answer`); returns the presentation id."""
        return self.present_answer(lc_id, claimed, docs, **options).presentation.presentation_id

    def present_answer(
        self,
        lc_id: str,
        claimed: str = "100000.00",
        docs: list[lc.Document] | None = None,
        *,
        receiving: common_pb2.BankRef = ADVISER,
        presenter: Caller | None = None,
        presentation_id: str | None = None,
        transfer_id: str = "",
        awaiting_completeness: bool = False,
    ) -> api.PresentationResponse:
        """Present documents; returns the chaincode's answer."""
        presentation_id = presentation_id or str(uuid.uuid4())
        return self.call(
            presenter or caller(ADVISER, "client-beneficiary"),
            self.service.present,
            api.PresentRequest(
                presentation_id=presentation_id,
                lc_id=lc_id,
                receiving_bank_bic=receiving.bic,
                claimed=usd(claimed),
                documents=documents() if docs is None else docs,
                transfer_id=transfer_id,
                awaiting_completeness=awaiting_completeness,
            ),
        )

    def examine(
        self, presentation_id: str, examiner: Caller | None = None, *found: lc.Discrepancy
    ) -> lc.PresentationStub:
        response = self.call(
            examiner or caller(ADVISER, "examiner"),
            self.service.examine,
            api.ExamineRequest(presentation_id=presentation_id, discrepancies=found),
        )
        return response.presentation

    def honour(
        self, presentation_id: str, amount: str = "100000.00", honourer: Caller | None = None, **extra: Any
    ) -> lc.PresentationStub:
        response = self.call(
            honourer or caller(ADVISER, "approver"),
            self.service.honour,
            api.HonourRequest(presentation_id=presentation_id, amount=usd(amount), **extra),
        )
        return response.presentation
