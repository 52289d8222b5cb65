"""Letters of credit on the real session network, through the typed client only.

Channel asia-europe: bank1 (Asia Trade Bank, HK) issues, bank2 (Euro Commerce Bank, DE) advises and is
the nominated bank; every actor is a role-bearing user of its bank (``issuer@bank1``, ``examiner@bank2``,
...). Each test publishes banking-day calendars of its own (unique UN/LOCODE places named in the
credit's BankRefs), so it can move business time by publishing the next calendar version -- a close of
business at 00:01 makes any act count on the next day, holidays push the next banking day out -- while
the transaction timestamps stay honest (endorsers refuse a skew above five minutes). The calendars have
no weekend and a UTC offset that puts local time near noon, so dates do not drift during a test.

The desk's clients share a :class:`Session`, so each actor's peer has committed what the previous
actor (of either bank) wrote before it acts. Ledger facts are read back from the ledger: the stubs'
versions, the private balances, the chaincode events of the blocks the receipts name, and the
channel's height (qscc) to prove a refusal wrote nothing.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import secrets
import string
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from fabric_protos.common import ledger_pb2

from tradefin.gateway import CommitError, ConnectionProfile, Gateway, load_msp_identity, load_msp_signer
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway.tradefin import (
    Committed,
    Compliance,
    DeadlinePassedError,
    DuplicateError,
    DuplicateFinancingError,
    ExpiredError,
    InsufficientFundsError,
    InvalidInputError,
    InvalidStateError,
    LettersOfCredit,
    NotFoundError,
    Session,
    TradeFinanceError,
    UnauthorizedError,
    aio,
    credit_event,
    date_of,
    money,
)
from tradefin.gateway.tradefin.compliance import bill_of_lading_fingerprints
from tradefin.network.network import FabricNetwork
from tradefin.network.spec import BankSpec
from tradefin.protos import calendar_pb2, common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_pb2 as lc

CHANNEL = "asia-europe"
CHAINCODE = "tradefin"
USD = "USD"
_PLACE_CHARACTERS = string.ascii_uppercase + "23456789"
#: The place codes drawn in this test session (every module draws through new_place).
_DRAWN_PLACES: set[str] = set()


# ------------------------------------------------------------------------------------------------
# Actors, places, terms and documents


class Desk:
    """Typed clients as the banks' users, over gateways opened on demand and closed at the end."""

    def __init__(self, network: FabricNetwork, channel: str = CHANNEL) -> None:
        self.network = network
        self.channel = channel
        self._gateways: dict[tuple[str, str], Gateway] = {}
        # Every actor reads what the previous one wrote, whichever bank's peer it talks to.
        self.session = Session()

    def gateway(self, bank: str, user: str) -> Gateway:
        key = (bank, user)
        if key not in self._gateways:
            self._gateways[key] = self.network.gateway(self.network.spec.bank(bank), user=user)
        return self._gateways[key]

    def client(self, bank: str, user: str, *, validate: bool = True, pin_endorsers: bool = True) -> LettersOfCredit:
        return LettersOfCredit(
            self.gateway(bank, user), self.channel, validate=validate, pin_endorsers=pin_endorsers, session=self.session
        )

    def bank(self, name: str) -> BankSpec:
        return self.network.spec.bank(name)

    def chain_height(self) -> int:
        """The channel's block height on bank1's peer (qscc GetChainInfo through the gateway)."""
        qscc = self.gateway("bank1", "auditor").get_network(self.channel).get_contract("qscc")
        info = ledger_pb2.BlockchainInfo.FromString(qscc.evaluate("GetChainInfo", [self.channel]))
        return int(info.height)

    def events(self, start_block: int, lc_id: str, count: int) -> list[tuple[str, lc.LetterOfCreditEvent]]:
        """The first ``count`` chaincode events of a credit from ``start_block`` on."""
        found: list[tuple[str, lc.LetterOfCreditEvent]] = []
        network = self.gateway("bank1", "auditor").get_network(self.channel)
        with network.chaincode_events(CHAINCODE, start_block=start_block, timeout=30) as stream:
            for event in stream:
                if not event.event_name.startswith("lc."):
                    continue
                decoded = credit_event(event)
                if decoded.lc_id == lc_id:
                    found.append((event.event_name, decoded))
                if len(found) == count:
                    break
        return found

    def close(self) -> None:
        for gateway in self._gateways.values():
            gateway.close()


def aio_gateway(network: FabricNetwork, bank: str, user: str) -> gateway_aio.Gateway:
    """An asyncio gateway connection to the bank's peer as one of its users."""
    spec = network.spec.bank(bank)
    profile = ConnectionProfile.load(network.layout.profile(spec, "json"))
    msp = network.layout.bank_user(spec, user) / "msp"
    return gateway_aio.connect(
        profile.endpoint(spec.peer_host(0)), load_msp_identity(msp, spec.msp_id), load_msp_signer(msp)
    )


def local_noon_offset(now: datetime.datetime) -> int:
    """A UTC offset in whole hours (within +/-12 h) that puts local time between 10:00 and 14:00."""
    offset = 12 - now.hour
    return max(-12, min(12, offset)) * 60


@dataclass
class Place:
    """A calendar place of this test run: version 1 is a plain calendar, later versions move time."""

    code: str
    utc_offset_minutes: int
    version: int = 0

    @property
    def today(self) -> datetime.date:
        offset = datetime.timedelta(minutes=self.utc_offset_minutes)
        return (datetime.datetime.now(datetime.UTC) + offset).date()

    def publish(
        self, desk: Desk, *, holidays: tuple[datetime.date, ...] = (), close_of_business_minutes: int = 0
    ) -> calendar_pb2.BankingCalendar:
        """Publish the next version (a compliance officer of bank1 publishes every place)."""
        calendar = calendar_pb2.BankingCalendar(
            place=self.code,
            version=self.version + 1,
            weekend_days=[],
            holidays=[date_of(day) for day in holidays],
            utc_offset_minutes=self.utc_offset_minutes,
            close_of_business_minutes=close_of_business_minutes,
            description="integration test calendar",
        )
        published = desk.client("bank1", "compliance").publish_calendar(calendar)
        self.version = published.record.version
        return published.record


def new_place(desk: Desk, country: str) -> Place:
    """A place of ``country`` no test of this session has published (its calendar at version 1): with
    34^3 codes a country and a hundred places drawn per session, two draws met now and then (a CI run
    failed on 'the next version of DELBH is 2')."""
    code = ""
    while not code or code in _DRAWN_PLACES:
        code = country + "".join(secrets.choice(_PLACE_CHARACTERS) for _ in range(3))
    _DRAWN_PLACES.add(code)
    place = Place(code, local_noon_offset(datetime.datetime.now(datetime.UTC)))
    place.publish(desk)
    return place


@dataclass
class Banks:
    """The credit's banks with calendar places of their own."""

    issuer_place: Place
    advising_place: Place
    issuing: common_pb2.BankRef = field(init=False)
    advising: common_pb2.BankRef = field(init=False)
    bics: dict[str, str] = field(default_factory=dict)

    def bind(self, desk: Desk, issuing_bank: str = "bank1", advising_bank: str = "bank2") -> Banks:
        first, second = desk.bank(issuing_bank), desk.bank(advising_bank)
        self.issuing = common_pb2.BankRef(bic=first.bic, msp_id=first.msp_id, calendar_place=self.issuer_place.code)
        self.advising = common_pb2.BankRef(
            bic=second.bic, msp_id=second.msp_id, calendar_place=self.advising_place.code
        )
        return self

    @property
    def today(self) -> datetime.date:
        return self.advising_place.today


def new_lc_number() -> str:
    return "T" + uuid.uuid4().hex[:12].upper()


def credit_terms(
    banks: Banks,
    *,
    available_by: lc.AvailableBy.ValueType = lc.AVAILABLE_BY_PAYMENT,
    amount: str = "100000.00",
    expiry: datetime.date | None = None,
    lc_number: str | None = None,
) -> lc.LetterOfCreditTerms:
    """Sight-style credit terms: USD, 39A 5/5, available with bank2, invoice + bill of lading."""
    today = banks.today
    expiry = expiry or today + datetime.timedelta(days=60)
    terms = lc.LetterOfCreditTerms(
        form=lc.CREDIT_FORM_IRREVOCABLE,
        lc_number=lc_number or new_lc_number(),
        rules=lc.APPLICABLE_RULES_UCP_LATEST_VERSION,
        expiry_date=date_of(expiry),
        expiry_place=common_pb2.Place(name="FRANKFURT", un_locode="DEFRA"),
        applicant=common_pb2.PartyRef(
            name="KOWLOON PRECISION IMPORTS LTD", address=["18 HARBOUR ROAD", "HONG KONG"], country="HK", kyc_ref="K-1"
        ),
        beneficiary=common_pb2.PartyRef(
            name="RHEINLAND MASCHINENBAU GMBH", address=["MAINZER LANDSTR 1", "FRANKFURT"], country="DE"
        ),
        amount=money(USD, amount),
        tolerance=lc.AmountTolerance(plus_pct=5, minus_pct=5),
        available_with=lc.AvailableWith(nominated_bank=banks.advising),
        available_by=available_by,
        partial_shipments=lc.SHIPMENT_PERMISSION_ALLOWED,
        port_of_loading=common_pb2.Place(name="HAMBURG", un_locode="DEHAM"),
        port_of_discharge=common_pb2.Place(name="HONG KONG", un_locode="HKHKG"),
        latest_shipment_date=date_of(min(expiry, today + datetime.timedelta(days=30))),
        goods=lc.Goods(description="12 CNC TURNING CENTRES, CIF HONG KONG", incoterm="CIF"),
        documents_required=[
            lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE, originals=1, copies=1),
            lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_BILL_OF_LADING, originals=3),
        ],
        confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_WITHOUT,
        issuing_bank=banks.issuing,
        advising_bank=banks.advising,
    )
    if available_by == lc.AVAILABLE_BY_ACCEPTANCE:
        terms.draft_tenor = "90 DAYS AFTER SIGHT"
        terms.drawee.CopyFrom(common_pb2.InstitutionRef(bic=banks.advising.bic))
    elif available_by == lc.AVAILABLE_BY_DEFERRED_PAYMENT:
        terms.deferred_payment = "180 DAYS AFTER B/L DATE"
    elif available_by == lc.AVAILABLE_BY_MIXED_PAYMENT:
        terms.mixed_payment = "50 PCT AT SIGHT\n50 PCT 90 DAYS AFTER B/L DATE"
    return terms


def documents(banks: Banks, invoiced: str) -> list[lc.Document]:
    """A complying set: the invoice for ``invoiced`` and a full set of bills of lading shipped 2 days ago."""
    shipped = date_of(banks.today - datetime.timedelta(days=2))
    number = uuid.uuid4().hex[:8].upper()
    return [
        lc.Document(
            doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE,
            doc_ref=f"INV-{number}",
            issue_date=shipped,
            sha256=secrets.token_hex(32),
            originals=1,
            copies=1,
            key_data=lc.DocumentKeyData(invoice_number=f"INV-{number}", amount=money(USD, invoiced)),
        ),
        lc.Document(
            doc_type=lc.DOCUMENT_TYPE_BILL_OF_LADING,
            doc_ref=f"BL-{number}",
            issue_date=shipped,
            sha256=secrets.token_hex(32),
            originals=3,
            key_data=lc.DocumentKeyData(
                transport_document_number=f"BL-{number}",
                shipment_date=shipped,
                port_of_loading=common_pb2.Place(un_locode="DEHAM"),
                port_of_discharge=common_pb2.Place(un_locode="HKHKG"),
                vessel="MAERSK ESSEN",
                vessel_imo="IMO9456769",
                vessel_flag="DK",
            ),
        ),
    ]


def open_credit(desk: Desk, terms: lc.LetterOfCreditTerms) -> list[Committed[lc.CreditStub]]:
    """Apply (the applicant through bank1), issue (bank1), advise (bank2): the three receipts."""
    applied = desk.client("bank1", "client-applicant").apply(terms)
    lc_id = applied.record.lc_id
    issued = desk.client("bank1", "issuer").issue(lc_id)
    advised = desk.client("bank2", "advisor").advise(lc_id)
    return [applied, issued, advised]


def present(
    desk: Desk,
    banks: Banks,
    lc_id: str,
    claimed: str,
    *,
    presentation_id: str | None = None,
    receiving: common_pb2.BankRef | None = None,
) -> Committed[lc.PresentationStub]:
    return desk.client("bank2", "client-beneficiary").present(
        lc_id,
        receiving_bank_bic=(receiving or banks.advising).bic,
        claimed=money(USD, claimed),
        documents=documents(banks, claimed),
        presentation_id=presentation_id,
    )


def position(desk: Desk, lc_id: str) -> lc.CreditPosition:
    return desk.client("bank1", "issuer").get_credit_terms(lc_id).position


# ------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def desk(fabric_network: FabricNetwork) -> Iterator[Desk]:
    opened = Desk(fabric_network)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture()
def banks(desk: Desk) -> Banks:
    """bank1 and bank2 with fresh calendar places (version 1: every day a banking day)."""
    return Banks(new_place(desk, "HK"), new_place(desk, "DE")).bind(desk)


# ------------------------------------------------------------------------------------------------
# Happy paths, one per availability type


HONOURED_AS = {
    lc.AVAILABLE_BY_PAYMENT: lc.PRESENTATION_STATE_HONOURED,
    lc.AVAILABLE_BY_ACCEPTANCE: lc.PRESENTATION_STATE_ACCEPTED,
    lc.AVAILABLE_BY_NEGOTIATION: lc.PRESENTATION_STATE_NEGOTIATED,
    lc.AVAILABLE_BY_DEFERRED_PAYMENT: lc.PRESENTATION_STATE_DEFERRED_UNDERTAKEN,
    lc.AVAILABLE_BY_MIXED_PAYMENT: lc.PRESENTATION_STATE_HONOURED,
}


@pytest.mark.parametrize(
    "available_by", list(HONOURED_AS), ids=lambda by: lc.AvailableBy.Name(by).removeprefix("AVAILABLE_BY_").lower()
)
def test_a_credit_runs_from_application_to_reimbursement(
    desk: Desk, banks: Banks, available_by: lc.AvailableBy.ValueType
) -> None:
    receipts: list[Committed[lc.CreditStub] | Committed[lc.PresentationStub]] = []
    opened = open_credit(desk, credit_terms(banks, available_by=available_by))
    receipts.extend(opened)
    lc_id = opened[0].record.lc_id
    assert [receipt.record.state for receipt in opened] == [
        lc.CREDIT_STATE_DRAFT_APPLICATION,
        lc.CREDIT_STATE_ISSUED,
        lc.CREDIT_STATE_ADVISED,
    ]
    assert opened[1].record.issue_date == date_of(banks.issuer_place.today)
    assert opened[0].record.endorsing_msp_ids == ["Bank1MSP", "Bank2MSP"]

    presented = present(desk, banks, lc_id, "80000.00")
    receipts.append(presented)
    presentation_id = presented.record.presentation_id
    assert presented.record.state == lc.PRESENTATION_STATE_UNDER_EXAMINATION
    assert presented.record.examination_deadline == date_of(banks.today + datetime.timedelta(days=5))

    examined = desk.client("bank2", "examiner").examine(presentation_id)
    receipts.append(examined)
    assert examined.record.state == lc.PRESENTATION_STATE_COMPLYING

    deferred = available_by in (lc.AVAILABLE_BY_ACCEPTANCE, lc.AVAILABLE_BY_DEFERRED_PAYMENT)
    honoured = desk.client("bank2", "approver").honour(
        presentation_id, money(USD, "80000.00"), maturity_date=banks.today if deferred else None
    )
    receipts.append(honoured)
    assert honoured.record.state == HONOURED_AS[available_by]
    if deferred:
        paid = desk.client("bank2", "treasury").pay_at_maturity(presentation_id)
        receipts.append(paid)
        assert paid.record.state == lc.PRESENTATION_STATE_MATURED_PAID

    reimbursed = desk.client("bank1", "treasury").reimburse(presentation_id, money(USD, "80000.00"))
    receipts.append(reimbursed)
    assert reimbursed.record.state == lc.PRESENTATION_STATE_REIMBURSED

    balances = position(desk, lc_id)
    assert (balances.drawn, balances.reserved, balances.reimbursable, balances.reimbursed) == (
        8_000_000,
        0,
        8_000_000,
        8_000_000,
    )
    credit = desk.client("bank2", "advisor").get_credit(lc_id)
    assert credit.state == lc.CREDIT_STATE_ADVISED and credit.open_presentations == 0

    # Every transition is in the block its receipt names, as a chaincode event (INV-LC-14).
    blocks = [receipt.block_number for receipt in receipts]
    assert blocks == sorted(blocks) and len(set(blocks)) == len(blocks)
    events = desk.events(blocks[0], lc_id, len(receipts))
    names = [name for name, _ in events]
    expected = ["lc.applied", "lc.issued", "lc.advised", "lc.presented", "lc.examined", "lc.honoured"]
    expected += ["lc.paid_at_maturity"] if deferred else []
    assert names == [*expected, "lc.reimbursed"]
    assert [event.tx_id for _, event in events] == [receipt.transaction_id for receipt in receipts]
    assert {event.actor_msp_id for _, event in events} == {"Bank1MSP", "Bank2MSP"}

    # ... and a version of the credit's public stub, read back newest first from the ledger's history;
    # the presentation's stub has one per step of its own.
    history = desk.client("bank1", "auditor").credit_history(lc_id)
    assert [version.tx_id for version in history] == [receipt.transaction_id for receipt in reversed(receipts)]
    assert [version.stub.version for version in history] == list(range(len(receipts), 0, -1))
    assert history[0].stub == credit and history[-1].stub == opened[0].record
    stamps = [version.timestamp for version in reversed(history)]
    assert stamps == sorted(stamps)  # every desk proposes with this machine's clock
    steps = receipts[len(opened) :]
    presentation_history = desk.client("bank2", "auditor").presentation_history(presentation_id)
    assert [version.tx_id for version in presentation_history] == [step.transaction_id for step in reversed(steps)]
    assert [version.stub for version in presentation_history] == [step.record for step in reversed(steps)]


def test_a_refusal_in_time_holds_the_documents_until_they_are_returned(desk: Desk, banks: Banks) -> None:
    lc_id = open_credit(desk, credit_terms(banks))[0].record.lc_id
    presentation_id = present(desk, banks, lc_id, "60000.00").record.presentation_id
    mismatch = lc.Discrepancy(code=lc.DISCREPANCY_CODE_DESCRIPTION_MISMATCH, text="GOODS DESCRIBED AS MILLING CENTRES")
    examiner = desk.client("bank2", "examiner")
    assert examiner.examine(presentation_id, [mismatch]).record.state == lc.PRESENTATION_STATE_DISCREPANT

    refused = examiner.refuse(presentation_id, [mismatch], lc.REFUSAL_DISPOSAL_HOLD, narrative="DOCUMENTS HELD")
    assert refused.record.state == lc.PRESENTATION_STATE_REFUSED
    assert list(refused.record.discrepancy_codes) == [lc.DISCREPANCY_CODE_DESCRIPTION_MISMATCH]
    with pytest.raises(InvalidStateError, match="one notice"):  # INV-LC-06
        examiner.refuse(presentation_id, [mismatch], lc.REFUSAL_DISPOSAL_HOLD)
    record = desk.client("bank1", "issuer").get_presentation(presentation_id).record
    assert record is not None and record.refusal.discrepancies[0].text == "GOODS DESCRIBED AS MILLING CENTRES"

    returned = examiner.return_documents(presentation_id)
    assert returned.record.state == lc.PRESENTATION_STATE_RETURNED
    assert position(desk, lc_id).reserved == 0


def test_a_bill_of_lading_presented_under_one_credit_supports_no_second_until_returned(
    desk: Desk, banks: Banks
) -> None:
    """DOMAIN 4.5: the presentation holds its B/L's keyed fingerprint in the duplicate-financing registry."""
    bill = bill_of_lading_fingerprints(secrets.token_bytes(32), carrier="MAEU", bill_number=f"BL{uuid.uuid4().hex}")
    first, second = (open_credit(desk, credit_terms(banks))[0].record.lc_id for _ in range(2))
    beneficiary, examiner = desk.client("bank2", "client-beneficiary"), desk.client("bank2", "examiner")
    registry = Compliance(desk.gateway("bank1", "issuer"), desk.channel, session=desk.session)

    def presenting(lc_id: str) -> Committed[lc.PresentationStub]:
        documents_ = documents(banks, "60000.00")
        documents_[1].fingerprints.extend(bill)
        return beneficiary.present(
            lc_id, receiving_bank_bic=banks.advising.bic, claimed=money(USD, "60000.00"), documents=documents_
        )

    presentation_id = presenting(first).record.presentation_id
    assert [entry.status for entry in registry.get_financing(bill)] == [cp.FINANCING_STATUS_FINANCED]
    with pytest.raises(DuplicateFinancingError, match="already financed"):
        presenting(second)

    mismatch = lc.Discrepancy(code=lc.DISCREPANCY_CODE_DESCRIPTION_MISMATCH, text="GOODS DESCRIBED AS MILLING CENTRES")
    examiner.examine(presentation_id, [mismatch])
    returned = examiner.refuse(presentation_id, [mismatch], lc.REFUSAL_DISPOSAL_RETURN)
    assert returned.record.state == lc.PRESENTATION_STATE_RETURNED
    assert [entry.status for entry in registry.get_financing(bill)] == [cp.FINANCING_STATUS_RELEASED]
    assert presenting(second).record.state == lc.PRESENTATION_STATE_UNDER_EXAMINATION


# ------------------------------------------------------------------------------------------------
# Refusals by the rules


def test_a_bank_that_is_not_the_issuer_cannot_issue(desk: Desk, banks: Banks) -> None:
    lc_id = desk.client("bank1", "client-applicant").apply(credit_terms(banks)).record.lc_id

    with pytest.raises(UnauthorizedError) as other_bank:
        desk.client("bank2", "issuer").issue(lc_id)
    assert "reserved to ASTBHKHH (Bank1MSP)" in other_bank.value.reason
    assert "Bank2MSP" in other_bank.value.reason and len(other_bank.value.details) == 2
    with pytest.raises(UnauthorizedError, match="role issuer"):
        desk.client("bank1", "advisor").issue(lc_id)

    credit = desk.client("bank1", "issuer").get_credit(lc_id)
    assert (credit.state, credit.version) == (lc.CREDIT_STATE_DRAFT_APPLICATION, 1)
    assert desk.client("bank1", "issuer").issue(lc_id).record.state == lc.CREDIT_STATE_ISSUED


def test_a_presentation_after_expiry_is_refused_and_the_credit_expires(desk: Desk, banks: Banks) -> None:
    lc_id = open_credit(desk, credit_terms(banks, expiry=banks.today))[0].record.lc_id
    # From now on any act at bank2's place counts on the next day (close of business at 00:01).
    banks.advising_place.publish(desk, close_of_business_minutes=1)
    presentation_id = str(uuid.uuid4())

    with pytest.raises(ExpiredError) as late:
        present(desk, banks, lc_id, "10000.00", presentation_id=presentation_id)
    assert f"after the expiry {banks.today.isoformat()}" in late.value.reason
    with pytest.raises(NotFoundError):  # nothing was written
        desk.client("bank2", "advisor").get_presentation(presentation_id)

    with pytest.raises(InvalidStateError, match="can still be presented"):  # bank1's place: still today
        desk.client("bank1", "issuer").expire(lc_id)
    banks.issuer_place.publish(desk, close_of_business_minutes=1)
    expired = desk.client("bank1", "issuer").expire(lc_id)
    assert expired.record.state == lc.CREDIT_STATE_EXPIRED
    with pytest.raises(ExpiredError, match="has expired: no presentation"):
        present(desk, banks, lc_id, "10000.00")


def test_a_drawing_exactly_at_the_tolerance_ceiling_is_honoured_one_unit_more_is_not(desk: Desk, banks: Banks) -> None:
    lc_id = open_credit(desk, credit_terms(banks, amount="100000.00"))[0].record.lc_id  # 39A +5%: 105,000.00
    before = desk.client("bank1", "issuer").get_credit(lc_id)

    with pytest.raises(InsufficientFundsError) as over:
        present(desk, banks, lc_id, "105000.01")
    assert over.value.field == "claimed.minor_units" and "105000.00 USD" in over.value.reason
    assert desk.client("bank1", "issuer").get_credit(lc_id).version == before.version

    at_ceiling = present(desk, banks, lc_id, "105000.00").record.presentation_id
    assert desk.client("bank2", "examiner").examine(at_ceiling).record.state == lc.PRESENTATION_STATE_COMPLYING
    honoured = desk.client("bank2", "approver").honour(at_ceiling, money(USD, "105000.00"))
    assert honoured.record.state == lc.PRESENTATION_STATE_HONOURED
    balances = position(desk, lc_id)
    assert balances.drawn == balances.max_amount == 10_500_000
    assert desk.client("bank1", "issuer").get_credit(lc_id).state == lc.CREDIT_STATE_FULLY_UTILISED


def test_a_refusal_after_the_fifth_banking_day_is_too_late_and_the_presentation_must_be_honoured(
    desk: Desk, banks: Banks
) -> None:
    # Art. 16f precludes the issuing (or a confirming) bank: the documents are presented to bank1. A
    # nominated bank (bank2) whose period passes is not precluded: it may still refuse.
    lc_id = open_credit(desk, credit_terms(banks))[0].record.lc_id
    presented = present(desk, banks, lc_id, "50000.00", receiving=banks.issuing)
    presentation_id = presented.record.presentation_id
    at_nominated = present(desk, banks, lc_id, "40000.00").record.presentation_id
    deadline = banks.issuer_place.today + datetime.timedelta(days=5)
    assert presented.record.examination_deadline == date_of(deadline)
    late_shipment = lc.Discrepancy(code=lc.DISCREPANCY_CODE_LATE_SHIPMENT, text="VESSEL SAILED LATE")
    examiner = desk.client("bank1", "examiner")
    assert examiner.examine(presentation_id, [late_shipment]).record.state == lc.PRESENTATION_STATE_DISCREPANT
    nominated = desk.client("bank2", "examiner")
    assert nominated.examine(at_nominated, [late_shipment]).record.state == lc.PRESENTATION_STATE_DISCREPANT

    # Ten bank holidays from today: the next banking day at each bank's place is past the deadline.
    for place in (banks.issuer_place, banks.advising_place):
        place.publish(desk, holidays=tuple(place.today + datetime.timedelta(days=day) for day in range(10)))
    with pytest.raises(DeadlinePassedError) as late:
        examiner.refuse(presentation_id, [late_shipment], lc.REFUSAL_DISPOSAL_RETURN)
    assert deadline.isoformat() in late.value.reason and "art. 16f" in late.value.reason
    stub = desk.client("bank2", "advisor").get_presentation(presentation_id).presentation
    assert (stub.state, stub.version) == (lc.PRESENTATION_STATE_DISCREPANT, 2)

    with pytest.raises(InvalidStateError):  # the nominated bank's presentation: nobody is precluded
        desk.client("bank1", "examiner").preclude(at_nominated)
    refused = nominated.refuse(at_nominated, [late_shipment], lc.REFUSAL_DISPOSAL_RETURN)
    assert refused.record.state == lc.PRESENTATION_STATE_RETURNED

    precluded = desk.client("bank2", "examiner").preclude(presentation_id)
    assert precluded.record.state == lc.PRESENTATION_STATE_PRECLUDED
    honoured = desk.client("bank1", "approver").honour(presentation_id, money(USD, "50000.00"))
    assert honoured.record.state == lc.PRESENTATION_STATE_HONOURED


def test_the_issuing_bank_examines_documents_the_nominated_bank_honoured_and_reimburses_only_those_that_comply(
    desk: Desk, banks: Banks
) -> None:
    # Arts. 7c, 14b, 16b-c: bank2 honours as nominated bank and forwards the documents; bank1, the issuing
    # bank, examines them within its own five banking days and owes only what complies -- or what the
    # applicant's waiver, once it accepted it, made good.
    lc_id = open_credit(desk, credit_terms(banks))[0].record.lc_id
    complying = present(desk, banks, lc_id, "30000.00").record.presentation_id
    discrepant = present(desk, banks, lc_id, "20000.00").record.presentation_id
    for presentation_id, claimed in ((complying, "30000.00"), (discrepant, "20000.00")):
        desk.client("bank2", "examiner").examine(presentation_id)
        desk.client("bank2", "approver").honour(presentation_id, money(USD, claimed))
    record = desk.client("bank1", "examiner").get_presentation(complying).record
    assert record is not None
    assert record.issuer_examination_deadline == date_of(banks.issuer_place.today + datetime.timedelta(days=5))
    assert position(desk, lc_id).reimbursable == 5_000_000

    issuer = desk.client("bank1", "examiner")
    assert issuer.examine_forwarded(complying).record.state == lc.PRESENTATION_STATE_HONOURED
    mismatch = lc.Discrepancy(code=lc.DISCREPANCY_CODE_INCONSISTENT_DATA, text="GOODS DESCRIPTION DIFFERS")
    found = issuer.examine_forwarded(
        discrepant, [mismatch], disposal="REFUSAL_DISPOSAL_NOTIFY", narrative="HELD PENDING THE APPLICANTS WAIVER"
    ).record
    assert (found.state, list(found.discrepancy_codes), found.disposal) == (
        lc.PRESENTATION_STATE_HONOURED,
        [lc.DISCREPANCY_CODE_INCONSISTENT_DATA],
        lc.REFUSAL_DISPOSAL_NOTIFY,
    )
    refusal = desk.client("bank2", "examiner").get_presentation(discrepant).record
    assert refusal is not None and refusal.refusal.bank_msp_id == banks.issuing.msp_id  # the notice bank2 reads
    with pytest.raises(InvalidStateError) as again:
        issuer.examine_forwarded(complying)
    assert "examined these documents already" in again.value.reason
    treasury = desk.client("bank1", "treasury")
    with pytest.raises(InvalidStateError) as refused:
        treasury.reimburse(discrepant, money(USD, "20000.00"))
    assert "found the forwarded documents discrepant" in refused.value.reason
    assert treasury.reimburse(complying, money(USD, "30000.00")).record.state == lc.PRESENTATION_STATE_REIMBURSED
    balances = position(desk, lc_id)
    assert (balances.drawn, balances.reimbursable, balances.reimbursed) == (5_000_000, 3_000_000, 3_000_000)
    assert desk.client("bank2", "advisor").get_credit(lc_id).open_presentations == 1  # held for the waiver

    issuer.request_waiver(discrepant)
    desk.client("bank1", "client-applicant").grant_waiver(discrepant)
    waived = desk.client("bank1", "approver").accept_waiver(discrepant).record
    assert (waived.state, waived.waiver) == (lc.PRESENTATION_STATE_HONOURED, lc.WAIVER_STATUS_ACCEPTED)
    assert treasury.reimburse(discrepant, money(USD, "20000.00")).record.state == lc.PRESENTATION_STATE_REIMBURSED
    balances = position(desk, lc_id)
    assert (balances.drawn, balances.reimbursable, balances.reimbursed) == (5_000_000, 5_000_000, 5_000_000)
    assert desk.client("bank2", "advisor").get_credit(lc_id).open_presentations == 0


def test_a_replayed_presentation_id_writes_nothing_and_another_request_under_it_is_a_duplicate(
    desk: Desk, banks: Banks
) -> None:
    lc_id = open_credit(desk, credit_terms(banks))[0].record.lc_id
    beneficiary = desk.client("bank2", "client-beneficiary")
    the_documents = documents(banks, "40000.00")
    presentation_id = str(uuid.uuid4())

    def again(claimed: str) -> Committed[lc.PresentationStub]:
        return beneficiary.present(
            lc_id,
            receiving_bank_bic=banks.advising.bic,
            claimed=money(USD, claimed),
            documents=the_documents,
            presentation_id=presentation_id,
        )

    first = again("40000.00")
    credit_before, balances_before = desk.client("bank1", "issuer").get_credit(lc_id), position(desk, lc_id)
    replay = again("40000.00")
    assert replay.transaction_id != first.transaction_id and replay.block_number > first.block_number
    assert replay.record == first.record  # the stored presentation, unchanged (version 1)
    assert desk.client("bank1", "issuer").get_credit(lc_id) == credit_before
    assert position(desk, lc_id) == balances_before
    assert balances_before.reserved == 4_000_000

    with pytest.raises(DuplicateError) as duplicate:
        again("45000.00")
    assert duplicate.value.field == "presentation_id"


def test_an_amendment_the_beneficiary_has_not_accepted_does_not_bind_it(desk: Desk, banks: Banks) -> None:
    lc_id = open_credit(desk, credit_terms(banks, amount="100000.00"))[0].record.lc_id
    changes = lc.AmendmentChanges(increase=money(USD, "50000.00"))
    proposed = desk.client("bank1", "issuer").propose_amendment(lc_id, 1, changes, narrative="INCREASE BY USD 50000")
    assert list(proposed.record.pending_amendment_seqs) == [1]
    desk.client("bank2", "advisor").advise_amendment(lc_id, 1)

    # Still on the original terms: the ceiling is 105,000.00, not 157,500.00.
    with pytest.raises(InsufficientFundsError):
        present(desk, banks, lc_id, "150000.00")
    within = present(desk, banks, lc_id, "100000.00").record.presentation_id
    examined = desk.client("bank2", "examiner").examine(within)
    assert examined.record.state == lc.PRESENTATION_STATE_COMPLYING
    record = desk.client("bank2", "examiner").get_presentation(within).record
    assert record is not None and record.examinations[0].terms_amendment_seq == 0
    amendment = desk.client("bank1", "issuer").get_amendment(lc_id, 1)
    assert amendment.amendment.status == lc.AMENDMENT_STATUS_ADVISED
    assert (amendment.credit.accepted_amendment_seq, position(desk, lc_id).max_amount) == (0, 10_500_000)

    # A partial acceptance is a rejection (art. 10e).
    partial = desk.client("bank2", "client-beneficiary").accept_amendment(lc_id, 1, excluded_changes=["increase"])
    assert list(partial.record.pending_amendment_seqs) == []
    assert desk.client("bank1", "issuer").get_amendment(lc_id, 1).amendment.status == lc.AMENDMENT_STATUS_REJECTED
    assert position(desk, lc_id).max_amount == 10_500_000


def test_two_presentations_racing_for_the_same_balance_commit_at_most_once(
    fabric_network: FabricNetwork, desk: Desk, banks: Banks
) -> None:
    lc_id = open_credit(desk, credit_terms(banks, amount="100000.00"))[0].record.lc_id

    async def race() -> list[Committed[lc.PresentationStub] | BaseException]:
        async with aio_gateway(fabric_network, "bank2", "client-beneficiary") as gateway:
            beneficiary = aio.LettersOfCredit(gateway, CHANNEL)
            await beneficiary.get_credit(lc_id)  # both submits start endorsing at once
            claims = [
                beneficiary.present(
                    lc_id,
                    receiving_bank_bic=banks.advising.bic,
                    claimed=money(USD, "100000.00"),
                    documents=documents(banks, "100000.00"),
                )
                for _ in range(2)
            ]
            return await asyncio.gather(*claims, return_exceptions=True)

    outcomes = asyncio.run(race())
    committed = [outcome for outcome in outcomes if isinstance(outcome, Committed)]
    lost = [outcome for outcome in outcomes if not isinstance(outcome, Committed)]
    assert len(committed) == 1 and len(lost) == 1
    [loser] = lost
    assert (isinstance(loser, CommitError) and loser.code_name == "MVCC_READ_CONFLICT") or isinstance(
        loser, InsufficientFundsError
    ), repr(loser)
    balances = position(desk, lc_id)
    assert balances.reserved == 10_000_000 and balances.drawn == 0
    assert desk.client("bank1", "issuer").get_credit(lc_id).open_presentations == 1


# ------------------------------------------------------------------------------------------------
# Every invalid field: ERR_INVALID_INPUT naming it, and nothing written


Mutation = Callable[[lc.LetterOfCreditTerms], None]


def _set(path: str, value: object) -> Mutation:
    *parents, name = path.split(".")

    def mutate(terms: lc.LetterOfCreditTerms) -> None:
        target: object = terms
        for parent in parents:
            target = getattr(target, parent)
        setattr(target, name, value)

    return mutate


def _no_beneficiary(terms: lc.LetterOfCreditTerms) -> None:
    terms.ClearField("beneficiary")


def _no_availability(terms: lc.LetterOfCreditTerms) -> None:
    terms.ClearField("available_with")


def _untyped_second_document(terms: lc.LetterOfCreditTerms) -> None:
    terms.documents_required[1].doc_type = lc.DOCUMENT_TYPE_UNSPECIFIED


def _drawn_on_the_applicant(terms: lc.LetterOfCreditTerms) -> None:
    terms.available_by = lc.AVAILABLE_BY_ACCEPTANCE
    terms.draft_tenor = "AT SIGHT"
    terms.drawee.CopyFrom(common_pb2.InstitutionRef(name=terms.applicant.name))


def _confirm_without_confirmer(terms: lc.LetterOfCreditTerms) -> None:
    terms.confirmation_instruction = lc.CONFIRMATION_INSTRUCTION_CONFIRM


def _advised_by_the_issuer(terms: lc.LetterOfCreditTerms) -> None:
    terms.advising_bank.CopyFrom(terms.issuing_bank)


def _no_document(terms: lc.LetterOfCreditTerms) -> None:
    del terms.documents_required[:]


def _shipment_after_expiry(terms: lc.LetterOfCreditTerms) -> None:
    terms.latest_shipment_date.CopyFrom(date_of(datetime.date(terms.expiry_date.year + 1, 1, 1)))


def _expired_yesterday(terms: lc.LetterOfCreditTerms) -> None:
    expiry = datetime.date(terms.expiry_date.year, terms.expiry_date.month, terms.expiry_date.day)
    terms.expiry_date.CopyFrom(date_of(expiry - datetime.timedelta(days=400)))
    terms.latest_shipment_date.CopyFrom(terms.expiry_date)


INVALID_TERMS: list[tuple[str, Mutation]] = [
    ("terms.form", _set("form", lc.CREDIT_FORM_REVOCABLE)),
    ("terms.lc_number", _set("lc_number", "")),
    ("terms.lc_number", _set("lc_number", "A" * 17)),
    ("terms.rules", _set("rules", lc.APPLICABLE_RULES_UNSPECIFIED)),
    ("terms.rules_narrative", _set("rules_narrative", "ICC RULES")),
    ("terms.expiry_date", _set("expiry_date.day", 32)),
    ("terms.expiry_date", _expired_yesterday),
    ("terms.expiry_place.name", _set("expiry_place.name", "")),
    ("terms.expiry_place.un_locode", _set("expiry_place.un_locode", "DE-FRA")),
    ("terms.applicant.name", _set("applicant.name", "X" * 36)),
    ("terms.applicant.country", _set("applicant.country", "XX")),
    ("terms.applicant.lei", _set("applicant.lei", "5493001KJTIIGC8Y1R13")),
    ("terms.applicant.kyc_ref", _set("applicant.kyc_ref", "")),
    ("terms.beneficiary", _no_beneficiary),
    ("terms.amount.currency", _set("amount.currency", "XYZ")),
    ("terms.amount.minor_units", _set("amount.minor_units", 0)),
    ("terms.tolerance.plus_pct", _set("tolerance.plus_pct", 100)),
    ("terms.tolerance", _set("amount_about", True)),
    ("terms.available_with", _no_availability),
    ("terms.available_by", _set("available_by", lc.AVAILABLE_BY_UNSPECIFIED)),
    ("terms.drawee", _drawn_on_the_applicant),
    ("terms.mixed_payment", _set("available_by", lc.AVAILABLE_BY_MIXED_PAYMENT)),
    ("terms.deferred_payment", _set("deferred_payment", "180 DAYS")),
    ("terms.latest_shipment_date", _shipment_after_expiry),
    ("terms.latest_shipment_date", _set("shipment_period", "JULY 2026")),
    ("terms.goods.description", _set("goods.description", "")),
    ("terms.goods.hs_code", _set("goods.hs_code", "12")),
    ("terms.goods.incoterm", _set("goods.incoterm", "FOT")),
    ("terms.documents_required", _no_document),
    ("terms.documents_required[1].doc_type", _untyped_second_document),
    ("terms.additional_conditions", _set("additional_conditions", "PAY IN \u20ac")),
    ("terms.presentation_period.days", _set("presentation_period.days", 1000)),
    ("terms.confirmation_instruction", _set("confirmation_instruction", lc.CONFIRMATION_INSTRUCTION_UNSPECIFIED)),
    ("terms.requested_confirmer", _confirm_without_confirmer),
    ("terms.issuing_bank.bic", _set("issuing_bank.bic", "ASTB")),
    ("terms.advising_bank", _advised_by_the_issuer),
    ("terms.issue_date", _set("issue_date.year", 2026)),
]


def _mutated(banks: Banks, mutation: Mutation) -> lc.LetterOfCreditTerms:
    terms = credit_terms(banks)
    mutation(terms)
    return terms


def refused_field(call: Callable[[], object]) -> str:
    """The field an ERR_INVALID_INPUT refusal by the endorsers names, or what happened instead."""
    try:
        call()
    except InvalidInputError as refusal:
        return refusal.field if refusal.transaction_id is not None else f"refused by the client: {refusal}"
    except TradeFinanceError as refusal:
        return f"other refusal: {refusal}"
    return "accepted"


def test_every_invalid_field_is_refused_by_the_chaincode_naming_it_and_nothing_is_written(
    desk: Desk, banks: Banks
) -> None:
    applicant = desk.client("bank1", "client-applicant", validate=False)  # the chaincode decides, not the client
    beneficiary = desk.client("bank2", "client-beneficiary", validate=False)
    examiner = desk.client("bank2", "examiner", validate=False)
    lc_id = open_credit(desk, credit_terms(banks))[0].record.lc_id
    presentation_id = present(desk, banks, lc_id, "1000.00").record.presentation_id
    credit_before, balances_before = desk.client("bank1", "issuer").get_credit(lc_id), position(desk, lc_id)
    height = desk.chain_height()

    refused: list[tuple[str, str]] = []
    for expected_field, mutation in INVALID_TERMS:
        refused.append((expected_field, refused_field(functools.partial(applicant.apply, _mutated(banks, mutation)))))
    refused.append(("salt", refused_field(lambda: applicant.apply(credit_terms(banks), salt=b"\x00" * 16))))

    def presenting(
        *,
        receiving_bank_bic: str = banks.advising.bic,
        claimed: common_pb2.Money | None = None,
        docs: list[lc.Document] | None = None,
        presentation_id: str | None = None,
    ) -> Callable[[], object]:
        return lambda: beneficiary.present(
            lc_id,
            receiving_bank_bic=receiving_bank_bic,
            claimed=claimed or money(USD, "1000.00"),
            documents=documents(banks, "1000.00") if docs is None else docs,
            presentation_id=presentation_id,
        )

    late = lc.Discrepancy(code=lc.DISCREPANCY_CODE_LATE_SHIPMENT)
    bad_document = documents(banks, "1000.00")
    bad_document[1].sha256 = "not a digest"
    bad_port = documents(banks, "1000.00")
    bad_port[1].key_data.port_of_loading.un_locode = "DE1AM"
    invalid_requests: list[tuple[str, Callable[[], object]]] = [
        ("presentation_id", presenting(presentation_id="1234")),
        ("receiving_bank_bic", presenting(receiving_bank_bic="AEXBUS33")),
        ("claimed.currency", presenting(claimed=common_pb2.Money(currency="EUR", minor_units=100000))),
        ("claimed.minor_units", presenting(claimed=common_pb2.Money(currency=USD, minor_units=-5))),
        ("documents", presenting(docs=[])),
        ("documents[1].sha256", presenting(docs=bad_document)),
        ("documents[1].key_data.port_of_loading.un_locode", presenting(docs=bad_port)),
        ("discrepancies[0].code", lambda: examiner.examine(presentation_id, [lc.Discrepancy(text="X")])),
        ("disposal", lambda: examiner.refuse(presentation_id, [late], lc.REFUSAL_DISPOSAL_UNSPECIFIED)),
        ("discrepancies", lambda: examiner.refuse(presentation_id, [], lc.REFUSAL_DISPOSAL_HOLD)),
        (
            "calendar.version",
            lambda: desk.client("bank1", "compliance", validate=False).publish_calendar(
                calendar_pb2.BankingCalendar(place=banks.issuer_place.code, version=9)
            ),
        ),
        (
            "calendar.utc_offset_minutes",
            lambda: desk.client("bank1", "compliance", validate=False).publish_calendar(
                calendar_pb2.BankingCalendar(place="HKZZZ", version=1, utc_offset_minutes=20 * 60)
            ),
        ),
    ]
    for expected_field, call in invalid_requests:
        refused.append((expected_field, refused_field(call)))

    assert refused == [(expected, expected) for expected, _ in refused]
    # Nothing was written: no transaction reached a block, and the credit is as it was.
    assert desk.chain_height() == height
    assert desk.client("bank1", "issuer").get_credit(lc_id) == credit_before
    assert position(desk, lc_id) == balances_before


def test_the_client_refuses_the_same_invalid_fields_before_sending(desk: Desk, banks: Banks) -> None:
    applicant = desk.client("bank1", "client-applicant")
    height = desk.chain_height()
    for expected_field, mutation in INVALID_TERMS:
        if expected_field == "terms.expiry_date" and mutation is _expired_yesterday:
            continue  # needs the ledger's calendar: only the chaincode can tell
        with pytest.raises(InvalidInputError) as invalid:
            applicant.apply(_mutated(banks, mutation))
        assert (invalid.value.field, invalid.value.transaction_id) == (expected_field, None)
    assert desk.chain_height() == height


def test_the_demo_runs_a_credit_from_application_to_reimbursement(fabric_network: FabricNetwork, desk: Desk) -> None:
    from tradefin.demo import Timeline, run_credit

    timeline = Timeline()
    lc_id = run_credit(fabric_network, timeline)
    steps = [row for row in timeline.rows if row[1].startswith("lc:") and row[3] != "-"]
    operations = [action.split()[0] for _, action, _, _, _ in steps]
    credit_steps = [operation for operation in operations if operation != "lc:PublishCalendar"]
    lifecycle = ["Apply", "Issue", "Advise", "Present", "Examine", "Honour", "Reimburse"]
    assert credit_steps == [f"lc:{operation}" for operation in lifecycle]
    blocks = [int(block) for _, _, _, block, _ in steps]
    assert blocks == sorted(blocks) and len(set(blocks)) == len(blocks)
    balances = position(desk, lc_id)
    assert (balances.drawn, balances.reimbursed, balances.reserved) == (24_850_000, 24_850_000, 0)
