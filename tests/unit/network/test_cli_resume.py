"""The payment commands against a stand-in ledger (no network): which consortium channel a command looks
on and acts on, and how a two-step command finishes what a failed run left."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from tests.unit.network.test_cli import SEND, UETR
from tests.unit.network.test_identities import network_workdir
from tradefin.cli import main
from tradefin.cli import payments as cli
from tradefin.gateway import GatewayError
from tradefin.gateway.errors import GrpcCode
from tradefin.gateway.tradefin import (
    DuplicateError,
    InvalidStateError,
    NotFoundError,
    TradeFinanceError,
)
from tradefin.gateway.tradefin._core import Committed
from tradefin.gateway.tradefin.payments import BatchDetails, ChannelView, PaymentDetails, QuoteDetails
from tradefin.gateway.tradefin.payments import channel_id as channel_of
from tradefin.protos import compliance_pb2, payments_pb2

EUROPE, AMERICAS = "asia-europe", "asia-americas"  # the default spec's channels; bank1 is on both
CHANNEL_12 = "ASTBHKHH-EUCBDEFF-PLN"  # bank1 and bank2: on asia-europe only
CHANNEL_13 = "AEXBUS33-ASTBHKHH-USD"  # bank1 and bank3: on asia-americas only
QUOTE_ID = "7d3f2a1b-5c6e-4f70-8a9b-0c1d2e3f4a5b"
OFFLINE = GatewayError(GrpcCode.UNAVAILABLE, "no peer answered")


@dataclass
class Ledger:
    """What each consortium channel holds, and every call made of a bank's client: (channel, bank, call)."""

    payments: dict[tuple[str, str], PaymentDetails] = field(default_factory=dict)
    quotes: dict[tuple[str, str], QuoteDetails] = field(default_factory=dict)
    channels: dict[tuple[str, str], ChannelView] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    #: what a call raises, once: by its name, or its name and channel ("vouch@asia-americas")
    failures: dict[str, Exception] = field(default_factory=dict)

    def sent(self) -> list[tuple[str, str, str]]:
        return [call for call in self.calls if not call[2].startswith("get_")]


@dataclass
class Desk:
    """A bank's client on one consortium channel, reading and writing the ledger."""

    ledger: Ledger
    channel: str
    bank: str

    def _call(self, name: str, detail: str = "") -> None:
        self.ledger.calls.append((self.channel, self.bank, f"{name} {detail}".strip()))
        failure = self.ledger.failures.pop(f"{name}@{self.channel}", None) or self.ledger.failures.pop(name, None)
        if failure is not None:
            raise failure

    def get_payment(self, uetr: str) -> PaymentDetails:
        self._call("get_payment")
        try:
            return self.ledger.payments[(self.channel, uetr)]
        except KeyError:
            raise NotFoundError(f"no payment {uetr}", field="uetr", transaction_id="") from None

    def get_quote(self, quote_id: str) -> QuoteDetails:
        self._call("get_quote")
        try:
            return self.ledger.quotes[(self.channel, quote_id)]
        except KeyError:
            raise NotFoundError(f"no quote {quote_id}", field="quote_id", transaction_id="") from None

    def get_channel(self, channel_id: str) -> ChannelView:
        self._call("get_channel")
        try:
            return self.ledger.channels[(self.channel, channel_id)]
        except KeyError:
            raise NotFoundError(f"no payment channel {channel_id}", transaction_id="") from None

    def get_batch(self, channel_id: str, cycle: int) -> BatchDetails:
        self._call("get_batch")
        return BatchDetails(payments_pb2.NettingBatchStub(cycle=cycle, batch_hash="ab" * 32),
                            payments_pb2.NettingBatch(cycle=cycle))

    def report_status(self, uetr: str, *args: Any, **kwargs: Any) -> Committed[Any]:
        self._call("report_status")
        return Committed(self.ledger.payments[(self.channel, uetr)].payment, "tx", 1)

    def pay(self, *args: Any, **kwargs: Any) -> Committed[Any]:
        self._call("pay")
        raise AssertionError("unreachable: the tests make it fail")

    def propose_channel(self, proposer: Any, counterparty: Any, currency: str, **terms: Any) -> Committed[Any]:
        self._call("propose_channel")
        channel_id = channel_of(proposer, counterparty, currency)
        limit = terms["proposer_credit_limit"]
        self.ledger.channels[(self.channel, channel_id)] = channel_view(
            payments_pb2.PAYMENT_CHANNEL_STATE_PROPOSED, proposer.msp_id, channel_id=channel_id,
            limit_a=limit.minor_units if limit is not None else 0)
        return Committed(None, "tx", 1)

    def accept_channel(self, channel_id: str) -> Committed[Any]:
        self._call("accept_channel")
        self.ledger.channels[(self.channel, channel_id)].channel.state = payments_pb2.PAYMENT_CHANNEL_STATE_OPEN
        return Committed(None, "tx", 2)

    def record_deposit(self, channel_id: str, amount: Any, funding_uetr: str, *, deposit_id: str) -> Committed[str]:
        self._call("record_deposit", deposit_id)
        return Committed(deposit_id, "tx", 3)

    def confirm_deposit(self, channel_id: str, deposit_id: str) -> Committed[Any]:
        self._call("confirm_deposit", deposit_id)
        return Committed(None, "tx", 4)

    def cut_off(self, channel_id: str) -> Committed[Any]:
        self._call("cut_off")
        stub = self.ledger.channels[(self.channel, channel_id)].channel
        return Committed(payments_pb2.PaymentChannelStub(open_cycle=stub.open_cycle + 1), "tx", 5)

    def freeze_batch(self, channel_id: str, cycle: int) -> Committed[Any]:
        self._call("freeze_batch", str(cycle))
        return Committed(None, "tx", 6)

    def vouch(self, subject_ref: str, **kwargs: Any) -> compliance_pb2.KycAttestation:
        self._call("vouch")
        attestation = compliance_pb2.KycAttestation(subject_ref=subject_ref)
        attestation.expires_on.year, attestation.expires_on.month, attestation.expires_on.day = 2030, 1, 2
        return attestation


@pytest.fixture()
def ledger(monkeypatch: pytest.MonkeyPatch) -> Ledger:
    ledger = Ledger()

    def desk(self: cli._Desks, bank: Any, user: str = "") -> Desk:
        return Desk(ledger, self.channel, bank.name)

    monkeypatch.setattr(cli._Desks, "payments", desk)
    monkeypatch.setattr(cli._Desks, "compliance", desk)
    monkeypatch.setattr(cli._Desks, "close", lambda self: None)
    return ledger


def run(tmp_path: Path, *args: str) -> Result:
    root = tmp_path / "wd"
    if not root.exists():
        network_workdir(root)
    result = CliRunner().invoke(main, ["--workdir", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output  # no traceback
    return result


def text(result: Result) -> str:
    return " ".join(result.output.split())


def payment(channel_id: str) -> PaymentDetails:
    stub = payments_pb2.PaymentStub(uetr=UETR, channel_id=channel_id)
    stub.status_history.add(status=payments_pb2.PAYMENT_STATUS_ACSP)
    return PaymentDetails(stub, None)


# --- a record looked for on each channel of the bank ------------------------------------------------------


def test_a_payment_on_the_banks_second_channel_is_found_without_on(tmp_path: Path, ledger: Ledger) -> None:
    ledger.payments[(AMERICAS, UETR)] = payment(CHANNEL_13)
    result = run(tmp_path, "pay", "status", UETR, "--bank", "bank1")
    assert result.exit_code == 0, result.output
    assert f"payment {UETR} on {CHANNEL_13}" in text(result)
    assert [(channel, call) for channel, _, call in ledger.calls] == [(EUROPE, "get_payment"),
                                                                      (AMERICAS, "get_payment")]


def test_a_payment_command_acts_on_the_channel_where_it_found_the_payment(tmp_path: Path, ledger: Ledger) -> None:
    ledger.payments[(AMERICAS, UETR)] = payment(CHANNEL_13)
    result = run(tmp_path, "pay", "report", UETR, "--bank", "bank1", "--status", "ACCC")
    assert result.exit_code == 0, result.output
    assert ledger.sent() == [(AMERICAS, "bank1", "report_status")]


def test_a_payment_on_no_channel_of_the_bank_names_the_channels_looked_on(tmp_path: Path, ledger: Ledger) -> None:
    result = run(tmp_path, "pay", "reject-recall", UETR, "--bank", "bank1", "--reason", "CUST")
    assert result.exit_code == 1
    assert (f"refused: ERR_NOT_FOUND: no payment {UETR} on {EUROPE} (as bank1), {AMERICAS} (as bank1)"
            in text(result)), result.output
    assert ledger.sent() == []


def test_on_names_the_only_channel_looked_on(tmp_path: Path, ledger: Ledger) -> None:
    ledger.payments[(AMERICAS, UETR)] = payment(CHANNEL_13)
    result = run(tmp_path, "pay", "recall", UETR, "--bank", "bank1", "--reason", "DUPL", "--on", EUROPE)
    assert result.exit_code == 1
    assert f"refused: ERR_NOT_FOUND: no payment {UETR} on {EUROPE} (as bank1)" in text(result), result.output
    assert {channel for channel, _, _ in ledger.calls} == {EUROPE}


def test_a_quote_on_the_banks_second_channel_is_found_without_on(tmp_path: Path, ledger: Ledger) -> None:
    stub = payments_pb2.QuoteStub(quote_id=QUOTE_ID, status=payments_pb2.QUOTE_STATUS_OPEN)
    ledger.quotes[(AMERICAS, QUOTE_ID)] = QuoteDetails(stub, None)
    result = run(tmp_path, "quote", "show", QUOTE_ID, "--bank", "bank1")
    assert result.exit_code == 0 and f"quote {QUOTE_ID}: OPEN" in text(result), result.output
    missing = run(tmp_path, "quote", "show", QUOTE_ID, "--bank", "bank2")
    assert missing.exit_code == 1
    assert f"refused: ERR_NOT_FOUND: no quote {QUOTE_ID} on {EUROPE} (as bank2)" in text(missing)


def test_a_failed_payment_says_on_which_channel_to_look_for_it(tmp_path: Path, ledger: Ledger) -> None:
    ledger.failures["pay"] = OFFLINE
    result = run(tmp_path, *SEND, "--uetr", UETR)
    assert result.exit_code == 1
    assert f"`tradefin pay status {UETR} --bank bank1 --on {AMERICAS}` tells whether it was made" in text(result)


# --- a vouch on each channel of the bank --------------------------------------------------------------------


def test_vouch_attests_the_customer_on_every_channel_of_the_bank(tmp_path: Path, ledger: Ledger) -> None:
    result = run(tmp_path, "pay", "vouch", "bank1", "KYC-1")
    assert result.exit_code == 0, result.output
    assert ledger.sent() == [(EUROPE, "bank1", "vouch"), (AMERICAS, "bank1", "vouch")]
    assert f"vouches for KYC-1 on {EUROPE} until 2030-01-02" in text(result)
    assert f"vouches for KYC-1 on {AMERICAS} until 2030-01-02" in text(result)
    ledger.calls.clear()
    assert run(tmp_path, "pay", "vouch", "bank1", "KYC-1", "--on", AMERICAS).exit_code == 0
    assert ledger.sent() == [(AMERICAS, "bank1", "vouch")]


def test_a_vouch_refused_on_a_channel_says_which_and_where_it_was_done(tmp_path: Path, ledger: Ledger) -> None:
    ledger.failures[f"vouch@{EUROPE}"] = OFFLINE
    failed_first = run(tmp_path, "pay", "vouch", "bank1", "KYC-1")
    assert failed_first.exit_code == 1
    assert f"vouching on {EUROPE}:" in text(failed_first) and "already" not in text(failed_first)
    assert ledger.sent() == [(EUROPE, "bank1", "vouch")]  # stopped there
    ledger.failures[f"vouch@{AMERICAS}"] = OFFLINE
    failed_second = run(tmp_path, "pay", "vouch", "bank1", "KYC-1")
    assert failed_second.exit_code == 1
    assert f"vouching on {AMERICAS} (bank1 vouched on {EUROPE} already):" in text(failed_second)


# --- channel open, resumed ----------------------------------------------------------------------------------


def channel_view(state: payments_pb2.PaymentChannelState.ValueType, proposed_by: str, *, slots: int = 32,
                 cycle_seconds: int = 86400, limit_a: int = 0, limit_b: int = 0, open_cycle: int = 0, frozen: int = 0,
                 channel_id: str = CHANNEL_12) -> ChannelView:
    bic_a, bic_b, currency = channel_id.split("-")
    msp = {"ASTBHKHH": "Bank1MSP", "EUCBDEFF": "Bank2MSP", "AEXBUS33": "Bank3MSP"}
    stub = payments_pb2.PaymentChannelStub(
        channel_id=channel_id, state=state, currency=currency, capacity_slots=slots, cycle_seconds=cycle_seconds,
        proposed_by_msp_id=proposed_by, open_cycle=open_cycle, last_frozen_cycle=frozen)
    stub.bank_a.bic, stub.bank_a.msp_id = bic_a, msp[bic_a]
    stub.bank_b.bic, stub.bank_b.msp_id = bic_b, msp[bic_b]
    return ChannelView(stub, payments_pb2.ChannelPosition(credit_limit_a=limit_a, credit_limit_b=limit_b), (), 0)


OPEN_12 = ["channel", "open", "bank1", "bank2", "--currency", "PLN", "--credit-limit", "10.00"]


def test_channel_open_proposes_then_accepts(tmp_path: Path, ledger: Ledger) -> None:
    result = run(tmp_path, *OPEN_12)
    assert result.exit_code == 0, result.output
    assert ledger.sent() == [(EUROPE, "bank1", "propose_channel"), (EUROPE, "bank2", "accept_channel")]
    assert f"payment channel {CHANNEL_12}: OPEN" in text(result)


@pytest.mark.parametrize("proposer, acceptor", [("Bank1MSP", "bank2"), ("Bank2MSP", "bank1")])
def test_channel_open_run_again_accepts_a_proposal_of_the_same_terms(
        tmp_path: Path, ledger: Ledger, proposer: str, acceptor: str) -> None:
    # the acceptance failed (or the other bank proposed the same): no second proposal (ERR_DUPLICATE), the
    # bank that did not propose accepts it
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_PROPOSED, proposer,
                                                         limit_a=1000)
    result = run(tmp_path, *OPEN_12)
    assert result.exit_code == 0, result.output
    assert ledger.sent() == [(EUROPE, acceptor, "accept_channel")]
    proposed_by = "bank1" if acceptor == "bank2" else "bank2"
    assert f"channel {CHANNEL_12} was proposed by {proposed_by} already: {acceptor} accepts it" in text(result)


def test_channel_open_run_again_on_an_open_channel_of_the_same_terms_shows_it(tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_OPEN, "Bank1MSP",
                                                         limit_a=1000, open_cycle=1)
    result = run(tmp_path, *OPEN_12)
    assert result.exit_code == 0, result.output
    assert ledger.sent() == []
    assert f"channel {CHANNEL_12} is open already, with these terms" in text(result)
    assert f"payment channel {CHANNEL_12}: OPEN" in text(result)


def test_channel_open_of_a_proposal_of_other_terms_is_refused_with_the_way_out(tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_PROPOSED, "Bank2MSP",
                                                         slots=4, limit_a=1000, limit_b=500)
    result = run(tmp_path, *OPEN_12)
    assert result.exit_code == 1
    assert (f"refused: ERR_DUPLICATE (counterparty): channel {CHANNEL_12} exists (PROPOSED) with other terms: "
            f"--other-credit-limit 5.00 (not 0.00), --slots 4 (not 32); `tradefin channel close {CHANNEL_12} "
            "--bank bank2` withdraws the proposal") in text(result), result.output
    assert ledger.sent() == []


def test_channel_open_of_a_closed_channel_is_refused(tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_CLOSED, "Bank1MSP",
                                                         limit_a=1000)
    result = run(tmp_path, *OPEN_12)
    assert result.exit_code == 1
    assert f"refused: ERR_DUPLICATE (counterparty): channel {CHANNEL_12} exists (CLOSED)" in text(result)
    assert ledger.sent() == []


def test_a_failed_acceptance_says_how_to_finish_or_withdraw(tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_PROPOSED, "Bank1MSP",
                                                         limit_a=1000)
    ledger.failures["accept_channel"] = OFFLINE
    result = run(tmp_path, *OPEN_12)
    assert result.exit_code == 1
    assert (f"channel {CHANNEL_12} is proposed by bank1, not accepted by bank2: run this command again to accept "
            f"it, or `tradefin channel close {CHANNEL_12} --bank bank1` to withdraw it") in text(result)


# --- channel deposit, resumed -------------------------------------------------------------------------------


DEPOSIT = ["channel", "deposit", CHANNEL_12, "--bank", "bank1", "--amount", "100.00"]
FUNDING = "3b1f0c8e-2d4a-4e6f-9a1b-5c7d9e0f1a2b"


def test_a_deposit_run_again_with_its_funding_uetr_confirms_the_deposit_it_recorded(
        tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_OPEN, "Bank1MSP")
    ledger.failures["confirm_deposit"] = OFFLINE
    failed = run(tmp_path, *DEPOSIT)
    assert failed.exit_code == 1
    (_, _, recorded), (_, confirmer, confirming) = ledger.sent()
    deposit_id = recorded.split()[1]
    assert confirmer == "bank2" and confirming == f"confirm_deposit {deposit_id}"
    said = text(failed)
    hint = "bank1's deposit funded by "
    assert hint in said and ", not confirmed by bank2: run again with --funding-uetr " in said, said
    funding = said.split(hint)[1].split()[0]

    ledger.calls.clear()
    again = run(tmp_path, *DEPOSIT, "--funding-uetr", funding)
    assert again.exit_code == 0, again.output
    # the same deposit: recorded again (a replay on the ledger) and confirmed, not a second one
    assert ledger.sent() == [(EUROPE, "bank1", f"record_deposit {deposit_id}"),
                             (EUROPE, "bank2", f"confirm_deposit {deposit_id}")]


def test_deposit_ids_are_the_same_for_the_same_funding_only() -> None:
    bank1, bank2 = spec_banks()
    first = cli._deposit_id(CHANNEL_12, bank1, FUNDING)
    assert first == cli._deposit_id(CHANNEL_12, bank1, FUNDING)
    assert len({first, cli._deposit_id(CHANNEL_12, bank2, FUNDING), cli._deposit_id(CHANNEL_12, bank1, UETR),
                cli._deposit_id("ASTBHKHH-EUCBDEFF-CZK", bank1, FUNDING)}) == 4
    from tradefin.chaincode.contracts.letters_of_credit.validation import check_uuid4

    check_uuid4(first, "deposit_id")  # the chaincode's form of an id


def spec_banks() -> tuple[Any, Any]:
    from tradefin.network.spec import load_spec

    spec = load_spec()
    return spec.bank("bank1"), spec.bank("bank2")


def test_a_deposit_confirmed_already_is_shown(tmp_path: Path, ledger: Ledger) -> None:
    # run again after the confirmation went through (the gateway's answer was lost): nothing counts twice
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_OPEN, "Bank1MSP")
    deposit_id = cli._deposit_id(CHANNEL_12, spec_banks()[0], FUNDING)
    ledger.failures["confirm_deposit"] = InvalidStateError(f"deposit {deposit_id} is already confirmed",
                                                           transaction_id="tx")
    result = run(tmp_path, *DEPOSIT, "--funding-uetr", FUNDING)
    assert result.exit_code == 0, result.output
    assert f"bank1's deposit funded by {FUNDING} was confirmed already (it counts once)" in text(result)
    assert f"payment channel {CHANNEL_12}: OPEN" in text(result) and "run again" not in text(result)


def test_a_deposit_on_a_channel_that_no_longer_runs_is_refused(tmp_path: Path, ledger: Ledger) -> None:
    # closed since the deposit was recorded: the confirmation's refusal stands, and no hint to run again
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_CLOSED, "Bank1MSP")
    ledger.failures["confirm_deposit"] = InvalidStateError(f"channel {CHANNEL_12} is CLOSED", transaction_id="tx")
    result = run(tmp_path, *DEPOSIT, "--funding-uetr", FUNDING)
    assert result.exit_code == 1
    assert f"refused: ERR_INVALID_STATE: channel {CHANNEL_12} is CLOSED" in text(result)
    assert "run again" not in text(result) and "confirmed already" not in text(result)


def test_a_deposit_run_again_with_another_amount_says_so(tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_OPEN, "Bank1MSP")
    deposit_id = cli._deposit_id(CHANNEL_12, spec_banks()[0], FUNDING)
    ledger.failures["record_deposit"] = DuplicateError(
        f"deposit {deposit_id} exists", field="deposit_id", transaction_id="tx")
    result = run(tmp_path, *DEPOSIT, "--funding-uetr", FUNDING)
    assert result.exit_code == 1
    assert (f"refused: ERR_DUPLICATE (funding_uetr): bank1 recorded a deposit funded by {FUNDING} of another "
            "amount than 100.00: run again with its amount to finish it") in text(result), result.output
    assert [call for _, _, call in ledger.sent()] == [f"record_deposit {deposit_id}"]


def test_a_deposit_refused_by_a_rule_prints_no_hint(tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_OPEN, "Bank1MSP")
    ledger.failures["record_deposit"] = InvalidStateError("channel is CLOSED: no deposit", transaction_id="tx")
    result = run(tmp_path, *DEPOSIT, "--funding-uetr", FUNDING)
    assert result.exit_code == 1 and "run again" not in text(result)
    ledger.failures["record_deposit"] = OFFLINE  # the gateway's: it may be recorded
    result = run(tmp_path, *DEPOSIT, "--funding-uetr", FUNDING)
    assert f"deposit funded by {FUNDING}: run again with --funding-uetr {FUNDING}" in text(result)


# --- channel net, resumed -----------------------------------------------------------------------------------


def stub(open_cycle: int, frozen: int) -> payments_pb2.PaymentChannelStub:
    return payments_pb2.PaymentChannelStub(channel_id=CHANNEL_12, open_cycle=open_cycle, last_frozen_cycle=frozen)


@pytest.mark.parametrize("open_cycle, frozen, asked, expected", [
    (1, 0, None, (1, "cut off")),  # nothing cut off: the open cycle
    (3, 2, None, (3, "cut off")),
    (2, 0, None, (1, "freeze")),  # cycle 1 cut off, its freeze failed: freeze it, cut off nothing
    (2, 0, 1, (1, "freeze")),
    (3, 2, 2, (2, "frozen")),  # the freeze went through after all: shown
    (3, 2, 1, (1, "frozen")),
    (3, 2, 3, (3, "cut off")),  # the cut-off failed: done now
    (0, 0, None, (0, "cut off")),  # not open: the chaincode says so
])
def test_the_cycle_channel_net_nets(open_cycle: int, frozen: int, asked: int | None,
                                    expected: tuple[int, str]) -> None:
    assert cli._cycle_to_net(stub(open_cycle, frozen), asked) == expected


@pytest.mark.parametrize("open_cycle, frozen, asked, message", [
    (2, 0, 2, f"refused: ERR_INVALID_STATE: freeze cycle 1 first: `tradefin channel net {CHANNEL_12} --cycle 1` "
              "does"),
    (3, 2, 5, "refused: ERR_INVALID_STATE: cycle 5 is not open yet (the open cycle is 3)"),
])
def test_a_cycle_channel_net_cannot_net_is_refused(capsys: pytest.CaptureFixture[str], open_cycle: int, frozen: int,
                                                   asked: int, message: str) -> None:
    with pytest.raises(SystemExit):
        cli._cycle_to_net(stub(open_cycle, frozen), asked)
    assert message in " ".join(capsys.readouterr().err.split())


def test_channel_net_run_again_freezes_the_cycle_cut_off_instead_of_refusing(tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_OPEN, "Bank1MSP",
                                                         open_cycle=2, frozen=0)
    result = run(tmp_path, "channel", "net", CHANNEL_12)
    assert result.exit_code == 0, result.output
    assert ledger.sent() == [(EUROPE, "bank1", "freeze_batch 1")]  # no cut-off of cycle 2
    assert "cycle 1 was cut off already: freezing its batch" in text(result)
    assert "batch 1 frozen in block 6" in text(result)


def test_channel_net_with_a_cycle_frozen_already_shows_it(tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_OPEN, "Bank1MSP",
                                                         open_cycle=2, frozen=1)
    result = run(tmp_path, "channel", "net", CHANNEL_12, "--cycle", "1")
    assert result.exit_code == 0, result.output
    assert ledger.sent() == [] and "batch 1 frozen already" in text(result)


def test_a_failed_freeze_says_how_to_finish(tmp_path: Path, ledger: Ledger) -> None:
    ledger.channels[(EUROPE, CHANNEL_12)] = channel_view(payments_pb2.PAYMENT_CHANNEL_STATE_OPEN, "Bank1MSP",
                                                         open_cycle=1, frozen=0)
    ledger.failures["freeze_batch"] = OFFLINE
    result = run(tmp_path, "channel", "net", CHANNEL_12)
    assert result.exit_code == 1
    assert [call for _, _, call in ledger.sent()] == ["cut_off", "freeze_batch 1"]
    assert (f"cycle 1 is cut off, its batch not frozen: `tradefin channel net {CHANNEL_12} --cycle 1` freezes it"
            in text(result))


# --- help -----------------------------------------------------------------------------------------------------


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, click.Command]]:
    if isinstance(command, click.Group):
        return [found for name, sub in command.commands.items() for found in _commands(sub, (*path, name))]
    return [(" ".join(path), command)]


def test_every_option_has_a_help_and_every_optional_on_says_its_default() -> None:
    options = [(name, param) for name, command in _commands(main) for param in command.params
               if isinstance(param, click.Option)]
    assert [f"{name} {param.opts[-1]}" for name, param in options if not param.help] == []
    on = [(name, param) for name, param in options if "--on" in param.opts]
    assert len(on) >= 10
    assert [name for name, param in on if "default" not in (param.help or "")] == []


def test_refusals_before_sending_print_no_hint() -> None:
    # nothing reached the network: there is nothing to finish (a usage error says what to change)
    @click.command()
    def refused() -> None:
        with cli._way_out("HINT"):
            raise TradeFinanceError("bad", code="ERR_INVALID_INPUT")

    result = CliRunner().invoke(refused, [])
    assert "HINT" not in result.output and isinstance(result.exception, TradeFinanceError)


def test_a_command_waits_for_what_the_command_before_it_wrote(tmp_path: Path) -> None:
    # A script runs bank1's command, then bank2's: bank2's peer may not have committed bank1's last
    # transaction yet. The commands leave it in the working directory for the next one's session.
    import os
    import time

    from tradefin.gateway.tradefin import Session

    net = type("Net", (), {"workdir": tmp_path})()
    first = Session()
    first.committed("tx-of-bank1", "Bank1MSP", EUROPE)
    cli._save_session(net, first)
    after = cli._load_session(net)
    assert after.pending("Bank2MSP", EUROPE) == "tx-of-bank1"  # bank2 waits for it before reading
    assert after.pending("Bank1MSP", EUROPE) is None

    stale = time.time() - cli._SESSION_FRESH_SECONDS - 5  # long committed everywhere: nothing to wait for
    os.utime(tmp_path / cli._SESSION_FILE, (stale, stale))
    assert cli._load_session(net).snapshot() == {}
    (tmp_path / cli._SESSION_FILE).write_text('{"asia-europe": {"transaction_id": "t')  # torn
    assert cli._load_session(net).snapshot() == {}
    cli._save_session(net, Session())  # a command that wrote nothing leaves the file as it is
    assert (tmp_path / cli._SESSION_FILE).read_text().startswith('{"asia-europe"')
    cli._save_session(net, first)
    os.utime(tmp_path / cli._SESSION_FILE, (stale, stale))
    cli._save_session(net, first, first.snapshot())  # only what it took up: not made fresh again
    assert (tmp_path / cli._SESSION_FILE).stat().st_mtime == stale
