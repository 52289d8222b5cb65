"""A Raft leader killed under load: no transaction the client called VALID is missing, none is left in doubt.

A network of its own (three etcdraft orderers). Forty asyncio submits stay in flight for about ten
seconds; a few seconds in, the orderer that leads the channel's Raft cluster is SIGKILLed. With Raft,
the transactions in the dead leader's unfinished block were acknowledged by Submit and are then lost
(NETWORK-RECIPE §10b): the client's resubmit path (commit-status deadline, then the same signed
envelope again) must bring each of them to a definite answer. Afterwards the ledger is read block by
block and compared with every answer the client gave; then the killed orderer is restarted and must
catch up with the others.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tradefin.gateway import (
    CommitStatusError,
    EndorseError,
    Outcome,
    Resolution,
    ResubmitPolicy,
    SubmitError,
    Timeouts,
    ValidationCode,
    aio,
    load_msp_identity,
    load_msp_signer,
)
from tradefin.network.network import FabricNetwork
from tradefin.network.ports import default_base
from tradefin.network.progress import SilentProgress
from tradefin.network.waiting import wait_for

from .conftest import RAFT3_BLOCK_OFFSET

CHANNEL = "asia-europe"
CHAINCODE = "tradefin"
IN_FLIGHT = 40
LOAD_SECONDS = 10.0
KILL_AFTER_SECONDS = 4.0

# NETWORK-RECIPE §10b (raft3, tuned): a submit spanning a leader kill takes <= 5 s; a CommitStatus
# deadline of 5-10 s, then a resubmit, resolves the lost ones.
POLICY = ResubmitPolicy(commit_status_timeout=6.0, probe_timeout=3.0, max_submits=4, max_status_queries=12, pause=0.3)
TIMEOUTS = Timeouts(evaluate=5, endorse=10, submit=5, commit_status=10)


@dataclass(frozen=True)
class Answer:
    """What the client said about one transaction."""

    transaction_id: str
    key: str
    resolution: Resolution
    answered_at: float  # time.monotonic() when the client gave its answer


def _leader(network: FabricNetwork) -> str | None:
    return network.leader(CHANNEL)


def _kill(network: FabricNetwork, orderer: str) -> int:
    pid = int(network.units[orderer]["pid"])
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)  # the launcher started it from this process: reap it
    return pid


def _heights(network: FabricNetwork, orderers: list[str]) -> dict[str, int]:
    heights = {}
    for name in orderers:
        membership = network.participation(name).channel(CHANNEL)
        heights[name] = membership.height if membership is not None else -1
    return heights


async def _drive_load(network: FabricNetwork, kill: asyncio.Future[tuple[str, float]]) -> tuple[list[Answer], int]:
    """Keep IN_FLIGHT submits going for LOAD_SECONDS; kill the leader on the way (``kill`` gets its name and
    the time.monotonic() of the kill). Returns the answers and how many proposals were not endorsed (so never
    submitted)."""
    msp = network.layout.bank_user(network.spec.bank("bank1"), "User1") / "msp"
    answers: list[Answer] = []
    not_endorsed = 0
    async with aio.connect(
        network.endpoint(network.spec.bank("bank1")), load_msp_identity(msp, "Bank1MSP"), load_msp_signer(msp),
        timeouts=TIMEOUTS, resubmit=POLICY,
    ) as gateway:
        contract = gateway.get_network(CHANNEL).get_contract(CHAINCODE)
        stop_at = time.monotonic() + LOAD_SECONDS
        counter = 0

        async def worker(worker_id: int) -> None:
            nonlocal counter, not_endorsed
            while time.monotonic() < stop_at:
                counter += 1
                key = f"leader-kill-{worker_id}-{counter}"
                try:
                    transaction = await contract.new_proposal("kv:Put", [key, "v"]).endorse()
                except EndorseError:
                    not_endorsed += 1
                    continue
                # What contract.submit does, kept apart to know the tx id of every answer.
                try:
                    resolution = await transaction.resolve()
                except SubmitError:  # refused before any orderer saw it: nothing in doubt, nothing sent
                    not_endorsed += 1
                    continue
                answers.append(Answer(transaction.transaction_id, key, resolution, time.monotonic()))

        async def killer() -> None:
            await asyncio.sleep(KILL_AFTER_SECONDS)
            leader = await asyncio.to_thread(_leader, network)
            assert leader is not None, "no single Raft leader under load"
            await asyncio.to_thread(_kill, network, leader)
            kill.set_result((leader, time.monotonic()))

        await asyncio.gather(killer(), *(worker(i) for i in range(IN_FLIGHT)))
    return answers, not_endorsed


async def _final_answers(network: FabricNetwork, answers: list[Answer]) -> dict[str, Outcome]:
    """One more status query for every transaction still UNKNOWN (long after the kill)."""
    msp = network.layout.bank_user(network.spec.bank("bank1"), "User1") / "msp"
    final: dict[str, Outcome] = {}
    endpoint = network.endpoint(network.spec.bank("bank1"))
    async with aio.connect(endpoint, load_msp_identity(msp, "Bank1MSP"), load_msp_signer(msp)) as gateway:
        channel = gateway.get_network(CHANNEL)
        for answer in answers:
            if answer.resolution.outcome is not Outcome.UNKNOWN:
                continue
            try:
                status = await channel.new_commit(answer.transaction_id).status(timeout=5)
            except CommitStatusError:  # still no answer: shown absent from the ledger below
                final[answer.transaction_id] = Outcome.UNKNOWN
                continue
            final[answer.transaction_id] = Outcome.VALID if status.successful else Outcome.INVALID
    return final


def _ledger(network: FabricNetwork, last_block: int) -> dict[str, list[int]]:
    """Every transaction id on the channel, with the validation code of each copy in block order."""
    codes: dict[str, list[int]] = {}
    with network.gateway(network.spec.bank("bank1")) as gateway, gateway.get_network(CHANNEL).block_events(
        start_block=0, timeout=60
    ) as blocks:
        for block in blocks:
            for transaction in block.transactions():
                codes.setdefault(transaction.transaction_id, []).append(transaction.validation_code)
            if block.number >= last_block:
                break
    return codes


def test_a_raft_leader_killed_under_load_loses_no_valid_transaction_and_leaves_none_in_doubt(
    tmp_path: Path,
) -> None:
    network = FabricNetwork.create(
        tmp_path / "raft3", orderers="raft3", port_base=default_base() + RAFT3_BLOCK_OFFSET, progress=SilentProgress()
    )
    try:
        network.up()
        orderers = network.spec.orderer.node_names()
        assert len(orderers) == 3

        loop = asyncio.new_event_loop()
        try:
            killed_future: asyncio.Future[tuple[str, float]] = loop.create_future()
            answers, not_endorsed = loop.run_until_complete(_drive_load(network, killed_future))
            killed, killed_at = killed_future.result()
            final = loop.run_until_complete(_final_answers(network, answers))
        finally:
            loop.close()

        outcomes = Counter(answer.resolution.outcome for answer in answers)
        resubmitted = [a for a in answers if a.resolution.submit_attempts > 1]
        # Answered VALID after the kill: the transactions in flight when the leader died (IN_FLIGHT at every
        # moment), and any started later. Those started later may be none: the in-flight ones can take the
        # rest of the load's time to resolve (commit-status deadline, resubmit).
        valid_after_kill = sum(a.answered_at > killed_at and a.resolution.outcome is Outcome.VALID for a in answers)
        summary = (
            f"{len(answers)} transactions answered ({dict(outcomes)}), {len(resubmitted)} needed a resubmit, "
            f"{not_endorsed} never submitted, leader {killed} killed, {valid_after_kill} answered VALID after it"
        )
        print(summary)
        assert outcomes[Outcome.VALID] > 200, summary
        assert valid_after_kill >= IN_FLIGHT // 2, summary  # the load went through the kill, to the new leader

        # A new leader took over among the survivors.
        survivors = [name for name in orderers if name != killed]
        wait_for(lambda: _leader(network) in survivors, timeout=15, what="a new Raft leader", interval=0.2)

        # The ledger, block by block, as the peer committed it (after a last transaction to know its end).
        with network.gateway(network.spec.bank("bank1")) as gateway:
            contract = gateway.get_network(CHANNEL).get_contract(CHAINCODE)
            last = contract.new_proposal("kv:Put", ["leader-kill-last", "v"]).endorse().submit().status(timeout=30)
        ledger = _ledger(network, last.block_number)

        for answer in answers:
            copies = ledger.get(answer.transaction_id, [])
            resolution = answer.resolution
            if resolution.outcome is Outcome.VALID:
                # Every VALID answer is on the ledger, and its first copy is the VALID one; any resubmitted
                # copy was refused as a duplicate (the transaction ran once).
                assert copies and copies[0] == ValidationCode.VALID, (answer, copies)
                assert all(code == ValidationCode.DUPLICATE_TXID for code in copies[1:]), (answer, copies)
            elif resolution.outcome is Outcome.INVALID:
                assert resolution.status is not None
                assert copies and copies[0] == resolution.status.code != ValidationCode.VALID, (answer, copies)
            else:
                outcome = final[answer.transaction_id]
                if outcome is Outcome.UNKNOWN:
                    # Still no answer long after the kill: it really is absent, and that is what was said.
                    assert not copies, (answer, copies)
                    print(f"transaction {answer.transaction_id} is UNKNOWN to the client and absent from the ledger")
                else:
                    assert copies, (answer, copies)
                    assert (copies[0] == ValidationCode.VALID) == (outcome is Outcome.VALID)
        # No transaction is left in doubt by the resubmit path itself.
        assert outcomes[Outcome.UNKNOWN] == 0, summary

        # The killed orderer comes back and catches up with the others (participation API heights).
        network.start_node(killed)
        started = time.monotonic()

        def caught_up() -> bool:
            heights = _heights(network, orderers)
            return heights[killed] == max(heights[name] for name in survivors) >= last.block_number + 1

        wait_for(caught_up, timeout=30, what=f"{killed} to catch up", interval=0.2)
        print(f"{killed} caught up in {time.monotonic() - started:.1f} s")
        # And it follows new blocks as a member of the cluster again.
        with network.gateway(network.spec.bank("bank1")) as gateway:
            after = gateway.get_network(CHANNEL).get_contract(CHAINCODE)
            status = after.new_proposal("kv:Put", ["leader-kill-after", "v"]).endorse().submit().status(timeout=30)
        assert status.successful
        wait_for(lambda: _heights(network, [killed])[killed] >= status.block_number + 1, timeout=15,
                 what=f"{killed} to receive the next block", interval=0.2)
    finally:
        network.down(purge=True)

