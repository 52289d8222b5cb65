"""Letters-of-credit benchmark: committed credit operations per second through the typed client.

    flock /tmp/tradefin-bench.lock python -m bench lc [--seconds S] [--rounds R] [--in-flight 1,16,200]
                                                      [--workdir DIR] [--port-base N]

A default network (raft1, native, 200 ms batch timeout) on its own port block; channel asia-europe
(bank1 + bank2, one peer each). Two workloads, each at 1, 16 and 200 operations in flight (asyncio):

* ``lc``: credits run through their lifecycle by the asyncio typed client, each operation by a user of
  its bank (apply, issue, advise, present, examine, honour, reimburse: every one a committed VALID
  transaction endorsed by both banks, with private data). Each in-flight slot runs credits one after the
  other; its clients share a session (read your writes across the two banks).
* ``kv``: the minimal put-state (``kv:Put`` of a fresh key) through the same gateway client, endorsed
  by both banks.

At each level the two workloads alternate in rounds (the cores are shared with other work, whose load
then falls on both alike). Per workload and level: committed operations per second, latency p50 / p95
(call to commit), the chaincode's own CPU time per operation (user + system time of the chaincode
server processes, from /proc), the peers' and the client's. Targets: lc p50 at 16 in flight <= 1.2 x
kv's; lc throughput at 200 >= 0.5 x kv's.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TypeVar

from tradefin.gateway import ConnectionProfile, load_msp_identity, load_msp_signer
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway.tradefin import NotFoundError, Session, aio, date_of, money
from tradefin.network.network import FabricNetwork
from tradefin.protos import calendar_pb2, common_pb2
from tradefin.protos import letters_of_credit_pb2 as lc

from .measure import Measurement, default_network, print_failures
from .table import print_table

T = TypeVar("T")

PORT_BASE = 30600
CHANNEL = "asia-europe"
CHAINCODE = "tradefin"
BANKS = ("Bank1MSP", "Bank2MSP")


def row(result: Measurement) -> list[object]:
    return [result.workload, result.in_flight, result.committed, len(result.failures), *result.figures()]


async def measure(
    network: FabricNetwork,
    workload: str,
    in_flight: int,
    seconds: float,
    slot: Callable[[Measurement, float], Awaitable[None]],
) -> Measurement:
    """Run ``in_flight`` slots until ``seconds`` have passed; CPU counted over the same window."""
    result = Measurement(workload, in_flight)
    deadline = time.monotonic() + seconds
    await result.window(network, asyncio.gather(*(slot(result, deadline) for _ in range(in_flight))))
    return result


async def timed(result: Measurement, operation: Awaitable[T]) -> T:
    """Await one operation, recording its latency when it commits and its error when it does not."""
    started = time.monotonic()
    try:
        answer = await operation
    except Exception as error:
        result.failed(error)
        raise
    result.latencies.append(time.monotonic() - started)
    return answer


# ------------------------------------------------------------------------------------------------
# Workloads


class Gateways:
    """One asyncio gateway connection per (bank, user), shared by every slot."""

    def __init__(self, network: FabricNetwork, stack: AsyncExitStack) -> None:
        self._network = network
        self._stack = stack
        self._open: dict[tuple[str, str], gateway_aio.Gateway] = {}

    async def get(self, bank: str, user: str) -> gateway_aio.Gateway:
        if (bank, user) not in self._open:
            spec = self._network.spec.bank(bank)
            profile = ConnectionProfile.load(self._network.layout.profile(spec, "json"))
            msp = self._network.layout.bank_user(spec, user) / "msp"
            gateway = gateway_aio.connect(
                profile.endpoint(spec.peer_host(0)), load_msp_identity(msp, spec.msp_id), load_msp_signer(msp)
            )
            self._open[(bank, user)] = await self._stack.enter_async_context(gateway)
        return self._open[(bank, user)]


def credit_terms(issuing: common_pb2.BankRef, advising: common_pb2.BankRef) -> lc.LetterOfCreditTerms:
    today = datetime.datetime.now(datetime.UTC).date()
    return lc.LetterOfCreditTerms(
        form=lc.CREDIT_FORM_IRREVOCABLE,
        lc_number="B" + uuid.uuid4().hex[:14].upper(),
        rules=lc.APPLICABLE_RULES_UCP_LATEST_VERSION,
        expiry_date=date_of(today + datetime.timedelta(days=90)),
        expiry_place=common_pb2.Place(name="FRANKFURT", un_locode="DEFRA"),
        applicant=common_pb2.PartyRef(name="KOWLOON PRECISION IMPORTS LTD", country="HK", kyc_ref="K-1"),
        beneficiary=common_pb2.PartyRef(name="RHEINLAND MASCHINENBAU GMBH", country="DE"),
        amount=money("USD", "250000.00"),
        tolerance=lc.AmountTolerance(plus_pct=5, minus_pct=5),
        available_with=lc.AvailableWith(nominated_bank=advising),
        available_by=lc.AVAILABLE_BY_PAYMENT,
        port_of_loading=common_pb2.Place(name="HAMBURG", un_locode="DEHAM"),
        port_of_discharge=common_pb2.Place(name="HONG KONG", un_locode="HKHKG"),
        latest_shipment_date=date_of(today + datetime.timedelta(days=60)),
        goods=lc.Goods(description="12 CNC TURNING CENTRES, CIF HONG KONG", incoterm="CIF"),
        documents_required=[
            lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE, originals=1),
            lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_BILL_OF_LADING, originals=3),
        ],
        confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_WITHOUT,
        issuing_bank=issuing,
        advising_bank=advising,
    )


def documents(invoiced: common_pb2.Money) -> list[lc.Document]:
    shipped = date_of(datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=3))
    number = uuid.uuid4().hex[:8].upper()
    return [
        lc.Document(
            doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE,
            doc_ref=f"INV-{number}",
            issue_date=shipped,
            sha256=hashlib.sha256(number.encode()).hexdigest(),
            originals=1,
            key_data=lc.DocumentKeyData(invoice_number=f"INV-{number}", amount=invoiced),
        ),
        lc.Document(
            doc_type=lc.DOCUMENT_TYPE_BILL_OF_LADING,
            doc_ref=f"BL-{number}",
            issue_date=shipped,
            sha256=hashlib.sha256(f"bl-{number}".encode()).hexdigest(),
            originals=3,
            key_data=lc.DocumentKeyData(
                transport_document_number=f"BL-{number}",
                shipment_date=shipped,
                port_of_loading=common_pb2.Place(un_locode="DEHAM"),
                port_of_discharge=common_pb2.Place(un_locode="HKHKG"),
            ),
        ),
    ]


async def publish_calendars(gateways: Gateways) -> None:
    compliance = aio.LettersOfCredit(await gateways.get("bank1", "compliance"), CHANNEL)
    for place, offset in (("HK", 480), ("DE", 60)):
        try:
            await compliance.get_calendar(place)
        except NotFoundError:
            weekend = [calendar_pb2.WEEKDAY_SATURDAY, calendar_pb2.WEEKDAY_SUNDAY]
            calendar = calendar_pb2.BankingCalendar(
                place=place, version=1, weekend_days=weekend, utc_offset_minutes=offset
            )
            await compliance.publish_calendar(calendar)


Slot = Callable[[Measurement, float], Awaitable[None]]


def credit_slot(network: FabricNetwork, gateways: Gateways) -> Slot:
    """Credits one after the other, from application to reimbursement, each step by its bank's user."""
    first, second = network.spec.bank("bank1"), network.spec.bank("bank2")
    issuing = common_pb2.BankRef(bic=first.bic, msp_id=first.msp_id)
    advising = common_pb2.BankRef(bic=second.bic, msp_id=second.msp_id)

    async def slot(result: Measurement, deadline: float) -> None:
        session = Session()

        async def desk(bank: str, user: str) -> aio.LettersOfCredit:
            return aio.LettersOfCredit(await gateways.get(bank, user), CHANNEL, session=session)

        applicant, issuer, treasury = [await desk("bank1", user) for user in ("client-applicant", "issuer", "treasury")]
        advisor, beneficiary, examiner, approver = [
            await desk("bank2", user) for user in ("advisor", "client-beneficiary", "examiner", "approver")
        ]
        claimed = money("USD", "100000.00")

        def on_time() -> bool:
            return time.monotonic() < deadline

        while on_time():
            try:
                lc_id = (await timed(result, applicant.apply(credit_terms(issuing, advising)))).record.lc_id
                if on_time():
                    await timed(result, issuer.issue(lc_id))
                if on_time():
                    await timed(result, advisor.advise(lc_id))
                if not on_time():
                    break
                presentation = beneficiary.present(
                    lc_id, receiving_bank_bic=advising.bic, claimed=claimed, documents=documents(claimed)
                )
                presentation_id = (await timed(result, presentation)).record.presentation_id
                if on_time():
                    await timed(result, examiner.examine(presentation_id))
                if on_time():
                    await timed(result, approver.honour(presentation_id, claimed))
                if on_time():
                    await timed(result, treasury.reimburse(presentation_id, claimed))
            except Exception:  # recorded by timed(); the next credit starts
                continue

    return slot


def put_state_slot(gateways: Gateways) -> Slot:
    """Minimal put-state transactions (``kv:Put`` of a fresh key), endorsed by both banks."""

    async def slot(result: Measurement, deadline: float) -> None:
        contract = (await gateways.get("bank1", "User1")).get_network(CHANNEL).get_contract(CHAINCODE)
        while time.monotonic() < deadline:
            key = f"bench-{uuid.uuid4().hex}"
            try:
                await timed(result, contract.submit("kv:Put", [key, "v"], endorsing_orgs=BANKS))
            except Exception:  # recorded by timed()
                continue

    return slot


# ------------------------------------------------------------------------------------------------


def merged(rounds: list[Measurement]) -> Measurement:
    """Rounds of one workload and level as one measurement (latencies pooled, times and CPU summed)."""
    total = Measurement(rounds[0].workload, rounds[0].in_flight)
    for part in rounds:
        total.latencies.extend(part.latencies)
        total.failures.extend(part.failures)
        total.seconds += part.seconds
        total.chaincode_cpu += part.chaincode_cpu
        total.peer_cpu += part.peer_cpu
        total.client_cpu += part.client_cpu
    return total


async def run(
    network: FabricNetwork, levels: list[int], seconds: float, warmup: float, rounds: int
) -> list[Measurement]:
    """Each level: the two workloads alternate in ``rounds`` rounds, so that a change in the machine's
    load (other processes on the shared cores) falls on both alike."""
    results: list[Measurement] = []
    async with AsyncExitStack() as stack:
        gateways = Gateways(network, stack)
        await publish_calendars(gateways)
        workloads = {"kv": put_state_slot(gateways), "lc": credit_slot(network, gateways)}
        for name, slot in workloads.items():  # connections, caches and chaincode warm
            await measure(network, name, 16, warmup, slot)
        for in_flight in levels:
            parts: dict[str, list[Measurement]] = {name: [] for name in workloads}
            for _ in range(rounds):
                for name, slot in workloads.items():
                    parts[name].append(await measure(network, name, in_flight, seconds / rounds, slot))
                    await asyncio.sleep(1)  # let the last blocks commit before the next run
            results.extend(merged(measurements) for measurements in parts.values())
    return results


def targets(results: list[Measurement], levels: list[int]) -> list[list[object]]:
    def find(workload: str, in_flight: int) -> Measurement | None:
        return next((r for r in results if (r.workload, r.in_flight) == (workload, in_flight)), None)

    rows: list[list[object]] = []
    lc16, kv16 = find("lc", 16), find("kv", 16)
    if lc16 and kv16 and lc16.committed and kv16.committed:
        ratio = lc16.percentile(0.5) / kv16.percentile(0.5)
        verdict = "met" if ratio <= 1.2 else "MISSED"
        rows.append(["p50 latency at 16 in flight, lc / kv", f"{ratio:.2f}", "<= 1.20", verdict])
    top = max(levels)
    lc_top, kv_top = find("lc", top), find("kv", top)
    if lc_top and kv_top and kv_top.throughput:
        ratio = lc_top.throughput / kv_top.throughput
        verdict = "met" if ratio >= 0.5 else "MISSED"
        rows.append([f"throughput at {top} in flight, lc / kv", f"{ratio:.2f}", ">= 0.50", verdict])
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench lc")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per workload and level")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds per workload first")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per level (seconds split)")
    parser.add_argument("--in-flight", default="1,16,200", help="comma-separated levels")
    parser.add_argument("--workdir", type=Path, default=None, help="reuse this network (default: a new one, purged)")
    parser.add_argument("--port-base", type=int, default=PORT_BASE, help="the network's port block")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.in_flight.split(",")]

    with default_network(args.workdir, args.port_base, "lc") as network:
        results = asyncio.run(run(network, levels, args.seconds, args.warmup, args.rounds))

    headers = ["workload", "in flight", "committed", "failed", "tx/s", "p50 ms", "p95 ms",
               "chaincode CPU ms/op", "peers CPU ms/op", "client CPU ms/op"]
    print_table(
        f"Letters of credit vs minimal put-state, channel {CHANNEL} (2 banks), {args.seconds:.0f} s per workload "
        f"and level in {args.rounds} alternating rounds",
        headers,
        [row(result) for result in results],
    )
    print_table("Targets", ["target", "measured", "wanted", ""], targets(results, levels))
    print_failures(results)
    return 0
