"""Fuzzing every transaction of the ``compliance`` contract as the shim routes it, from states valid
flows reach (a configuration in force and the next one proposed, attestations and screenings, a
bank's limits, a reservation and its limit policy, documents registered, financed and detailed).

The rule under test: bad input gets a clear error with a stable catalogue code (never ERR_INTERNAL,
never another exception) and changes nothing on the ledger; what is accepted leaves only well-formed
records, limits used within their maximum and documents financed at most once over.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.governance import config_sha256, validate_config
from tradefin.chaincode.contracts.letters_of_credit.access import Caller
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp

from ..payments.contract_fuzz import (
    HOUR,
    Call,
    ContractDesk,
    ContractFuzz,
    Mutation,
    Path,
    defect,
    fixed_uuid,
    is_submit,
    send,
    stranger,
    trailing_newline,
    transactions,
)
from ..payments.support import (
    BANK_A,
    BANK_B,
    CREDITOR,
    DEBTOR,
    OUTSIDER,
    caller,
    governance_config,
    money,
    snapshot,
    stamp,
)

A_COMPLIANCE, B_COMPLIANCE = caller(BANK_A, "compliance"), caller(BANK_B, "compliance")
A_TREASURY, B_TREASURY = caller(BANK_A, "treasury"), caller(BANK_B, "treasury")
SALT_A, SALT_B = b"a" * 32, b"b" * 32


def fingerprint(name: str) -> str:
    """A document fingerprint."""
    return hashlib.sha256(name.encode()).hexdigest()


REGISTERED, FINANCED = fingerprint("invoice registered"), fingerprint("invoice financed by A")
PROPOSAL = governance_config(version=2, screening_max_age_hours=48, description="pilot, second version")


@dataclass(frozen=True)
class Scene:
    """A ledger reached by valid flows, and the ids of what is on it."""

    desk: ContractDesk
    reservation: str  # bank A's, for a payment never made

    @property
    def ids(self) -> list[str]:
        """Ids of the scene's records (a mutated request may name another record's id)."""
        return [self.reservation, REGISTERED, FINANCED, DEBTOR.kyc_ref, CREDITOR.kyc_ref, "FIN-1", "Bank2MSP"]


def _ok(desk: ContractDesk, who: Caller, function: str, request: Message) -> None:
    answer = desk.submit(who, function, request)
    assert answer.status == 200, answer.message


@functools.cache
def _scene() -> Scene:
    desk = ContractDesk()
    desk.adopt()
    desk.vouch(BANK_A, DEBTOR)
    desk.vouch(BANK_B, CREDITOR)
    _ok(desk, A_COMPLIANCE, "compliance:ProposeGovernance", cp.ProposeGovernanceRequest(config=PROPOSAL))
    for scope, key, amount in (
        (cp.LIMIT_SCOPE_COUNTERPARTY_BANK, BANK_B.bic, money("10000.00")),
        (cp.LIMIT_SCOPE_COUNTRY, "DE", money("50000.00")),
        (cp.LIMIT_SCOPE_CUSTOMER, DEBTOR.kyc_ref, money("1080.00", "USD")),
        (cp.LIMIT_SCOPE_PRODUCT, "PAYMENT", money("100000.00")),
    ):
        limit = cp.SetLimitRequest(scope=scope, key=key, max=amount, salt=bytes(32))
        _ok(desk, A_COMPLIANCE, "compliance:SetLimit", limit)
    reservation = fixed_uuid("reservation")
    _ok(desk, A_TREASURY, "compliance:ReserveLimits", _reservation(reservation))
    _ok(desk, A_COMPLIANCE, "compliance:SetLimitPolicy", cp.SetLimitPolicyRequest(clearance_required=True))
    _ok(desk, A_TREASURY, "compliance:RegisterDocument", _registration([REGISTERED]))
    _ok(desk, A_TREASURY, "compliance:FinanceDocument", _financing([FINANCED], SALT_A))
    _ok(desk, A_TREASURY, "compliance:RecordFinancingDetails", _details("FIN-1", [FINANCED]))
    return Scene(desk, reservation)


def _reservation(reservation_id: str) -> cp.ReserveLimitsRequest:
    return cp.ReserveLimitsRequest(
        reservation_id=reservation_id,
        amount=money("100.00"),
        counterparty_bic=BANK_B.bic,
        country="DE",
        customer_ref=DEBTOR.kyc_ref,
        product="PAYMENT",
        clearance_salt=b"s" * 32,
    )


def _registration(fingerprints: list[str]) -> cp.RegisterDocumentRequest:
    return cp.RegisterDocumentRequest(
        fingerprints=fingerprints, doc_type=cp.FINANCED_DOCUMENT_TYPE_INVOICE, face_amount_band="100K-1M"
    )


def _financing(fingerprints: list[str], salt: bytes, pct: int = 100) -> cp.FinanceDocumentRequest:
    return cp.FinanceDocumentRequest(
        fingerprints=fingerprints,
        doc_type=cp.FINANCED_DOCUMENT_TYPE_INVOICE,
        financed_pct=pct,
        face_amount_band="100K-1M",
        holder_salt=salt,
    )


def _details(financing_id: str, fingerprints: list[str]) -> cp.RecordFinancingDetailsRequest:
    return cp.RecordFinancingDetailsRequest(
        details=cp.FinancingDetails(
            financing_id=financing_id,
            fingerprints=fingerprints,
            doc_type=cp.FINANCED_DOCUMENT_TYPE_INVOICE,
            customer_ref=DEBTOR.kyc_ref,
            amount=money("60000.00"),
            face_amount=money("100000.00"),
            salt=bytes(32),
        )
    )


def _attestation(subject_ref: str) -> cp.AttestKycRequest:
    return cp.AttestKycRequest(
        attestation=cp.KycAttestation(
            subject_ref=subject_ref,
            level=cp.KYC_LEVEL_ENHANCED,
            status=cp.KYC_STATUS_VERIFIED,
            verified_on=common_pb2.Date(year=2025, month=6, day=30),
            expires_on=common_pb2.Date(year=2026, month=6, day=30),
            risk_rating=cp.RISK_RATING_MEDIUM,
            evidence_hash="ab" * 32,
        )
    )


def _screening(now: datetime.datetime) -> cp.RecordScreeningRequest:
    return cp.RecordScreeningRequest(
        result=cp.ScreeningResult(
            subject_ref=DEBTOR.kyc_ref,
            list_id="OFAC",
            list_version="2025-12-01",
            outcome=cp.SCREENING_OUTCOME_CLEAR,
            screened_at=stamp(now - HOUR),
        )
    )


#: Valid calls of every transaction (several for the richest ones), built on the scene.
BASES: dict[str, list[Callable[[Scene], Call]]] = {
    "compliance:AttestKyc": [lambda s: Call(A_COMPLIANCE, _attestation("5493001KJTIIGC8Y1R12"))],
    "compliance:RecordScreening": [lambda s: Call(A_COMPLIANCE, _screening(s.desk.now))],
    "compliance:ProposeGovernance": [
        lambda s: Call(B_COMPLIANCE, cp.ProposeGovernanceRequest(config=governance_config(version=2))),
        lambda s: Call(
            A_COMPLIANCE,
            cp.ProposeGovernanceRequest(
                config=governance_config(
                    version=2,
                    country_caps=[cp.CountryCap(country="MM", max_per_payment=money("10000.00", "USD"))],
                    financing_policy=cp.FINANCING_POLICY_PRO_RATA,
                    pilot_day_utc_offset_minutes=480,
                    check_credits=True,
                )
            ),
        ),
    ],
    "compliance:ApproveGovernance": [
        lambda s: Call(B_COMPLIANCE, cp.ApproveGovernanceRequest(version=2, config_sha256=config_sha256(PROPOSAL)))
    ],
    "compliance:SetLimit": [
        lambda s: Call(
            A_COMPLIANCE,
            cp.SetLimitRequest(scope=cp.LIMIT_SCOPE_COUNTRY, key="FR", max=money("1000.00"), salt=bytes(32)),
        ),
        lambda s: Call(
            A_COMPLIANCE,
            cp.SetLimitRequest(scope=cp.LIMIT_SCOPE_PRODUCT, key="PAYMENT", max=money("200000.00"), salt=bytes(32)),
        ),
    ],
    "compliance:ReserveLimits": [lambda s: Call(A_TREASURY, _reservation(fixed_uuid("new reservation")))],
    "compliance:ReleaseLimits": [lambda s: Call(A_TREASURY, cp.ReleaseLimitsRequest(reservation_id=s.reservation))],
    "compliance:SetLimitPolicy": [lambda s: Call(B_COMPLIANCE, cp.SetLimitPolicyRequest(clearance_required=True))],
    "compliance:RegisterDocument": [
        lambda s: Call(A_TREASURY, _registration([fingerprint("invoice 1"), fingerprint("invoice 1 near")]))
    ],
    "compliance:FinanceDocument": [
        lambda s: Call(B_TREASURY, _financing([REGISTERED], SALT_B, 60)),
        lambda s: Call(A_TREASURY, _financing([fingerprint("invoice 2"), fingerprint("invoice 2 near")], SALT_A)),
    ],
    "compliance:ReleaseFinancing": [
        lambda s: Call(A_TREASURY, cp.ReleaseFinancingRequest(fingerprints=[FINANCED], holder_salt=SALT_A))
    ],
    "compliance:RecordFinancingDetails": [lambda s: Call(A_TREASURY, _details("FIN-2", [REGISTERED]))],
    "compliance:GetKyc": [
        lambda s: Call(B_TREASURY, cp.GetKycRequest(attesting_msp_id=BANK_A.msp_id, subject_ref=DEBTOR.kyc_ref))
    ],
    "compliance:GetScreening": [
        lambda s: Call(
            B_TREASURY,
            cp.GetScreeningRequest(screening_msp_id=BANK_A.msp_id, subject_ref=DEBTOR.kyc_ref, list_id="UN"),
        )
    ],
    "compliance:GetGovernance": [lambda s: Call(B_TREASURY, cp.GetGovernanceRequest(proposal_version=2))],
    "compliance:GetLimit": [
        lambda s: Call(A_COMPLIANCE, cp.GetLimitRequest(scope=cp.LIMIT_SCOPE_COUNTRY, key="DE")),
    ],
    "compliance:GetReservation": [
        lambda s: Call(A_TREASURY, cp.GetReservationRequest(reservation_id=s.reservation)),
    ],
    "compliance:GetLimitPolicy": [lambda s: Call(B_TREASURY, cp.GetLimitPolicyRequest(msp_id=BANK_A.msp_id))],
    "compliance:GetFinancing": [
        lambda s: Call(B_TREASURY, cp.GetFinancingRequest(fingerprints=[REGISTERED, FINANCED])),
    ],
    "compliance:GetAuditTrail": [
        lambda s: Call(B_TREASURY, cp.GetAuditTrailRequest(object_type="kyc", object_id=f"Bank1MSP/{DEBTOR.kyc_ref}")),
        lambda s: Call(
            B_TREASURY, cp.GetAuditTrailRequest(object_type="screening", object_id=f"Bank1MSP/{DEBTOR.kyc_ref}/UN")
        ),
        lambda s: Call(B_TREASURY, cp.GetAuditTrailRequest(object_type="financing", object_id=FINANCED)),
    ],
}
FUNCTIONS = sorted(BASES)
#: Mutated requests tried per transaction (sized for the whole file to run in ~10 s on two cores).
MUTATED_EXAMPLES = 150
SUBMITS = [function for function in FUNCTIONS if is_submit(function)]


def compliance_problems(desk: ContractDesk) -> list[str]:
    """What an accepted request may never leave: a configuration in force that its own validation
    refuses, a limit used beyond its maximum or below zero, a document financed over 100% or
    FINANCED without a hold."""
    problems = []
    for (collection, key), value in desk.ledger.state.items():
        if key.object_type == "tradefin.compliance.governance":
            try:
                validate_config(cp.ComplianceGovernance.FromString(value))
            except RuleError as error:
                problems.append(f"governance in force: {error.text}")
        elif key.object_type == "tradefin.compliance.limit":
            limit = cp.Limit.FromString(value)
            if not 0 <= limit.utilised <= limit.max.minor_units:
                problems.append(f"{collection} {key}: utilised {limit.utilised} of {limit.max.minor_units}")
        elif key.object_type == "tradefin.compliance.financing":
            entry = cp.FinancingEntry.FromString(value)
            if sum(hold.financed_pct for hold in entry.holds) > 100:
                problems.append(f"{key}: financed over 100%")
            if (entry.status == cp.FINANCING_STATUS_FINANCED) != bool(entry.holds):
                problems.append(f"{key}: status {entry.status} with {len(entry.holds)} hold(s)")
    return problems


#: Callers other than a valid call's own, by what is wrong with them.
STRANGERS = {
    "the other bank": B_COMPLIANCE,
    "an outsider bank": caller(OUTSIDER, "compliance"),
    "an auditor": caller(BANK_A, "auditor"),
    "a client": caller(BANK_A, "client-applicant"),
    "no role": caller(BANK_A, ""),
    "no BIC": stranger(BANK_A.msp_id, "compliance", ""),
    "the other bank's BIC": stranger(BANK_A.msp_id, "compliance", BANK_B.bic),
    "a malformed BIC": stranger(BANK_A.msp_id, "compliance", "ASTB HK"),
    "an unknown MSP": stranger("Bank9MSP", "compliance,treasury", "NINEGB2L"),
}
FUZZ = ContractFuzz(
    scene=_scene,
    bases=BASES,
    strangers=STRANGERS,
    # Who never writes through the compliance contract.
    never_writes=frozenset({"an auditor", "a client", "no role"}),
    substitute=A_COMPLIANCE,
    invariants=compliance_problems,
)


# ------------------------------------------------------------------------------------------------
# Every transaction is fuzzed, from valid calls


def test_every_transaction_of_the_contract_has_valid_calls_to_mutate() -> None:
    assert set(BASES) == set(transactions("compliance"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_valid_calls_are_accepted(function: str) -> None:
    FUZZ.check_valid_calls(function)


# ------------------------------------------------------------------------------------------------
# 1. Framing: undecodable bytes, empty or misplaced requests, wrong argument counts


@pytest.mark.parametrize("function", FUNCTIONS)
def test_framing_errors_are_refused_cleanly(function: str) -> None:
    FUZZ.check_framing(function)


@pytest.mark.parametrize("function", ["compliance:Nope", "compliance:", "compliance:getKyc", "pay:GetKyc"])
def test_unknown_functions_are_refused(function: str) -> None:
    FUZZ.check_unknown_function(A_COMPLIANCE, function)


@pytest.mark.parametrize("function", FUNCTIONS)
@settings(derandomize=True, deadline=None, max_examples=8, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(min_size=1, max_size=48))
def test_random_bytes_are_refused_or_read_as_a_request(function: str, raw: bytes) -> None:
    FUZZ.check_random_bytes(function, raw)


# ------------------------------------------------------------------------------------------------
# 2. Mutated fields of valid requests, sent by the valid caller (mostly) or a stranger, now or later


@pytest.mark.parametrize("function", FUNCTIONS)
@settings(derandomize=True, deadline=None, max_examples=MUTATED_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_requests_are_refused_cleanly_or_accepted_soundly(function: str, data: st.DataObject) -> None:
    FUZZ.check_mutated(function, data)


# ------------------------------------------------------------------------------------------------
# 3. Wrong banks and roles, replays, late and early calls


@pytest.mark.parametrize("who", sorted(STRANGERS))
@pytest.mark.parametrize("function", FUNCTIONS)
def test_calls_by_the_wrong_bank_or_role(function: str, who: str) -> None:
    FUZZ.check_wrong_caller(function, who)


#: Transactions whose replay is answered without a trace -- no write, and no second event (an auditor
#: would count the document financed twice). The others record the latest attestation, screening,
#: limit, policy, details or proposal again, by design.
IDEMPOTENT = ("compliance:FinanceDocument", "compliance:RegisterDocument", "compliance:ReserveLimits")


@pytest.mark.parametrize("function", SUBMITS)
def test_a_replayed_request_is_answered_cleanly_and_never_applied_twice(function: str) -> None:
    FUZZ.check_replay(function, idempotent=function in IDEMPOTENT)


@pytest.mark.parametrize("later", [2 * HOUR, 25 * HOUR, datetime.timedelta(days=400), -25 * HOUR])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_late_and_early_calls(function: str, later: datetime.timedelta) -> None:
    FUZZ.check_late(function, later)


# ------------------------------------------------------------------------------------------------
# What the fuzzing found: each input is refused with its code now, and changes nothing


def _items(path: tuple[str | int, ...], values: list[str]) -> Mutation:
    return Mutation(path, "repeated-item:trailing-newline", values)


DEFECTS = [
    # A pattern ending in '$' matched before a trailing newline: a fingerprint with one was another
    # registry entry (a document financed twice), a product another limit (the PAYMENT limit not
    # applied), a list id, MSP id, rate or digest with one was accepted.
    defect("compliance:FinanceDocument", 0, _items(("fingerprints",), [FINANCED + "\n"]), "ERR_INVALID_INPUT"),
    defect("compliance:RegisterDocument", 0, _items(("fingerprints",), [REGISTERED + "\n"]), "ERR_INVALID_INPUT"),
    defect(
        "compliance:RecordFinancingDetails",
        0,
        trailing_newline(("details", "financing_id"), "FIN-2"),
        "ERR_INVALID_INPUT",
    ),
    defect("compliance:ReserveLimits", 0, trailing_newline(("product",), "PAYMENT"), "ERR_INVALID_INPUT"),
    defect("compliance:ReserveLimits", 0, trailing_newline(("reservation_id",), "RES-1"), "ERR_INVALID_INPUT"),
    defect("compliance:SetLimit", 1, trailing_newline(("key",), "PAYMENT"), "ERR_INVALID_INPUT"),
    defect("compliance:RecordScreening", 0, trailing_newline(("result", "list_id"), "OFAC"), "ERR_INVALID_INPUT"),
    defect(
        "compliance:AttestKyc", 0, trailing_newline(("attestation", "evidence_hash"), "ab" * 32), "ERR_INVALID_INPUT"
    ),
    defect(
        "compliance:ProposeGovernance",
        0,
        _items(("config", "member_msp_ids"), ["Bank1MSP\n", "Bank2MSP"]),
        "ERR_INVALID_INPUT",
    ),
    defect(
        "compliance:ProposeGovernance",
        0,
        trailing_newline(("config", "reference_rates", 0, "rate"), "1.08"),
        "ERR_INVALID_INPUT",
    ),
    defect(
        "compliance:ProposeGovernance",
        0,
        trailing_newline(("config", "sanctions_lists", 0, "list_id"), "UN"),
        "ERR_INVALID_INPUT",
    ),
    # An enum number the schema does not define: an unknown KYC level or risk rating, document type or
    # financing policy was accepted; an unknown KYC status or screening outcome crashed naming it in the
    # event (ERR_INTERNAL).
    defect("compliance:AttestKyc", 0, Mutation(("attestation", "level"), "enum-unknown", 7), "ERR_INVALID_INPUT"),
    defect(
        "compliance:AttestKyc", 0, Mutation(("attestation", "risk_rating"), "enum-unknown", -1), "ERR_INVALID_INPUT"
    ),
    defect("compliance:AttestKyc", 0, Mutation(("attestation", "status"), "enum-unknown", 9), "ERR_INVALID_INPUT"),
    defect("compliance:RecordScreening", 0, Mutation(("result", "outcome"), "enum-unknown", 9), "ERR_INVALID_INPUT"),
    defect("compliance:RegisterDocument", 0, Mutation(("doc_type",), "enum-unknown", 8), "ERR_INVALID_INPUT"),
    defect("compliance:FinanceDocument", 1, Mutation(("doc_type",), "enum-unknown", -1), "ERR_INVALID_INPUT"),
    defect(
        "compliance:ProposeGovernance",
        0,
        Mutation(("config", "financing_policy"), "enum-unknown", 6),
        "ERR_INVALID_INPUT",
    ),
    # Two reference rates for one currency were accepted: which one converts caps and limits depended
    # on their order.
    defect(
        "compliance:ProposeGovernance",
        0,
        Mutation(
            ("config", "reference_rates"),
            "repeated-item:conflicting",
            [cp.ReferenceRate(currency="EUR", rate="1.08"), cp.ReferenceRate(currency="EUR", rate="0.5")],
        ),
        "ERR_INVALID_INPUT",
    ),
    # A financing's private details took any document type number and any customer reference
    # (10,000 characters, control characters).
    defect(
        "compliance:RecordFinancingDetails",
        0,
        Mutation(("details", "doc_type"), "enum-unknown", 8),
        "ERR_INVALID_INPUT",
    ),
    defect(
        "compliance:RecordFinancingDetails",
        0,
        Mutation(("details", "customer_ref"), "long", "X" * 10_000),
        "ERR_INVALID_INPUT",
    ),
    defect(
        "compliance:RecordFinancingDetails",
        0,
        Mutation(("details", "customer_ref"), "control", "KYC\x00\t"),
        "ERR_INVALID_INPUT",
    ),
]


# A refusal named a field the request does not have (found by ``misnamed_field``): a financing's
# fingerprints and a screening's list id without their message's name, an audit trail's malformed id
# as the record's field ('subject_ref', 'fingerprints', 'msp_id').
DEFECTS += [
    defect(
        "compliance:RecordFinancingDetails",
        0,
        Mutation(("details", "fingerprints"), "repeated:empty", []),
        "ERR_INVALID_INPUT: details.fingerprints",
    ),
    defect(
        "compliance:RecordScreening",
        0,
        Mutation(("result", "list_id"), "empty", ""),
        "ERR_INVALID_INPUT: result.list_id",
    ),
    defect(
        "compliance:GetAuditTrail",
        0,
        Mutation(("object_id",), "padded", "Bank1MSP/ KYC"),
        "ERR_INVALID_INPUT: object_id",
    ),
    defect("compliance:GetAuditTrail", 2, Mutation(("object_id",), "empty", ""), "ERR_INVALID_INPUT: object_id"),
    defect(
        "compliance:GetAuditTrail",
        2,
        Mutation(("object_type",), "other", "kyc"),
        "ERR_INVALID_INPUT: object_id",
    ),
]


@pytest.mark.parametrize(("function", "index", "mutation", "code"), DEFECTS)
def test_inputs_the_fuzzing_found_are_refused_with_their_code(
    function: str, index: int, mutation: Mutation, code: str
) -> None:
    FUZZ.check_found(function, index, mutation, code)


def test_a_fingerprint_with_a_trailing_newline_does_not_finance_a_financed_document_again() -> None:
    desk = _scene().desk.fork()
    again = desk.submit(B_TREASURY, "compliance:FinanceDocument", _financing([FINANCED + "\n"], SALT_B))
    assert again.message.startswith("ERR_INVALID_INPUT: fingerprints[0]: "), again.message
    assert desk.submit(B_TREASURY, "compliance:FinanceDocument", _financing([FINANCED], SALT_B)).message == (
        "ERR_DUPLICATE_FINANCING: already financed"
    )


@pytest.mark.parametrize(
    ("function", "path"),
    [
        ("compliance:AttestKyc", ("attestation", "subject_ref")),
        ("compliance:RecordScreening", ("result", "subject_ref")),
        ("compliance:RecordFinancingDetails", ("details", "customer_ref")),
        ("compliance:ReserveLimits", ("customer_ref",)),
        ("compliance:GetKyc", ("subject_ref",)),
        ("compliance:GetScreening", ("subject_ref",)),
    ],
)
@pytest.mark.parametrize("blank", [" ", "   "])
def test_a_blank_subject_reference_is_refused_naming_its_field(function: str, path: Path, blank: str) -> None:
    """A subject or customer reference of spaces only was accepted (a KYC attestation, screening,
    financing's customer or limit of nobody), while the shared check_text and check_ref16 refuse
    blank text."""
    scene = _scene()
    base = BASES[function][0](scene)
    desk = scene.desk.fork()
    before = snapshot(desk)
    response = send(desk, function, base.who, Mutation(path, "whitespace", blank).apply(base.request), base.later)
    assert response.message == f"ERR_INVALID_INPUT: {'.'.join(map(str, path))}: must not be blank"
    assert snapshot(desk) == before


@pytest.mark.parametrize("function", ["compliance:AttestKyc", "compliance:RecordScreening"])
@pytest.mark.parametrize(
    "bic",
    [
        "ASTB HK",
        "",
        "ASTBHKHH\n",
        # the form of a BIC, but ZZ is no ISO 3166 country: check_bic refuses it everywhere else (a
        # pattern-only check let it be written as the attesting / screening bank)
        "ASTBZZHH",
    ],
)
def test_a_certificate_whose_bic_attribute_is_no_bic_is_unauthorized(function: str, bic: str) -> None:
    """The caller's certificate is at fault, not the request (it has no 'bic' field to mend)."""
    scene = _scene()
    base = BASES[function][0](scene)
    desk = scene.desk.fork()
    before = snapshot(desk)
    answer = send(desk, function, stranger(base.who.msp_id, "compliance", bic), base.request, base.later)
    assert answer.message.startswith("ERR_UNAUTHORIZED: "), answer.message
    assert "bic attribute" in answer.message
    assert snapshot(desk) == before
