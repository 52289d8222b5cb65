"""Test support for payments and compliance: two banks of a consortium channel and an outsider,
officers with roles, an adopted governance configuration, vouched-for customers, an open payment
channel, and a desk that runs operations as transactions on an in-memory ledger."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.governance import config_sha256
from tradefin.chaincode.contracts.compliance.service import ComplianceService
from tradefin.chaincode.contracts.letters_of_credit.access import Caller, Transaction
from tradefin.chaincode.contracts.letters_of_credit.service import LettersOfCreditService
from tradefin.chaincode.contracts.payments.records import channel_id_of
from tradefin.chaincode.contracts.payments.service import PaymentsService
from tradefin.protos import common_pb2, payments_pb2
from tradefin.protos import compliance_pb2 as cp

from ..compliance.memory_ledger import MemoryLedger, MemoryTransaction, run, simulate

T = TypeVar("T")
UTC = datetime.UTC
NOW = datetime.datetime(2025, 12, 3, 9, 0, tzinfo=UTC)

BANK_A = common_pb2.BankRef(bic="ASTBHKHH", msp_id="Bank1MSP")
BANK_B = common_pb2.BankRef(bic="EUCBDEFF", msp_id="Bank2MSP")
OUTSIDER = common_pb2.BankRef(bic="AEXBUS33", msp_id="Bank3MSP")

DEBTOR = common_pb2.PartyRef(name="KOWLOON IMPORTS LTD", address=["1 NATHAN ROAD"], country="HK", kyc_ref="KYC-HK-001")
CREDITOR = common_pb2.PartyRef(
    name="BERLIN MACHINES GMBH", address=["1 UNTER DEN LINDEN"], country="DE", kyc_ref="KYC-DE-001"
)
DEBTOR_ACCOUNT = common_pb2.AccountRef(other="HK-0042-778899")
CREDITOR_ACCOUNT = common_pb2.AccountRef(iban="DE89370400440532013000")


def caller(bank: common_pb2.BankRef, role: str, name: str = "officer") -> Caller:
    """A certificate of ``bank`` with ``role`` and the bank's BIC as Fabric CA attributes."""
    return Caller(
        msp_id=bank.msp_id,
        identity=f"x509::CN={name}@{bank.msp_id},OU={role}::CN=ca.{bank.msp_id}",
        role=role,
        bic=bank.bic,
    )


def stamp(moment: datetime.datetime) -> Timestamp:
    """A protobuf timestamp."""
    value = Timestamp()
    value.FromDatetime(moment)
    return value


def money(amount: str, currency: str = "EUR") -> common_pb2.Money:
    """Money from a decimal string (two decimals, or none for JPY)."""
    whole, _, fraction = amount.partition(".")
    digits = 0 if currency == "JPY" else 3 if currency in ("KWD", "BHD") else 2
    return common_pb2.Money(
        currency=currency,
        minor_units=int(whole) * 10**digits + int((fraction or "0").ljust(digits, "0")[:digits] or "0"),
    )


def governance_config(**overrides: Any) -> cp.ComplianceGovernance:
    """A pilot configuration of the two banks (reference currency USD)."""
    config = cp.ComplianceGovernance(
        version=1,
        member_msp_ids=[BANK_A.msp_id, BANK_B.msp_id],
        sanctions_lists=[
            cp.SanctionsList(list_id="UN", version="2025-11-28"),
            cp.SanctionsList(list_id="OFAC", version="2025-12-01"),
        ],
        screening_max_age_hours=24,
        embargoed_countries=["KP", "IR", "SY", "CU"],
        high_risk_countries=["MM"],
        reference_currency="USD",
        reference_rates=[
            cp.ReferenceRate(currency="EUR", rate="1.08"),
            cp.ReferenceRate(currency="HKD", rate="0.1285"),
            cp.ReferenceRate(currency="JPY", rate="0.0067"),
        ],
        pilot_caps=cp.PilotCaps(
            max_per_payment=money("1000000.00", "USD"),
            max_per_day=money("10000000.00", "USD"),
            max_per_credit=money("5000000.00", "USD"),
        ),
        dual_control_threshold=money("250000.00", "USD"),
        approval_window_hours=24,
        reporting_thresholds=[
            cp.ReportingThreshold(country="HK", amount=money("200000.00", "USD"), description="pilot")
        ],
        financing_policy=cp.FINANCING_POLICY_EXCLUSIVE,
        description="payments pilot",
    )
    for name, value in overrides.items():
        field = getattr(config, name)
        if hasattr(field, "CopyFrom"):
            field.CopyFrom(value)
        elif isinstance(value, list):
            del field[:]
            field.extend(value)
        else:
            setattr(config, name, value)
    return config


def verified_attestation(subject_ref: str, **overrides: Any) -> cp.KycAttestation:
    """A standard-level attestation of ``subject_ref``: VERIFIED, LOW risk, from 2025-01-02 to 2026-12-31."""
    fields: dict[str, Any] = {
        "subject_ref": subject_ref,
        "level": cp.KYC_LEVEL_STANDARD,
        "status": cp.KYC_STATUS_VERIFIED,
        "verified_on": common_pb2.Date(year=2025, month=1, day=2),
        "expires_on": common_pb2.Date(year=2026, month=12, day=31),
        "risk_rating": cp.RISK_RATING_LOW,
        "evidence_hash": "ab" * 32,
    }
    fields.update(overrides)
    return cp.KycAttestation(**fields)


class Desk:
    """Runs service operations as transactions at a moving clock."""

    def __init__(self) -> None:
        self.ledger = MemoryLedger()
        self.now = NOW

    def tx(self, who: Caller, at: datetime.datetime | None = None) -> Transaction:
        """A transaction signed by ``who``."""
        return Transaction(tx_id=uuid.uuid4().hex, timestamp=at or self.now, caller=who)

    def pay(
        self,
        who: Caller,
        operation: Callable[[PaymentsService, Transaction], Awaitable[T]],
        at: datetime.datetime | None = None,
    ) -> T:
        """Run a payments operation as ``who``."""
        tx = self.tx(who, at)
        return asyncio.run(run(self.ledger, tx.tx_id, tx.timestamp, lambda view: operation(PaymentsService(view), tx)))

    def comply(
        self,
        who: Caller,
        operation: Callable[[ComplianceService, Transaction], Awaitable[T]],
        at: datetime.datetime | None = None,
    ) -> T:
        """Run a compliance operation as ``who``."""
        tx = self.tx(who, at)
        return asyncio.run(
            run(self.ledger, tx.tx_id, tx.timestamp, lambda view: operation(ComplianceService(view), tx))
        )

    def endorse(
        self, who: Caller, operation: Callable[[PaymentsService, Transaction], Awaitable[T]]
    ) -> tuple[T, MemoryTransaction]:
        """Simulate a payments operation on the committed state; commit it later (or never)."""
        tx = self.tx(who)
        return asyncio.run(
            simulate(self.ledger, tx.tx_id, tx.timestamp, lambda view: operation(PaymentsService(view), tx))
        )

    def credit(
        self,
        who: Caller,
        operation: Callable[[LettersOfCreditService, Transaction], Awaitable[T]],
        at: datetime.datetime | None = None,
    ) -> T:
        """Run a letters-of-credit operation as ``who`` on the same ledger."""
        tx = self.tx(who, at)
        return asyncio.run(
            run(self.ledger, tx.tx_id, tx.timestamp, lambda view: operation(LettersOfCreditService(view), tx))
        )

    def ask(self, who: Caller, operation: Callable[[PaymentsService, Caller], Awaitable[T]]) -> T:
        """Run a payments query as ``who`` (writes nothing)."""
        return asyncio.run(run(self.ledger, "query", self.now, lambda view: operation(PaymentsService(view), who)))

    # -- setting the scene -------------------------------------------------------------------------

    def adopt(self, config: cp.ComplianceGovernance | None = None) -> cp.ComplianceGovernance:
        """Bank A proposes, every other bank the proposal requires (bank B, OUTSIDER when a member)
        approves: the configuration is in force."""
        config = config or governance_config()
        request = cp.ProposeGovernanceRequest(config=config)
        proposed = self.comply(caller(BANK_A, "compliance"), lambda s, tx: s.propose_governance(tx, request))
        approval = cp.ApproveGovernanceRequest(version=config.version, config_sha256=config_sha256(config))
        banks = {bank.msp_id: bank for bank in (BANK_A, BANK_B, OUTSIDER)}
        answer = proposed
        for msp_id in proposed.proposal.required_msp_ids:
            if msp_id != BANK_A.msp_id:
                bank = banks[msp_id]
                answer = self.comply(caller(bank, "compliance"), lambda s, tx: s.approve_governance(tx, approval))
        assert answer.proposal.status == cp.PROPOSAL_STATUS_ADOPTED, answer.proposal
        return answer.governance

    def vouch(self, bank: common_pb2.BankRef, party: common_pb2.PartyRef, **attestation: Any) -> None:
        """The bank attests the party (VERIFIED, LOW risk) and screens it CLEAR on every list."""
        request = cp.AttestKycRequest(attestation=verified_attestation(party.kyc_ref, **attestation))
        officer = caller(bank, "compliance")
        self.comply(officer, lambda s, tx: s.attest_kyc(tx, request))
        for list_id, version in (("UN", "2025-11-28"), ("OFAC", "2025-12-01")):
            self.screen(bank, party, list_id, version, cp.SCREENING_OUTCOME_CLEAR)

    def screen(
        self,
        bank: common_pb2.BankRef,
        party: common_pb2.PartyRef,
        list_id: str,
        version: str,
        outcome: cp.ScreeningOutcome.ValueType,
        at: datetime.datetime | None = None,
    ) -> None:
        """The bank records a screening of the party."""
        result = cp.ScreeningResult(
            subject_ref=party.kyc_ref,
            list_id=list_id,
            list_version=version,
            outcome=outcome,
            screened_at=stamp(at or self.now),
        )
        request = cp.RecordScreeningRequest(result=result)
        self.comply(caller(bank, "compliance"), lambda s, tx: s.record_screening(tx, request), at=at)

    def open_channel(
        self,
        currency: str = "EUR",
        *,
        credit_a: str = "0",
        credit_b: str = "0",
        deposit_a: str = "0",
        deposit_b: str = "0",
        slots: int = 4,
        cycle_seconds: int = 3600,
    ) -> str:
        """Bank A proposes, bank B accepts; deposits are recorded and confirmed."""
        propose = payments_pb2.ProposeChannelRequest(
            proposer=BANK_A,
            counterparty=BANK_B,
            currency=currency,
            proposer_credit_limit=money(credit_a, currency),
            counterparty_credit_limit=money(credit_b, currency),
            capacity_slots=slots,
            cycle_seconds=cycle_seconds,
            salt=bytes(range(32)),
        )
        channel_id = channel_id_of(BANK_A.bic, BANK_B.bic, currency)
        self.pay(caller(BANK_A, "treasury"), lambda s, tx: s.propose_channel(tx, propose))
        accept = payments_pb2.AcceptChannelRequest(channel_id=channel_id)
        self.pay(caller(BANK_B, "treasury"), lambda s, tx: s.accept_channel(tx, accept))
        for bank, other, amount in ((BANK_A, BANK_B, deposit_a), (BANK_B, BANK_A, deposit_b)):
            if money(amount, currency).minor_units:
                self.deposit(channel_id, bank, other, money(amount, currency))
        return channel_id

    def deposit(
        self, channel_id: str, bank: common_pb2.BankRef, other: common_pb2.BankRef, amount: common_pb2.Money
    ) -> None:
        """``bank`` deposits, ``other`` confirms."""
        deposit_id = str(uuid.uuid4())
        record = payments_pb2.RecordDepositRequest(
            channel_id=channel_id, deposit_id=deposit_id, amount=amount, funding_uetr=str(uuid.uuid4())
        )
        self.pay(caller(bank, "treasury"), lambda s, tx: s.record_deposit(tx, record))
        confirm = payments_pb2.ConfirmDepositRequest(channel_id=channel_id, deposit_id=deposit_id)
        self.pay(caller(other, "treasury"), lambda s, tx: s.confirm_deposit(tx, confirm))

    def ready(self, config: cp.ComplianceGovernance | None = None, **channel: Any) -> str:
        """Governance adopted (``config``, by default the two banks'), both customers vouched for, a
        channel open."""
        self.adopt(config)
        self.vouch(BANK_A, DEBTOR)
        self.vouch(BANK_B, CREDITOR)
        self.vouch(BANK_B, DEBTOR_AT_B)
        self.vouch(BANK_A, CREDITOR_AT_A)
        return self.open_channel(**channel)

    # -- payments ----------------------------------------------------------------------------------

    def initiate(
        self,
        request: payments_pb2.InitiatePaymentRequest,
        who: Caller | None = None,
        at: datetime.datetime | None = None,
    ) -> payments_pb2.PaymentStub:
        """Bank A's treasury (by default) initiates a payment."""
        officer = who or caller(BANK_A, "treasury")
        return self.pay(officer, lambda s, tx: s.initiate_payment(tx, request), at=at).payment

    def report(
        self, uetr: str, status: payments_pb2.PaymentStatus.ValueType, **fields: Any
    ) -> payments_pb2.PaymentStub:
        """Bank B's treasury reports a status."""
        request = payments_pb2.ReportPaymentStatusRequest(uetr=uetr, status=status, **fields)
        return self.pay(caller(BANK_B, "treasury"), lambda s, tx: s.report_status(tx, request)).payment

    def channel(self, channel_id: str, who: Caller | None = None) -> payments_pb2.ChannelResponse:
        """The channel as a bank of it sees it."""
        request = payments_pb2.GetChannelRequest(channel_id=channel_id)
        return self.ask(who or caller(BANK_A, "treasury"), lambda s, c: s.get_channel(c, request))

    def payment(self, uetr: str) -> payments_pb2.PaymentResponse:
        """A payment as a bank of its channel sees it."""
        request = payments_pb2.GetPaymentRequest(uetr=uetr)
        return self.ask(caller(BANK_A, "treasury"), lambda s, c: s.get_payment(c, request))

    def net(self, channel_id: str, who: Caller | None = None) -> payments_pb2.NettingBatchStub:
        """Cut off the open cycle and freeze its batch."""
        officer = who or caller(BANK_A, "treasury")
        cut = self.pay(officer, lambda s, tx: s.cut_off(tx, payments_pb2.CutOffRequest(channel_id=channel_id))).channel
        freeze = payments_pb2.FreezeBatchRequest(channel_id=channel_id, cycle=cut.open_cycle - 1)
        return self.pay(officer, lambda s, tx: s.freeze_batch(tx, freeze)).batch

    def settle(
        self, channel_id: str, cycle: int, who: Caller, settlement_uetr: str | None = None
    ) -> payments_pb2.NettingBatchStub:
        """Confirm a batch's settlement."""
        request = payments_pb2.SettleBatchRequest(
            channel_id=channel_id, cycle=cycle, settlement_uetr=settlement_uetr or str(uuid.uuid4())
        )
        return self.pay(who, lambda s, tx: s.settle_batch(tx, request)).batch


#: The same customers seen from the other bank (for returns and payments from B to A).
DEBTOR_AT_B = common_pb2.PartyRef(
    name="BERLIN MACHINES GMBH", address=["1 UNTER DEN LINDEN"], country="DE", kyc_ref="KYC-DE-002"
)
CREDITOR_AT_A = common_pb2.PartyRef(
    name="KOWLOON IMPORTS LTD", address=["1 NATHAN ROAD"], country="HK", kyc_ref="KYC-HK-002"
)


def payment_request(channel_id: str, amount: str = "1000.00", **overrides: Any) -> payments_pb2.InitiatePaymentRequest:
    """A customer credit transfer from bank A's debtor to bank B's creditor in the channel currency."""
    currency = channel_id.rsplit("-", 1)[1]
    fields: dict[str, Any] = {
        "uetr": str(uuid.uuid4()),
        "end_to_end_id": f"E2E-{uuid.uuid4().hex[:12].upper()}",
        "channel_id": channel_id,
        "kind": payments_pb2.PAYMENT_KIND_CUSTOMER_CREDIT_TRANSFER,
        "instructed_amount": money(amount, currency),
        "charge_bearer": payments_pb2.CHARGE_BEARER_SHAR,
        "debtor": DEBTOR,
        "debtor_account": DEBTOR_ACCOUNT,
        "creditor": CREDITOR,
        "creditor_account": CREDITOR_ACCOUNT,
        "purpose": "GDDS",
        "remittance_information": "INVOICE 2025-118",
        "salt": bytes(32),
    }
    fields.update(overrides)
    return payments_pb2.InitiatePaymentRequest(**fields)


def reverse_request(channel_id: str, amount: str = "1000.00", **overrides: Any) -> payments_pb2.InitiatePaymentRequest:
    """A payment from bank B's customer to bank A's customer."""
    fields: dict[str, Any] = {
        "debtor": DEBTOR_AT_B,
        "creditor": CREDITOR_AT_A,
        "debtor_account": CREDITOR_ACCOUNT,
        "creditor_account": DEBTOR_ACCOUNT,
    }
    fields.update(overrides)
    return payment_request(channel_id, amount, **fields)


def snapshot(desk: Desk) -> tuple[object, ...]:
    """Everything a transaction could change on the desk's ledger: states, key policies, events, history
    (equal before and after means a refused request wrote nothing)."""
    ledger = desk.ledger
    return (
        dict(ledger.state),
        dict(ledger.policies),
        list(ledger.events),
        {k: list(v) for k, v in ledger.history_of.items()},
    )


def refused_writing_nothing(desk: Desk, run: Callable[[], object]) -> RuleError:
    """``run()`` is refused and writes nothing; the refusal."""
    before = snapshot(desk)
    with pytest.raises(RuleError) as refusal:
        run()
    assert snapshot(desk) == before
    return refusal.value


def refused_over_bound(desk: Desk, field: str, at_most: str, run: Callable[[], object]) -> None:
    """``run()`` is refused as ERR_INVALID_INPUT on ``field``, saying "at most <at_most>" (a bound and what it
    counts: "10 fees"), and writes nothing."""
    refusal = refused_writing_nothing(desk, run)
    assert (refusal.code_name, refusal.field) == ("ERR_INVALID_INPUT", field)
    assert f"at most {at_most}" in refusal.message
