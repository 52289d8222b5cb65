"""The ``tradefin channel`` / ``pay`` / ``quote`` commands against the session network: open a channel,
deposit, pay (human output and --json), quote, report, net, settle, show balances; refusals print
their catalogue code and exit 1. A payment is found on whichever channel of its bank it was made; a
two-step command run again after its first step alone finishes it."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.integration.test_payments import Desks
from tradefin.cli import main
from tradefin.cli.payments import _deposit_id
from tradefin.gateway.tradefin import InvalidStateError, money
from tradefin.network.network import FabricNetwork

CHANNEL_ID = "ASTBHKHH-EUCBDEFF-JPY"


def run(net: FabricNetwork, *args: str) -> str:
    """Run a command; it must succeed. Its human output with the terminal's line wrapping undone."""
    return " ".join(invoke(net, *args).split())


def invoke(net: FabricNetwork, *args: str) -> str:
    result = CliRunner().invoke(main, ["--workdir", str(net.workdir), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def run_json(net: FabricNetwork, *args: str) -> Any:
    return json.loads(invoke(net, *args, "--json"))


def attempt(net: FabricNetwork, *args: str) -> Result:
    """Run a command that may fail."""
    return CliRunner().invoke(main, ["--workdir", str(net.workdir), *args])


def said(result: Result) -> str:
    return " ".join(result.output.split())


@pytest.fixture(scope="module")
def customers(fabric_network: FabricNetwork) -> tuple[str, str]:
    governance = CliRunner().invoke(
        main, ["--workdir", str(fabric_network.workdir), "pay", "pilot", "--on", "asia-europe"]
    )
    assert governance.exit_code in (0, 1), governance.output  # adopted here or by an earlier module
    tag = uuid.uuid4().hex[:6].upper()
    debtor, creditor = f"KYC-CLI-HK-{tag}", f"KYC-CLI-DE-{tag}"
    assert "vouches for" in run(fabric_network, "pay", "vouch", "bank1", debtor)
    assert "vouches for" in run(fabric_network, "pay", "vouch", "bank2", creditor)
    return debtor, creditor


def test_a_channel_and_a_payment_from_the_command_line(
    fabric_network: FabricNetwork, customers: tuple[str, str]
) -> None:
    net = fabric_network
    debtor, creditor = customers
    opened = run_json(net, "channel", "open", "bank1", "bank2", "--currency", "JPY", "--slots", "4")
    assert opened["channel"]["state"] == "PAYMENT_CHANNEL_STATE_OPEN" and opened["channel"]["channel_id"] == CHANNEL_ID
    shown = run(net, "channel", "deposit", CHANNEL_ID, "--bank", "bank1", "--amount", "5000000")
    assert "ASTBHKHH" in shown and "5000000" in shown
    party = [
        "--debtor",
        "KOWLOON IMPORTS LTD",
        "--debtor-country",
        "HK",
        "--debtor-kyc",
        debtor,
        "--debtor-account",
        "HK-0042-1",
        "--creditor",
        "BERLIN MACHINES GMBH",
        "--creditor-country",
        "DE",
        "--creditor-kyc",
        creditor,
        "--creditor-account",
        "DE89370400440532013000",
    ]
    paid = run_json(
        net, "pay", "send", CHANNEL_ID, "--from", "bank1", "--amount", "125000", *party, "--fee", "bank2:500"
    )
    uetr = paid["payment"]["uetr"]
    assert paid["payment"]["status"] == "PAYMENT_STATUS_ACSP"
    assert paid["record"]["credited_amount"] == {"currency": "JPY", "minor_units": "124500"}
    human = run(net, "pay", "report", uetr, "--bank", "bank2", "--status", "ACCC", "--fee", "500")
    assert "ACSP -> ACCC" in human
    quoted = run(
        net,
        "quote",
        "create",
        CHANNEL_ID,
        "--bank",
        "bank2",
        "--for",
        "bank1",
        "--sell",
        "HKD",
        "--rate",
        "19.2",
        "--max",
        "1000.00",
    )
    assert "HKD -> JPY at 19.2" in quoted
    netted = run(net, "channel", "net", CHANNEL_ID)
    assert "net JPY 125000 owed by ASTBHKHH" in netted
    assert "settled by Euro Commerce Bank" in run(net, "channel", "settle", CHANNEL_ID, "--cycle", "1")
    balances = run_json(net, "channel", "show", CHANNEL_ID)["balances"]
    assert [balance.get("balance", "0") for balance in balances] == ["5000000", "0"]
    refused = CliRunner().invoke(
        main,
        ["--workdir", str(net.workdir), "pay", "send", CHANNEL_ID, "--from", "bank1", "--amount", "6000000", *party],
    )
    assert refused.exit_code == 1 and "ERR_INSUFFICIENT_FUNDS" in " ".join(refused.output.split())


def test_the_configuration_in_force_from_the_command_line(
    fabric_network: FabricNetwork, customers: tuple[str, str]
) -> None:
    net = fabric_network
    shown = run_json(net, "pay", "governance", "--on", "asia-europe")
    config = shown["governance"]
    assert int(config["version"]) >= 1 and config["member_msp_ids"] == ["Bank1MSP", "Bank2MSP"]
    assert {(entry["bic"], entry["msp_id"]) for entry in config["directory"]} == {
        ("ASTBHKHH", "Bank1MSP"),
        ("EUCBDEFF", "Bank2MSP"),
    }  # `pay pilot` adopted the network's banks as its BIC directory
    text = run(net, "pay", "governance", "--on", "asia-europe", "--bank", "bank2")
    assert f"compliance configuration version {config['version']} in force on asia-europe" in text
    assert "BIC directory: ASTBHKHH Bank1MSP, EUCBDEFF Bank2MSP" in text
    unknown = CliRunner().invoke(main, ["--workdir", str(net.workdir), "pay", "governance", "--on", "nowhere"])
    assert unknown.exit_code == 2 and "unknown channel 'nowhere'" in unknown.output


def test_a_recall_from_the_command_line(fabric_network: FabricNetwork, customers: tuple[str, str]) -> None:
    net = fabric_network
    debtor, creditor = customers
    channel = run_json(net, "channel", "show", CHANNEL_ID)  # opened by the test above
    assert channel["channel"]["state"] == "PAYMENT_CHANNEL_STATE_OPEN"
    run(net, "channel", "deposit", CHANNEL_ID, "--bank", "bank2", "--amount", "100000")  # what bank2 returns from
    party = ["--debtor", "KOWLOON IMPORTS LTD", "--debtor-country", "HK", "--debtor-kyc", debtor]
    party += ["--creditor", "BERLIN MACHINES GMBH", "--creditor-country", "DE", "--creditor-kyc", creditor]
    party += ["--debtor-account", "HK-0042-1", "--creditor-account", "DE89370400440532013000"]
    uetr = run_json(net, "pay", "send", CHANNEL_ID, "--from", "bank1", "--amount", "30000", *party)["payment"]["uetr"]
    run(net, "pay", "report", uetr, "--bank", "bank2", "--status", "ACCC")

    asked = run(net, "pay", "recall", uetr, "--bank", "bank1", "--reason", "DUPL")
    assert re.search(r"recall [0-9a-f-]{36} \(DUPL\): REQUESTED \(waiting for the creditor agent\)", asked), asked
    rejected = run(net, "pay", "reject-recall", uetr, "--bank", "bank2", "--reason", "CUST")
    assert re.search(r"recall [0-9a-f-]{36} \(DUPL\): REJECTED, rejected \(CUST\)", rejected), rejected
    assert run(net, "pay", "reject-recall", uetr, "--bank", "bank2", "--reason", "CUST") == rejected  # a replay
    recall_id = str(uuid.uuid4())
    asked_again = run(net, "pay", "recall", uetr, "--bank", "bank1", "--reason", "TECH", "--recall-id", recall_id)
    assert f"recall {recall_id} (TECH): REQUESTED" in asked_again
    assert run(net, "pay", "recall", uetr, "--bank", "bank1", "--reason", "TECH", "--recall-id", recall_id) == (
        asked_again  # run again with its id: a replay, not a second recall
    )
    returned = run_json(net, "pay", "return", uetr, "--bank", "bank2", "--amount", "30000", "--reason", "FOCR")
    back = returned["payment"]["uetr"]
    assert returned["payment"]["return_of_uetr"] == uetr
    status = run_json(net, "pay", "status", uetr, "--bank", "bank1")
    first, second = status["record"]["recalls"]
    assert (first["status"], first["reason_code"]) == ("RECALL_STATUS_REJECTED", "DUPL")
    assert (second["status"], second["return_uetr"]) == ("RECALL_STATUS_ACCEPTED", back)
    assert f"answered by return {back}" in run(net, "pay", "status", uetr, "--bank", "bank2")

    again = CliRunner().invoke(
        main, ["--workdir", str(net.workdir), "pay", "recall", uetr, "--bank", "bank1", "--reason", "TECH"]
    )
    assert again.exit_code == 1 and "refused: ERR_INVALID_STATE" in " ".join(again.output.split())
    nothing_open = CliRunner().invoke(
        main, ["--workdir", str(net.workdir), "pay", "reject-recall", uetr, "--bank", "bank2", "--reason", "CUST"]
    )
    assert nothing_open.exit_code == 1 and "no recall of payment" in " ".join(nothing_open.output.split())


def test_a_payment_on_the_second_channel_of_its_bank_from_the_command_line(fabric_network: FabricNetwork) -> None:
    # bank1 is on asia-europe, then asia-americas: a payment to bank3 runs on asia-americas, and was looked for on
    # asia-europe only (ERR_NOT_FOUND) without --on; its customer was vouched for on asia-europe only
    net = fabric_network
    channel_id = "AEXBUS33-ASTBHKHH-SGD"
    adopted = attempt(net, "pay", "pilot", "--on", "asia-americas")
    assert adopted.exit_code in (0, 1), adopted.output  # adopted here or by an earlier run
    tag = uuid.uuid4().hex[:6].upper()
    debtor, creditor = f"KYC-CLI-HK-{tag}", f"KYC-CLI-US-{tag}"
    vouched = run(net, "pay", "vouch", "bank1", debtor)
    assert f"vouches for {debtor} on asia-europe" in vouched and f"vouches for {debtor} on asia-americas" in vouched
    assert f"vouches for {creditor} on asia-americas" in run(net, "pay", "vouch", "bank3", creditor)
    opened = run_json(net, "channel", "open", "bank1", "bank3", "--currency", "SGD", "--slots", "4")
    assert opened["channel"]["channel_id"] == channel_id
    run(net, "channel", "deposit", channel_id, "--bank", "bank1", "--amount", "10000.00")
    party = ["--debtor", "KOWLOON IMPORTS LTD", "--debtor-country", "HK", "--debtor-kyc", debtor,
             "--debtor-account", "HK-0042-1", "--creditor", "DETROIT TOOLS INC", "--creditor-country", "US",
             "--creditor-kyc", creditor, "--creditor-account", "US-0042-7"]
    uetr = run_json(net, "pay", "send", channel_id, "--from", "bank1", "--amount", "250.00", *party)["payment"]["uetr"]

    status = run_json(net, "pay", "status", uetr, "--bank", "bank1")  # no --on
    assert status["payment"]["channel_id"] == channel_id and status["record"]["debtor"]["kyc_ref"] == debtor
    assert "ACSP -> ACCC" in run(net, "pay", "report", uetr, "--bank", "bank3", "--status", "ACCC")
    asked = run(net, "pay", "recall", uetr, "--bank", "bank1", "--reason", "DUPL")  # acts where it was found
    assert "(DUPL): REQUESTED" in asked
    on_europe = attempt(net, "pay", "status", uetr, "--bank", "bank1", "--on", "asia-europe")
    assert on_europe.exit_code == 1
    assert f"refused: ERR_NOT_FOUND: no payment {uetr} on asia-europe (as bank1)" in said(on_europe)
    unknown = str(uuid.uuid4())
    nowhere = attempt(net, "pay", "status", unknown, "--bank", "bank1")
    assert nowhere.exit_code == 1
    assert (f"refused: ERR_NOT_FOUND: no payment {unknown} on asia-europe (as bank1), asia-americas (as bank1)"
            in said(nowhere))
    too_much = attempt(net, "pay", "send", channel_id, "--from", "bank1", "--amount", "20000.00", *party)
    assert too_much.exit_code == 1 and "ERR_INSUFFICIENT_FUNDS" in said(too_much)
    assert "--bank bank1 --on asia-americas` tells whether it was made" in said(too_much)  # where to look


def test_channel_open_run_again_accepts_the_proposal_it_left(fabric_network: FabricNetwork) -> None:
    # the first step alone (the acceptance failed): `channel open` again was ERR_DUPLICATE ... exists (PROPOSED)
    net = fabric_network
    desks = Desks(net)
    try:
        desks.payments("bank2")  # the acceptor's peer has the proposal too before the command runs
        desks.payments("bank1").propose_channel(desks.bank("bank1"), desks.bank("bank2"), "PLN", capacity_slots=4)
        desks.sync()
    finally:
        desks.close()
    opened = run(net, "channel", "open", "bank1", "bank2", "--currency", "PLN", "--slots", "4")
    assert "channel ASTBHKHH-EUCBDEFF-PLN was proposed by bank1 already: bank2 accepts it" in opened
    assert "payment channel ASTBHKHH-EUCBDEFF-PLN: OPEN, open cycle 1" in opened
    again = run(net, "channel", "open", "bank1", "bank2", "--currency", "PLN", "--slots", "4")
    assert "is open already, with these terms" in again and "OPEN, open cycle 1" in again
    other = attempt(net, "channel", "open", "bank1", "bank2", "--currency", "PLN", "--slots", "8")
    assert other.exit_code == 1
    assert ("refused: ERR_DUPLICATE (counterparty): channel ASTBHKHH-EUCBDEFF-PLN exists (OPEN) with other terms: "
            "--slots 4 (not 8)") in said(other)


def test_channel_deposit_run_again_confirms_the_deposit_it_recorded(fabric_network: FabricNetwork) -> None:
    # the first step alone (the confirmation failed): run again with its --funding-uetr, the same deposit is
    # confirmed (not a second one recorded), and run once more it counts once
    net = fabric_network
    channel_id = "ASTBHKHH-EUCBDEFF-CZK"
    run(net, "channel", "open", "bank1", "bank2", "--currency", "CZK", "--slots", "2")
    funding = str(uuid.uuid4())
    deposit_id = _deposit_id(channel_id, net.spec.bank("bank1"), funding)
    desks = Desks(net)
    try:
        desks.payments("bank2")
        desks.payments("bank1").record_deposit(channel_id, money("CZK", "1000.00"), funding, deposit_id=deposit_id)
        desks.sync()
        deposited = run_json(net, "channel", "deposit", channel_id, "--bank", "bank1", "--amount", "1000.00",
                             "--funding-uetr", funding)
        assert {side["bic"]: side.get("deposit") for side in deposited["balances"]}["ASTBHKHH"] == "100000"
        with pytest.raises(InvalidStateError, match="already confirmed"):  # that deposit, not another one
            desks.payments("bank2").confirm_deposit(channel_id, deposit_id)
    finally:
        desks.close()
    again = run(net, "channel", "deposit", channel_id, "--bank", "bank1", "--amount", "1000.00",
                "--funding-uetr", funding)
    assert f"bank1's deposit funded by {funding} was confirmed already (it counts once)" in again
    balances = {side["bic"]: side for side in run_json(net, "channel", "show", channel_id)["balances"]}
    assert balances["ASTBHKHH"]["deposit"] == "100000"  # once


def test_channel_net_run_again_freezes_the_cycle_it_cut_off(fabric_network: FabricNetwork) -> None:
    # the first step alone (the freeze failed): `channel net` again was refused "freeze cycle 1 first"
    net = fabric_network
    channel_id = "ASTBHKHH-EUCBDEFF-HUF"
    run(net, "channel", "open", "bank1", "bank2", "--currency", "HUF", "--slots", "2")
    desks = Desks(net)
    try:
        desks.payments("bank2")
        assert desks.payments("bank1").cut_off(channel_id).record.open_cycle == 2
        desks.sync()
    finally:
        desks.close()
    netted = run(net, "channel", "net", channel_id)
    assert "cycle 1 was cut off already: freezing its batch" in netted
    assert re.search(r"batch 1 frozen in block \d+: 0 \+ 0 payments", netted), netted
    shown = run_json(net, "channel", "show", channel_id)["channel"]
    assert (shown["open_cycle"], shown["last_frozen_cycle"]) == ("2", "1")  # cycle 2 was not cut off
    assert "batch 1 frozen already" in run(net, "channel", "net", channel_id, "--cycle", "1")  # shown, not netted
    assert run_json(net, "channel", "show", channel_id)["channel"]["open_cycle"] == "2"
    assert "batch 1 settled by" in run(net, "channel", "settle", channel_id, "--cycle", "1")


def test_a_payment_channel_opened_on_a_second_consortium_channel_is_found_there(
    three_bank_network: FabricNetwork,
) -> None:
    # bank1 and bank2 share tri-consortium and tri-pay: a channel opened with --on tri-pay was looked for
    # on tri-consortium only by every later command (ERR_NOT_FOUND)
    net = three_bank_network
    adopted = attempt(net, "pay", "pilot", "--on", "tri-pay")
    assert adopted.exit_code in (0, 1), adopted.output  # adopted here or by an earlier module
    opened = run_json(net, "channel", "open", "bank1", "bank2", "--currency", "CHF", "--slots", "2", "--on", "tri-pay")
    channel_id = opened["channel"]["channel_id"]
    assert channel_id == "ASTBHKHH-EUCBDEFF-CHF"
    deposited = run_json(net, "channel", "deposit", channel_id, "--bank", "bank1", "--amount", "1000.00")
    assert deposited["channel"]["channel_id"] == channel_id
    shown = run(net, "channel", "show", channel_id, "--bank", "bank2")
    assert "ASTBHKHH" in shown and "1000" in shown
    missing = attempt(net, "channel", "show", "AEXBUS33-ASTBHKHH-CHF")
    assert missing.exit_code == 1
    assert ("refused: ERR_NOT_FOUND: no payment channel AEXBUS33-ASTBHKHH-CHF on tri-consortium (as bank3), "
            "tri-pay (as bank3)") in said(missing)
