"""The ``tradefin channel`` / ``pay`` / ``quote`` commands against the session network: open a channel,
deposit, pay (human output and --json), quote, report, net, settle, show balances; refusals print
their catalogue code and exit 1."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from click.testing import CliRunner

from tradefin.cli import main
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
