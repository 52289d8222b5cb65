"""Payments benchmark: committed payments per second on one payment channel, and the MVCC conflict rate.

    flock /tmp/tradefin-bench.lock python -m bench payments [--seconds S] [--in-flight 1,8,32] [--slots 64]

A default network (raft1, native, 200 ms batch timeout) on its own port block; channel asia-europe
(bank1 + bank2, one peer each). The pilot's compliance configuration is adopted, two customers are
vouched for (KYC VERIFIED, CLEAR on every list), and bank1 opens a EUR payment channel with bank2
(``--slots`` capacity slots, a deposit confirmed by bank2).

Workload: bank1's treasury pays bank2's customer EUR 10.00 through the asyncio typed client, with 1, 8
and 32 payments in flight (each in-flight lane pays, waits for the commit, pays again). Every payment
is a full one: compliance gate (KYC, screening of both parties, embargo), pilot caps, capacity drawn
from the slot the client picked, cycle tally, private record, public stub; endorsed by both banks.
A payment whose commit is invalidated (MVCC_READ_CONFLICT / PHANTOM_READ_CONFLICT) counts as a
conflict and is not resubmitted. ``--hot-key`` adds a run at the top level on a channel with a single
slot: every payment then reads and writes the same keys, as with one balance key per channel.

Per level: committed payments per second, the conflict rate (conflicts / payments submitted), latency
p50 / p95, CPU per payment of the chaincode servers, the peers and the client. Targets: conflict rate
< 1% at 32 in flight; throughput at 32 in flight >= 4 x the sequential figure.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from tradefin.gateway import CommitError
from tradefin.gateway.tradefin import Session, aio, money
from tradefin.gateway.tradefin.compliance import pilot_configuration
from tradefin.network.network import FabricNetwork
from tradefin.protos import common_pb2

from .lc import Gateways
from .measure import Measurement, default_network, print_failures
from .table import print_table

PORT_BASE = 22400
CHANNEL = "asia-europe"
CONFLICTS = frozenset({"MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"})
DEBTOR = common_pb2.PartyRef(name="KOWLOON IMPORTS LTD", country="HK", kyc_ref="KYC-BENCH-HK")
CREDITOR = common_pb2.PartyRef(name="BERLIN MACHINES GMBH", country="DE", kyc_ref="KYC-BENCH-DE")
DEBTOR_ACCOUNT = common_pb2.AccountRef(other="HK-0042-778899")
CREDITOR_ACCOUNT = common_pb2.AccountRef(iban="DE89370400440532013000")


@dataclass
class Run(Measurement):
    """One level of payments in flight on one channel (the workload names the channel's slots)."""

    conflicts: int = 0

    @property
    def submitted(self) -> int:
        return self.committed + self.conflicts + len(self.failures)

    @property
    def conflict_rate(self) -> float:
        return self.conflicts / self.submitted if self.submitted else 0.0

    def row(self) -> list[object]:
        return [self.workload, self.in_flight, self.committed, self.conflicts, len(self.failures),
                f"{self.conflict_rate * 100:.2f} %", *self.figures()]


async def prepare(gateways: Gateways, network: FabricNetwork, slots: int, currency: str) -> str:
    """Compliance configuration (once per network), customers, and an open channel with a deposit."""
    session = Session()
    bank1, bank2 = network.spec.bank("bank1"), network.spec.bank("bank2")
    officer1 = aio.Compliance(await gateways.get("bank1", "compliance"), CHANNEL, session=session)
    officer2 = aio.Compliance(await gateways.get("bank2", "compliance"), CHANNEL, session=session)
    if not (await officer1.get_governance()).HasField("governance"):
        await officer1.propose_governance(pilot_configuration(
            [bank1.msp_id, bank2.msp_id], directory=[bank1.bank_ref(), bank2.bank_ref()]
        ))
        await officer2.approve_governance(1)
    await officer1.vouch(DEBTOR.kyc_ref)
    await officer2.vouch(CREDITOR.kyc_ref)
    treasury1 = aio.Payments(await gateways.get("bank1", "treasury"), CHANNEL, session=session)
    treasury2 = aio.Payments(await gateways.get("bank2", "treasury"), CHANNEL, session=session)
    proposed = await treasury1.propose_channel(
        bank1.bank_ref(),
        bank2.bank_ref(),
        currency,
        capacity_slots=slots,
    )
    channel_id = proposed.record.channel_id
    await treasury2.accept_channel(channel_id)
    deposit = await treasury1.record_deposit(channel_id, money(currency, "100000000.00"), str(uuid.uuid4()))
    await treasury2.confirm_deposit(channel_id, deposit.record)
    await treasury1.wait_for_commit(deposit.transaction_id)
    return channel_id


async def measure(
    network: FabricNetwork, payments: aio.Payments, channel_id: str, label: str, in_flight: int, seconds: float
) -> Run:
    """``in_flight`` lanes paying one after the other until ``seconds`` have passed."""
    run = Run(label, in_flight)
    currency = channel_id.rsplit("-", 1)[1]
    amount = money(currency, "10.00")
    deadline = time.monotonic() + seconds

    async def lane() -> None:
        while time.monotonic() < deadline:
            began = time.monotonic()
            try:
                await payments.pay(
                    channel_id,
                    amount,
                    debtor=DEBTOR,
                    debtor_account=DEBTOR_ACCOUNT,
                    creditor=CREDITOR,
                    creditor_account=CREDITOR_ACCOUNT,
                )
            except CommitError as error:
                if error.code_name in CONFLICTS:
                    run.conflicts += 1
                else:
                    run.failures.append(f"CommitError {error.code_name}")
                continue
            except Exception as error:
                run.failed(error)
                continue
            run.latencies.append(time.monotonic() - began)

    await run.window(network, asyncio.gather(*(lane() for _ in range(in_flight))))
    return run


async def benchmark(
    network: FabricNetwork, levels: list[int], seconds: float, warmup: float, slots: int, hot_key: bool
) -> list[Run]:
    runs: list[Run] = []
    async with AsyncExitStack() as stack:
        gateways = Gateways(network, stack)
        channel_id = await prepare(gateways, network, slots, "EUR")
        payments = aio.Payments(await gateways.get("bank1", "treasury"), CHANNEL)
        await payments.get_channel(channel_id)
        await measure(network, payments, channel_id, "warm-up", max(levels), warmup)
        for in_flight in levels:
            runs.append(await measure(network, payments, channel_id, f"{slots} slots", in_flight, seconds))
            await asyncio.sleep(1)  # the last blocks commit before the next level
        if hot_key:
            hot = await prepare(gateways, network, 1, "CHF")
            hot_payments = aio.Payments(await gateways.get("bank1", "treasury"), CHANNEL)
            await hot_payments.get_channel(hot)
            runs.append(await measure(network, hot_payments, hot, "1 slot (hot key)", max(levels), seconds))
    return runs


def targets(runs: list[Run], levels: list[int]) -> list[list[object]]:
    sharded = [run for run in runs if run.workload != "1 slot (hot key)"]
    by_level = {run.in_flight: run for run in sharded}
    rows: list[list[object]] = []
    top = max(levels)
    if top in by_level:
        rate = by_level[top].conflict_rate
        rows.append([f"MVCC conflict rate at {top} in flight", f"{rate * 100:.2f} %", "< 1 %",
                     "met" if rate < 0.01 else "MISSED"])
    if top in by_level and 1 in by_level and by_level[1].throughput:
        ratio = by_level[top].throughput / by_level[1].throughput
        rows.append([f"throughput at {top} in flight / sequential", f"{ratio:.1f} x", ">= 4 x",
                     "met" if ratio >= 4 else "MISSED"])
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench payments")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per level")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds first")
    parser.add_argument("--in-flight", default="1,8,32", help="comma-separated levels")
    parser.add_argument("--slots", type=int, default=64, help="capacity slots of the measured channel")
    parser.add_argument("--hot-key", action="store_true", help="also run the top level on a one-slot channel")
    parser.add_argument("--workdir", type=Path, default=None, help="reuse this network (default: a new one, purged)")
    parser.add_argument("--port-base", type=int, default=PORT_BASE, help="the network's port block")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.in_flight.split(",")]

    with default_network(args.workdir, args.port_base, "payments") as network:
        runs = asyncio.run(benchmark(network, levels, args.seconds, args.warmup, args.slots, args.hot_key))

    headers = ["channel", "in flight", "committed", "conflicts", "failed", "conflict rate", "payments/s",
               "p50 ms", "p95 ms", "chaincode CPU ms/pay", "peers CPU ms/pay", "client CPU ms/pay"]
    print_table(f"Payments on one channel of {CHANNEL} (2 banks), {args.seconds:.0f} s per level", headers,
                [run.row() for run in runs])
    print_table("Targets", ["target", "measured", "wanted", ""], targets(runs, levels))
    print_failures(runs)
    return 0
