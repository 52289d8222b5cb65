"""Fuzzing every transaction of the ``pay`` contract as the shim routes it, from states valid flows
reach (channels open, proposed, suspended and quiet; a frozen batch and a cut-off cycle; payments
accepted, credited and pending approval; an open quote; a pending deposit).

The rule under test: bad input gets a clear error with a stable catalogue code (never ERR_INTERNAL,
never another exception) and changes nothing on the ledger; what is accepted leaves only well-formed
records, and channels whose balances respect their credit limits and add up to their deposits.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradefin.chaincode.contracts.letters_of_credit.access import Caller
from tradefin.chaincode.contracts.payments.records import deposit_key
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import payments_pb2 as pay

from .contract_fuzz import (
    HOUR,
    Call,
    ContractDesk,
    ContractFuzz,
    Mutation,
    defect,
    fixed_uuid,
    is_submit,
    refusal_code,
    send,
    stranger,
    trailing_newline,
    transactions,
)
from .support import BANK_A, BANK_B, OUTSIDER, caller, money, payment_request, reverse_request, stamp

A_TREASURY, B_TREASURY = caller(BANK_A, "treasury"), caller(BANK_B, "treasury")
MAKER = caller(BANK_A, "treasury,approver", "maker")
A_APPROVER = caller(BANK_A, "approver", "second")


@dataclass(frozen=True)
class Scene:
    """A ledger reached by valid flows, and the ids of what is on it."""

    desk: ContractDesk
    eur: str  # open: batch 1 frozen (A owes B), cycle 2 open with payments
    usd: str  # suspended by bank A, cycle 1 cut off and not frozen
    hkd: str  # proposed by bank A
    chf: str  # open, nothing ever paid
    settled_cycle_payment: str
    acsp: str
    credited: str
    recalled: str  # credited, recalled by bank A (DUPL), not answered
    pending: str
    usd_payment: str
    quote: str
    deposit: str

    @property
    def ids(self) -> list[str]:
        """Ids of the scene's records (a mutated request may name another record's id)."""
        return [
            self.eur,
            self.usd,
            self.hkd,
            self.chf,
            self.settled_cycle_payment,
            self.acsp,
            self.credited,
            self.recalled,
            self.pending,
            self.usd_payment,
            self.quote,
            self.deposit,
        ]


def _ids(label: str) -> dict[str, str]:
    """The UETR and end-to-end id of the payment ``label``."""
    return {"uetr": fixed_uuid(label), "end_to_end_id": f"E2E-{label.upper()}"}


def _initiate(desk: ContractDesk, request: pay.InitiatePaymentRequest, who: Caller = A_TREASURY) -> str:
    answer = desk.submit(who, "pay:InitiatePayment", request)
    assert answer.status == 200, answer.message
    return request.uetr


@functools.cache
def _scene() -> Scene:
    desk = ContractDesk()
    eur = desk.ready(deposit_a="900000.00", deposit_b="100000.00", credit_a="1000.00", credit_b="1000.00")
    old = _initiate(desk, payment_request(eur, "100.00", **_ids("old")))
    desk.settle(eur, desk.net(eur).cycle, B_TREASURY, fixed_uuid("settlement 1"))
    settled = _initiate(desk, payment_request(eur, "50.00", **_ids("settled")))  # cycle 2: frozen as batch 2 below
    desk.net(eur)
    acsp = _initiate(desk, payment_request(eur, "1000.00", **_ids("acsp")))
    credited = _initiate(desk, payment_request(eur, "500.00", **_ids("credited")))
    desk.report(credited, pay.PAYMENT_STATUS_ACCC)
    recalled = _initiate(desk, payment_request(eur, "300.00", **_ids("recalled")))
    desk.report(recalled, pay.PAYMENT_STATUS_ACCC)
    recall = pay.RecallPaymentRequest(uetr=recalled, reason_code="DUPL", recall_id=fixed_uuid("recall"))
    assert desk.submit(A_TREASURY, "pay:RecallPayment", recall).status == 200
    pending = _initiate(desk, payment_request(eur, "240000.00", **_ids("pending")), MAKER)
    quote_id = fixed_uuid("quote")
    assert desk.submit(B_TREASURY, "pay:CreateQuote", _quote(eur, quote_id, desk.now)).status == 200
    deposit_id = fixed_uuid("deposit")
    deposit = pay.RecordDepositRequest(
        channel_id=eur, deposit_id=deposit_id, amount=money("100.00"), funding_uetr=fixed_uuid("funding")
    )
    assert desk.submit(A_TREASURY, "pay:RecordDeposit", deposit).status == 200
    usd = desk.open_channel("USD", deposit_a="50000.00", deposit_b="50000.00")
    usd_payment = _initiate(desk, payment_request(usd, "100.00", **_ids("usd")))
    for function in ("pay:CutOff", "pay:SuspendChannel"):
        request: Message = (pay.CutOffRequest if function == "pay:CutOff" else pay.SuspendChannelRequest)(
            channel_id=usd
        )
        assert desk.submit(A_TREASURY, function, request).status == 200
    hkd = pay.ChannelResponse.FromString(
        desk.submit(A_TREASURY, "pay:ProposeChannel", _proposal("HKD")).payload
    ).channel.channel_id
    chf = desk.open_channel("CHF", deposit_a="10.00")
    del old
    return Scene(
        desk, eur, usd, hkd, chf, settled, acsp, credited, recalled, pending, usd_payment, quote_id, deposit_id
    )


def _quote(channel_id: str, quote_id: str, now: datetime.datetime) -> pay.CreateQuoteRequest:
    return pay.CreateQuoteRequest(
        quote=pay.FxQuote(
            quote_id=quote_id,
            channel_id=channel_id,
            for_bank_bic=BANK_A.bic,
            sell_currency="HKD",
            rate="0.11731",
            margin_bps=25,
            max_sell_amount=money("100000.00", "HKD"),
            fees=[pay.Fee(agent_bic=BANK_B.bic, amount=money("3.00"), kind="COMM")],
            valid_until=stamp(now + datetime.timedelta(minutes=10)),
            salt=bytes(32),
        )
    )


def _proposal(currency: str) -> pay.ProposeChannelRequest:
    return pay.ProposeChannelRequest(
        proposer=BANK_A,
        counterparty=BANK_B,
        currency=currency,
        proposer_credit_limit=money("1000", "JPY") if currency == "JPY" else money("1000.00", currency),
        counterparty_credit_limit=money("500", "JPY") if currency == "JPY" else money("500.00", currency),
        capacity_slots=4,
        cycle_seconds=3600,
        salt=bytes(range(32)),
    )


def _fees(channel_id: str) -> pay.InitiatePaymentRequest:
    return payment_request(
        channel_id,
        "1000.00",
        **_ids("fees"),
        charge_bearer=pay.CHARGE_BEARER_CRED,
        fees_disclosed=[
            pay.Fee(agent_bic=BANK_A.bic, amount=money("2.00"), kind="COMM"),
            pay.Fee(agent_bic=BANK_B.bic, amount=money("3.00"), kind="COMM"),
        ],
        fees_charged=[pay.Fee(agent_bic=BANK_A.bic, amount=money("2.00"), kind="COMM")],
        debtor=common_pb2.PartyRef(
            name="KOWLOON IMPORTS LTD",
            address=["1 NATHAN ROAD"],
            country="HK",
            kyc_ref="KYC-HK-001",
            lei="5493001KJTIIGC8Y1R12",
            bic="ASTBHKHHXXX",
        ),
    )


#: Valid calls of every transaction (several for the richest ones), built on the scene.
BASES: dict[str, list[Callable[[Scene], Call]]] = {
    "pay:ProposeChannel": [lambda s: Call(A_TREASURY, _proposal("JPY"))],
    "pay:AcceptChannel": [lambda s: Call(B_TREASURY, pay.AcceptChannelRequest(channel_id=s.hkd))],
    "pay:RecordDeposit": [
        lambda s: Call(
            A_TREASURY,
            pay.RecordDepositRequest(
                channel_id=s.eur,
                deposit_id=fixed_uuid("new deposit"),
                amount=money("250.00"),
                funding_uetr=fixed_uuid("new funding"),
            ),
        )
    ],
    "pay:ConfirmDeposit": [
        lambda s: Call(B_TREASURY, pay.ConfirmDepositRequest(channel_id=s.eur, deposit_id=s.deposit))
    ],
    "pay:SuspendChannel": [lambda s: Call(A_TREASURY, pay.SuspendChannelRequest(channel_id=s.eur))],
    "pay:ResumeChannel": [lambda s: Call(A_TREASURY, pay.ResumeChannelRequest(channel_id=s.usd))],
    "pay:WindDownChannel": [lambda s: Call(B_TREASURY, pay.WindDownChannelRequest(channel_id=s.eur))],
    "pay:CloseChannel": [lambda s: Call(A_TREASURY, pay.CloseChannelRequest(channel_id=s.chf))],
    "pay:CutOff": [lambda s: Call(A_TREASURY, pay.CutOffRequest(channel_id=s.eur))],
    "pay:FreezeBatch": [lambda s: Call(A_TREASURY, pay.FreezeBatchRequest(channel_id=s.usd, cycle=1))],
    "pay:SettleBatch": [
        lambda s: Call(
            B_TREASURY, pay.SettleBatchRequest(channel_id=s.eur, cycle=2, settlement_uetr=fixed_uuid("settlement 2"))
        )
    ],
    "pay:CreateQuote": [lambda s: Call(B_TREASURY, _quote(s.eur, fixed_uuid("new quote"), s.desk.now))],
    "pay:InitiatePayment": [
        lambda s: Call(A_TREASURY, payment_request(s.eur, "1000.00", **_ids("new"))),
        lambda s: Call(A_TREASURY, _fees(s.eur)),
        lambda s: Call(
            A_TREASURY,
            payment_request(s.eur, instructed_amount=money("1000.00", "HKD"), quote_id=s.quote, **_ids("quoted")),
        ),
        lambda s: Call(B_TREASURY, reverse_request(s.eur, "700.00", **_ids("reverse"))),
    ],
    "pay:ApprovePayment": [lambda s: Call(A_APPROVER, pay.ApprovePaymentRequest(uetr=s.pending, slot_hint=1))],
    "pay:LapsePayment": [lambda s: Call(A_TREASURY, pay.LapsePaymentRequest(uetr=s.pending), 25 * HOUR)],
    "pay:ReportStatus": [
        lambda s: Call(B_TREASURY, pay.ReportPaymentStatusRequest(uetr=s.acsp, status=pay.PAYMENT_STATUS_ACCC)),
        lambda s: Call(
            B_TREASURY,
            pay.ReportPaymentStatusRequest(uetr=s.acsp, status=pay.PAYMENT_STATUS_RJCT, reason_code="AC04"),
        ),
    ],
    "pay:ReturnPayment": [
        lambda s: Call(
            B_TREASURY,
            pay.ReturnPaymentRequest(
                return_uetr=fixed_uuid("return"),
                original_uetr=s.credited,
                returned_amount=money("100.00"),
                reason_code="AC04",
                slot_hint=2,
                salt=bytes(32),
            ),
        ),
        lambda s: Call(
            B_TREASURY,
            pay.ReturnPaymentRequest(
                return_uetr=fixed_uuid("recall return"),
                original_uetr=s.recalled,
                returned_amount=money("300.00"),
                reason_code="FOCR",
                slot_hint=1,
                salt=bytes(32),
            ),
        ),
    ],
    "pay:RecallPayment": [
        lambda s: Call(
            A_TREASURY,
            pay.RecallPaymentRequest(uetr=s.credited, reason_code="DUPL", recall_id=fixed_uuid("new recall")),
        ),
        lambda s: Call(
            A_TREASURY, pay.RecallPaymentRequest(uetr=s.acsp, reason_code="FRAD", recall_id=fixed_uuid("acsp recall"))
        ),
    ],
    "pay:RejectRecall": [
        lambda s: Call(
            B_TREASURY, pay.RejectRecallRequest(uetr=s.recalled, reason_code="CUST", recall_id=fixed_uuid("recall"))
        )
    ],
    "pay:GetChannel": [lambda s: Call(A_TREASURY, pay.GetChannelRequest(channel_id=s.eur))],
    "pay:GetPayment": [lambda s: Call(B_TREASURY, pay.GetPaymentRequest(uetr=s.acsp))],
    "pay:GetBatch": [lambda s: Call(A_TREASURY, pay.GetBatchRequest(channel_id=s.eur, cycle=1))],
    "pay:GetQuote": [lambda s: Call(A_TREASURY, pay.GetQuoteRequest(quote_id=s.quote))],
    "pay:GetAuditTrail": [
        lambda s: Call(A_TREASURY, cp.GetAuditTrailRequest(object_type="payment", object_id=s.acsp)),
        lambda s: Call(A_TREASURY, cp.GetAuditTrailRequest(object_type="batch", object_id=f"{s.eur}/1")),
    ],
}
FUNCTIONS = sorted(BASES)
#: Mutated requests tried per transaction (sized for the whole file to run in ~10 s on two cores).
MUTATED_EXAMPLES = 120
SUBMITS = [function for function in FUNCTIONS if is_submit(function)]


def channel_problems(desk: ContractDesk) -> list[str]:
    """INV-PAY-01 and INV-PAY-02 on the scene's running channels: no balance below minus its credit
    limit, no negative capacity, balances adding up to the deposits."""
    scene = _scene()
    problems = []
    for channel_id in (scene.eur, scene.usd, scene.chf):
        balances = desk.channel(channel_id).balances
        for balance in balances:
            if balance.balance < -balance.credit_limit or balance.capacity < 0:
                problems.append(f"{channel_id} {balance.bic}: balance {balance.balance}, capacity {balance.capacity}")
        if sum(item.balance for item in balances) != sum(item.deposit for item in balances):
            problems.append(f"{channel_id}: balances do not add up to the deposits")
    return problems


#: Callers other than a valid call's own, by what is wrong with them.
STRANGERS = {
    "the other bank": B_TREASURY,
    "an outsider bank": caller(OUTSIDER, "treasury"),
    "an auditor": caller(BANK_A, "auditor"),
    "no role": caller(BANK_A, ""),
    "the other bank's BIC": stranger(BANK_A.msp_id, "treasury", BANK_B.bic),
    "an unknown MSP": stranger("Bank9MSP", "treasury", "NINEGB2L"),
    "a malformed MSP id": stranger("not an msp!", "treasury", BANK_A.bic),
}
FUZZ = ContractFuzz(
    scene=_scene,
    bases=BASES,
    strangers=STRANGERS,
    # Who never writes through the payments contract (a certificate whose BIC is not its bank's included).
    never_writes=frozenset(
        {"an outsider bank", "an auditor", "no role", "an unknown MSP", "a malformed MSP id", "the other bank's BIC"}
    ),
    substitute=A_TREASURY,
    invariants=channel_problems,
)


# ------------------------------------------------------------------------------------------------
# Every transaction is fuzzed, from valid calls


def test_every_transaction_of_the_contract_has_valid_calls_to_mutate() -> None:
    assert set(BASES) == set(transactions("pay"))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_valid_calls_are_accepted(function: str) -> None:
    FUZZ.check_valid_calls(function)


# ------------------------------------------------------------------------------------------------
# 1. Framing: undecodable bytes, empty or misplaced requests, wrong argument counts


@pytest.mark.parametrize("function", FUNCTIONS)
def test_framing_errors_are_refused_cleanly(function: str) -> None:
    FUZZ.check_framing(function)


@pytest.mark.parametrize("function", ["pay:Nope", "pay:", ":GetChannel", "pay:getChannel", "compliance:GetChannel"])
def test_unknown_functions_are_refused(function: str) -> None:
    FUZZ.check_unknown_function(A_TREASURY, function)


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


@pytest.mark.parametrize("function", SUBMITS)
def test_a_replayed_request_is_answered_cleanly_and_never_applied_twice(function: str) -> None:
    FUZZ.check_replay(function, idempotent=True)


@pytest.mark.parametrize("later", [2 * HOUR, 25 * HOUR, datetime.timedelta(days=400), -25 * HOUR])
@pytest.mark.parametrize("function", FUNCTIONS)
def test_late_and_early_calls(function: str, later: datetime.timedelta) -> None:
    FUZZ.check_late(function, later)


def test_an_expired_quote_a_passed_approval_window_and_an_early_lapse_have_their_codes() -> None:
    scene = _scene()
    desk = scene.desk.fork()
    quoted = BASES["pay:InitiatePayment"][2](scene)
    late = send(desk, "pay:InitiatePayment", quoted.who, quoted.request, 2 * HOUR)
    assert refusal_code(late) == "ERR_QUOTE_EXPIRED", late.message
    approval = BASES["pay:ApprovePayment"][0](scene)
    late = send(desk, "pay:ApprovePayment", approval.who, approval.request, 25 * HOUR)
    assert refusal_code(late) == "ERR_EXPIRED", late.message
    lapse = BASES["pay:LapsePayment"][0](scene)
    early = send(desk, "pay:LapsePayment", lapse.who, lapse.request, HOUR)
    assert refusal_code(early) == "ERR_INVALID_STATE", early.message


# ------------------------------------------------------------------------------------------------
# What the fuzzing found: each input is refused with its code now, and changes nothing

UETR = "5f0b8c8e-3d3e-4f0a-9a51-1f4c2b7d9e10"


DEFECTS = [
    # A pattern ending in '$' matched before a trailing newline: a UETR, BIC, MSP id or code with one
    # was accepted (a second payment under the same UETR, a pacs.009 funding two deposits or settling
    # two batches), and an LEI or IBAN with one crashed its check-digit computation (ERR_INTERNAL).
    defect("pay:InitiatePayment", 0, trailing_newline(("uetr",), UETR), "ERR_INVALID_INPUT"),
    defect("pay:InitiatePayment", 1, trailing_newline(("debtor", "lei"), "5493001KJTIIGC8Y1R12"), "ERR_INVALID_INPUT"),
    defect("pay:InitiatePayment", 1, trailing_newline(("debtor", "bic"), BANK_A.bic), "ERR_INVALID_INPUT"),
    defect(
        "pay:InitiatePayment",
        0,
        trailing_newline(("creditor_account", "iban"), "DE89370400440532013000"),
        "ERR_INVALID_INPUT",
    ),
    defect("pay:InitiatePayment", 0, trailing_newline(("purpose",), "GDDS"), "ERR_INVALID_INPUT"),
    defect("pay:RecordDeposit", 0, trailing_newline(("funding_uetr",), UETR), "ERR_INVALID_INPUT"),
    defect("pay:RecordDeposit", 0, trailing_newline(("deposit_id",), UETR), "ERR_INVALID_INPUT"),
    defect("pay:SettleBatch", 0, trailing_newline(("settlement_uetr",), UETR), "ERR_INVALID_INPUT"),
    defect("pay:ReturnPayment", 0, trailing_newline(("return_uetr",), UETR), "ERR_INVALID_INPUT"),
    defect("pay:ReturnPayment", 0, trailing_newline(("reason_code",), "AC04"), "ERR_INVALID_INPUT"),
    defect("pay:ReportStatus", 1, trailing_newline(("reason_code",), "AC04"), "ERR_INVALID_INPUT"),
    defect("pay:ProposeChannel", 0, trailing_newline(("counterparty", "msp_id"), "Bank2MSP"), "ERR_INVALID_INPUT"),
    defect("pay:CreateQuote", 0, trailing_newline(("quote", "quote_id"), UETR), "ERR_INVALID_INPUT"),
    # (a channel id with one was looked up as another channel: ERR_NOT_FOUND, or a batch's empty trail)
    defect("pay:GetChannel", 0, trailing_newline(("channel_id",), "ASTBHKHH-EUCBDEFF-EUR"), "ERR_INVALID_INPUT"),
    defect(
        "pay:GetAuditTrail", 1, Mutation(("object_id",), "newline", "ASTBHKHH-EUCBDEFF-EUR\n/1"), "ERR_INVALID_INPUT"
    ),
    # An enum number the schema does not define: an unknown charge bearer was accepted (and charged
    # as DEBT), an unknown reported status crashed naming it (ERR_INTERNAL).
    defect("pay:InitiatePayment", 0, Mutation(("charge_bearer",), "enum-unknown", 7), "ERR_INVALID_INPUT"),
    defect("pay:InitiatePayment", 1, Mutation(("charge_bearer",), "enum-unknown", -1), "ERR_INVALID_INPUT"),
    defect("pay:ReportStatus", 0, Mutation(("status",), "enum-unknown", 99), "ERR_INVALID_INPUT"),
    defect("pay:ReportStatus", 1, Mutation(("status",), "enum-unknown", -1), "ERR_INVALID_INPUT"),
    # A fee's agent BIC was compared by its first 8 characters only and its kind by its length: a fee
    # of 'EUCBDEFFXX' or 'ASTBHKHH' + NUL, or of kind NUL, was recorded as disclosed or charged.
    defect("pay:CreateQuote", 0, Mutation(("quote", "fees", 0, "agent_bic"), "bic", "EUCBDEFFXX"), "ERR_INVALID_INPUT"),
    defect("pay:CreateQuote", 0, Mutation(("quote", "fees", 0, "kind"), "control", "\x07"), "ERR_INVALID_INPUT"),
    defect(
        "pay:InitiatePayment",
        1,
        Mutation(("fees_disclosed", 0, "agent_bic"), "nul", "ASTBHKHH\x00"),
        "ERR_INVALID_INPUT",
    ),
    defect("pay:InitiatePayment", 1, Mutation(("fees_charged", 0, "kind"), "control", "\x00"), "ERR_INVALID_INPUT"),
    # A quote valid until a time a Timestamp cannot hold crashed reading it (ERR_INTERNAL).
    defect(
        "pay:CreateQuote", 0, Mutation(("quote", "valid_until", "seconds"), "timestamp", 10**14), "ERR_INVALID_INPUT"
    ),
    defect("pay:CreateQuote", 0, Mutation(("quote", "valid_until", "nanos"), "nanos", -1), "ERR_INVALID_INPUT"),
    defect("pay:CreateQuote", 0, Mutation(("quote", "valid_until", "nanos"), "nanos", 10**9), "ERR_INVALID_INPUT"),
    # A quote's bank was looked up by the first 8 characters of whatever was sent ('ASTBHKHH' + NUL,
    # 'ASTBHKHHXX', even the channel id 'ASTBHKHH-EUCBDEFF-EUR').
    defect("pay:CreateQuote", 0, Mutation(("quote", "for_bank_bic"), "nul", "ASTBHKHH\x00"), "ERR_INVALID_INPUT"),
    defect(
        "pay:CreateQuote",
        0,
        Mutation(("quote", "for_bank_bic"), "other-id", "ASTBHKHH-EUCBDEFF-EUR"),
        "ERR_INVALID_INPUT",
    ),
    # A batch's cycle in other digits than ASCII passed isdigit() and crashed int() (ERR_INTERNAL).
    defect(
        "pay:GetAuditTrail",
        1,
        Mutation(("object_id",), "non-ascii-digits", "ASTBHKHH-EUCBDEFF-EUR/\u00b2"),
        "ERR_INVALID_INPUT",
    ),
    # ... and in more ASCII digits than int() reads (4,300) crashed it too.
    defect(
        "pay:GetAuditTrail",
        1,
        Mutation(("object_id",), "long-number", "ASTBHKHH-EUCBDEFF-EUR/" + "1" * 5000),
        "ERR_INVALID_INPUT",
    ),
]


# A refusal named a field the request does not have (found by ``misnamed_field``): a quote's channel
# id as 'channel_id', a payment party's padded KYC reference as 'subject_ref', an audit trail's
# malformed id as the record's field ('uetr', 'quote_id', 'channel_id').
DEFECTS += [
    defect("pay:CreateQuote", 0, Mutation(("quote", "channel_id"), "empty", ""), "ERR_INVALID_INPUT: quote.channel_id"),
    defect("pay:CreateQuote", 0, Mutation(("quote", "quote_id"), "empty", ""), "ERR_INVALID_INPUT: quote.quote_id"),
    defect(
        "pay:InitiatePayment", 0, Mutation(("debtor", "kyc_ref"), "padded", " KYC"), "ERR_INVALID_INPUT: debtor.kyc_ref"
    ),
    defect("pay:GetAuditTrail", 0, Mutation(("object_id",), "empty", ""), "ERR_INVALID_INPUT: object_id"),
    defect(
        "pay:GetAuditTrail",
        0,
        Mutation(("object_type",), "other", "payment-channel"),
        "ERR_INVALID_INPUT: object_id",
    ),
]


@pytest.mark.parametrize(("function", "index", "mutation", "code"), DEFECTS)
def test_inputs_the_fuzzing_found_are_refused_with_their_code(
    function: str, index: int, mutation: Mutation, code: str
) -> None:
    FUZZ.check_found(function, index, mutation, code)


def test_the_audit_trail_of_a_batch_takes_any_uint64_cycle() -> None:
    scene = _scene()
    trails = []
    for cycle in ("1", "0000000001", str(2**64 - 1)):
        request = cp.GetAuditTrailRequest(object_type="batch", object_id=f"{scene.eur}/{cycle}")
        answer = scene.desk.evaluate(A_TREASURY, "pay:GetAuditTrail", request)
        assert answer.status == 200, answer.message
        trails.append(list(cp.AuditTrailResponse.FromString(answer.payload).entries))
    assert trails[0] and trails[1] == trails[0] and not trails[2]


def test_a_funding_pacs009_with_a_trailing_newline_does_not_fund_a_second_deposit() -> None:
    scene = _scene()
    desk = scene.desk.fork()
    confirm = pay.ConfirmDepositRequest(channel_id=scene.eur, deposit_id=scene.deposit)
    assert desk.submit(B_TREASURY, "pay:ConfirmDeposit", confirm).status == 200
    funding = pay.Deposit.FromString(
        desk.ledger.value(deposit_key(scene.eur, scene.deposit), desk.channel(scene.eur).channel.collection) or b""
    ).funding_uetr
    again = pay.RecordDepositRequest(
        channel_id=scene.eur, deposit_id=fixed_uuid("new deposit"), amount=money("100.00"), funding_uetr=funding + "\n"
    )
    answer = desk.submit(A_TREASURY, "pay:RecordDeposit", again)
    assert answer.message.startswith("ERR_INVALID_INPUT: funding_uetr: "), answer.message
