"""The typed payments and compliance clients over the real gateway code (only gRPC is faked): what
reaches the chaincode, who endorses, how concurrent payments spread over capacity slots, typed
errors, and the keyed fingerprints of the duplicate-financing registry."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.unit.tradefin_client.contract_double import ContractDouble, Invocation, Refusal
from tradefin.gateway import Gateway
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway.tradefin import ClientSettings, InsufficientFundsError, InvalidInputError, LettersOfCredit
from tradefin.gateway.tradefin.compliance import (
    AsyncCompliance,
    Compliance,
    holder_commitment,
    invoice_fingerprints,
    normalise,
)
from tradefin.gateway.tradefin.payments import Payments, PaymentsFlows, channel_id, credit_settlement
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_api_pb2 as lc_api
from tradefin.protos import letters_of_credit_pb2 as lc
from tradefin.protos import payments_pb2 as pay

from .support import BANK_A, BANK_B, CREDITOR, CREDITOR_ACCOUNT, DEBTOR, DEBTOR_ACCOUNT, OUTSIDER, money

CHANNEL_ID = "ASTBHKHH-EUCBDEFF-EUR"
OTHER_MSP = "AdviserMSP"  # the fake peer's identity is Bank1MSP; the channel's other bank differs


def channel_answer(call: Invocation) -> pay.ChannelResponse:
    return pay.ChannelResponse(
        channel=pay.PaymentChannelStub(
            channel_id=CHANNEL_ID,
            bank_a=BANK_A,
            bank_b=common_pb2.BankRef(bic=BANK_B.bic, msp_id=OTHER_MSP),
            capacity_slots=8,
            state=pay.PAYMENT_CHANNEL_STATE_OPEN,
        )
    )


def payment_answer(call: Invocation) -> pay.PaymentResponse:
    request = pay.InitiatePaymentRequest.FromString(call.transient["request"])
    return pay.PaymentResponse(
        payment=pay.PaymentStub(uetr=request.uetr, channel_id=CHANNEL_ID, status=pay.PAYMENT_STATUS_ACSP)
    )


def pay_kwargs() -> dict[str, object]:
    return {
        "debtor": DEBTOR,
        "debtor_account": DEBTOR_ACCOUNT,
        "creditor": CREDITOR,
        "creditor_account": CREDITOR_ACCOUNT,
    }


def test_a_payment_carries_its_request_in_the_transient_map_and_is_endorsed_by_the_channels_banks(
    gateway: Gateway, contract: ContractDouble
) -> None:
    contract.on("pay:GetChannel", channel_answer)
    contract.on("pay:InitiatePayment", payment_answer)
    payments = Payments(gateway, "asia-europe")
    first = payments.pay(CHANNEL_ID, money("1250.00"), **pay_kwargs())  # type: ignore[arg-type]
    payments.pay(CHANNEL_ID, money("10.00"), **pay_kwargs())  # type: ignore[arg-type]
    assert first.record.status == pay.PAYMENT_STATUS_ACSP and first.block_number == 7
    lookup, *payments_sent = contract.calls()
    assert (lookup.kind, lookup.transaction) == ("evaluate", "pay:GetChannel")
    assert [call.transaction for call in payments_sent] == ["pay:InitiatePayment"] * 2
    request = pay.InitiatePaymentRequest.FromString(payments_sent[0].transient["request"])
    assert (request.instructed_amount.minor_units, len(request.salt), payments_sent[0].args) == (1250_00, 32, [])
    assert payments_sent[0].organizations == sorted(["Bank1MSP", OTHER_MSP])
    assert request.uetr == first.record.uetr and request.end_to_end_id.startswith("E2E")


def test_a_payments_history_is_its_stubs_newest_first_from_the_audit_trail(
    gateway: Gateway, contract: ContractDouble
) -> None:
    uetr = str(uuid.uuid4())
    statuses = (pay.PAYMENT_STATUS_ACCC, pay.PAYMENT_STATUS_ACSP)
    trail = cp.AuditTrailResponse()
    for version, status in zip((2, 1), statuses, strict=True):
        stub = pay.PaymentStub(uetr=uetr, channel_id=CHANNEL_ID, status=status, version=version)
        entry = trail.entries.add(tx_id=f"{version:064x}", record=stub.SerializeToString())
        entry.timestamp.FromDatetime(datetime.datetime(2026, 11, 27, 9, version, tzinfo=datetime.UTC))
    contract.on("pay:GetAuditTrail", lambda call: trail)

    history = Payments(gateway, "asia-europe").payment_history(uetr)
    assert [(version.stub.status, version.stub.version) for version in history] == [
        (pay.PAYMENT_STATUS_ACCC, 2),
        (pay.PAYMENT_STATUS_ACSP, 1),
    ]
    assert history[0].timestamp == datetime.datetime(2026, 11, 27, 9, 2, tzinfo=datetime.UTC)
    [call] = contract.calls()
    assert cp.GetAuditTrailRequest.FromString(call.args[0]) == cp.GetAuditTrailRequest(
        object_type="payment", object_id=uetr
    )


def test_a_channels_id_is_the_same_whichever_bank_names_it_first() -> None:
    assert channel_id(BANK_A, BANK_B, "EUR") == channel_id(BANK_B, BANK_A, "EUR") == "ASTBHKHH-EUCBDEFF-EUR"
    assert channel_id("EUCBDEFFXXX", "ASTBHKHH", "USD") == "ASTBHKHH-EUCBDEFF-USD"  # BICs or BankRefs, BIC8s


def test_payments_in_flight_draw_on_different_slots() -> None:
    flows = PaymentsFlows(ClientSettings("Bank1MSP"))
    lookup = flows.get_channel(CHANNEL_ID)
    next(lookup)
    with pytest.raises(StopIteration):
        lookup.send(channel_answer_bytes())
    in_flight = [flows.pay(CHANNEL_ID, money("1.00"), **pay_kwargs()) for _ in range(10)]  # type: ignore[arg-type]
    steps = [next(flow) for flow in in_flight]  # each stops at its submit: all ten are in flight
    hints = [pay.InitiatePaymentRequest.FromString(step.transient["request"]).slot_hint for step in steps]  # type: ignore[union-attr]
    assert sorted(hints) == [0, 0, 1, 1, 2, 3, 4, 5, 6, 7]  # eight slots, then the least used again
    in_flight[0].close()  # a finished payment gives its slot back
    assert (
        pay.InitiatePaymentRequest.FromString(
            next(flows.pay(CHANNEL_ID, money("1.00"), **pay_kwargs())).transient["request"]  # type: ignore[arg-type, union-attr]
        ).slot_hint
        == hints[0]
    )


def channel_answer_bytes() -> bytes:
    return channel_answer(Invocation("evaluate", "pay:GetChannel", [], {}, [])).SerializeToString()


def test_refusals_are_typed_and_early_checks_send_nothing(gateway: Gateway, contract: ContractDouble) -> None:
    contract.on("pay:GetChannel", channel_answer)

    def poor(call: Invocation) -> pay.PaymentResponse:
        raise Refusal("ERR_INSUFFICIENT_FUNDS: instructed_amount: the sending bank's capacity does not cover it")

    contract.on("pay:InitiatePayment", poor)
    payments = Payments(gateway, "asia-europe")
    with pytest.raises(InsufficientFundsError) as error:
        payments.pay(CHANNEL_ID, money("99.00"), **pay_kwargs())  # type: ignore[arg-type]
    assert error.value.field == "instructed_amount" and error.value.transaction_id
    calls = len(contract.calls())
    with pytest.raises(InvalidInputError) as early:
        payments.pay(CHANNEL_ID, money("1.00"), uetr="not-a-uetr", **pay_kwargs())  # type: ignore[arg-type]
    assert early.value.field == "uetr" and len(contract.calls()) == calls


def test_limit_transactions_are_endorsed_by_the_callers_bank_alone(gateway: Gateway, contract: ContractDouble) -> None:
    contract.on("compliance:SetLimit", lambda call: cp.LimitResponse())
    contract.on("compliance:ReserveLimits", lambda call: cp.LimitResponse())
    compliance = Compliance(gateway, "asia-europe")
    compliance.set_limit(cp.LIMIT_SCOPE_COUNTRY, "DE", money("5000.00"))
    uetr = str(uuid.uuid4())
    clearance = compliance.reserve_limits(uetr, money("100.00"), counterparty_bic=BANK_B.bic, country="DE").record
    set_call, reserve_call = contract.calls()
    assert set_call.organizations == reserve_call.organizations == ["Bank1MSP"]
    reserved = cp.ReserveLimitsRequest.FromString(reserve_call.transient["request"])
    assert clearance.salt == reserved.clearance_salt and clearance.reservation_id == uetr


def test_a_governance_approval_is_endorsed_by_every_bank_that_must_approve(
    aio_gateway: gateway_aio.Gateway, contract: ContractDouble
) -> None:
    proposal = cp.GovernanceProposal(required_msp_ids=["Bank1MSP", "Bank2MSP", "Bank3MSP"])
    contract.on("compliance:GetGovernance", lambda call: cp.GovernanceResponse(proposal=proposal))
    contract.on("compliance:ApproveGovernance", lambda call: cp.GovernanceResponse(proposal=proposal))

    async def run() -> None:
        async with aio_gateway:
            await AsyncCompliance(aio_gateway, "asia-europe").approve_governance(2)

    asyncio.run(run())
    assert contract.calls("endorse")[0].organizations == ["Bank1MSP", "Bank2MSP", "Bank3MSP"]


def test_differently_formatted_invoice_numbers_meet_on_one_fingerprint() -> None:
    key = b"consortium key"
    common = {"seller_id": "5493001KJTIIGC8Y1R12", "issue_date": datetime.date(2025, 11, 3), "amount": money("9800.00")}
    prints = invoice_fingerprints(key, invoice_number="INV-00123", buyer_id="hk-0042", **common)  # type: ignore[arg-type]
    assert prints == invoice_fingerprints(key, invoice_number="inv 123", buyer_id="HK 42", **common)  # type: ignore[arg-type]
    assert len(prints) == 2 and all(len(fingerprint) == 64 for fingerprint in prints)
    other_number = invoice_fingerprints(key, invoice_number="INV-124", buyer_id="HK42", **common)  # type: ignore[arg-type]
    assert other_number[0] != prints[0] and other_number[1] == prints[1]  # same sale, another number
    assert invoice_fingerprints(b"other key", invoice_number="INV-00123", **common)[0] != prints[0]  # type: ignore[arg-type]
    assert normalise("N\u00ba 0010-\uff21") == "NO10A"  # ordinal sign, full-width A


def test_financing_sends_the_holder_salt_in_the_transient_request(gateway: Gateway, contract: ContractDouble) -> None:
    # The chaincode derives the holder commitment from the salt and the caller's MSP id itself.
    contract.on("compliance:FinanceDocument", lambda call: cp.FinancingResponse())
    salt = bytes(range(32))
    fingerprint = "a" * 64
    financed = Compliance(gateway, "asia-europe").finance_document(
        [fingerprint], cp.FINANCED_DOCUMENT_TYPE_INVOICE, holder_salt=salt
    )
    request = cp.FinanceDocumentRequest.FromString(contract.calls()[0].transient["request"])
    assert request.holder_salt == salt and financed.record.holder_salt == salt
    assert all(salt not in argument for argument in contract.calls()[0].args)  # never a plain argument
    fresh = Compliance(gateway, "asia-europe").finance_document([fingerprint], cp.FINANCED_DOCUMENT_TYPE_INVOICE)
    sent = cp.FinanceDocumentRequest.FromString(contract.calls()[1].transient["request"]).holder_salt
    assert len(fresh.record.holder_salt) == 32 and sent == fresh.record.holder_salt != salt
    assert holder_commitment(sent, "Bank1MSP") != holder_commitment(salt, "Bank1MSP")


@pytest.mark.parametrize("third_bank", ["confirming_bank", "nominated_bank", "second_advising_bank", None])
def test_a_settlement_is_refused_early_for_a_credit_with_a_bank_outside_the_payment_channels_pair(
    gateway: Gateway, contract: ContractDouble, third_bank: str | None
) -> None:
    lc_id, presentation_id = "ASTBHKHH:LC-3", str(uuid.uuid4())
    credit = lc.CreditStub(lc_id=lc_id, issuing_bank=BANK_A, advising_bank=BANK_B, state=lc.CREDIT_STATE_ADVISED)
    if third_bank is not None:
        getattr(credit, third_bank).CopyFrom(OUTSIDER)
    reimbursed = lc.PresentationStub(
        presentation_id=presentation_id, lc_id=lc_id, state=lc.PRESENTATION_STATE_REIMBURSED
    )
    contract.on("lc:GetPresentation", lambda call: lc_api.PresentationResponse(presentation=reimbursed))
    contract.on("lc:GetCredit", lambda call: lc_api.CreditResponse(credit=credit))
    contract.on("lc:Reimburse", lambda call: lc_api.PresentationResponse(presentation=reimbursed))
    credits = LettersOfCredit(gateway, "asia-europe")
    settlement = credit_settlement(DEBTOR_ACCOUNT)
    if third_bank is None:  # a credit of the channel's two banks: paid in the same transaction
        credits.reimburse(presentation_id, money("100.00", "USD"), settlement=settlement)
        [call] = contract.calls("endorse")
        assert lc_api.ReimburseRequest.FromString(call.transient["request"]).settlement.uetr == settlement.uetr
        return
    with pytest.raises(InvalidInputError) as early:  # as the chaincode refuses it, before sending
        credits.reimburse(presentation_id, money("100.00", "USD"), settlement=settlement)
    assert early.value.field == "settlement" and not contract.calls("endorse")
    assert f"credit {lc_id} has a bank outside the payment channel's pair" in str(early.value)
    assert "Payments.pay" in str(early.value)
    credits.reimburse(presentation_id, money("100.00", "USD"))  # without a settlement it goes through
    assert contract.calls("endorse")[0].organizations == ["Bank1MSP", "Bank2MSP", "Bank3MSP"]


def create_quote(gateway: Gateway, valid_for: datetime.timedelta, sell_currency: str = "USD") -> None:
    Payments(gateway, "asia-europe").create_quote(
        CHANNEL_ID,
        for_bank_bic=BANK_A.bic,
        sell_currency=sell_currency,
        rate="0.92",
        max_sell_amount=common_pb2.Money(currency="USD", minor_units=100_00),
        valid_for=valid_for,
    )


@pytest.mark.parametrize(
    "valid_for",
    [
        datetime.timedelta(0),
        datetime.timedelta(minutes=-5),
        datetime.timedelta(hours=24, seconds=1),
        # now + valid_for past year 9999 was an OverflowError traceback, not a refusal
        datetime.timedelta.max,
        datetime.timedelta.min,
        datetime.timedelta(days=10**6),
    ],
)
def test_a_quote_valid_for_no_time_or_more_than_a_day_is_refused_early(
    gateway: Gateway, contract: ContractDouble, valid_for: datetime.timedelta
) -> None:
    """As the chaincode refuses its valid_until (after the proposal, at most 24 hours ahead)."""
    with pytest.raises(InvalidInputError) as early:
        create_quote(gateway, valid_for)
    assert early.value.field == "quote.valid_until" and not contract.calls()


def test_a_quote_wrong_in_a_field_and_in_its_validity_is_refused_on_the_field_as_the_chaincode_does(
    gateway: Gateway, contract: ContractDouble
) -> None:
    """The chaincode checks the quote's fields before its validity (which needs the proposal's time):
    the client names the same field."""
    with pytest.raises(InvalidInputError) as early:
        create_quote(gateway, datetime.timedelta(0), sell_currency="usd")
    assert early.value.field == "quote.sell_currency" and not contract.calls()


def run_cli(gateway: Gateway, monkeypatch: pytest.MonkeyPatch, workdir: Path, args: list[str]) -> Result:
    """``tradefin <args>`` on an offline network working directory, each bank's typed payments client
    going through ``gateway`` (the fake peer)."""
    from tests.unit.network.test_identities import network_workdir
    from tradefin.cli import main
    from tradefin.cli import payments as cli_payments

    monkeypatch.setattr(
        cli_payments._Desks, "payments", lambda self, bank, user="treasury": Payments(gateway, self.channel)
    )
    monkeypatch.setattr(cli_payments._Desks, "close", lambda self: None)
    root = network_workdir(workdir).root
    return CliRunner().invoke(main, ["--workdir", str(root), *args])


@pytest.mark.parametrize(
    ("option", "value"),
    [("--debtor-kyc", " KYC"), ("--creditor", " "), ("--debtor-account", "x" * 40), ("--remittance", "r" * 141)],
)
def test_pay_send_names_the_option_whose_value_the_client_refuses_before_sending(
    gateway: Gateway,
    contract: ContractDouble,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    value: str,
) -> None:
    """A value the typed client refuses (the chaincode's own check) is a usage error naming its option,
    exit 2 -- not 'refused: ERR_INVALID_INPUT (debtor.kyc_ref)', exit 1, as if the chaincode had said it,
    followed by advice to look for and retry a payment that was never sent."""
    from tests.unit.network.test_cli import SEND

    args = (
        [*SEND, option, value]
        if option not in SEND
        else [value if i - 1 == SEND.index(option) else a for i, a in enumerate(SEND)]
    )
    result = run_cli(gateway, monkeypatch, tmp_path / "wd", args)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}:" in result.output.replace(f"'{option}'", option), result.output
    assert "retry with --uetr" not in result.output and not contract.calls()


def test_quote_create_names_the_option_whose_value_the_client_refuses_before_sending(
    gateway: Gateway, contract: ContractDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.network.test_cli import CHANNEL

    args = ["quote", "create", CHANNEL, "--bank", "bank1", "--for", "bank3", "--sell", "EUR", "--max", "10"]
    result = run_cli(gateway, monkeypatch, tmp_path / "wd", [*args, "--rate", "abc"])
    assert result.exit_code == 2, result.output
    assert "Invalid value for --rate:" in result.output.replace("'--rate'", "--rate"), result.output
    assert not contract.calls()
