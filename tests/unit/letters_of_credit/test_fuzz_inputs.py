"""Fuzzing every transaction function of the ``lc`` contract with bad input, routed like the shim routes
real transactions (ContractRouter over a faked stub, see :mod:`.test_contract`).

Each function starts from a state reached by valid flows (an application, an issued or confirmed credit,
advised and proposed amendments, presentations under examination, discrepant, refused, honoured, an
eUCP presentation awaiting completeness, a transfer, an expired credit ...) and gets

1. raw arguments: nothing, undecodable or random bytes, an empty request, a wrong argument count, the
   request in the wrong slot (arguments instead of the transient map, or the reverse), another
   function's request;
2. its valid request with fields mutated (texts, integers, money, dates, enums, repeated fields, ids):
   every field with mutations of its type's catalogue, then random mutations and pairs of them;
3. its valid request from every bank and role.

The answer is a success or a refusal ``"<CODE>: ..."`` with a catalogue code other than ERR_INTERNAL; a
refusal leaves the ledger (world state, private data, key-level endorsement policies, events) as it was;
what a success stores is well-formed (money, dates, text, references, balances; an event for every
transition); and the flow goes on from an accepted request (e.g. a presentation is examined), so that
bad data accepted cannot hide until a later transaction trips over it.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import typing
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tradefin.chaincode.contracts.letters_of_credit.banking_days import BankingDays, calendar_place
from tradefin.chaincode.contracts.letters_of_credit.contract import REQUEST_FIELD, LettersOfCreditContract
from tradefin.chaincode.contracts.letters_of_credit.money import MAX_MINOR_UNITS
from tradefin.chaincode.contracts.letters_of_credit.records import calendar_key
from tradefin.chaincode.contracts.letters_of_credit.reference_data import CURRENCY_EXPONENTS
from tradefin.chaincode.shim import ChaincodeResponse, ClientIdentity, create_composite_key, split_composite_key
from tradefin.protos import calendar_pb2, common_pb2, payments_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from ..contract_fuzzing import (
    CATALOGUE,
    CURRENCY_TEXTS,
    INTEGERS,
    NUMBER_TEXTS,
    TEXTS,
    Framing,
    derived_texts,
    framings,
    int_range,
    malformed_framing,
    misnamed_field,
)
from .support import ADVISER, CONFIRMER, ISSUER, OUTSIDER, calendars, date, documents, sample_terms, usd
from .test_contract import NOW, Chaincode, FakeStub, identity

MessageT = TypeVar("MessageT", bound=Message)
UTC = datetime.UTC
OPENED: Final = datetime.datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
#: After the five banking days of examination of a presentation made at NOW (deadline 2025-12-10 in London).
AFTER_DEADLINE: Final = datetime.datetime(2025, 12, 12, 10, 0, tzinfo=UTC)
#: After the maturity (2025-12-20) of the deferred payment undertaken in the world.
AFTER_MATURITY: Final = datetime.datetime(2025, 12, 22, 10, 0, tzinfo=UTC)
#: After the expiry (2025-12-31) of the eUCP credit, whose incomplete presentation then lapses.
AFTER_EXPIRY: Final = datetime.datetime(2026, 1, 5, 10, 0, tzinfo=UTC)

BANKS: Final = (ISSUER, ADVISER, CONFIRMER, OUTSIDER)
ROLES: Final = (
    "issuer",
    "advisor",
    "examiner",
    "approver",
    "treasury",
    "compliance",
    "auditor",
    "client-applicant",
    "client-beneficiary",
    "",
)
#: Any role of the bank.
ANY: Final = "*"

LATE = lc.Discrepancy(code=lc.DISCREPANCY_CODE_LATE_SHIPMENT, text="B/L DATED AFTER 44C", doc_ref="BL-ONE-1")
MISMATCH = lc.Discrepancy(code=lc.DISCREPANCY_CODE_DESCRIPTION_MISMATCH, text="GOODS DESCRIPTION DIFFERS")
SECOND = common_pb2.PartyRef(name="MANCHESTER PARTS LTD", address=["9 MILL LANE"], country="GB", kyc_ref="KYC-GB-99")


def uuid4(label: str) -> str:
    """A deterministic lower-case UUID v4 named by ``label``."""
    return str(uuid.UUID(bytes=hashlib.sha256(label.encode()).digest()[:16], version=4))


@functools.cache
def _certificate(bic: str, msp_id: str, role: str) -> ClientIdentity:
    return identity(common_pb2.BankRef(bic=bic, msp_id=msp_id), role)


def who(bank: common_pb2.BankRef, role: str) -> ClientIdentity:
    """A certificate of ``bank`` with ``role`` (made once per bank and role)."""
    return _certificate(bank.bic, bank.msp_id, role)


# ------------------------------------------------------------------------------------------------
# The ledger: the lc contract over a world that also keeps the committed events


Snapshot = tuple[dict[str, bytes], dict[tuple[str, str], bytes], dict[tuple[str, str], bytes], list[tuple[str, bytes]]]


class Ledger(Chaincode):
    """:class:`.test_contract.Chaincode` that keeps the events of committed transactions and can be
    copied, so every fuzzed call starts from the same state."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, bytes]] = []

    def _run(self, stub: FakeStub) -> ChaincodeResponse:
        response = super()._run(stub)
        if response.status == 200 and stub.event is not None:
            self.events.append(stub.event)
        return response

    def invoke(
        self,
        who: ClientIdentity,
        function: str,
        args: Sequence[bytes],
        transient: Mapping[str, bytes],
        at: datetime.datetime,
    ) -> ChaincodeResponse:
        """Any arguments and transient map, as a client could send them."""
        stub = FakeStub(self.world, who, f"lc:{function}", list(args), dict(transient))
        stub.tx_timestamp = at
        return self._run(stub)

    def fork(self) -> Ledger:
        """An independent copy of the committed state."""
        copy = Ledger()
        copy.world.public = dict(self.world.public)
        copy.world.private = dict(self.world.private)
        copy.world.policies = dict(self.world.policies)
        copy.world.history = self.world.history.copy()
        copy.events = list(self.events)
        return copy

    def snapshot(self) -> Snapshot:
        """Everything a transaction can change."""
        world = self.world
        return dict(world.public), dict(world.private), dict(world.policies), list(self.events)


def _ok(response: ChaincodeResponse) -> ChaincodeResponse:
    assert response.status == 200, response.message
    return response


# ------------------------------------------------------------------------------------------------
# The world: credits, amendments, presentations and a transfer in the states the functions start from


@dataclass(frozen=True)
class Ids:
    """Ids of the records of the world, by what they are."""

    credits: dict[str, str]
    presentations: dict[str, str]
    transfer: str


def _terms(number: str, **overrides: Any) -> lc.LetterOfCreditTerms:
    return sample_terms(lc_number=number, **overrides)


def _expiring(number: str) -> lc.LetterOfCreditTerms:
    return _terms(number, expiry_date=date("2025-11-20"), latest_shipment_date=date("2025-11-15"))


def _open(ledger: Ledger, terms: lc.LetterOfCreditTerms, *, issue: bool = True, advise: bool = True) -> str:
    applicant, issuer, advisor = who(ISSUER, "client-applicant"), who(ISSUER, "issuer"), who(ADVISER, "advisor")
    request = api.ApplyRequest(terms=terms, salt=bytes(32))
    lc_id = api.CreditResponse.FromString(
        _ok(ledger.submit(applicant, "Apply", request, at=OPENED)).payload
    ).credit.lc_id
    if issue:
        _ok(ledger.submit(issuer, "Issue", api.IssueRequest(lc_id=lc_id), at=OPENED))
    if advise:
        _ok(ledger.submit(advisor, "Advise", api.AdviseRequest(lc_id=lc_id), at=OPENED))
    return lc_id


def _present(
    ledger: Ledger,
    lc_id: str,
    label: str,
    receiving: common_pb2.BankRef = ADVISER,
    *,
    awaiting_completeness: bool = False,
) -> str:
    pid = uuid4(label)
    request = api.PresentRequest(
        presentation_id=pid,
        lc_id=lc_id,
        receiving_bank_bic=receiving.bic,
        claimed=usd("5000"),
        documents=documents(),
        awaiting_completeness=awaiting_completeness,
    )
    _ok(ledger.submit(who(ADVISER, "client-beneficiary"), "Present", request))
    return pid


def _examine(ledger: Ledger, pid: str, bank: common_pb2.BankRef, *found: lc.Discrepancy) -> None:
    _ok(ledger.submit(who(bank, "examiner"), "Examine", api.ExamineRequest(presentation_id=pid, discrepancies=found)))


def _credits(ledger: Ledger) -> dict[str, str]:
    """A credit in each credit-level state, and the kinds of credit the presentation flows need."""
    confirm, may_add = lc.CONFIRMATION_INSTRUCTION_CONFIRM, lc.CONFIRMATION_INSTRUCTION_MAY_ADD
    credits = {
        "open": _open(ledger, _terms("LC2025-0001")),
        "applied": _open(ledger, _terms("LC2025-0002"), issue=False, advise=False),
        "issued": _open(ledger, _terms("LC2025-0003"), advise=False),
        "to_confirm": _open(
            ledger, _terms("LC2025-0004", confirmation_instruction=confirm, requested_confirmer=CONFIRMER)
        ),
        "confirmed": _open(
            ledger, _terms("LC2025-0005", confirmation_instruction=may_add, requested_confirmer=CONFIRMER)
        ),
        "deferred": _open(
            ledger,
            _terms(
                "LC2025-0006", available_by=lc.AVAILABLE_BY_DEFERRED_PAYMENT, deferred_payment="60 DAYS AFTER B/L DATE"
            ),
        ),
        "eucp": _open(ledger, _terms("LC2025-0007", rules=lc.APPLICABLE_RULES_EUCP_LATEST_VERSION)),
        "transferable": _open(ledger, _terms("LC2025-0008", form=lc.CREDIT_FORM_IRREVOCABLE_TRANSFERABLE)),
        "lapsing": _open(ledger, _expiring("LC2025-0009")),
        "expired": _open(ledger, _expiring("LC2025-0010")),
    }
    _ok(
        ledger.submit(
            who(CONFIRMER, "approver"), "AddConfirmation", api.AddConfirmationRequest(lc_id=credits["confirmed"])
        )
    )
    _ok(ledger.submit(who(ADVISER, "client-beneficiary"), "Expire", api.ExpireRequest(lc_id=credits["expired"])))
    return credits


def _amendments(ledger: Ledger, credits: dict[str, str]) -> None:
    """On the open credit amendment 1 advised and 2 proposed; on the confirmed credit 1 proposed."""
    issuer, advisor = who(ISSUER, "issuer"), who(ADVISER, "advisor")
    extend = lc.AmendmentChanges(expiry_date=date("2026-01-31"), latest_shipment_date=date("2025-12-20"))
    increase = lc.AmendmentChanges(increase=usd("1000"))
    for lc_id, seq, changes in (
        (credits["open"], 1, extend),
        (credits["open"], 2, increase),
        (credits["confirmed"], 1, extend),
    ):
        _ok(
            ledger.submit(
                issuer, "ProposeAmendment", api.ProposeAmendmentRequest(lc_id=lc_id, seq=seq, changes=changes)
            )
        )
    _ok(ledger.submit(advisor, "AdviseAmendment", api.AdviseAmendmentRequest(lc_id=credits["open"], seq=1)))


def _presentations(ledger: Ledger, credits: dict[str, str]) -> dict[str, str]:
    """A presentation in each state of the sub-machine that a transaction starts from."""
    open_id = credits["open"]
    presentations = {
        "under_examination": _present(ledger, open_id, "under_examination"),
        "complying": _present(ledger, open_id, "complying"),
        "honoured": _present(ledger, open_id, "honoured"),
        "complying_at_issuer": _present(ledger, open_id, "complying_at_issuer", ISSUER),
        "refused": _present(ledger, open_id, "refused", ISSUER),
        "discrepant": _present(ledger, open_id, "discrepant", ISSUER),
        "waiver_requested": _present(ledger, open_id, "waiver_requested", ISSUER),
        "waiver_granted": _present(ledger, open_id, "waiver_granted", ISSUER),
        "deferred_complying": _present(ledger, credits["deferred"], "deferred_complying"),
        "deferred_undertaken": _present(ledger, credits["deferred"], "deferred_undertaken"),
        "incomplete": _present(ledger, credits["eucp"], "incomplete", awaiting_completeness=True),
    }
    for name in ("complying", "honoured", "deferred_complying", "deferred_undertaken"):
        _examine(ledger, presentations[name], ADVISER)
    _examine(ledger, presentations["complying_at_issuer"], ISSUER)
    for name in ("discrepant", "waiver_requested", "waiver_granted"):
        _examine(ledger, presentations[name], ISSUER, MISMATCH)
    approver, examiner = who(ADVISER, "approver"), who(ISSUER, "examiner")
    sight = api.HonourRequest(presentation_id=presentations["honoured"], amount=usd("5000"))
    _ok(ledger.submit(approver, "Honour", sight))
    undertaking = api.HonourRequest(
        presentation_id=presentations["deferred_undertaken"], amount=usd("5000"), maturity_date=date("2025-12-20")
    )
    _ok(ledger.submit(approver, "Honour", undertaking))
    refusal = api.RefuseRequest(
        presentation_id=presentations["refused"], discrepancies=[LATE], disposal=lc.REFUSAL_DISPOSAL_HOLD
    )
    _ok(ledger.submit(examiner, "Refuse", refusal))
    for name in ("waiver_requested", "waiver_granted"):
        _ok(ledger.submit(examiner, "RequestWaiver", api.RequestWaiverRequest(presentation_id=presentations[name])))
    grant = api.GrantWaiverRequest(presentation_id=presentations["waiver_granted"])
    _ok(ledger.submit(who(ISSUER, "client-applicant"), "GrantWaiver", grant))
    return presentations


def _transfer(ledger: Ledger, credits: dict[str, str]) -> str:
    """Part of the transferable credit transferred to a second beneficiary."""
    transfer_id = uuid4("transfer")
    transfer = api.TransferRequest(
        lc_id=credits["transferable"],
        transfer_id=transfer_id,
        second_beneficiary=SECOND,
        second_beneficiary_bank=ADVISER,
        amount=usd("30000"),
    )
    _ok(ledger.submit(who(ADVISER, "advisor"), "Transfer", transfer))
    return transfer_id


@functools.cache
def world() -> tuple[Ledger, Ids]:
    """The world every fuzzed call starts from (built once, never changed: calls run on forks)."""
    ledger = Ledger()
    for calendar in calendars():
        _ok(ledger.submit(who(ISSUER, "compliance"), "PublishCalendar", api.PublishCalendarRequest(calendar=calendar)))
    credits = _credits(ledger)
    _amendments(ledger, credits)
    presentations = _presentations(ledger, credits)
    return ledger, Ids(credits, presentations, _transfer(ledger, credits))


# ------------------------------------------------------------------------------------------------
# Scenarios: a valid request of each function from its starting state, who may send it, and when


@dataclass(frozen=True)
class Step:
    """One transaction of a flow."""

    function: str
    caller: tuple[common_pb2.BankRef, str]
    request: Message
    at: datetime.datetime = NOW


#: The steps of the flow that continue from an accepted request (given it and its answer).
FollowUp = Callable[[Any, ChaincodeResponse], list[Step]]


def _no_follow_up(request: Any, response: ChaincodeResponse) -> list[Step]:
    return []


@dataclass(frozen=True)
class Scenario:
    """A valid call of a transaction function in the world, and the flow that continues from it."""

    function: str
    request: Message
    caller: tuple[common_pb2.BankRef, str]
    #: The callers whose call succeeds: MSP id -> roles (ANY: every role).
    allowed: Mapping[str, frozenset[str]]
    at: datetime.datetime = NOW
    variant: str = ""
    #: The catalogue code refusing the valid request, when the world lacks something it needs.
    refused: str = ""
    #: What the flow does next with what the request stored (so bad data cannot hide until later).
    then: FollowUp = _no_follow_up

    @property
    def name(self) -> str:
        return f"{self.function}[{self.variant}]" if self.variant else self.function

    def may_call(self, msp_id: str, role: str) -> bool:
        roles = self.allowed.get(msp_id, frozenset())
        return ANY in roles or role in roles


def _only(bank: common_pb2.BankRef, *roles: str) -> dict[str, frozenset[str]]:
    return {bank.msp_id: frozenset(roles)}


_CREDIT_BANKS: Final = {ISSUER.msp_id: frozenset({ANY}), ADVISER.msp_id: frozenset({ANY})}
_EVERYONE: Final = {bank.msp_id: frozenset({ANY}) for bank in BANKS}
_BENEFICIARY: Final = _only(ADVISER, "client-beneficiary", "advisor")


def _bank_of(bic: str) -> common_pb2.BankRef:
    """The bank of a (possibly mutated) BIC, the advising bank when it is none of them."""
    return next((bank for bank in BANKS if bank.bic[:8] == bic[:8]), ADVISER)


def _presented(lc_id: str, receiving_bic: str = ADVISER.bic, transfer_id: str = "") -> list[Step]:
    """A complying presentation to the credit and its examination by the bank presented to."""
    pid = uuid4("follow-up presentation")
    examiner = _bank_of(receiving_bic)
    present = api.PresentRequest(
        presentation_id=pid,
        lc_id=lc_id,
        receiving_bank_bic=receiving_bic,
        claimed=usd("5000"),
        documents=documents(),
        transfer_id=transfer_id,
    )
    return [
        Step("Present", (ADVISER, "client-beneficiary"), present),
        Step("Examine", (examiner, "examiner"), api.ExamineRequest(presentation_id=pid)),
    ]


def _after_apply(request: api.ApplyRequest, response: ChaincodeResponse) -> list[Step]:
    lc_id = api.CreditResponse.FromString(response.payload).credit.lc_id
    return [
        Step("Issue", (ISSUER, "issuer"), api.IssueRequest(lc_id=lc_id)),
        Step("Advise", (ADVISER, "advisor"), api.AdviseRequest(lc_id=lc_id)),
        *_presented(lc_id),
    ]


def _after_proposal(request: api.ProposeAmendmentRequest, response: ChaincodeResponse) -> list[Step]:
    lc_id, beneficiary, advisor = request.lc_id, (ADVISER, "client-beneficiary"), (ADVISER, "advisor")
    return [
        Step("AdviseAmendment", advisor, api.AdviseAmendmentRequest(lc_id=lc_id, seq=2)),
        Step("AdviseAmendment", advisor, api.AdviseAmendmentRequest(lc_id=lc_id, seq=request.seq)),
        *(Step("AcceptAmendment", beneficiary, api.AcceptAmendmentRequest(lc_id=lc_id, seq=seq)) for seq in (1, 2)),
        Step("AcceptAmendment", beneficiary, api.AcceptAmendmentRequest(lc_id=lc_id, seq=request.seq)),
        *_presented(lc_id),
    ]


def _after_acceptance(request: api.AcceptAmendmentRequest, response: ChaincodeResponse) -> list[Step]:
    return _presented(request.lc_id)


def _after_presentation(request: api.PresentRequest, response: ChaincodeResponse) -> list[Step]:
    examiner = _bank_of(request.receiving_bank_bic)
    steps = [Step("Examine", (examiner, "examiner"), api.ExamineRequest(presentation_id=request.presentation_id))]
    if request.awaiting_completeness:
        notice = api.NotifyCompletenessRequest(presentation_id=request.presentation_id)
        steps.insert(0, Step("NotifyCompleteness", (ADVISER, "advisor"), notice))
    return steps


def _after_refusal(request: api.RefuseRequest, response: ChaincodeResponse) -> list[Step]:
    returning = api.ReturnDocumentsRequest(presentation_id=request.presentation_id)
    return [Step("ReturnDocuments", (ADVISER, "examiner"), returning)]


def _after_undertaking(request: api.HonourRequest, response: ChaincodeResponse) -> list[Step]:
    paying = api.PayAtMaturityRequest(presentation_id=request.presentation_id)
    return [Step("PayAtMaturity", (ADVISER, "treasury"), paying, datetime.datetime(2026, 2, 2, 10, tzinfo=UTC))]


def _after_transfer(request: api.TransferRequest, response: ChaincodeResponse) -> list[Step]:
    return _presented(request.lc_id, transfer_id=request.transfer_id)


def _after_expiry(request: api.ExpireRequest, response: ChaincodeResponse) -> list[Step]:
    return [Step("Close", (ISSUER, "issuer"), api.CloseRequest(lc_id=request.lc_id))]


def _after_calendar(request: api.PublishCalendarRequest, response: ChaincodeResponse) -> list[Step]:
    return _presented(world()[1].credits["open"]) if request.calendar.place == "GB" else []


def _rich_terms() -> lc.LetterOfCreditTerms:
    """Terms using most optional fields: tolerance, drafts by acceptance, instalments, accounts, texts."""
    terms = _terms(
        "LC2025-0101",
        pre_advice_ref="PRE/0001",
        applicant_bank=common_pb2.InstitutionRef(name="SHANGHAI BRANCH", address=["1 BUND", "SHANGHAI"]),
        beneficiary_account=common_pb2.AccountRef(iban="GB82WEST12345698765432"),
        tolerance=lc.AmountTolerance(plus_pct=10, minus_pct=5),
        additional_amounts="FREIGHT UP TO USD 2000",
        available_by=lc.AVAILABLE_BY_ACCEPTANCE,
        draft_tenor="AT 60 DAYS SIGHT",
        drawee=common_pb2.InstitutionRef(bic=ADVISER.bic),
        place_of_receipt=common_pb2.Place(name="SHEFFIELD", country="GB"),
        final_destination=common_pb2.Place(name="SUZHOU", un_locode="CNSZV", country="CN"),
        additional_conditions="ALL DOCUMENTS IN ENGLISH",
        special_payment_beneficiary="NONE",
        special_payment_bank="NONE",
        charges="CHARGES OUTSIDE CN FOR BENEFICIARY",
        presentation_period=lc.PresentationPeriod(days=15, narrative="AFTER SHIPMENT"),
        reimbursing_bank=common_pb2.InstitutionRef(bic=ISSUER.bic),
        instructions_to_bank="FORWARD DOCUMENTS IN ONE LOT",
        second_advising_bank=CONFIRMER,
        bank_to_bank_info="PLEASE ACKNOWLEDGE",
        instalments=[
            lc.Instalment(period_start=date("2025-11-01"), period_end=date("2025-11-30"), amount=usd("50000")),
            lc.Instalment(period_start=date("2025-12-01"), period_end=date("2025-12-10"), amount=usd("50000")),
        ],
    )
    terms.goods.hs_code = "845891"
    terms.documents_required[0].issuer = "BENEFICIARY"
    terms.documents_required[0].data_requirements = "SIGNED"
    return terms


def _window_terms() -> lc.LetterOfCreditTerms:
    """Terms whose period of shipment is an art. 3 date term instead of a latest shipment date."""
    terms = _terms("LC2025-0102", shipment_period="ON OR ABOUT 5 DEC 2025")
    terms.ClearField("latest_shipment_date")
    terms.shipment_window.CopyFrom(lc.DateTerm(kind=lc.DATE_TERM_KIND_ON_OR_ABOUT, date=date("2025-12-05")))
    return terms


def _settlement() -> payments_pb2.CreditSettlement:
    return payments_pb2.CreditSettlement(uetr=uuid4("settlement"), salt=bytes(32))


@functools.cache
def scenarios() -> tuple[Scenario, ...]:
    """Every scenario; the first one of each function is its main one."""
    _, ids = world()
    credit, pres = ids.credits, ids.presentations
    open_id = credit["open"]
    gb2 = calendars()[1]
    gb2.version = 2
    london = calendar_pb2.BankingCalendar(
        place="GBLON",
        version=1,
        weekend_days=[calendar_pb2.WEEKDAY_SATURDAY, calendar_pb2.WEEKDAY_SUNDAY],
        holidays=[date("2025-12-25")],
        open_weekend_days=[date("2025-12-20")],
        utc_offset_minutes=0,
        close_of_business_minutes=16 * 60,
        covers_through=date("2026-12-31"),
        description="CITY OF LONDON",
    )
    new_presentation = uuid4("new presentation")
    return (
        Scenario(
            "Apply",
            api.ApplyRequest(terms=_terms("LC2025-0100"), salt=bytes(32)),
            (ISSUER, "client-applicant"),
            _only(ISSUER, "client-applicant", "issuer"),
            then=_after_apply,
        ),
        Scenario(
            "Apply",
            api.ApplyRequest(terms=_rich_terms(), salt=bytes(32)),
            (ISSUER, "issuer"),
            _only(ISSUER, "client-applicant", "issuer"),
            variant="rich terms",
            then=_after_apply,
        ),
        Scenario(
            "Apply",
            api.ApplyRequest(terms=_window_terms(), salt=bytes(32)),
            (ISSUER, "issuer"),
            _only(ISSUER, "client-applicant", "issuer"),
            variant="44D window",
            then=_after_apply,
        ),
        Scenario("Issue", api.IssueRequest(lc_id=credit["applied"]), (ISSUER, "issuer"), _only(ISSUER, "issuer")),
        Scenario("Advise", api.AdviseRequest(lc_id=credit["issued"]), (ADVISER, "advisor"), _only(ADVISER, "advisor")),
        Scenario(
            "AddConfirmation",
            api.AddConfirmationRequest(lc_id=credit["to_confirm"]),
            (CONFIRMER, "approver"),
            _only(CONFIRMER, "issuer", "approver"),
        ),
        Scenario(
            "DeclineConfirmation",
            api.DeclineConfirmationRequest(lc_id=credit["to_confirm"]),
            (CONFIRMER, "issuer"),
            _only(CONFIRMER, "issuer", "approver"),
        ),
        Scenario(
            "Expire", api.ExpireRequest(lc_id=credit["lapsing"]), (ISSUER, "issuer"), _CREDIT_BANKS, then=_after_expiry
        ),
        Scenario("Close", api.CloseRequest(lc_id=credit["expired"]), (ISSUER, "issuer"), _only(ISSUER, "issuer")),
        Scenario(
            "ProposeAmendment",
            api.ProposeAmendmentRequest(
                lc_id=open_id,
                seq=3,
                changes=lc.AmendmentChanges(expiry_date=date("2026-01-15"), latest_shipment_date=date("2025-12-15")),
                charges_payable_by=lc.CHARGES_PAYABLE_BY_APPLICANT,
                deemed_acceptance_clause="DEEMED ACCEPTED UNLESS REJECTED IN 5 DAYS",
                narrative="EXTENSION",
            ),
            (ISSUER, "issuer"),
            _only(ISSUER, "issuer"),
            then=_after_proposal,
        ),
        Scenario(
            "ProposeAmendment",
            api.ProposeAmendmentRequest(
                lc_id=open_id,
                seq=3,
                changes=lc.AmendmentChanges(
                    increase=usd("2500.50"),
                    tolerance=lc.AmountTolerance(plus_pct=10, minus_pct=10),
                    presentation_period=lc.PresentationPeriod(days=14),
                    goods_description=lc.NarrativeEdit(
                        action=lc.NARRATIVE_EDIT_ACTION_ADD, text="PLUS 10 SPARE CARTONS"
                    ),
                    documents_required=lc.DocumentsEdit(
                        action=lc.NARRATIVE_EDIT_ACTION_ADD,
                        documents=[lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_PACKING_LIST, originals=1)],
                    ),
                    additional_conditions=lc.NarrativeEdit(
                        action=lc.NARRATIVE_EDIT_ACTION_REPLACE_ALL, text="DOCUMENTS IN ENGLISH"
                    ),
                    port_of_loading=common_pb2.Place(name="SOUTHAMPTON", un_locode="GBSOU"),
                    partial_shipments=lc.SHIPMENT_PERMISSION_NOT_ALLOWED,
                    transhipment=lc.SHIPMENT_PERMISSION_ALLOWED,
                ),
            ),
            (ISSUER, "issuer"),
            _only(ISSUER, "issuer"),
            variant="terms",
            then=_after_proposal,
        ),
        Scenario(
            "ProposeAmendment",
            api.ProposeAmendmentRequest(
                lc_id=open_id,
                seq=3,
                changes=lc.AmendmentChanges(
                    shipment_period="BETWEEN 1 AND 12 DEC 2025",
                    shipment_window=lc.DateTerm(
                        kind=lc.DATE_TERM_KIND_BETWEEN, date=date("2025-12-01"), end_date=date("2025-12-12")
                    ),
                    decrease=usd("1000"),
                ),
            ),
            (ISSUER, "issuer"),
            _only(ISSUER, "issuer"),
            variant="44D window",
            then=_after_proposal,
        ),
        Scenario(
            "AdviseAmendment",
            api.AdviseAmendmentRequest(lc_id=open_id, seq=2),
            (ADVISER, "advisor"),
            _only(ADVISER, "advisor"),
        ),
        Scenario(
            "DecideAmendmentConfirmation",
            api.DecideAmendmentConfirmationRequest(lc_id=credit["confirmed"], seq=1, extend=True),
            (CONFIRMER, "approver"),
            _only(CONFIRMER, "issuer", "approver"),
        ),
        Scenario(
            "AcceptAmendment",
            api.AcceptAmendmentRequest(lc_id=open_id, seq=1),
            (ADVISER, "client-beneficiary"),
            _BENEFICIARY,
            then=_after_acceptance,
        ),
        Scenario(
            "AcceptAmendment",
            api.AcceptAmendmentRequest(lc_id=open_id, seq=1, excluded_changes=["expiry_date"]),
            (ADVISER, "client-beneficiary"),
            _BENEFICIARY,
            variant="partial",
        ),
        Scenario(
            "RejectAmendment",
            api.RejectAmendmentRequest(lc_id=open_id, seq=1, reason="EXPIRY TOO SHORT"),
            (ADVISER, "advisor"),
            _BENEFICIARY,
        ),
        Scenario(
            "Present",
            api.PresentRequest(
                presentation_id=new_presentation,
                lc_id=open_id,
                receiving_bank_bic=ADVISER.bic,
                claimed=usd("4000.25"),
                documents=documents(invoiced="4000.25", quantity=40),
            ),
            (ADVISER, "client-beneficiary"),
            _BENEFICIARY,
            then=_after_presentation,
        ),
        Scenario(
            "Present",
            api.PresentRequest(
                presentation_id=new_presentation,
                lc_id=credit["transferable"],
                receiving_bank_bic=ADVISER.bic,
                claimed=usd("5000"),
                documents=documents(),
                transfer_id=ids.transfer,
            ),
            (ADVISER, "advisor"),
            _BENEFICIARY,
            variant="under a transfer",
            then=_after_presentation,
        ),
        Scenario(
            "Present",
            api.PresentRequest(
                presentation_id=new_presentation,
                lc_id=credit["eucp"],
                receiving_bank_bic=ISSUER.bic,
                claimed=usd("5000"),
                documents=documents(),
                awaiting_completeness=True,
            ),
            (ADVISER, "advisor"),
            _BENEFICIARY,
            variant="eUCP",
            then=_after_presentation,
        ),
        Scenario(
            "NotifyCompleteness",
            api.NotifyCompletenessRequest(presentation_id=pres["incomplete"]),
            (ADVISER, "client-beneficiary"),
            _BENEFICIARY,
        ),
        Scenario(
            "Examine",
            api.ExamineRequest(presentation_id=pres["under_examination"], discrepancies=[MISMATCH, LATE]),
            (ADVISER, "examiner"),
            _only(ADVISER, "examiner"),
        ),
        Scenario(
            "ExamineForwarded",
            api.ExamineForwardedRequest(
                presentation_id=pres["honoured"],
                discrepancies=[MISMATCH],
                disposal=lc.REFUSAL_DISPOSAL_NOTIFY,
                narrative="DOCUMENTS HELD PENDING THE APPLICANT'S WAIVER",
            ),
            (ISSUER, "examiner"),
            _only(ISSUER, "examiner"),
        ),
        Scenario(
            "Refuse",
            api.RefuseRequest(
                presentation_id=pres["under_examination"],
                discrepancies=[LATE, MISMATCH],
                disposal=lc.REFUSAL_DISPOSAL_HOLD,
                charges_claimed=usd("75.50"),
                narrative="DOCUMENTS HELD AT YOUR DISPOSAL",
            ),
            (ADVISER, "examiner"),
            _only(ADVISER, "examiner"),
            then=_after_refusal,
        ),
        Scenario(
            "RequestWaiver",
            api.RequestWaiverRequest(presentation_id=pres["discrepant"]),
            (ISSUER, "examiner"),
            _only(ISSUER, "examiner"),
        ),
        Scenario(
            "GrantWaiver",
            api.GrantWaiverRequest(presentation_id=pres["waiver_requested"]),
            (ISSUER, "client-applicant"),
            _only(ISSUER, "client-applicant"),
        ),
        Scenario(
            "AcceptWaiver",
            api.AcceptWaiverRequest(presentation_id=pres["waiver_granted"]),
            (ISSUER, "approver"),
            _only(ISSUER, "examiner", "approver"),
        ),
        Scenario(
            "ReturnDocuments",
            api.ReturnDocumentsRequest(presentation_id=pres["refused"]),
            (ISSUER, "examiner"),
            {ISSUER.msp_id: frozenset({"examiner"}), **_BENEFICIARY},
        ),
        Scenario(
            "LapsePresentation",
            api.LapsePresentationRequest(presentation_id=pres["incomplete"]),
            (ISSUER, "issuer"),
            _CREDIT_BANKS,
            at=AFTER_EXPIRY,
        ),
        Scenario(
            "Preclude",
            # the issuing bank's: a nominated bank is never precluded (art. 16f)
            api.PrecludeRequest(presentation_id=pres["discrepant"]),
            (ISSUER, "issuer"),
            _CREDIT_BANKS,
            at=AFTER_DEADLINE,
        ),
        Scenario(
            "Honour",
            api.HonourRequest(presentation_id=pres["complying"], amount=usd("4999.99")),
            (ADVISER, "approver"),
            _only(ADVISER, "examiner", "approver", "treasury"),
        ),
        Scenario(
            "Honour",
            api.HonourRequest(
                presentation_id=pres["deferred_complying"], amount=usd("5000"), maturity_date=date("2026-01-30")
            ),
            (ADVISER, "treasury"),
            _only(ADVISER, "examiner", "approver", "treasury"),
            variant="deferred payment",
            then=_after_undertaking,
        ),
        Scenario(
            "Honour",
            api.HonourRequest(
                presentation_id=pres["complying_at_issuer"], amount=usd("5000"), settlement=_settlement()
            ),
            (ISSUER, "approver"),
            _only(ISSUER, "examiner", "approver", "treasury"),
            variant="settlement",
            refused="ERR_NOT_FOUND",  # the world has no payment channel
        ),
        Scenario(
            "PayAtMaturity",
            api.PayAtMaturityRequest(presentation_id=pres["deferred_undertaken"]),
            (ADVISER, "treasury"),
            _only(ADVISER, "treasury", "approver"),
            at=AFTER_MATURITY,
        ),
        Scenario(
            "Reimburse",
            api.ReimburseRequest(presentation_id=pres["honoured"], amount=usd("2500")),
            (ISSUER, "treasury"),
            _only(ISSUER, "treasury", "issuer", "approver"),
        ),
        Scenario(
            "Transfer",
            api.TransferRequest(
                lc_id=credit["transferable"],
                transfer_id=uuid4("new transfer"),
                second_beneficiary=common_pb2.PartyRef(
                    name="LEEDS TOOLING LTD",
                    address=["4 CANAL ST", "LEEDS"],
                    country="GB",
                    lei="5493001KJTIIGC8Y1R12",
                    bic="TFLTGB2L",
                    kyc_ref="KYC-GB-100",
                    msp_id=ADVISER.msp_id,
                ),
                second_beneficiary_bank=ADVISER,
                amount=usd("20000"),
                expiry_date=date("2025-12-20"),
                latest_shipment_date=date("2025-12-05"),
                presentation_period_days=10,
                unit_price=usd("90.00"),
                insurance_cover_pct=110,
                substitute_applicant=True,
            ),
            (ADVISER, "advisor"),
            {ADVISER.msp_id: frozenset({"advisor", "issuer"}), ISSUER.msp_id: frozenset({"advisor", "issuer"})},
            then=_after_transfer,
        ),
        Scenario(
            "PublishCalendar",
            api.PublishCalendarRequest(calendar=gb2),
            (ISSUER, "compliance"),
            {bank.msp_id: frozenset({"compliance"}) for bank in BANKS},
            then=_after_calendar,
        ),
        Scenario(
            "PublishCalendar",
            api.PublishCalendarRequest(calendar=london),
            (OUTSIDER, "compliance"),
            {bank.msp_id: frozenset({"compliance"}) for bank in BANKS},
            variant="new place",
        ),
        Scenario("GetCredit", api.GetCreditRequest(lc_id=open_id), (OUTSIDER, "auditor"), _EVERYONE),
        Scenario("GetCreditTerms", api.GetCreditTermsRequest(lc_id=open_id), (ADVISER, "examiner"), _CREDIT_BANKS),
        Scenario("GetAmendment", api.GetAmendmentRequest(lc_id=open_id, seq=1), (ISSUER, "issuer"), _CREDIT_BANKS),
        Scenario(
            "GetPresentation",
            api.GetPresentationRequest(presentation_id=pres["honoured"]),
            (ISSUER, "auditor"),
            _EVERYONE,
        ),
        Scenario(
            "GetTransfer",
            api.GetTransferRequest(lc_id=credit["transferable"], transfer_id=ids.transfer),
            (ADVISER, "advisor"),
            _CREDIT_BANKS,
        ),
        Scenario("GetCalendar", api.GetCalendarRequest(place="CN"), (CONFIRMER, ""), _EVERYONE),
        Scenario(
            "GetAuditTrail", cp.GetAuditTrailRequest(object_type="credit", object_id=open_id), (OUTSIDER, ""), _EVERYONE
        ),
        Scenario(
            "GetAuditTrail",
            cp.GetAuditTrailRequest(object_type="presentation", object_id=pres["honoured"]),
            (ADVISER, "auditor"),
            _EVERYONE,
            variant="presentation",
        ),
        Scenario(
            "GetAuditTrail",
            cp.GetAuditTrailRequest(object_type="calendar", object_id="GB"),
            (ISSUER, "compliance"),
            _EVERYONE,
            variant="calendar",
        ),
    )


def main_scenarios() -> list[Scenario]:
    """The first scenario of each function."""
    return list({scenario.function: scenario for scenario in reversed(scenarios())}.values())


CONTRACT: Final = LettersOfCreditContract()


def is_submit(function: str) -> bool:
    return CONTRACT.transactions[function].kind.value == "submit"


def request_type(function: str) -> type[Message]:
    """The request message of a transaction function: the evaluate functions' annotated argument, the
    submit functions' transient request (``<Function>Request`` by the contract's convention; the audit
    trail takes the compliance contract's)."""
    module = cp if function == "GetAuditTrail" else api
    message_type: type[Message] = getattr(module, f"{function}Request")
    if not is_submit(function):
        hints = typing.get_type_hints(CONTRACT.transactions[function].function)
        assert hints["request"] is message_type
    return message_type


# ------------------------------------------------------------------------------------------------
# Running a call and judging its outcome


_RECORDS: Final[dict[str, type[Message]]] = {
    "tradefin.lc": lc.CreditStub,
    "tradefin.lc.terms": lc.CreditTermsRecord,
    "tradefin.lc.confirmed": lc.CreditTermsRecord,
    "tradefin.lc.position": lc.CreditPosition,
    "tradefin.lc.amendment": lc.AmendmentRecord,
    "tradefin.lc.presentation": lc.PresentationStub,
    "tradefin.lc.presentation.record": lc.PresentationRecord,
    "tradefin.lc.transfer": lc.TransferRecord,
    "tradefin.calendar": calendar_pb2.BankingCalendar,
}
#: Fields holding MT narrative of several lines: the only text that may contain a line break.
_NARRATIVES: Final = frozenset(
    {
        "additional_amounts",
        "additional_conditions",
        "bank_to_bank_info",
        "charges",
        "data_requirements",
        "deemed_acceptance_clause",
        "deferred_payment",
        "description",
        "draft_tenor",
        "instructions_to_bank",
        "mixed_payment",
        "narrative",
        "rejection_reason",
        "shipment_period",
        "special_payment_bank",
        "special_payment_beneficiary",
        "text",
    }
)


#: SWIFT references that key records (field 20 is unique per issuing bank, INV-LC-03).
_REFERENCES: Final = frozenset({"lc_id", "lc_number", "pre_advice_ref"})


def _text_defects(text: str, name: str, where: str) -> Iterator[str]:
    if text and not text.strip():
        yield f"{where}: blank text {text!r} stored"
    elif name in _REFERENCES and text != text.strip():
        yield f"{where}: reference {text!r} padded with blanks stored (a look-alike of {text.strip()!r})"
    allowed = {"\n"} if name in _NARRATIVES else set()
    if any(unicodedata.category(char) == "Cc" and char not in allowed for char in text):
        yield f"{where}: control character stored in {text[:40]!r}"


def _money_defects(money: common_pb2.Money, where: str) -> Iterator[str]:
    if money.currency not in CURRENCY_EXPONENTS:
        yield f"{where}: currency {money.currency!r} stored"
    if not 0 < money.minor_units <= MAX_MINOR_UNITS:
        yield f"{where}: amount {money.minor_units} stored"


def _date_defects(day: common_pb2.Date, where: str) -> Iterator[str]:
    try:
        datetime.date(day.year, day.month, day.day)
    except ValueError:
        yield f"{where}: invalid date {day.year}-{day.month}-{day.day} stored"


def record_defects(message: Message, where: str) -> Iterator[str]:
    """What is malformed in a stored record: money, dates, text (recursively)."""
    kind = message.DESCRIPTOR.full_name
    if kind == "tradefin.v1.Money":
        yield from _money_defects(typing.cast(common_pb2.Money, message), where)
    elif kind == "tradefin.v1.Date":
        yield from _date_defects(typing.cast(common_pb2.Date, message), where)
    for descriptor, value in message.ListFields():
        items = value if descriptor.label == FieldDescriptor.LABEL_REPEATED else [value]
        for index, item in enumerate(items):
            path = f"{where}.{descriptor.name}" + (
                f"[{index}]" if descriptor.label == FieldDescriptor.LABEL_REPEATED else ""
            )
            if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
                yield from record_defects(item, path)
            elif descriptor.type == FieldDescriptor.TYPE_STRING:
                yield from _text_defects(item, descriptor.name, path)


def _position_defects(position: lc.CreditPosition, where: str) -> Iterator[str]:
    if min(position.drawn, position.reserved, position.reimbursed, position.transferred) < 0:
        yield f"{where}: negative balance"
    if position.drawn + position.reserved > position.max_amount:
        yield f"{where}: drawn + reserved above the ceiling (INV-LC-04)"
    if not position.reimbursed <= position.reimbursable <= position.drawn:
        yield f"{where}: reimbursed above honoured (INV-LC-11)"


def _ymd(day: common_pb2.Date) -> tuple[int, int, int]:
    return day.year, day.month, day.day


def _transfer_defects(transfer: lc.TransferRecord, where: str, public: Mapping[str, bytes]) -> Iterator[str]:
    if not transfer.HasField("expiry_date") or _ymd(transfer.expiry_date) >= _ymd(transfer.transferred_on):
        return
    # An expiry on a closed day still reaches a transfer that counts on the next banking day (art. 29a).
    key = calendar_key(calendar_place(transfer.transferring_bank))
    calendar = calendar_pb2.BankingCalendar.FromString(public[create_composite_key(key.object_type, key.attributes)])
    last_day = BankingDays.from_record(calendar).last_day(datetime.date(*_ymd(transfer.expiry_date)))
    if last_day < datetime.date(*_ymd(transfer.transferred_on)):
        yield f"{where}: transferred credit expired before its transfer (its amount is held for nobody)"


def stored_defects(before: Snapshot, ledger: Ledger) -> list[str]:
    """What a successful call wrote that breaks the rules on stored data."""
    public, private, _, events = before
    changed = [(key, value) for key, value in ledger.world.public.items() if public.get(key) != value]
    changed += [(slot[1], value) for slot, value in ledger.world.private.items() if private.get(slot) != value]
    defects: list[str] = []
    for key, value in changed:
        object_type, _ = split_composite_key(key)
        record_type = _RECORDS.get(object_type)
        if record_type is None:
            continue  # a payment's records: the payments contract's fuzz judges them
        record = record_type.FromString(value)
        defects.extend(record_defects(record, object_type))
        if isinstance(record, lc.CreditPosition):
            defects.extend(_position_defects(record, object_type))
        if isinstance(record, lc.TransferRecord):
            defects.extend(_transfer_defects(record, object_type, ledger.world.public))
    if changed and len(ledger.events) == len(events):
        defects.append("a transition wrote records without an event (INV-LC-14)")
    for name, payload in ledger.events[len(events) :]:
        defects.extend(record_defects(lc.LetterOfCreditEvent.FromString(payload), name))
    return defects


def check_outcome(before: Snapshot, ledger: Ledger, response: ChaincodeResponse, what: str) -> None:
    """A success stores well-formed records; a refusal carries a catalogue code and changes nothing."""
    if response.status == 200:
        defects = stored_defects(before, ledger)
        assert not defects, (what, defects)
        return
    code, _, text = response.message.partition(": ")
    assert code in CATALOGUE and text, (what, response.message)
    assert ledger.snapshot() == before, (what, response.message)


#: What a refusal may name besides the request's fields (see ``terms.amended_terms``).
AMENDED_TERMS: Final = frozenset({"amended_terms"})


def check_named_field(request: Message, response: ChaincodeResponse, what: str) -> None:
    """A refusal of a well-framed request names a field of that request (or none), or a term of the
    credit as an amendment would leave it that the amendment made wrong without setting it."""
    refused = response.status != 200
    misnamed = misnamed_field(request.DESCRIPTOR, response.message, AMENDED_TERMS) if refused else None
    assert misnamed is None, (what, response.message, misnamed)


def proper_call(function: str, payload: bytes) -> Framing:
    """The request where the function expects it: the transient map (submit) or the argument (evaluate)."""
    return Framing(transient={REQUEST_FIELD: payload}) if is_submit(function) else Framing(args=(payload,))


def run(
    scenario: Scenario, call: Framing, caller: ClientIdentity | None = None
) -> tuple[Snapshot, Ledger, ChaincodeResponse]:
    """The call on a fork of the world, and what it changed."""
    ledger = world()[0].fork()
    before = ledger.snapshot()
    bank, role = scenario.caller
    response = ledger.invoke(caller or who(bank, role), scenario.function, call.args, call.transient, scenario.at)
    return before, ledger, response


def run_request(scenario: Scenario, request: Message, caller: ClientIdentity | None = None) -> ChaincodeResponse:
    """The request, sent properly, with its outcome checked; when it is accepted, the flow goes on from
    what it stored (each step checked the same way) until a step is refused."""
    return run_flow(scenario, request, caller)[0]


def run_flow(scenario: Scenario, request: Message, caller: ClientIdentity | None = None) -> list[ChaincodeResponse]:
    """:func:`run_request`, answering the request's answer and those of the flow's steps that ran."""
    call = proper_call(scenario.function, request.SerializeToString())
    before, ledger, response = run(scenario, call, caller)
    check_outcome(before, ledger, response, scenario.function)
    check_named_field(request, response, scenario.function)
    if response.status != 200:
        return [response]
    return [response, *run_steps(ledger, scenario.then(request, response), scenario.function)]


def run_steps(ledger: Ledger, steps: Sequence[Step], after: str) -> list[ChaincodeResponse]:
    """The steps in turn, each outcome checked, until one is refused; their answers."""
    answers: list[ChaincodeResponse] = []
    for step in steps:
        before = ledger.snapshot()
        bank, role = step.caller
        answers.append(ledger.invoke(who(bank, role), step.function, *_slots(step), step.at))
        check_outcome(before, ledger, answers[-1], f"{after}, then {step.function}")
        check_named_field(step.request, answers[-1], f"{after}, then {step.function}")
        if answers[-1].status != 200:
            break
    return answers


def _slots(step: Step) -> tuple[tuple[bytes, ...], Mapping[str, bytes]]:
    call = proper_call(step.function, step.request.SerializeToString())
    return call.args, call.transient


# ------------------------------------------------------------------------------------------------
# The scenarios are valid and cover the contract


def test_every_transaction_function_is_fuzzed() -> None:
    assert {scenario.function for scenario in scenarios()} == set(CONTRACT.transactions)
    for scenario in scenarios():
        assert isinstance(scenario.request, request_type(scenario.function)), scenario.name


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda scenario: scenario.name)
def test_the_valid_request_of_each_scenario(scenario: Scenario) -> None:
    response = run_request(scenario, scenario.request)
    if scenario.refused:
        assert response.message.startswith(f"{scenario.refused}: "), response.message
    else:
        assert response.status == 200, response.message


# ------------------------------------------------------------------------------------------------
# 1. Raw arguments


def _other_request(function: str) -> bytes:
    """Another function's request: an application's (a presentation's for Apply itself)."""
    if function == "Apply":
        return api.PresentRequest(presentation_id=uuid4("x"), claimed=usd("1")).SerializeToString()
    return api.ApplyRequest(terms=sample_terms(), salt=bytes(32)).SerializeToString()


@pytest.mark.parametrize("scenario", main_scenarios(), ids=lambda scenario: scenario.function)
def test_raw_arguments(scenario: Scenario) -> None:
    function, submit = scenario.function, is_submit(scenario.function)
    cases = framings(
        submit, scenario.request.SerializeToString(), _other_request(function), scenario.request.DESCRIPTOR
    )
    for label, call in cases.items():
        before, ledger, response = run(scenario, call)
        check_outcome(before, ledger, response, label)
        if malformed_framing(submit, label):
            assert response.message.startswith("ERR_INVALID_INPUT: "), (label, response.message)


@settings(derandomize=True, deadline=None, max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(payload=st.binary(max_size=64))
@pytest.mark.parametrize("scenario", main_scenarios(), ids=lambda scenario: scenario.function)
def test_random_request_bytes(scenario: Scenario, payload: bytes) -> None:
    before, ledger, response = run(scenario, proper_call(scenario.function, payload))
    check_outcome(before, ledger, response, "random bytes")


# ------------------------------------------------------------------------------------------------
# 2. Mutated requests

Hop = tuple[str, int | None]
Path = tuple[Hop, ...]

#: Currencies of a money field: the shared number-like and currency-like texts, and codes of other
#: currencies than the credit's.
_CURRENCIES: Final = ("", *NUMBER_TEXTS, *CURRENCY_TEXTS, "JPY", "EUR")
_DATES: Final = (
    (2025, 13, 1),
    (2025, 0, 10),
    (2025, 12, 0),
    (2025, 12, 32),
    (2026, 2, 31),
    (2025, 2, 29),
    (0, 1, 1),
    (1, 1, 1),
    (1, 1, 2),
    (9999, 12, 31),
    (9999, 12, 28),
    (9999, 12, 20),
    (-1, 6, 1),
    (2**31 - 1, 1, 1),
    (2025, 12, -1),
    (0, 0, 0),
)


def _field_at(message: Message, path: Path) -> tuple[Message, FieldDescriptor]:
    """The message holding the last step of ``path`` and that step's field."""
    for name, index in path[:-1]:
        value = getattr(message, name)
        message = value[index] if index is not None else value
    return message, message.DESCRIPTOR.fields_by_name[path[-1][0]]


def targets(message: Message, prefix: Path = (), depth: int = 5) -> list[Path]:
    """Every field a mutation can hit: scalars, messages (set or not), repeated fields and their items."""
    found: list[Path] = []
    for descriptor in message.DESCRIPTOR.fields:
        path = (*prefix, (descriptor.name, None))
        value = getattr(message, descriptor.name)
        is_message = descriptor.type == FieldDescriptor.TYPE_MESSAGE
        found.append(path)
        if descriptor.label == FieldDescriptor.LABEL_REPEATED:
            for index in range(min(len(value), 3)):
                item_path = (*prefix, (descriptor.name, index))
                found.extend(targets(value[index], item_path, depth - 1) if is_message and depth else [item_path])
        elif is_message and depth and message.HasField(descriptor.name):
            found.extend(targets(value, path, depth - 1))
    return found


@dataclass(frozen=True)
class Edit:
    """One mutation of a request: set a field, or change a repeated field or a message as a whole."""

    path: Path
    operation: str
    value: Any = None

    def __repr__(self) -> str:
        where = ".".join(name + (f"[{index}]" if index is not None else "") for name, index in self.path)
        shown = repr(self.value)
        return f"Edit({where} {self.operation} {shown[:60]}{'...' if len(shown) > 60 else ''})"

    @property
    def kind(self) -> str:
        """The mutation kind, for statistics."""
        return self.operation if self.operation != "set" else f"set {type(self.value).__name__}"

    def apply(self, request: Message) -> None:
        holder, descriptor = _field_at(request, self.path)
        name, index = self.path[-1]
        current = getattr(holder, name)
        if self.operation == "set" and index is not None:
            current[index] = self.value
        elif self.operation == "set":
            setattr(holder, name, self.value)
        elif self.operation == "clear":
            holder.ClearField(name)
        elif self.operation == "empty message":
            current.Clear()
            current.SetInParent()
        elif self.operation == "date":
            year, month, day = self.value
            current.CopyFrom(common_pb2.Date(year=year, month=month, day=day))
        elif self.operation == "money":
            currency, minor_units = self.value
            current.CopyFrom(common_pb2.Money(currency=currency, minor_units=minor_units))
        elif self.operation == "duplicate":
            item = current[index] if index is not None else current[0]
            current.append(item) if descriptor.type != FieldDescriptor.TYPE_MESSAGE else current.add().CopyFrom(item)
        elif self.operation == "many":
            items = list(current)
            for _ in range(self.value):
                if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
                    current.add().CopyFrom(items[0])
                else:
                    current.append(items[0])
        elif self.operation == "reverse":
            items = [_copied(item) if isinstance(item, Message) else item for item in reversed(current)]
            del current[:]
            current.extend(items)
        else:
            raise AssertionError(self.operation)


def _ids(field_name: str) -> list[str]:
    """Other records' ids (and unknown and malformed ones) for an id field."""
    _, ids = world()
    if field_name == "lc_id":
        return [*ids.credits.values(), "TFINCNSH:LC2025-9999", "TFOTUS33:LC2025-0001", "TFINCNSH", "X:Y", ":"]
    if field_name in ("presentation_id", "transfer_id"):
        return [*ids.presentations.values(), ids.transfer, uuid4("unknown"), uuid4("unknown").upper(), "not-a-uuid"]
    if field_name == "receiving_bank_bic":
        return [bank.bic for bank in BANKS] + ["TFINCNSH", "TFADGB2LXXX", "tfadgb2l"]
    return []


def fixed_edits(request: Message, path: Path) -> list[Edit]:
    """Every mutation of the catalogue that the field at ``path`` admits, by its type."""
    holder, descriptor = _field_at(request, path)
    name, index = path[-1]
    value = getattr(holder, name) if index is None else getattr(holder, name)[index]
    if descriptor.label == FieldDescriptor.LABEL_REPEATED and index is None:
        if not len(value):
            return [Edit(path, "clear")]
        operations = (("clear", None), ("duplicate", None), ("many", 150), ("many", 1000), ("reverse", None))
        return [Edit(path, operation, count) for operation, count in operations]
    if descriptor.type == FieldDescriptor.TYPE_MESSAGE:
        kind = descriptor.message_type.full_name
        found = [Edit(path, "clear"), Edit(path, "empty message")]
        if kind == "tradefin.v1.Date":
            found += [Edit(path, "date", ymd) for ymd in _DATES]
        elif kind == "tradefin.v1.Money":
            found += [Edit(path, "money", (currency, 100)) for currency in _CURRENCIES]
            found += [Edit(path, "money", ("USD", number)) for _, number in INTEGERS if -(2**63) <= number < 2**63]
        return found
    if descriptor.type == FieldDescriptor.TYPE_STRING:
        texts = dict.fromkeys(text for _, text in (*TEXTS, *derived_texts(value)))
        return [Edit(path, "set", text) for text in texts] + [Edit(path, "set", other) for other in _ids(name)]
    if descriptor.type == FieldDescriptor.TYPE_BYTES:
        return [Edit(path, "set", blob) for blob in (b"", bytes(31), bytes(33), b"\xff" * 10_000, value + b"\x00")]
    if descriptor.type == FieldDescriptor.TYPE_BOOL:
        return [Edit(path, "set", not value)]
    if descriptor.type == FieldDescriptor.TYPE_ENUM:
        return [Edit(path, "set", number) for number in (*descriptor.enum_type.values_by_number, -1, 99, 2**31 - 1)]
    limits = int_range(descriptor)
    assert limits is not None, descriptor.full_name
    low, high = limits
    numbers = dict.fromkeys((*(number for _, number in INTEGERS), value - 1, value + 1, value * 1000))
    return [Edit(path, "set", number) for number in numbers if low <= number <= high]


def _random_values(request: Message, path: Path) -> st.SearchStrategy[Any] | None:
    """Values beyond the catalogue for a text or integer field (None for other fields)."""
    _, descriptor = _field_at(request, path)
    if descriptor.label == FieldDescriptor.LABEL_REPEATED and path[-1][1] is None:
        return None
    if descriptor.type == FieldDescriptor.TYPE_STRING:
        return st.text(max_size=40)
    limits = int_range(descriptor)
    if limits is not None:
        return st.integers(*limits)
    return None


@st.composite
def edits(draw: st.DrawFn, request: Message) -> Edit:
    """One mutation of the request: a field, then a catalogue mutation or a random value for it."""
    path = draw(st.sampled_from(targets(request)))
    fixed = st.sampled_from(fixed_edits(request, path))
    randoms = _random_values(request, path)
    if randoms is None:
        return draw(fixed)
    return draw(st.one_of(fixed, randoms.map(lambda value: Edit(path, "set", value))))


def _copied(message: MessageT) -> MessageT:
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def mutated(request: Message, changes: Sequence[Edit]) -> Message:
    copy = _copied(request)
    for change in changes:
        change.apply(copy)
    return copy


#: Mutations of each field in the systematic pass (spread over the field's catalogue, see below), and
#: at least this many per request (all of the catalogue for a request of one or two ids).
MUTATIONS_PER_FIELD: Final = 3
MUTATIONS_PER_REQUEST: Final = 60
#: Random examples per scenario (one or two mutations each, random text and integers included).
MUTATIONS_PER_SCENARIO: Final = 30


def systematic_edits(request: Message) -> list[Edit]:
    """Each field of the request with :data:`MUTATIONS_PER_FIELD` mutations of its catalogue, taken
    evenly and starting one further along for each field, so all of a catalogue is used across fields."""
    chosen = []
    paths = targets(request)
    per_field = max(MUTATIONS_PER_FIELD, MUTATIONS_PER_REQUEST // len(paths))
    for number, path in enumerate(paths):
        fixed = fixed_edits(request, path)
        spacing = max(len(fixed) // per_field, 1)
        picked = {(number + k * spacing) % len(fixed) for k in range(min(per_field, len(fixed)))}
        chosen += [fixed[index] for index in sorted(picked)]
    return chosen


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda scenario: scenario.name)
def test_every_field_mutated(scenario: Scenario) -> None:
    for change in systematic_edits(scenario.request):
        try:
            run_request(scenario, mutated(scenario.request, [change]))
        except AssertionError as failure:
            raise AssertionError(f"{change!r}: {failure}") from failure


@settings(
    derandomize=True,
    deadline=None,
    max_examples=MUTATIONS_PER_SCENARIO,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
@pytest.mark.parametrize("scenario", scenarios(), ids=lambda scenario: scenario.name)
def test_mutated_requests(scenario: Scenario, data: st.DataObject) -> None:
    first = data.draw(edits(scenario.request), label="edit")
    changes = [first]
    if data.draw(st.booleans(), label="second edit"):
        changes.append(data.draw(edits(mutated(scenario.request, changes)), label="edit"))
    for change in changes:
        event(change.kind)
    run_request(scenario, mutated(scenario.request, changes))


# ------------------------------------------------------------------------------------------------
# 3. Every bank and role


@pytest.mark.parametrize("scenario", main_scenarios(), ids=lambda scenario: scenario.function)
def test_callers(scenario: Scenario) -> None:
    """Only the callers the rules name succeed; every other one is refused as ERR_UNAUTHORIZED."""
    bank, role = scenario.caller
    spoofed = [
        (common_pb2.BankRef(bic=other.bic, msp_id=bank.msp_id), role) for other in BANKS if other.msp_id != bank.msp_id
    ]
    for caller_bank, caller_role in [*((b, r) for b in BANKS for r in ROLES), *spoofed]:
        response = run_request(scenario, scenario.request, who(caller_bank, caller_role))
        genuine = caller_bank in BANKS  # a spoofed certificate states another bank's BIC
        open_to_all = all(scenario.may_call(other.msp_id, caller_role) for other in BANKS)
        if (genuine or open_to_all) and scenario.may_call(caller_bank.msp_id, caller_role):
            assert response.status == 200, (caller_bank.msp_id, caller_role, response.message)
        else:
            assert response.message.startswith("ERR_UNAUTHORIZED: "), (caller_bank, caller_role, response.message)
        if scenario.function == "GetPresentation" and response.status == 200:
            answer = api.PresentationResponse.FromString(response.payload)
            assert answer.HasField("record") == (genuine and caller_bank.msp_id in _CREDIT_BANKS)


# ------------------------------------------------------------------------------------------------
# What the fuzz found: each case broke the rules before its fix


def at(path: str) -> Path:
    """A path from its dotted text, e.g. ``documents[1].key_data.shipment_date``."""
    hops = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        hops.append((name, int(index.rstrip("]")) if index else None))
    return tuple(hops)


@dataclass(frozen=True)
class Found:
    """A mutated request that broke the rules, and the answer it gets now."""

    scenario: str
    edits: tuple[Edit, ...]
    #: The refusal it gets; empty when the request and the flow that follows are accepted.
    refusal: str = ""

    def __str__(self) -> str:
        return f"{self.scenario}: {', '.join(map(repr, self.edits))}"


BLANK = "ERR_INVALID_INPUT: {}: must not be blank"
PADDED = "ERR_INVALID_INPUT: {}: must not start or end with a blank"
EXCLUSIVE = "ERR_INVALID_INPUT: changes.latest_shipment_date: 44C and 44D exclude each other"
OFF_CALENDAR = "ERR_INVALID_INPUT: {}: {} is too close to the limits of the calendar"
FOUND: Final = (
    # Blank (whitespace-only) text was accepted in every SWIFT text field: names, addresses, references,
    # narratives, document data, discrepancies (the shared check_text and check_ref16).
    Found("Apply", (Edit(at("terms.beneficiary.name"), "set", "   "),), BLANK.format("terms.beneficiary.name")),
    Found("Apply", (Edit(at("terms.lc_number"), "set", " "),), BLANK.format("terms.lc_number")),
    Found("Apply", (Edit(at("terms.applicant.address[1]"), "set", " "),), BLANK.format("terms.applicant.address[1]")),
    Found(
        "Apply[rich terms]",
        (Edit(at("terms.additional_conditions"), "set", " \n "),),
        BLANK.format("terms.additional_conditions"),
    ),
    Found(
        "Present", (Edit(at("documents[1].key_data.vessel"), "set", " "),), BLANK.format("documents[1].key_data.vessel")
    ),
    Found("Refuse", (Edit(at("discrepancies[0].text"), "set", "  "),), BLANK.format("discrepancies[0].text")),
    Found("RejectAmendment", (Edit(at("reason"), "set", " "),), BLANK.format("reason")),
    Found("Transfer", (Edit(at("second_beneficiary.name"), "set", " "),), BLANK.format("second_beneficiary.name")),
    Found("PublishCalendar", (Edit(at("calendar.description"), "set", " "),), BLANK.format("calendar.description")),
    # An amendment's 45B/47B text was not checked itself: a blank addition became a blank line.
    Found(
        "ProposeAmendment[terms]",
        (Edit(at("changes.goods_description.text"), "set", " "),),
        BLANK.format("changes.goods_description.text"),
    ),
    Found(
        "ProposeAmendment[terms]",
        (Edit(at("changes.goods_description.text"), "set", ""),),
        "ERR_INVALID_INPUT: changes.goods_description.text: is required",
    ),
    # A reference padded with blanks was another credit that reads like an existing one (INV-LC-03).
    Found("Apply", (Edit(at("terms.lc_number"), "set", "LC2025-0001 "),), PADDED.format("terms.lc_number")),
    Found(
        "Apply[rich terms]",
        (Edit(at("terms.pre_advice_ref"), "set", " PRE/0001"),),
        PADDED.format("terms.pre_advice_ref"),
    ),
    # An amendment stating 44C with 44D stored its 44C unchecked (an invalid date) and dropped it.
    Found(
        "ProposeAmendment[44D window]", (Edit(at("changes.latest_shipment_date"), "date", (2025, 13, 1)),), EXCLUSIVE
    ),
    Found("ProposeAmendment[44D window]", (Edit(at("changes.latest_shipment_date"), "empty message"),), EXCLUSIVE),
    # An art. 3 date term reaching past the calendar's first or last day crashed (ERR_INTERNAL).
    Found(
        "Apply[44D window]",
        (Edit(at("terms.shipment_window.date"), "date", (1, 1, 1)),),
        OFF_CALENDAR.format("terms.shipment_window.date", "0001-01-01"),
    ),
    Found(
        "Apply[44D window]",
        (Edit(at("terms.shipment_window.date"), "date", (9999, 12, 28)),),
        OFF_CALENDAR.format("terms.shipment_window.date", "9999-12-28"),
    ),
    Found(
        "ProposeAmendment[44D window]",
        (
            Edit(at("changes.shipment_window.kind"), "set", lc.DATE_TERM_KIND_BEFORE),
            Edit(at("changes.shipment_window.end_date"), "clear"),
            Edit(at("changes.shipment_window.date"), "date", (1, 1, 1)),
        ),
        OFF_CALENDAR.format("changes.shipment_window.date", "0001-01-01"),
    ),
    # A transport document shipped on the calendar's last day was presented, then its examination
    # crashed (ERR_INTERNAL) counting the period for presentation: it is now examined (late shipment).
    Found("Present", (Edit(at("documents[1].key_data.shipment_date"), "date", (9999, 12, 31)),)),
    Found("Present[under a transfer]", (Edit(at("documents[1].key_data.shipment_date"), "date", (9999, 12, 28)),)),
    # Charges claimed on a refusal made a total (33a) beyond the SWIFT amount format.
    Found(
        "Refuse",
        (Edit(at("charges_claimed.minor_units"), "set", MAX_MINOR_UNITS),),
        "ERR_INVALID_INPUT: charges_claimed: with the amount claimed, the total (33a) exceeds the SWIFT format",
    ),
    # An HS code with a trailing newline matched its pattern ('$').
    Found(
        "Apply[rich terms]",
        (Edit(at("terms.goods.hs_code"), "set", "845891\n"),),
        "ERR_INVALID_INPUT: terms.goods.hs_code: must be 6 to 10 digits",
    ),
    # A transfer expiring before its date of transfer: its amount was held for a second beneficiary who
    # could never present (ERR_EXPIRED), out of the first beneficiary's reach.
    Found(
        "Transfer",
        (Edit(at("expiry_date"), "date", (2025, 12, 2)),),
        "ERR_INVALID_INPUT: expiry_date: is before the date of transfer (2025-12-03)",
    ),
    Found(
        "Transfer",
        (Edit(at("expiry_date"), "date", (1, 1, 1)),),
        "ERR_INVALID_INPUT: expiry_date: is before the date of transfer (2025-12-03)",
    ),
)


@pytest.mark.parametrize("found", FOUND, ids=str)
def test_found_defects(found: Found) -> None:
    scenario = next(scenario for scenario in scenarios() if scenario.name == found.scenario)
    request = mutated(scenario.request, found.edits)
    answers = run_flow(scenario, request)
    if found.refusal:
        assert answers[0].message == found.refusal
    else:
        assert [answer.status for answer in answers] == [200] * (1 + len(scenario.then(request, answers[0])))


def test_a_credit_expiring_on_the_last_day_of_the_calendar_when_banks_are_closed() -> None:
    """Art. 29 moves an expiry on a closed day to the next banking day; on 9999-12-31 there is none, and
    advising such a credit overflowed (ERR_INTERNAL). Both inputs pass on their own, so the fuzz, which
    mutates one request at a time, could not reach it."""
    london = calendars()[1]
    london.version = 2
    london.holidays.append(date("9999-12-31"))
    terms = _terms("LC2025-9999", expiry_date=date("9999-12-31"))
    lc_id = "TFINCNSH:LC2025-9999"
    steps = [
        Step("PublishCalendar", (ADVISER, "compliance"), api.PublishCalendarRequest(calendar=london)),
        Step("Apply", (ISSUER, "client-applicant"), api.ApplyRequest(terms=terms, salt=bytes(32))),
        Step("Issue", (ISSUER, "issuer"), api.IssueRequest(lc_id=lc_id)),
        Step("Advise", (ADVISER, "advisor"), api.AdviseRequest(lc_id=lc_id)),
    ]
    answers = run_steps(world()[0].fork(), steps, "a London holiday on 9999-12-31")
    assert [answer.message for answer in answers] == [
        "",
        "",
        "",
        "ERR_INVALID_STATE: the banking-day calendar of GB has no banking day after 9999-12-31",
    ]
