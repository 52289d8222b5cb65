"""Gateway client benchmark: our asyncio client against the official Node client, same network, same load.

    python -m bench gateway [--points 1,16,64,200] [--seconds 30] [--warmup 3] [--evaluate-seconds 3]
                            [--port-base 26400] [--clients ours,node] [--rounds 1]

A network of its own (raft1, banks bank1 + bank2, one channel, the project's chaincode) comes up on its
own port block. For each number of calls in flight, each client runs in a process of its own, one
after the other: warm-up submits, an evaluate phase (kv:Get), then a submit phase (kv:Put with
distinct keys, both banks endorsing, each call waiting for its commit). Each process measures
itself: latencies, committed transactions, and its own CPU time over the submit phase
(``resource.getrusage`` for ours, ``process.cpuUsage()`` for Node: user + system, every thread).

Targets (the gateway issue): submit throughput ours >= 1.3x Node at 64 and 200 in flight, >= 1.0x at
1 and 16; evaluate and submit p50 <= Node's; client CPU per 1,000 transactions <= 0.5x Node's.

The Node client (``@hyperledger/fabric-gateway``, pinned in ``bench/node/package-lock.json``) is
installed into ``bench/node/node_modules`` with ``npm ci`` on first run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .measure import percentile
from .table import print_table

NODE_DIR = Path(__file__).resolve().parent / "node"
CHANNEL = "asia-europe"
CHAINCODE = "tradefin"
ENDORSING_ORGS = ["Bank1MSP", "Bank2MSP"]
VALUE = "0123456789abcdef"  # the same 16-byte value for both clients
EVALUATE_KEY = "bench.evaluate"
DEFAULT_PORT_BASE = 26400


# --- the two clients' workers (each in a process of its own) ---------------------------------------------


@dataclass(frozen=True)
class PhaseResult:
    latencies: list[float]
    errors: dict[str, int]
    elapsed: float


async def _closed_loop(
    concurrency: int, seconds: float, call: Callable[[int, str], Awaitable[object]]
) -> PhaseResult:
    """``concurrency`` callers, each starting its next call when the previous one ends, for ``seconds``."""
    stop_at = time.monotonic() + seconds
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    sequence = 0

    async def caller(worker_id: int) -> None:
        nonlocal sequence
        while time.monotonic() < stop_at:
            sequence += 1
            started = time.monotonic()
            try:
                await call(worker_id, str(sequence))
            except Exception as error:
                errors[type(error).__name__] += 1
            else:
                latencies.append(time.monotonic() - started)

    started = time.monotonic()
    await asyncio.gather(*(caller(index) for index in range(concurrency)))
    return PhaseResult(latencies, dict(errors), time.monotonic() - started)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # the whole process: every thread, grpc's included
    return usage.ru_utime + usage.ru_stime


async def _ours(config: dict[str, Any]) -> dict[str, Any]:
    from tradefin.gateway import Endpoint, aio, load_msp_identity, load_msp_signer

    endpoint = Endpoint.tls(config["address"], config["tls_ca_pem"], server_name_override=config["server_name"])
    identity, signer = load_msp_identity(config["msp"], config["msp_id"]), load_msp_signer(config["msp"])
    async with aio.connect(endpoint, identity, signer) as gateway:
        contract = gateway.get_network(config["channel"]).get_contract(config["chaincode"])
        prefix, value, orgs = config["key_prefix"], config["value"], config["endorsing_orgs"]

        def submit(worker_id: int, sequence: str) -> Awaitable[bytes]:
            return contract.submit("kv:Put", [f"{prefix}-{worker_id}-{sequence}", value], endorsing_orgs=orgs)

        def evaluate(worker_id: int, sequence: str) -> Awaitable[bytes]:
            return contract.evaluate("kv:Get", [config["evaluate_key"]])

        concurrency = config["concurrency"]
        await _closed_loop(concurrency, config["warmup_seconds"], lambda w, s: submit(w, f"warm-{s}"))
        evaluated = await _closed_loop(concurrency, config["evaluate_seconds"], evaluate)
        cpu_before = _cpu_seconds()
        submitted = await _closed_loop(concurrency, config["submit_seconds"], submit)
        cpu = _cpu_seconds() - cpu_before
    return {
        "client": "ours (tradefin.gateway.aio)",
        "evaluate_latencies": evaluated.latencies,
        "evaluate_errors": evaluated.errors,
        "submit_latencies": submitted.latencies,
        "submit_errors": submitted.errors,
        "submit_elapsed": submitted.elapsed,
        "cpu_seconds": cpu,
    }


def _worker(config_path: str) -> int:
    config = json.loads(Path(config_path).read_text())
    config["tls_ca_pem"] = Path(config["tls_ca"]).read_bytes()
    result = asyncio.run(_ours(config))
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


# --- the driver -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One client at one concurrency: what the table shows."""

    client: str
    concurrency: int
    throughput: float
    committed: int
    evaluate_p50_ms: float
    evaluate_p99_ms: float
    submit_p50_ms: float
    submit_p99_ms: float
    cpu_per_1000: float
    errors: dict[str, int]


def _point(name: str, concurrency: int, raw: dict[str, Any]) -> Point:
    committed = len(raw["submit_latencies"])
    errors = Counter(raw["evaluate_errors"]) + Counter(raw["submit_errors"])
    return Point(
        client=name,
        concurrency=concurrency,
        throughput=committed / raw["submit_elapsed"],
        committed=committed,
        evaluate_p50_ms=statistics.median(raw["evaluate_latencies"]) * 1000 if raw["evaluate_latencies"] else 0.0,
        evaluate_p99_ms=percentile(raw["evaluate_latencies"], 0.99) * 1000,
        submit_p50_ms=statistics.median(raw["submit_latencies"]) * 1000 if raw["submit_latencies"] else 0.0,
        submit_p99_ms=percentile(raw["submit_latencies"], 0.99) * 1000,
        cpu_per_1000=raw["cpu_seconds"] / committed * 1000 if committed else float("nan"),
        errors=dict(errors),
    )


def _pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several runs of one client at one point as one: latencies joined, times and counts added."""
    if len(runs) == 1:
        return runs[0]
    return {
        "evaluate_latencies": [latency for run in runs for latency in run["evaluate_latencies"]],
        "evaluate_errors": sum((Counter(run["evaluate_errors"]) for run in runs), Counter()),
        "submit_latencies": [latency for run in runs for latency in run["submit_latencies"]],
        "submit_errors": sum((Counter(run["submit_errors"]) for run in runs), Counter()),
        "submit_elapsed": sum(run["submit_elapsed"] for run in runs),
        "cpu_seconds": sum(run["cpu_seconds"] for run in runs),
    }


def _two_bank_spec(workdir: Path) -> Path:
    """The default spec cut down to bank1 + bank2 and their channel (1 orderer, 2 peers)."""
    from tradefin.network.spec import default_spec_path

    spec = yaml.safe_load(default_spec_path().read_text())
    spec["orderer"]["variant"] = "raft1"
    spec["banks"] = [bank for bank in spec["banks"] if bank["name"] in ("bank1", "bank2")]
    spec["channels"] = [channel for channel in spec["channels"] if channel["name"] == CHANNEL]
    path = workdir / "bench-spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _ensure_node_client() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise SystemExit("the Node client needs node and npm on PATH")
    if (NODE_DIR / "node_modules" / "@hyperledger" / "fabric-gateway").is_dir():
        return
    print("installing @hyperledger/fabric-gateway into bench/node/node_modules (npm ci) ...", file=sys.stderr)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)


def _run_client(name: str, config: dict[str, Any], scratch: Path) -> dict[str, Any]:
    config_path = scratch / f"{name}-{config['concurrency']}.json"
    config_path.write_text(json.dumps(config))
    if name == "node":
        command = ["node", str(NODE_DIR / "driver.js"), str(config_path)]
    else:
        command = [sys.executable, "-m", "bench", "gateway", "--worker", str(config_path)]
    budget = config["warmup_seconds"] + config["evaluate_seconds"] + config["submit_seconds"] + 120
    completed = subprocess.run(command, capture_output=True, text=True, timeout=budget, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{name} client failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _ratio(ours: float, node: float) -> str:
    return f"{ours / node:.2f}x" if node else "-"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench gateway")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--points", default="1,16,64,200", help="calls in flight, comma-separated")
    # Up to ~64 in flight transactions commit a block (~0.25 s) at a time: over 30 s, counting whole
    # blocks is within 1 % of the rate (12 s left the 64-in-flight ratio 2-3 % of noise either way).
    parser.add_argument("--seconds", type=float, default=30.0, help="submit phase per point and client")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up submits per point and client")
    parser.add_argument("--evaluate-seconds", type=float, default=3.0, help="evaluate phase per point and client")
    parser.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE, help="the benchmark network's ports")
    parser.add_argument("--clients", default="ours,node", help="which clients, in running order")
    parser.add_argument(
        "--rounds", type=int, default=1,
        help="runs per point and client, the order of the clients reversed every other round; "
        "the table pools the rounds and the per-round throughput ratios are printed beside it",
    )
    args = parser.parse_args(argv)
    if args.worker:
        return _worker(args.worker)

    from tradefin.network.network import FabricNetwork
    from tradefin.network.progress import SilentProgress

    points = [int(p) for p in args.points.split(",")]
    clients = args.clients.split(",")
    if "node" in clients:
        _ensure_node_client()
    scratch = Path(tempfile.mkdtemp(prefix="tradefin-bench-gateway-"))
    network = FabricNetwork.create(
        scratch / "network", _two_bank_spec(scratch), port_base=args.port_base, progress=SilentProgress()
    )
    results: dict[tuple[str, int], Point] = {}
    round_ratios: dict[int, list[float]] = {}
    try:
        started = time.monotonic()
        network.up()
        print(f"network up in {time.monotonic() - started:.1f} s (raft1, bank1 + bank2, {CHANNEL})", file=sys.stderr)
        bank = network.spec.bank("bank1")
        with network.gateway(bank) as gateway:
            gateway.get_network(CHANNEL).get_contract(CHAINCODE).submit("kv:Put", [EVALUATE_KEY, VALUE])
        user = network.layout.bank_user(bank, "User1")
        signcert = next((user / "msp" / "signcerts").glob("*.pem"))
        private_key = next((user / "msp" / "keystore").iterdir())
        base = {
            "address": f"127.0.0.1:{network.ports.port(bank.peer_names()[0], 'listen')}",
            "tls_ca": str(network.layout.peer_crypto(bank, 0) / "tls" / "ca.crt"),
            "server_name": bank.peer_host(0),
            "msp_id": bank.msp_id,
            "msp": str(user / "msp"),
            "certificate": str(signcert),
            "private_key": str(private_key),
            "channel": CHANNEL,
            "chaincode": CHAINCODE,
            "endorsing_orgs": ENDORSING_ORGS,
            "value": VALUE,
            "evaluate_key": EVALUATE_KEY,
            "warmup_seconds": args.warmup,
            "evaluate_seconds": args.evaluate_seconds,
            "submit_seconds": args.seconds,
        }
        for concurrency in points:
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in clients}
            for round_index in range(args.rounds):
                for name in clients if round_index % 2 == 0 else clients[::-1]:
                    key_prefix = f"bench-{name}-{concurrency}-{round_index}-{os.getpid()}"
                    raw = _run_client(name, {**base, "concurrency": concurrency, "key_prefix": key_prefix}, scratch)
                    runs[name].append(raw)
                    point = _point(name, concurrency, raw)
                    print(
                        f"{name:>4} @ {concurrency:>3}: {point.throughput:7.1f} tx/s, "
                        f"submit p50 {point.submit_p50_ms:6.1f} ms, evaluate p50 {point.evaluate_p50_ms:5.2f} ms, "
                        f"{point.cpu_per_1000:.2f} CPU-s/1000 tx"
                        + (f", errors {point.errors}" if point.errors else ""),
                        file=sys.stderr,
                    )
            for name in clients:
                results[name, concurrency] = _point(name, concurrency, _pooled(runs[name]))
            if args.rounds > 1 and {"ours", "node"} <= set(clients):
                per_round = [
                    _point("ours", concurrency, o).throughput / _point("node", concurrency, n).throughput
                    for o, n in zip(runs["ours"], runs["node"], strict=True)
                ]
                round_ratios[concurrency] = per_round
    finally:
        network.down(purge=True)
        shutil.rmtree(scratch, ignore_errors=True)
    _print_results(points, clients, results)
    for concurrency, ratios in round_ratios.items():
        print(
            f"{concurrency} in flight, throughput ours / Node per round: "
            + ", ".join(f"{ratio:.2f}x" for ratio in ratios)
            + f" (mean {statistics.mean(ratios):.3f}x, min {min(ratios):.2f}x, max {max(ratios):.2f}x)"
        )
    return 0


def _print_results(points: list[int], clients: list[str], results: dict[tuple[str, int], Point]) -> None:
    rows: list[list[object]] = []
    for concurrency in points:
        for name in clients:
            p = results[name, concurrency]
            rows.append([
                concurrency, name, f"{p.throughput:.1f}", p.committed,
                f"{p.evaluate_p50_ms:.2f} / {p.evaluate_p99_ms:.2f}",
                f"{p.submit_p50_ms:.1f} / {p.submit_p99_ms:.1f}",
                f"{p.cpu_per_1000:.2f}", sum(p.errors.values()),
            ])
    print_table(
        "Gateway clients, kv:Put (both banks endorsing, wait for commit) and kv:Get; raft1, 2 banks, 1 channel",
        ["in flight", "client", "tx/s", "committed", "evaluate p50/p99 ms", "submit p50/p99 ms",
         "CPU-s/1000 tx", "errors"],
        rows,
    )
    if not {"ours", "node"} <= set(clients):
        return
    ratio_rows: list[list[object]] = []
    for concurrency in points:
        ours, node = results["ours", concurrency], results["node", concurrency]
        throughput_target = 1.3 if concurrency >= 64 else 1.0
        checks = [
            ours.throughput >= throughput_target * node.throughput,
            ours.evaluate_p50_ms <= node.evaluate_p50_ms,
            ours.submit_p50_ms <= node.submit_p50_ms,
            ours.cpu_per_1000 <= 0.5 * node.cpu_per_1000,
        ]
        ratio_rows.append([
            concurrency,
            f"{_ratio(ours.throughput, node.throughput)} (>= {throughput_target}x)",
            f"{_ratio(ours.evaluate_p50_ms, node.evaluate_p50_ms)} (<= 1x)",
            f"{_ratio(ours.submit_p50_ms, node.submit_p50_ms)} (<= 1x)",
            f"{_ratio(ours.cpu_per_1000, node.cpu_per_1000)} (<= 0.5x)",
            "met" if all(checks) else "MISSED",
        ])
    print_table(
        "Ratios ours / Node (targets in brackets)",
        ["in flight", "throughput", "evaluate p50", "submit p50", "CPU per 1000 tx", "targets"],
        ratio_rows,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
