"""The ``tradefin`` command's own behaviour, without a network: exit codes and signals."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tests.unit.network.test_spec import sized_doc
from tradefin.cli import main


def test_network_info_without_a_network_fails_and_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--workdir", str(tmp_path), "network", "info"])
    assert result.exit_code == 1
    assert "no network in" in result.output
    assert not (tmp_path / "state.json").exists()  # nothing was made up or created


def test_sigterm_ends_a_command_like_ctrl_c_so_that_its_clean_up_runs() -> None:
    script = (
        "import os, signal, time\n"
        "from tradefin.cli import _stop_on_termination\n"
        "_stop_on_termination()\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    print('cleaned up')\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=30)
    assert completed.stdout.strip() == "cleaned up"
    assert completed.returncode == 0


def test_a_payment_command_that_commits_invalid_fails_in_one_line() -> None:
    import click

    from tradefin.cli.payments import payment_errors
    from tradefin.gateway import CommitError
    from tradefin.gateway.status import Status

    @click.command()
    @payment_errors
    def conflicting() -> None:
        raise CommitError(Status("a" * 64, 11, 42))  # MVCC_READ_CONFLICT

    result = CliRunner().invoke(conflicting, [])
    assert result.exit_code == 1
    assert "the gateway failed" in result.output and "MVCC_READ_CONFLICT" in result.output
    assert result.output.count("\n") == 1  # one line
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback


UETR = "0b5c4b5e-8d5e-4f2b-9d7c-1a2b3c4d5e6f"
CHANNEL = "AEXBUS33-ASTBHKHH-USD"
SEND = ["pay", "send", CHANNEL, "--from", "bank1", "--amount", "1", "--debtor", "d", "--debtor-country", "HK",
        "--debtor-kyc", "k", "--debtor-account", "a", "--creditor", "c", "--creditor-country", "US",
        "--creditor-kyc", "k", "--creditor-account", "b"]


def _run(tmp_path: Path, args: list[str]) -> Any:
    result = CliRunner().invoke(main, ["--workdir", str(tmp_path / "wd"), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output  # no traceback
    assert "Traceback" not in result.output
    assert not (tmp_path / "wd").exists()  # nothing created in a directory without a network
    return result


@pytest.mark.parametrize("args, names", [
    (["channel", "deposit", "XX", "--bank", "bank1", "--amount", "1"], "CHANNEL_ID"),
    (["channel", "deposit", CHANNEL, "--bank", "bank1", "--amount", "1.001"], "--amount"),
    (["channel", "deposit", CHANNEL, "--bank", "bank1", "--amount", "1", "--funding-uetr", "x"], "--funding-uetr"),
    (["channel", "open", "bank1", "bank2", "--currency", "usd"], "--currency"),
    (["channel", "open", "bank1", "bank2", "--currency", "USD", "--credit-limit", "-5"], "--credit-limit"),
    (["channel", "open", "bank1", "bank2", "--currency", "USD", "--slots", "-1"], "--slots"),
    (["channel", "settle", CHANNEL, "--cycle", "0"], "--cycle"),
    (["channel", "settle", CHANNEL, "--cycle", "1", "--reference", UETR.upper()], "--reference"),
    (["channel", "show", "astbhkhh-aexbus33-usd"], "CHANNEL_ID"),
    (["pay", "status", "abc", "--bank", "bank1"], "UETR"),
    (["pay", "return", "abc", "--bank", "bank1", "--amount", "1", "--reason", "AC04"], "UETR"),
    ([*SEND[:6], "abc", *SEND[7:]], "--amount"),
    ([*SEND, "--currency", "EURO"], "--currency"),
    ([*SEND[:10], "XX", *SEND[11:]], "--debtor-country"),
    ([*SEND, "--fee", "bank2"], "--fee"),
    ([*SEND, "--fee", "bank2:-1"], "--fee"),
    ([*SEND, "--uetr", "nope"], "--uetr"),
    ([*SEND, "--quote", "nope"], "--quote"),
    (["quote", "create", CHANNEL, "--bank", "bank1", "--for", "bank3", "--sell", "EUR", "--rate", "1.1", "--max",
      "1.001"], "--max"),
    (["quote", "create", CHANNEL, "--bank", "bank1", "--for", "bank3", "--sell", "EUR", "--rate", "1.1", "--max",
      "1", "--valid-minutes", "-3"], "--valid-minutes"),
    (["quote", "show", "xyz", "--bank", "bank1"], "QUOTE_ID"),
    (["network", "logs", "orderer0", "-n", "-5"], "--lines"),
    (["pay", "recall", "abc", "--bank", "bank1", "--reason", "DUPL"], "UETR"),
    (["pay", "recall", UETR, "--bank", "bank1", "--reason", "dupl"], "--reason"),
    (["pay", "reject-recall", UETR, "--bank", "bank2", "--reason", "CUSTOMER"], "--reason"),
    (["pay", "return", UETR, "--bank", "bank2", "--amount", "1", "--reason", "FOC"], "--reason"),
    (["lc", "show", "ASTBHKHH-LC1"], "LC_ID|PRESENTATION_ID"),
    (["lc", "show", "astbhkhh:LC1"], "LC_ID|PRESENTATION_ID"),
    (["lc", "history", "ASTBHKHH:"], "LC_ID|PRESENTATION_ID"),
    (["lc", "history", UETR.upper()], "LC_ID|PRESENTATION_ID"),
    (["lc", "show", "not-a-presentation"], "LC_ID|PRESENTATION_ID"),
])
def test_a_bad_argument_is_refused_before_any_network_access_naming_it(tmp_path: Path, args: list[str],
                                                                        names: str) -> None:
    result = _run(tmp_path, args)
    assert result.exit_code == 2
    assert names in result.output


QUOTE = ["quote", "create", CHANNEL, "--bank", "bank1", "--for", "bank3", "--sell", "EUR", "--rate", "1.1",
         "--max", "1"]


@pytest.mark.parametrize("args, name", [
    ([*SEND, "--currency", "EURO", "--quote", UETR], "--currency"),  # was named --amount
    ([*QUOTE[:8], "EURO", *QUOTE[9:]], "--sell"),  # was named --max
    (["channel", "open", "bank1", "bank2", "--currency", "USD", "--slots", "257"], "--slots"),
    (["channel", "open", "bank1", "bank2", "--currency", "USD", "--cycle-seconds", str(7 * 86400 + 1)],
     "--cycle-seconds"),
    ([*QUOTE, "--margin-bps", "10001"], "--margin-bps"),
    ([*QUOTE, "--valid-minutes", "1441"], "--valid-minutes"),
])
def test_the_argument_at_fault_is_the_one_named(tmp_path: Path, args: list[str], name: str) -> None:
    # A bad currency was reported against the amount in it; a value over the chaincode's limit went on
    # to the network instead of being refused offline.
    result = _run(tmp_path, args)
    assert result.exit_code == 2
    assert f"Invalid value for {name}:" in result.output.replace("'", ""), result.output


DEPLOY = ["chaincode", "deploy", "--channel", "asia-europe"]


@pytest.mark.parametrize("args, name", [
    ([*DEPLOY, "--name", "trade__fin"], "--name"),
    ([*DEPLOY, "--name", ""], "--name"),
    ([*DEPLOY, "--name", "lscc"], "--name"),
    ([*DEPLOY, "--name", "x" * 109], "--name"),  # its package label is longer than a peer installs
    ([*DEPLOY, "--name", "cc", "--version", "1 0"], "--version"),
    ([*DEPLOY, "--name", "cc", "--version", ""], "--version"),
    ([*DEPLOY, "--name", "cc", "--version", "v" * 65], "--version"),
    ([*DEPLOY, "--name", "cc", "--contracts", "nonsense"], "--contracts"),
    ([*DEPLOY, "--name", "cc", "--contracts", "my-mod:Thing"], "--contracts"),
])
def test_chaincode_deploy_checks_its_chaincode_as_the_network_spec_does(tmp_path: Path, args: list[str],
                                                                         name: str) -> None:
    # They went on to the network: a bad package label raised PackageError (a traceback) once it was running.
    result = _run(tmp_path, args)
    assert result.exit_code == 2
    assert f"Invalid value for {name}:" in result.output.replace("'", ""), result.output


@pytest.mark.parametrize("args", [
    [*DEPLOY, "--name", "x" * 108, "--version", "v" * 64, "--contracts", "my.mod:Thing"],
    [*DEPLOY, "--name", "Trade-Fin_v2", "--version", "1.0.0-rc.1+build.5"],
])
def test_chaincode_deploy_takes_what_the_network_spec_takes(tmp_path: Path, args: list[str]) -> None:
    assert "no network in" in _run(tmp_path, args).output


@pytest.mark.parametrize("args", [
    ["channel", "open", "bank1", "bank2", "--currency", "USD", "--slots", "256", "--cycle-seconds", str(7 * 86400)],
    [*QUOTE, "--margin-bps", "10000", "--valid-minutes", "1440"],
    [*SEND, "--currency", "EUR", "--quote", UETR],
])
def test_the_chaincode_limits_themselves_are_accepted(tmp_path: Path, args: list[str]) -> None:
    assert "no network in" in _run(tmp_path, args).output


@pytest.mark.parametrize("zero", ["0", "0.00", "0,00", "00.0"])
def test_a_zero_credit_limit_in_any_spelling_means_no_credit(tmp_path: Path, zero: str) -> None:
    # Only the exact string "0" meant "no credit"; "0.00", as the README writes limits, was refused.
    args = ["channel", "open", "bank1", "bank2", "--currency", "USD", "--credit-limit", zero,
            "--other-credit-limit", zero]
    assert "no network in" in _run(tmp_path, args).output


@pytest.mark.parametrize("args", [
    ["channel", "open", "bank1", "bank2", "--currency", "USD"],
    ["channel", "show", CHANNEL],
    ["pay", "status", UETR, "--bank", "bank1"],
    SEND,
    ["pay", "pilot", "--on", "asia-europe"],
    ["pay", "vouch", "bank1", "KYC-1"],
    ["quote", "show", UETR, "--bank", "bank1"],
    ["lc", "show", "ASTBHKHH:LC1"],
    ["lc", "history", UETR],
    ["pay", "recall", UETR, "--bank", "bank1", "--reason", "DUPL"],
    ["pay", "reject-recall", UETR, "--bank", "bank2", "--reason", "CUST"],
    ["identity", "issue", "--bank", "bank1", "--user", "u", "--role", "treasury"],
    ["chaincode", "deploy", "--channel", "asia-europe", "--name", "n"],
])
def test_a_command_that_needs_the_network_says_there_is_none(tmp_path: Path, args: list[str]) -> None:
    # They read crypto material that was not there (FileNotFoundError traceback), or created the directory.
    result = _run(tmp_path, args)
    assert result.exit_code == 1
    assert "no network in" in result.output and "tradefin network up" in result.output


def test_a_long_error_stays_on_one_line(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120)
    result = CliRunner().invoke(main, ["--workdir", str(deep), "network", "info"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and str(deep) in result.output  # rich wrapped it at 80 columns


def _sized_spec(tmp_path: Path, peers: list[int], orderer_nodes: int) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(sized_doc(peers, orderer_nodes)))
    return path


@pytest.mark.parametrize("peers, nodes, orderers, message", [
    ([1] * 12 + [4], 9, [], "invalid network spec: banks: the network needs 204 ports and its port block has 200"),
    # the spec fits; the option's variant does not (it was named as the spec's field orderer.variant)
    ([1] * 14 + [4], 1, ["--orderers", "bft4"],
     "Error: Invalid value for --orderers: the network needs 208 ports and its port block has 200"),
])
def test_network_up_refuses_a_spec_needing_more_ports_than_its_block_as_a_spec_error(
        tmp_path: Path, peers: list[int], nodes: int, orderers: list[str], message: str) -> None:
    # It was a PortError once the network was being built: exit 1, and not named as a spec error.
    result = _run(tmp_path, ["network", "up", "--spec", str(_sized_spec(tmp_path, peers, nodes)), *orderers])
    assert result.exit_code == 2
    error = result.output.splitlines()[-1]  # a usage error comes after click's usage lines
    assert message in error.replace("'--orderers'", "--orderers"), result.output
    assert "fewer banks, fewer peers per bank or fewer orderer nodes" in error
    if orderers:
        assert result.output.startswith("Usage:")
    else:
        assert result.output.count("\n") == 1


def test_network_up_names_the_specs_own_variant_as_the_spec_even_with_orderers_given(tmp_path: Path) -> None:
    doc = sized_doc([1, 1])
    doc["orderer"] = {"variant": "raft9"}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = _run(tmp_path, ["network", "up", "--spec", str(path), "--orderers", "bft4"])
    assert result.exit_code == 2 and "invalid network spec: orderer.variant: unknown variant 'raft9'" in result.output


def _unusable_workdir(tmp_path: Path, kind: str) -> str:
    if kind == "too long":
        return str(tmp_path / ("d" * 300))
    (tmp_path / "a-file").write_text("")
    if kind == "a file":
        return str(tmp_path / "a-file")
    if kind == "under a file":
        return str(tmp_path / "a-file" / "wd")
    (tmp_path / "loop-a").symlink_to(tmp_path / "loop-b")
    (tmp_path / "loop-b").symlink_to(tmp_path / "loop-a")
    return str(tmp_path / "loop-a")


@pytest.mark.parametrize("kind", ["too long", "a file", "under a file", "a symlink loop"])
@pytest.mark.parametrize("args", [["network", "status"], ["network", "info"], ["network", "down"], ["network", "up"],
                                  ["network", "logs", "orderer0"], ["demo"], ["pay", "status", UETR, "--bank", "bank1"],
                                  ["identity", "issue", "--bank", "bank1", "--user", "u", "--role", "treasury"]])
def test_a_workdir_that_cannot_be_one_is_a_usage_error_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   kind: str, args: list[str]) -> None:
    # A name too long or a symlink loop was an OSError / RuntimeError traceback from the first file looked for
    # in it; a file was "no network in" it, and `network up` then failed making it (FileExistsError traceback).
    from tradefin.network.network import FabricNetwork

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("would start a network")

    monkeypatch.setattr(FabricNetwork, "up", never)
    workdir = _unusable_workdir(tmp_path, kind)
    result = CliRunner().invoke(main, ["--workdir", workdir, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2
    error = result.output.splitlines()[-1]
    assert error.startswith("Error: Invalid value for --workdir:") or error.startswith(
        "Error: Invalid value for '--workdir':"), result.output
    assert len(error) < 200


def test_a_working_directory_that_cannot_be_made_fails_in_one_line(tmp_path: Path) -> None:
    # `network up` made it with mkdir and a FileExistsError or NotADirectoryError was a traceback
    from tradefin.network.errors import NetworkError
    from tradefin.network.network import FabricNetwork

    (tmp_path / "a-file").write_text("")
    net = FabricNetwork.create(tmp_path / "a-file" / "wd")
    with pytest.raises(NetworkError, match=r"cannot make the working directory .*/a-file/wd: Not a directory"):
        net.up()


@pytest.mark.parametrize("base, message", [
    ("-5", "port base -5 is below 1024"),
    ("0", "port base 0 is below 1024"),
    ("1023", "port base 1023 is below 1024"),
    ("32569", "the port block 32569-32768 reaches into the ephemeral range"),
    ("9" * 30, f"the port block {'9' * 30}-1{'0' * 27}198 reaches into the ephemeral range"),
])
def test_network_up_refuses_a_port_base_out_of_range_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                base: str, message: str) -> None:
    # It was refused once the network was being built, exit 1 and not named as --port-base.
    from tradefin.network.network import FabricNetwork

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("would start a network")

    monkeypatch.setattr(FabricNetwork, "up", never)
    result = _run(tmp_path, ["network", "up", "--port-base", base])
    assert result.exit_code == 2
    assert f"Invalid value for --port-base: {message}" in result.output.replace("'", ""), result.output


def test_network_logs_without_a_network_says_there_is_none(tmp_path: Path) -> None:
    # it said "unknown node 'orderer0' (nodes: none running)"
    result = _run(tmp_path, ["network", "logs", "orderer0"])
    assert result.exit_code == 1
    assert "no network in" in result.output and "tradefin network up" in result.output


@pytest.mark.parametrize("node", ["x" * 300, "é" * 126, "../state", "logs/../../state", "", ".hidden"])
def test_network_logs_of_a_name_that_is_no_node_is_an_unknown_node(tmp_path: Path, node: str) -> None:
    # 'x' * 300 was an OSError (file name too long) traceback; '../state' read <workdir>/state.log
    from tradefin.network.errors import NetworkError
    from tradefin.network.network import FabricNetwork

    net = FabricNetwork.create(tmp_path)
    net.layout.logs.mkdir()
    (tmp_path / "state.log").write_text("not a node's log\n")
    (net.layout.logs / ".hidden.log").write_text("not a node's log\n")
    with pytest.raises(NetworkError, match="unknown node"):
        net.logs(node)
    net.layout.log("orderer0").write_text("a line\n")
    assert net.logs("orderer0") == "a line\n"  # a stopped node's log is read from its file


def test_network_logs_of_a_name_that_is_not_utf_8_is_an_unknown_node(tmp_path: Path) -> None:
    # argv bytes that are not UTF-8 arrive as lone surrogates: str.encode() refused them (a traceback)
    from tradefin.network.errors import NetworkError
    from tradefin.network.network import FabricNetwork

    net = FabricNetwork.create(tmp_path)
    with pytest.raises(NetworkError, match="unknown node"):
        net.logs("a\udcffb")
    net.layout.logs.mkdir()
    net.layout.log("a\udcffb").write_text("its line\n")  # a file of that name is the log of that name
    assert net.logs("a\udcffb") == "its line\n"


def test_pay_approve_as_a_user_never_issued_is_refused_naming_user(tmp_path: Path) -> None:
    # load_msp_identity's ValueError ('signcerts: expected exactly one certificate') was a traceback
    from tests.unit.network.test_identities import network_workdir

    layout = network_workdir(tmp_path / "wd")
    result = CliRunner().invoke(main, ["--workdir", str(layout.root), "pay", "approve", UETR, "--bank", "bank1",
                                       "--user", "nobody"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2
    assert "Invalid value for --user: bank1 has no user 'nobody'" in result.output.replace("'--user'", "--user")
    assert "tradefin identity issue --bank bank1 --user nobody" in result.output


@pytest.mark.parametrize("user", ["", "../../x", "a b"])
def test_pay_approve_as_a_user_that_is_no_plain_name_is_refused_offline(tmp_path: Path, user: str) -> None:
    result = _run(tmp_path, ["pay", "approve", UETR, "--bank", "bank1", "--user", user])
    assert result.exit_code == 2
    assert "must be a plain name" in result.output


@pytest.mark.parametrize("user, message", [("nobody", "bank1 has no user 'nobody'"), ("../../x", "a plain name"),
                                           ("x" * 50, "more than 44")])
def test_a_gateway_as_a_user_that_was_never_issued_is_an_identity_error(tmp_path: Path, user: str,
                                                                           message: str) -> None:
    from tests.unit.network.test_identities import network_workdir
    from tradefin.network.identities import IdentityError
    from tradefin.network.network import FabricNetwork

    net = FabricNetwork.create(network_workdir(tmp_path / "wd").root)
    with pytest.raises(IdentityError, match=re.escape(message)):
        net.gateway(net.spec.bank("bank1"), user)


def test_a_gateway_to_a_network_that_was_stopped_says_so(tmp_path: Path) -> None:
    """Not the peer's UNAVAILABLE a payment command printed: `network down` stopped it."""
    from tests.unit.network.test_identities import network_workdir

    root = network_workdir(tmp_path / "wd").root
    state = json.loads((root / "state.json").read_text())
    (root / "state.json").write_text(json.dumps({**state, "status": "stopped"}))
    result = CliRunner().invoke(main, ["--workdir", str(root), "pay", "status", UETR, "--bank", "bank1"])
    assert result.exit_code == 1, result.output
    assert "is stopped: run `tradefin network up`" in result.output


@pytest.mark.parametrize("release", ["", "9.9.9", "3.1", "x" * 5000, "v3.1.1"])
def test_fabric_install_refuses_an_unknown_release_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             release: str) -> None:
    # It went to ensure_fabric: exit 1 for a FabricInstallError ('unknown Fabric release'), the option unnamed;
    # an empty one meant "the default release" and started a build.
    from tradefin.network import fabric

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("would fetch or build Fabric")

    monkeypatch.setattr(fabric, "ensure_fabric", never)
    result = _run(tmp_path, ["fabric", "install", "--release", release])
    assert result.exit_code == 2
    error = result.output.splitlines()[-1]
    assert "Invalid value for --release: unknown Fabric release" in error.replace("'--release'", "--release")
    assert "known releases: " in error and len(error) < 300


def _network_of(tmp_path: Path, doc: dict[str, Any], chaincodes: dict[str, Any] | None = None) -> Path:
    """A working directory with a (stopped) network of spec ``doc``: its state.json, nothing else."""
    import json

    root = tmp_path / "wd"
    root.mkdir()
    (root / "state.json").write_text(json.dumps({"spec_source": yaml.safe_dump(doc), "orderers": "raft1",
                                                 "runtime": "native", "port_base": 29000,
                                                 "chaincodes": chaincodes or {}}))
    return root


def _deploy(root: Path, *args: str) -> Any:
    from tradefin.network.errors import NetworkError
    from tradefin.network.network import FabricNetwork

    def stand_in(*args: object, **kwargs: object) -> None:
        raise NetworkError("would deploy")  # the network is not running: it would refuse anyway

    original, FabricNetwork.deploy_chaincode = FabricNetwork.deploy_chaincode, stand_in  # type: ignore[method-assign,assignment]
    try:
        result = CliRunner().invoke(main, ["--workdir", str(root), "chaincode", "deploy", *args])
    finally:
        FabricNetwork.deploy_chaincode = original  # type: ignore[method-assign]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output  # no traceback
    return result


def test_chaincode_deploy_names_an_unknown_channel(tmp_path: Path) -> None:
    # exit 1 on a running network, and "the network is not running" before it on a stopped one
    from tests.unit.network.test_spec import default_doc

    result = _deploy(_network_of(tmp_path, default_doc()), "--channel", "nope", "--name", "cc")
    assert result.exit_code == 2
    assert "Invalid value for --channel: unknown channel 'nope' (channels: asia-europe, asia-americas)" in (
        result.output.replace("'--channel'", "--channel"))


def test_chaincode_deploy_refuses_a_name_whose_servers_would_be_another_chaincodes(tmp_path: Path) -> None:
    # bank1's server of 'tradefin-a' on channel 'b' and of the spec's 'tradefin' on channel 'a-b' are both
    # 'bank1-cc-tradefin-a-b': the deployment would have stopped the other chaincode's server to start its own
    from tests.unit.network.test_spec import default_doc

    doc = default_doc()
    doc["channels"] = [{"name": "a-b", "banks": ["bank1", "bank2"]}, {"name": "b", "banks": ["bank1", "bank3"]},
                       {"name": "x-b", "banks": ["bank1", "bank2"]}]
    deployed = {"channel": "b", "name": "kv-x", "version": "1.0", "sequence": 1, "package_id": "kv-x_1.0:00",
                "slot": 1, "contracts": "default"}
    root = _network_of(tmp_path, doc, {"b/kv-x": deployed})
    result = _deploy(root, "--channel", "b", "--name", "tradefin-a")
    assert result.exit_code == 2
    assert "Invalid value for --name: the server of chaincode 'tradefin-a' of bank 'bank1' on channel 'b' would be " \
           "named 'bank1-cc-tradefin-a-b', as is the server of chaincode 'tradefin' of bank 'bank1' on channel 'a-b'" \
           in result.output.replace("'--name'", "--name")
    result = _deploy(root, "--channel", "b", "--name", "kv-x")  # the deployed chaincode itself, again
    assert result.exit_code == 1 and "would deploy" in result.output
    result = _deploy(root, "--channel", "x-b", "--name", "kv")  # bank1-cc-kv-x-b, the deployed chaincode's server
    assert result.exit_code == 2
    assert "as is the server of chaincode 'kv-x' of bank 'bank1' on channel 'b'" in result.output
    result = _deploy(root, "--channel", "b", "--name", "kv")
    assert result.exit_code == 1 and "would deploy" in result.output


def test_chaincode_deploy_refuses_a_name_too_long_for_its_servers_log_files(tmp_path: Path) -> None:
    # the server's log <bank>-cc-<name>-<channel>.log was more than 255 characters: ENAMETOOLONG starting it
    from tests.unit.network.test_spec import default_doc
    from tradefin.network.network import FabricNetwork
    from tradefin.network.spec import SpecError

    doc = default_doc()
    doc["channels"][0]["name"] = "c" * 200
    root = _network_of(tmp_path, doc)
    result = _deploy(root, "--channel", "c" * 200, "--name", "x" * 60)
    assert result.exit_code == 2
    assert "Invalid value for --name: too long for bank 'bank1' and chaincode" in result.output.replace("'--name'",
                                                                                                     "--name")
    assert "a file name of 274 characters, more than 255" in result.output
    net = FabricNetwork.create(root)
    net.check_chaincode_servers("c" * 200, "x" * 41, "name")  # 255 with bank1's server's '.log'
    with pytest.raises(SpecError):
        net.check_chaincode_servers("c" * 200, "x" * 42, "name")
    net.check_chaincode_servers("asia-americas", "tradefin", "name")  # redeploying the spec's own chaincode


@pytest.mark.parametrize("args, option, message", [
    (["channel", "open", "bank1", "", "--currency", "USD"], "OTHER", "unknown bank '' (banks: bank1, bank2, bank3)"),
    (["channel", "open", "bank2", "bank3", "--currency", "USD"], "OTHER",
     "no consortium channel has all of bank2, bank3"),
    (["channel", "open", "bank1", "bank2", "--currency", "USD", "--on", "asia-americas"], "--on",
     "channel 'asia-americas' does not have all of bank1, bank2 (channels that do: asia-europe)"),
    (["channel", "deposit", CHANNEL, "--bank", "bank2", "--amount", "1"], "--bank",
     f"bank2 is not a bank of payment channel {CHANNEL} (its banks: bank3, bank1)"),
    (["channel", "deposit", "AAAAUS33-BBBBHKHH-USD", "--bank", "bank1", "--amount", "1"], "CHANNEL_ID",
     "no bank of the network has BIC AAAAUS33"),
    (["channel", "net", CHANNEL, "--bank", "bank2"], "--bank", "bank2 is not a bank of payment channel"),
    (["channel", "close", CHANNEL, "--bank", "nope"], "--bank", "unknown bank 'nope'"),
    (["channel", "show", CHANNEL, "--bank", "nope"], "--bank", "unknown bank 'nope'"),
    ([*SEND[:4], "bank2", *SEND[5:]], "--from", "bank2 is not a bank of payment channel"),
    ([*SEND[:4], "nope", *SEND[5:]], "--from", "unknown bank 'nope'"),
    (["pay", "status", UETR, "--bank", "bank2", "--on", "asia-americas"], "--on",
     "channel 'asia-americas' does not have bank2 (channels that do: asia-europe)"),
    (["pay", "vouch", "nope", "K1"], "BANK", "unknown bank 'nope'"),
    ([*QUOTE[:4], "bank2", *QUOTE[5:]], "--bank", "bank2 is not a bank of payment channel"),
    ([*QUOTE[:6], "bank2", *QUOTE[7:]], "--for", "bank2 is not a bank of payment channel"),
    (["quote", "show", UETR, "--bank", "nope"], "--bank", "unknown bank 'nope'"),
    (["lc", "show", "AAAAUS33:LC1"], "LC_ID|PRESENTATION_ID", "no bank of the network has BIC AAAAUS33"),
    (["lc", "history", "ASTBHKHH:LC1", "--bank", "nope"], "--bank", "unknown bank 'nope'"),
    (["lc", "show", "ASTBHKHH:LC1", "--bank", "bank2", "--on", "asia-americas"], "--on",
     "channel 'asia-americas' does not have bank2 (channels that do: asia-europe)"),
])
def test_a_bank_or_channel_the_network_does_not_have_is_named_as_its_argument(
        tmp_path: Path, args: list[str], option: str, message: str) -> None:
    # They were "Error: Invalid value: unknown bank 'nope'", naming no argument; a bank not of the payment
    # channel (--bank bank2 on a bank1/bank3 channel) went on to the gateway, as the depositor, payer or quoter.
    from tests.unit.network.test_identities import network_workdir

    root = network_workdir(tmp_path / "wd").root
    result = CliRunner().invoke(main, ["--workdir", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2
    assert f"Invalid value for {option}: {message}" in result.output.replace(f"'{option}'", option), result.output


def test_channel_open_between_a_bank_and_itself_is_refused_offline(tmp_path: Path) -> None:
    result = _run(tmp_path, ["channel", "open", "bank1", "bank1", "--currency", "USD"])
    assert result.exit_code == 2
    assert "Invalid value for OTHER: a payment channel is between two banks, not 'bank1' and itself" in result.output


@pytest.mark.parametrize("args, option", [
    (["pay", "report", UETR, "--bank", "bank1", "--status", "ACSC", "--fee", "abc"], "--fee"),
    (["pay", "report", UETR, "--bank", "bank1", "--status", "ACSC", "--fee", "0.001"], "--fee"),
    (["pay", "return", UETR, "--bank", "bank1", "--amount", "-1", "--reason", "AC04"], "--amount"),
])
def test_an_amount_in_a_payments_currency_is_named_as_its_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  args: list[str], option: str) -> None:
    # The currency comes from the payment on the ledger; a bad amount was then "refused: ERR_INVALID_INPUT: ..."
    # (exit 1), as if the chaincode had refused it, the option unnamed.
    from types import SimpleNamespace

    from tests.unit.network.test_identities import network_workdir
    from tradefin.cli import payments

    class Desk:
        def get_payment(self, uetr: str) -> Any:
            return SimpleNamespace(payment=SimpleNamespace(channel_id=CHANNEL))

        def __getattr__(self, name: str) -> Any:
            def send(*args: object, **kwargs: object) -> None:
                raise AssertionError(f"{name} would be sent")

            return send

    monkeypatch.setattr(payments._Desks, "payments", lambda self, bank, user="treasury": Desk())
    monkeypatch.setattr(payments._Desks, "close", lambda self: None)
    root = network_workdir(tmp_path / "wd").root
    result = CliRunner().invoke(main, ["--workdir", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2
    assert f"Invalid value for {option}:" in result.output.replace(f"'{option}'", option), result.output


@pytest.mark.parametrize("cycle", [str(2**64), "9" * 23])
def test_channel_settle_refuses_a_cycle_past_the_schemas_uint64(tmp_path: Path, cycle: str) -> None:
    # protobuf's ValueError ('Value out of range') building GetBatchRequest was a traceback, network or not
    from tests.unit.network.test_identities import network_workdir

    root = network_workdir(tmp_path / "wd").root
    result = CliRunner().invoke(main, ["--workdir", str(root), "channel", "settle", CHANNEL, "--cycle", cycle])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 2
    assert "Invalid value for '--cycle'" in result.output and f"{2**64 - 1}" in result.output


def test_network_logs_takes_a_line_count_past_any_log(tmp_path: Path) -> None:
    # -n 10**20 (all of it) was deque's OverflowError ('Python int too large to convert to C ssize_t'), a traceback
    from tests.unit.network.test_identities import network_workdir

    layout = network_workdir(tmp_path / "wd")
    layout.logs.mkdir()
    layout.log("orderer0").write_text("first\nlast\n")
    result = CliRunner().invoke(main, ["--workdir", str(layout.root), "network", "logs", "orderer0", "-n",
                                       str(10**20)])
    assert result.exception is None, result.output
    assert result.exit_code == 0 and result.output == "first\nlast\n"


NOT_UTF8 = "a\udcffb"  # what argv bytes that are not UTF-8 (b"a\xffb") arrive as


@pytest.mark.parametrize("args, name", [
    ([*SEND[:8], NOT_UTF8, *SEND[9:]], "--debtor"),
    ([*SEND[:12], NOT_UTF8, *SEND[13:]], "--debtor-kyc"),
    ([*SEND[:14], NOT_UTF8, *SEND[15:]], "--debtor-account"),
    ([*SEND[:16], NOT_UTF8, *SEND[17:]], "--creditor"),
    ([*SEND, "--remittance", NOT_UTF8], "--remittance"),
    ([*SEND, "--fee", f"bank3:{NOT_UTF8}"], "--fee"),
    (["pay", "vouch", "bank1", NOT_UTF8], "SUBJECT_REF"),
    (["pay", "report", UETR, "--bank", "bank1", "--status", "RJCT", "--reason", NOT_UTF8], "--reason"),
    (["pay", "return", UETR, "--bank", "bank1", "--amount", "1", "--reason", NOT_UTF8], "--reason"),
    ([*QUOTE[:10], NOT_UTF8, *QUOTE[11:]], "--rate"),
])
def test_text_that_is_not_utf_8_is_refused_before_it_goes_into_a_request(tmp_path: Path, args: list[str],
                                                                          name: str) -> None:
    # protobuf cannot encode a lone surrogate: building the request (PartyRef(name=...), ...) raised
    # UnicodeEncodeError, a traceback
    from tradefin.protos import common_pb2

    with pytest.raises(UnicodeEncodeError):
        common_pb2.PartyRef(name=NOT_UTF8)
    result = _run(tmp_path, args)
    assert result.exit_code == 2
    assert f"Invalid value for {name}: " in result.output.replace(f"'{name}'", name), result.output
    assert "is not UTF-8 text" in result.output


def _stale(doc: dict[str, Any], change: str) -> None:
    """``doc`` changed into a spec the checks added since 7db0893 refuse and the earlier ones took."""
    if change == "country":
        doc["banks"][1].update(country="ZZ", bic="EUCBZZFF")
    elif change == "chaincode name":
        doc["chaincode"]["name"] = "trade__fin"
    elif change == "contracts":
        doc["chaincode"]["contracts"] = "nonsense"
    elif change == "domain label":
        doc["orderer"]["domain"] = "o" * 64 + ".test"
    else:
        doc["banks"][0]["domain"] = "b" * 41 + ".test"  # 46 characters


@pytest.mark.parametrize("change", ["country", "chaincode name", "contracts", "domain label", "bank domain"])
def test_a_network_made_from_a_spec_the_newer_checks_refuse_can_still_be_shown_and_brought_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    # `down` and `status` opened the recorded spec with every check: a network made before a check it fails was
    # 'invalid network spec' (exit 2) even to `down --purge`, and its nodes could only be killed by hand
    import json
    import os
    import signal

    from tests.unit.network.test_spec import default_doc
    from tradefin.network import network as network_module
    from tradefin.network.fabric import FabricInstallation
    from tradefin.network.processes import process_alive, start_ticks
    from tradefin.network.spec import SpecError, parse_spec

    doc = default_doc()
    _stale(doc, change)
    with pytest.raises(SpecError):
        parse_spec(doc)
    monkeypatch.setattr(network_module, "ensure_fabric", lambda **_: FabricInstallation(
        tmp_path / "bin", tmp_path / "builders", "3.1.5", "0" * 40, "cache"))
    node = subprocess.Popen(["sleep", "120"], start_new_session=True)  # the orderer it left running
    try:
        root = tmp_path / "wd"
        root.mkdir()
        handle = {"runtime": "native", "unit": "orderer0", "pid": node.pid, "ticks": start_ticks(node.pid),
                  "kind": "orderer", "ports": {}, "args": []}
        (root / "state.json").write_text(json.dumps({
            "spec_source": yaml.safe_dump(doc), "orderers": "raft1", "runtime": "native", "port_base": 29000,
            "status": "running", "units": {"orderer0": handle}, "chaincodes": {}}))

        def run(*args: str) -> Any:
            result = CliRunner().invoke(main, ["--workdir", str(root), *args])
            assert result.exception is None or isinstance(result.exception, SystemExit), result.output
            return result

        status = run("network", "status", "--json")
        assert status.exit_code == 0, status.output
        assert {unit["name"]: unit["running"] for unit in json.loads(status.output)["units"]}["orderer0"] is True
        for refused in (run("network", "up"), run("chaincode", "deploy", "--channel", "asia-europe", "--name", "kv")):
            assert refused.exit_code == 2 and "invalid network spec: " in refused.output
            assert "tradefin network down --purge" in refused.output and refused.output.count("\n") == 1
        assert process_alive(node.pid)  # nothing was started or stopped
        down = run("network", "down")
        assert down.exit_code == 0 and "stopped" in down.output, down.output
        assert not process_alive(node.pid)
        assert run("network", "down", "--purge").exit_code == 0 and not root.exists()
    finally:
        if node.poll() is None:
            os.kill(node.pid, signal.SIGKILL)
        node.wait()


def test_verbose_turns_on_the_library_debug_log_only() -> None:
    # -v promises "the library's debug messages": third-party loggers (urllib3, docker, grpc) stay at WARNING.
    snippet = (
        "import logging\n"
        "from tradefin.cli import main\n"
        "main(['-v', 'fabric', 'releases'], standalone_mode=False)\n"
        "print(logging.getLogger().level, logging.getLogger('tradefin.network').getEffectiveLevel(),"
        " logging.getLogger('urllib3').getEffectiveLevel())\n"
    )
    result = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, check=True, timeout=60)
    root, ours, theirs = result.stdout.split()[-3:]
    assert (int(root), int(ours), int(theirs)) == (logging.WARNING, logging.DEBUG, logging.WARNING)
