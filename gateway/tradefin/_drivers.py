"""The two front ends of the typed clients: they perform the core's steps with the gateway.

:class:`BlockingClient` drives an operation with the blocking gateway (:mod:`tradefin.gateway`),
:class:`AsyncClient` with the asyncio one (:mod:`tradefin.gateway.aio`). A domain client declares each
operation once per front end, as a one-line twin of its flow::

    class LettersOfCredit(BlockingClient[LettersOfCreditFlows]):
        issue = blocking(LettersOfCreditFlows.issue)

    class AsyncLettersOfCredit(AsyncClient[LettersOfCreditFlows]):
        issue = asynchronous(LettersOfCreditFlows.issue)

The twins keep the flow's signature and docstring (``ParamSpec``), so ``mypy --strict`` checks calls
to them like any method, and return the flow's result (or a coroutine of it).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from collections.abc import Callable, Coroutine
from typing import Concatenate, Final, Generic, ParamSpec, TypeVar

from tradefin.gateway import Contract, EndorseError, EvaluateError, Gateway, Resolution, Status, aio

from ._core import (
    LAGGING_PEER_PAUSES,
    AwaitCommit,
    Flow,
    FlowsBase,
    Receipt,
    Step,
    Transact,
    endorsers_disagree,
    gateway_lost_peers,
)
from .errors import TradeFinanceError, chaincode_error

__all__ = ["DEFAULT_CHAINCODE", "AsyncClient", "BlockingClient", "asynchronous", "blocking"]

T = TypeVar("T")
P = ParamSpec("P")
FlowsT = TypeVar("FlowsT", bound=FlowsBase)
OperationT = TypeVar("OperationT", bound=Callable[..., object])

#: The project's chaincode name (``network up`` deploys it on every consortium channel).
DEFAULT_CHAINCODE: Final = "tradefin"


def _refusal(error: EvaluateError | EndorseError) -> TradeFinanceError:
    """The chaincode's refusal as its typed error; a failure without a catalogue code is re-raised."""
    typed = chaincode_error(error)
    if typed is None:
        raise error
    typed.__cause__ = error
    return typed


def _lagging(error: EndorseError, step: Transact, attempt: int, local_msp_id: str) -> float | None:
    """The pause before endorsing again when a peer lags behind, or when the gateway has no peer of a
    pinned organisation at hand; ``None``: answer with the error."""
    if attempt >= len(LAGGING_PEER_PAUSES):
        return None
    failures = ((detail.msp_id, detail.message) for detail in error.details)
    lagging = endorsers_disagree(failures, step.endorsing_orgs, local_msp_id)
    if not (lagging or gateway_lost_peers(error.code, error.message, error.details)):
        return None
    return LAGGING_PEER_PAUSES[attempt]


def _receipt(transaction_id: str, resolution: Resolution, result: bytes) -> Receipt:
    resolution.raise_for_outcome()
    block = resolution.status.block_number if resolution.status is not None else -1
    return Receipt(transaction_id, block, result)


def _advance(flow: Flow[T], outcome: bytes | Receipt | TradeFinanceError) -> Step:
    """Hand the flow what its step produced (or throw the refusal into it); its next step."""
    if isinstance(outcome, TradeFinanceError):
        return flow.throw(outcome)
    return flow.send(outcome)


class BlockingClient(Generic[FlowsT]):
    """Base of the blocking typed clients: one contract of a chaincode on one channel, through a
    :class:`~tradefin.gateway.Gateway` (thread-safe, like the gateway)."""

    def __init__(self, gateway: Gateway, channel: str, contract_name: str, flows: FlowsT, chaincode: str) -> None:
        self._msp_id = gateway.identity.msp_id
        self._network = gateway.get_network(channel)
        self._contract: Contract = self._network.get_contract(chaincode, contract_name)
        self._flows = flows
        self.channel = channel
        """The channel the client works on."""

    def wait_for_commit(self, transaction_id: str, *, timeout: float | None = None) -> Status:
        """Wait until this client's own peer has committed a transaction (e.g. one another bank just
        submitted), so that the next operation reads its writes; its commit status.

        Raises:
            CommitStatusError: the peer did not answer in time.
        """
        return self._network.new_commit(transaction_id).status(timeout=timeout)

    def _transact(self, step: Transact) -> Receipt | TradeFinanceError:
        attempt = 0
        while True:
            proposal = self._contract.new_proposal(
                step.transaction, transient=step.transient, endorsing_orgs=step.endorsing_orgs
            )
            try:
                transaction = proposal.endorse()
                break
            except EndorseError as error:
                pause = _lagging(error, step, attempt, self._msp_id)
                if pause is None:
                    return _refusal(error)
                attempt += 1
                time.sleep(pause)
        return _receipt(transaction.transaction_id, transaction.resolve(), transaction.result)

    def _perform(self, step: Step) -> bytes | Receipt | TradeFinanceError:
        if isinstance(step, Transact):
            return self._transact(step)
        if isinstance(step, AwaitCommit):
            self.wait_for_commit(step.transaction_id)
            return b""
        try:
            return self._contract.evaluate(step.transaction, [step.argument], target_orgs=step.target_orgs)
        except EvaluateError as error:
            return _refusal(error)

    def _run(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                step = _advance(flow, self._perform(step))
        except StopIteration as stop:
            result: T = stop.value
            return result
        finally:
            flow.close()


class AsyncClient(Generic[FlowsT]):
    """Base of the asyncio typed clients: one contract of a chaincode on one channel, through an
    :class:`tradefin.gateway.aio.Gateway` (any number of operations may run concurrently)."""

    def __init__(
        self, gateway: aio.Gateway, channel: str, contract_name: str, flows: FlowsT, chaincode: str
    ) -> None:
        self._msp_id = gateway.identity.msp_id
        self._network = gateway.get_network(channel)
        self._contract: aio.Contract = self._network.get_contract(chaincode, contract_name)
        self._flows = flows
        self.channel = channel
        """The channel the client works on."""

    async def wait_for_commit(self, transaction_id: str, *, timeout: float | None = None) -> Status:  # noqa: ASYNC109 -- the gateway's per-call deadline
        """Wait until this client's own peer has committed a transaction (e.g. one another bank just
        submitted), so that the next operation reads its writes; its commit status.

        Raises:
            CommitStatusError: the peer did not answer in time.
        """
        return await self._network.new_commit(transaction_id).status(timeout=timeout)

    async def _transact(self, step: Transact) -> Receipt | TradeFinanceError:
        attempt = 0
        while True:
            proposal = self._contract.new_proposal(
                step.transaction, transient=step.transient, endorsing_orgs=step.endorsing_orgs
            )
            try:
                transaction = await proposal.endorse()
                break
            except EndorseError as error:
                pause = _lagging(error, step, attempt, self._msp_id)
                if pause is None:
                    return _refusal(error)
                attempt += 1
                await asyncio.sleep(pause)
        return _receipt(transaction.transaction_id, await transaction.resolve(), transaction.result)

    async def _perform(self, step: Step) -> bytes | Receipt | TradeFinanceError:
        if isinstance(step, Transact):
            return await self._transact(step)
        if isinstance(step, AwaitCommit):
            await self.wait_for_commit(step.transaction_id)
            return b""
        try:
            return await self._contract.evaluate(step.transaction, [step.argument], target_orgs=step.target_orgs)
        except EvaluateError as error:
            return _refusal(error)

    async def _run(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                step = _advance(flow, await self._perform(step))
        except StopIteration as stop:
            result: T = stop.value
            return result
        finally:
            flow.close()


def blocking(flow: Callable[Concatenate[FlowsT, P], Flow[T]]) -> Callable[Concatenate[BlockingClient[FlowsT], P], T]:
    """The blocking twin of an operation: same parameters and docstring, returns the flow's result."""

    @functools.wraps(flow)
    def operation(self: BlockingClient[FlowsT], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(flow(self._flows, *args, **kwargs))

    return _documented_as(operation, flow)


def asynchronous(
    flow: Callable[Concatenate[FlowsT, P], Flow[T]],
) -> Callable[Concatenate[AsyncClient[FlowsT], P], Coroutine[object, None, T]]:
    """The asyncio twin of an operation: same parameters and docstring, a coroutine of the flow's result."""

    @functools.wraps(flow)
    async def operation(self: AsyncClient[FlowsT], /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run(flow(self._flows, *args, **kwargs))

    return _documented_as(operation, flow)


def _documented_as(operation: OperationT, flow: Callable[..., object]) -> OperationT:
    """``help()`` shows the flow's parameters without its ``Flow[...]`` return annotation."""
    del operation.__wrapped__  # type: ignore[attr-defined]
    signature = inspect.signature(flow)
    operation.__signature__ = signature.replace(return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]
    return operation
