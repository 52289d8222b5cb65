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

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Concatenate, Final, Generic, ParamSpec, TypeVar

from tradefin.gateway import Contract, EndorseError, EvaluateError, Gateway, aio

from ._core import Flow, FlowsBase, Query, Receipt, Step
from .errors import TradeFinanceError, chaincode_error

__all__ = ["DEFAULT_CHAINCODE", "AsyncClient", "BlockingClient", "asynchronous", "blocking"]

T = TypeVar("T")
P = ParamSpec("P")
FlowsT = TypeVar("FlowsT", bound=FlowsBase)
OperationT = TypeVar("OperationT", bound=Callable[..., object])

#: The project's chaincode name (``network up`` deploys it on every consortium channel).
DEFAULT_CHAINCODE: Final = "tradefin"


def _typed(error: EvaluateError | EndorseError) -> Exception:
    """The chaincode's refusal as its typed error, else the gateway error itself."""
    typed = chaincode_error(error)
    if typed is None:
        return error
    typed.__cause__ = error
    return typed


def _advance(flow: Flow[T], step: Step, outcome: bytes | Receipt | TradeFinanceError) -> Step:
    """Hand the flow what its step produced (or throw the refusal into it); its next step."""
    if isinstance(outcome, TradeFinanceError):
        return flow.throw(outcome)
    return flow.send(outcome)


class BlockingClient(Generic[FlowsT]):
    """Base of the blocking typed clients: one contract of a chaincode on one channel, through a
    :class:`~tradefin.gateway.Gateway` (thread-safe, like the gateway)."""

    def __init__(self, gateway: Gateway, channel: str, contract_name: str, flows: FlowsT, chaincode: str) -> None:
        self._gateway = gateway
        self._contract: Contract = gateway.get_network(channel).get_contract(chaincode, contract_name)
        self._flows = flows
        self.channel = channel
        """The channel the client works on."""

    def _perform(self, step: Step) -> bytes | Receipt | TradeFinanceError:
        try:
            if isinstance(step, Query):
                return self._contract.evaluate(step.transaction, [step.argument], target_orgs=step.target_orgs)
            transaction = self._contract.new_proposal(
                step.transaction, transient=step.transient, endorsing_orgs=step.endorsing_orgs
            ).endorse()
        except (EvaluateError, EndorseError) as error:
            typed = _typed(error)
            if isinstance(typed, TradeFinanceError):
                return typed
            raise
        resolution = transaction.resolve()
        resolution.raise_for_outcome()
        block = resolution.status.block_number if resolution.status is not None else -1
        return Receipt(transaction.transaction_id, block, transaction.result)

    def _run(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                step = _advance(flow, step, self._perform(step))
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
        self._gateway = gateway
        self._contract: aio.Contract = gateway.get_network(channel).get_contract(chaincode, contract_name)
        self._flows = flows
        self.channel = channel
        """The channel the client works on."""

    async def _perform(self, step: Step) -> bytes | Receipt | TradeFinanceError:
        try:
            if isinstance(step, Query):
                return await self._contract.evaluate(step.transaction, [step.argument], target_orgs=step.target_orgs)
            transaction = await self._contract.new_proposal(
                step.transaction, transient=step.transient, endorsing_orgs=step.endorsing_orgs
            ).endorse()
        except (EvaluateError, EndorseError) as error:
            typed = _typed(error)
            if isinstance(typed, TradeFinanceError):
                return typed
            raise
        resolution = await transaction.resolve()
        resolution.raise_for_outcome()
        block = resolution.status.block_number if resolution.status is not None else -1
        return Receipt(transaction.transaction_id, block, transaction.result)

    async def _run(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                step = _advance(flow, step, await self._perform(step))
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
