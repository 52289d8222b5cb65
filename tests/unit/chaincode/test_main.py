"""``python -m tradefin.chaincode serve``: arguments, readiness line, clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.unit.chaincode.peer_fakes import Msg
from tests.unit.chaincode.test_server import TlsMaterial, play_peer
from tradefin.chaincode.__main__ import UsageError, load_contracts, main, parse_address
from tradefin.chaincode.contracts.kv import KvContract


def test_chaincode_imports_neither_gateway_nor_network() -> None:
    probe = (
        "import sys, tradefin.chaincode.__main__, tradefin.chaincode.contracts.kv\n"
        "loaded = [m for m in sys.modules if m.startswith(('tradefin.gateway', 'tradefin.network'))]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=60)


def test_parse_address_keeps_to_loopback_unless_allowed() -> None:
    assert parse_address("127.0.0.1:9999", allow_any_host=False) == ("127.0.0.1", 9999)
    assert parse_address("localhost:1", allow_any_host=False) == ("localhost", 1)
    with pytest.raises(UsageError, match="--allow-any-host"):
        parse_address("0.0.0.0:9999", allow_any_host=False)
    assert parse_address("0.0.0.0:9999", allow_any_host=True) == ("0.0.0.0", 9999)
    for bad in ("9999", "127.0.0.1:", ":80", "127.0.0.1:http", "127.0.0.1:70000"):
        with pytest.raises(UsageError):
            parse_address(bad, allow_any_host=True)


def test_load_contracts() -> None:
    assert [c.name for c in load_contracts("default")][:1] == ["kv"]
    assert [type(c) for c in load_contracts("tradefin.chaincode.contracts.kv:KvContract")] == [KvContract]
    assert [c.name for c in load_contracts("tradefin.chaincode.contracts:default_contracts")][:1] == ["kv"]
    with pytest.raises(UsageError, match="cannot load"):
        load_contracts("tradefin.chaincode.contracts.kv:Nope")
    with pytest.raises(UsageError, match="module:attribute"):
        load_contracts("tradefin.chaincode.contracts.kv")
    with pytest.raises(UsageError, match="is not a Contract"):
        load_contracts("tradefin.chaincode.contracts.kv:PUT_EVENT")
    with pytest.raises(UsageError, match="module:attribute"):
        load_contracts(".kv:KvContract")  # a relative module: importlib's TypeError went past main() (a traceback)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert main(["serve", "--address", "10.1.2.3:7052", "--package-id", "cc:1", "--insecure-plaintext"]) == 2
    assert main(["serve", "--address", "127.0.0.1:0", "--package-id", "cc:1"]) == 2  # no TLS and no opt-out
    missing = str(tmp_path / "missing.pem")
    assert (
        main(["serve", "--address", "127.0.0.1:0", "--package-id", "cc:1", "--tls-cert", missing, "--tls-key", missing])
        == 2
    )
    with pytest.raises(SystemExit) as usage:
        main(["serve", "--address", "127.0.0.1:0", "--package-id", "cc:1", "--log-level", "LOUD"])
    assert usage.value.code == 2


def test_server_process_announces_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    tls = TlsMaterial()
    files = {
        "cert": tls.server.certificate_pem,
        "key": tls.server.key_pem,
        "ca": tls.ca.certificate_pem,
    }
    for file_name, content in files.items():
        (tmp_path / f"{file_name}.pem").write_bytes(content)
    command = [
        sys.executable, "-m", "tradefin.chaincode", "serve",
        "--address", "127.0.0.1:0",
        "--package-id", "tradefin_1.0:feed",
        "--tls-cert", str(tmp_path / "cert.pem"),
        "--tls-key", str(tmp_path / "key.pem"),
        "--client-ca", str(tmp_path / "ca.pem"),
        "--contracts", "default",
        "--log-level", "WARNING",
    ]  # fmt: skip
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        lines: queue.Queue[str] = queue.Queue()
        stderr = process.stderr

        def pump() -> None:
            for text in stderr:
                lines.put(text)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and "chaincode server listening on" not in line:
            try:
                line = lines.get(timeout=1.0)
            except queue.Empty:
                if process.poll() is not None:
                    break
        match = re.search(r"chaincode server listening on 127\.0\.0\.1:(\d+)$", line.strip())
        assert match, line
        registered, _, completed = asyncio.run(play_peer(int(match.group(1)), tls.channel_credentials(tls.client)))
        assert registered == "tradefin_1.0:feed"
        assert completed.type == Msg.COMPLETED
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        time.sleep(0.2)  # let the reader thread drain what the process wrote while stopping
        rest = "".join(lines.get_nowait() for _ in range(lines.qsize()))
        assert "Traceback" not in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
