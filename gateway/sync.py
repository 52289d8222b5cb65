"""The blocking front end: ``connect`` -> Gateway -> Network -> Contract -> Proposal -> Transaction -> Commit.

Every class here is a thin twin of the one in :mod:`tradefin.gateway.aio`: the protocol logic lives in
the sans-IO core (see ``_flow``) and this module only performs its effects with a blocking gRPC
channel. Objects are thread-safe; one gateway (one channel) serves any number of threads.

Deadlines: every call takes ``timeout=`` (seconds), defaulting to the gateway's :class:`Timeouts`.
Cancellation: calls made inside ``with Cancellation():`` end when it is cancelled (from any thread);
``EventStream.close()`` ends a stream; ``Gateway.close()`` cancels every call in flight and ends every
event stream of the gateway, on a channel it opened or one given to it (which stays open for others).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from time import monotonic
from types import TracebackType
from typing import Any, TypeVar, cast

from tradefin.gateway import _grpc, hashes
from tradefin.gateway._flow import (
    ENDORSE_HEAD_START,
    ENDORSE_HOLD_SECONDS,
    Admit,
    Call,
    Context,
    Flow,
    Method,
    Pause,
    Sign,
    aborted_call_error,
)
from tradefin.gateway.block_events import (
    BLOCKS,
    BLOCKS_WITH_PRIVATE_DATA,
    FILTERED_BLOCKS,
    Block,
    BlockAndPrivateData,
    BlockEventsKind,
    BlockEventsRequestBase,
    FilteredBlock,
    block_events_request_data_from_bytes,
)
from tradefin.gateway.cancellation import Cancellation, active_cancellations, watching
from tradefin.gateway.chaincode_events import (
    ChaincodeEvent,
    ChaincodeEventsRequestBase,
    chaincode_events_from_response,
    events_request_data_from_bytes,
)
from tradefin.gateway.checkpointers import Checkpoint
from tradefin.gateway.commit import CommitBase, SubmittedTransactionBase, commit_data_from_bytes
from tradefin.gateway.contract import ContractBase
from tradefin.gateway.endpoint import Endpoint
from tradefin.gateway.errors import SigningError
from tradefin.gateway.event_stream import EventStreamBase, OpenStreams
from tradefin.gateway.gateway import GatewayBase, connection_context
from tradefin.gateway.hashes import Hash
from tradefin.gateway.identity import X509Identity
from tradefin.gateway.network import NetworkBase
from tradefin.gateway.options import ResubmitPolicy, Timeouts, call_deadline
from tradefin.gateway.proposal import Argument, ProposalBase, proposal_data_from_bytes
from tradefin.gateway.resolution import Resolution
from tradefin.gateway.signers import Signer
from tradefin.gateway.status import Status
from tradefin.gateway.transaction import TransactionBase, transaction_data_from_bytes

__all__ = [
    "BlockEventsRequest",
    "ChaincodeEventsRequest",
    "Commit",
    "Contract",
    "EventStream",
    "Gateway",
    "Network",
    "Proposal",
    "SubmittedTransaction",
    "Transaction",
    "connect",
]

T = TypeVar("T")
E = TypeVar("E")
S = TypeVar("S", bound=EventStreamBase[Any])


class _BurstGate:
    """Lets the first ``limit`` calls of a burst go ahead; the rest start when one of those ends, or
    after ``hold`` seconds (see ``ENDORSE_HEAD_START`` in the core). Thread-safe."""

    __slots__ = ("_condition", "_ended", "_hold", "_limit", "_running")

    def __init__(self, limit: int, hold: float) -> None:
        self._limit = limit
        self._hold = hold
        self._running = 0
        self._ended = 0  # calls ended so far: a waiter goes once this moves
        self._condition = threading.Condition()

    def enter(self) -> None:
        with self._condition:
            if self._running >= self._limit:
                ended = self._ended
                self._condition.wait_for(lambda: self._ended != ended, timeout=self._hold)
            self._running += 1

    def exit(self) -> None:
        with self._condition:
            self._running -= 1
            self._ended += 1
            self._condition.notify_all()


def _call_in_scopes(
    multicallable: Any, call: Call, scopes: tuple[Cancellation, ...], options: dict[str, Any]
) -> bytes:
    """Make the call as a future that the scopes around it can cancel from another thread."""
    future = multicallable.future(call.request, timeout=call.timeout, **options)
    cancel = future.cancel
    with watching(scopes, cancel) as armed:
        if not armed:  # a scope was cancelled in the meantime
            cancel()
        try:
            reply: bytes = future.result()
        except BaseException:  # e.g. KeyboardInterrupt while waiting: the call must not run on
            cancel()
            raise
        return reply


def _pause(seconds: float, scopes: tuple[Cancellation, ...]) -> None:
    """Sleep, waking early if a scope around the flow is cancelled."""
    if not scopes:
        time.sleep(seconds)
        return
    woken = threading.Event()
    with watching(scopes, woken.set) as armed:
        if armed:
            woken.wait(seconds)


class _Driver:
    """Performs the core's effects with a blocking gRPC channel and the gateway's signer."""

    __slots__ = (
        "_call_options",
        "_channel",
        "_closed",
        "_closing",
        "_endorse_gate",
        "_owns_channel",
        "_signer",
        "_streams",
        "_unary",
        "context",
    )

    def __init__(self, channel: Any, owns_channel: bool, signer: Signer | None, context: Context) -> None:
        self._channel = channel
        self._closed = False
        self._owns_channel = owns_channel
        # On a channel it was given, closing the gateway cancels its calls in flight and its streams
        # itself (closing a channel of its own does both).
        self._closing = None if owns_channel else Cancellation()
        # its streams end with the closed gateway's error, whether its channel closes under them or not
        self._streams = OpenStreams()
        self._signer = signer
        self.context = context
        self._unary = {method: channel.unary_unary(method) for method in Method.UNARY}
        self._call_options = context.call_options()
        self._endorse_gate = _BurstGate(ENDORSE_HEAD_START, ENDORSE_HOLD_SECONDS)

    def sign(self, digest: bytes) -> bytes:
        if self._signer is None:
            raise SigningError()
        return self._signer(digest)

    def run(self, flow: Flow[T]) -> T:
        unary = self._unary
        options = self._call_options
        gate = self._endorse_gate
        holding = False  # this flow holds a head-start place from its Endorse until its Submit is answered
        scopes = active_cancellations()
        if self._closing is not None:
            scopes = (*scopes, self._closing)
        try:
            effect = next(flow)
            while True:
                kind = type(effect)
                if kind is Call:
                    call = cast(Call, effect)
                    if call.method == Method.ENDORSE and not holding:
                        gate.enter()
                        holding = True
                    if self._closed or scopes:
                        aborted = aborted_call_error(self._closed, scopes, sent=False)
                        if aborted is not None:
                            effect = flow.throw(aborted)
                            continue
                    started = monotonic()
                    try:
                        if scopes:
                            reply = _call_in_scopes(unary[call.method], call, scopes, options)
                        else:
                            reply = unary[call.method](call.request, timeout=call.timeout, **options)
                    # grpcio: ValueError on a closed channel, FutureCancelledError for a cancelled future
                    except (_grpc.RpcError, ValueError, _grpc.FutureCancelledError) as error:
                        if holding:
                            holding = False
                            gate.exit()
                        # only a cancellation is ours to explain; a peer's own error keeps its code and details
                        ours = not isinstance(error, _grpc.RpcError) or _grpc.is_cancelled(error)
                        sent = not isinstance(error, ValueError)  # ValueError: refused before sending
                        aborted = aborted_call_error(self._closed, scopes, sent) if ours else None
                        if aborted is not None:
                            effect = flow.throw(aborted)
                        elif not isinstance(error, _grpc.RpcError):
                            raise
                        else:
                            elapsed = monotonic() - started
                            effect = flow.throw(
                                _grpc.gateway_error(
                                    error, elapsed=elapsed, timeout=call.timeout, what=_grpc.step_name(call.method)
                                )
                            )
                        continue
                    if holding and call.method == Method.SUBMIT:
                        holding = False
                        gate.exit()
                elif kind is Admit:
                    if not holding:
                        gate.enter()
                        holding = True
                    reply = b""
                elif kind is Sign:
                    reply = self.sign(cast(Sign, effect).digest)
                else:
                    _pause(cast(Pause, effect).seconds, scopes)
                    reply = b""
                effect = flow.send(reply)
        except StopIteration as stop:
            return cast(T, stop.value)
        finally:
            if holding:
                gate.exit()
            flow.close()

    def open_chaincode_events(
        self, request: bytes, timeout: float | None, scopes: tuple[Cancellation, ...]
    ) -> Any:
        deadline = call_deadline(timeout, None)  # checked before anything is opened; math.inf: none
        aborted = aborted_call_error(self._closed, scopes, sent=False)
        if aborted is not None:
            raise aborted
        return self._channel.unary_stream(Method.CHAINCODE_EVENTS)(request, timeout=deadline, **self._call_options)

    def open_deliver(
        self, method: str, envelope: bytes, timeout: float | None, scopes: tuple[Cancellation, ...]
    ) -> Any:
        deadline = call_deadline(timeout, None)  # checked before anything is opened; math.inf: none
        aborted = aborted_call_error(self._closed, scopes, sent=False)
        if aborted is not None:
            raise aborted
        return self._channel.stream_stream(method)(iter((envelope,)), timeout=deadline, **self._call_options)

    def track(self, stream: S) -> S:
        return self._streams.add(stream)

    def close(self) -> None:
        self._closed = True  # before the cancellations: their calls then end as closed, not cancelled
        if self._closing is not None:
            self._closing.cancel()
        self._streams.close_all()
        if self._owns_channel:
            self._channel.close()


class EventStream(EventStreamBase[E]):
    """An iterator over events from a gRPC stream; ``close()`` (or leaving a ``with`` block) cancels it,
    as does cancelling a :class:`Cancellation` scope the stream was opened in (from any thread).

    A failed stream raises :class:`~tradefin.gateway.errors.GatewayError` (or ``BlockEventsError``);
    after ``close()`` or a cancellation iteration simply ends.
    """

    __slots__ = ()

    @staticmethod
    def _when_ended(call: Any, callback: Callable[[], None]) -> None:
        # grpc.RpcContext's form: the call keeps the callback only; add_done_callback's would bind the
        # call to itself, and a stream dropped unclosed would then never be collected and cancelled
        if not call.add_callback(callback):  # the call ended already: now is as early as it can be known
            callback()

    def __iter__(self) -> Iterator[E]:
        return self

    def __next__(self) -> E:
        while not self._stopped:
            if self._buffer:
                try:
                    return self._buffer.popleft()
                except IndexError:  # close() from another thread emptied the buffer: iteration ends
                    continue
            try:
                response = next(self._call)
            except StopIteration:
                self._ended()
                raise
            except _grpc.RpcError as error:
                failure = self._failure(error)
                if failure is None:
                    raise StopIteration from None
                raise failure from error
            self._take(response)
        ended = self._stop_error()
        if ended is not None:
            raise ended
        raise StopIteration

    def __enter__(self) -> EventStream[E]:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class Proposal(ProposalBase):
    """A signable proposal: ``evaluate()`` it (a query) or ``endorse()`` it (first step of a submit)."""

    __slots__ = ()
    _client: _Driver

    def evaluate(self, *, timeout: float | None = None) -> bytes:
        """Run the proposal on one peer, commit nothing, and return the chaincode's result.

        Raises:
            EvaluateError: the gateway or the chaincode refused it.
        """
        return self._client.run(self._evaluate_flow(timeout))

    def endorse(self, *, timeout: float | None = None) -> Transaction:
        """Collect the endorsements the policy needs and return the transaction to submit.

        Raises:
            EndorseError: with per-peer details, e.g. when the chaincode rejects the call.
        """
        return self._client.run(self._endorse_flow(Transaction, timeout))


class Transaction(TransactionBase):
    """An endorsed transaction: its ``result``, then ``submit()`` it (or ``resolve()`` it to a final answer)."""

    __slots__ = ()
    _client: _Driver

    def submit(self, *, timeout: float | None = None) -> SubmittedTransaction:
        """Sign and send the transaction to the orderers; returns at once, with the commit to wait for.

        Raises:
            SubmitError: the gateway could not hand it to the ordering service.
        """
        return self._client.run(self._submit_flow(SubmittedTransaction, timeout))

    def resolve(
        self,
        policy: ResubmitPolicy | None = None,
        *,
        timeouts: Timeouts | None = None,
        commit_signature: bytes | None = None,
    ) -> Resolution:
        """Submit and wait for a final answer, resubmitting this same envelope if it is lost.

        Safe to call after a :class:`SubmitError`. ``policy`` defaults to the gateway's (or the defaults).
        Returns VALID / INVALID (with the code) / UNKNOWN; raises SubmitError only if the gateway
        refused the very first submit before any orderer saw it. On a gateway without a signer, give
        the offline signature of :attr:`commit_digest` as ``commit_signature``: both signatures are
        needed before the first Submit (otherwise :class:`SigningError`, and nothing is sent).
        """
        return self._client.run(self._resolve_flow(self._context.resolve_policy(policy), timeouts, commit_signature))


class Commit(CommitBase):
    """The commit status request of one transaction."""

    __slots__ = ()
    _client: _Driver

    def status(self, *, timeout: float | None = None) -> Status:
        """Wait until the transaction is committed and return its status (valid or not).

        Raises:
            CommitStatusError: the status could not be obtained (the transaction may still commit).
        """
        return self._client.run(self._status_flow(timeout))


class SubmittedTransaction(SubmittedTransactionBase, Commit):
    """A submitted transaction: its ``result`` now, its ``status()`` later, or ``resolve()`` for certainty."""

    __slots__ = ()
    _client: _Driver

    def resolve(
        self,
        policy: ResubmitPolicy | None = None,
        *,
        timeouts: Timeouts | None = None,
        commit_signature: bytes | None = None,
    ) -> Resolution:
        """Wait for a final answer, resubmitting the same envelope if the first copy was lost.

        Returns VALID / INVALID (with the code) / UNKNOWN; see :class:`ResubmitPolicy`. On a gateway
        without a signer, give the offline signature of :attr:`digest` as ``commit_signature``.
        """
        return self._client.run(self._resolve_flow(self._context.resolve_policy(policy), timeouts, commit_signature))


class ChaincodeEventsRequest(ChaincodeEventsRequestBase):
    """A signable request for chaincode events; ``events()`` opens the stream."""

    __slots__ = ()
    _client: _Driver

    def events(self, *, timeout: float | None = None) -> EventStream[ChaincodeEvent]:
        """Sign (once) and open the stream; ``timeout`` bounds the whole stream (default: none)."""
        request = self._client.run(self._signed_request_flow())
        scopes = active_cancellations()
        opened = monotonic()  # the stream's deadline runs from here
        call = self._client.open_chaincode_events(request, timeout, scopes)
        return self._client.track(EventStream(call, chaincode_events_from_response, timeout, scopes, opened))


class BlockEventsRequest(BlockEventsRequestBase[E]):
    """A signable request for block events of one kind; ``events()`` opens the stream."""

    __slots__ = ()
    _client: _Driver

    def events(self, *, timeout: float | None = None) -> EventStream[E]:
        """Sign (once) and open the stream; ``timeout`` bounds the whole stream (default: none)."""
        envelope = self._client.run(self._signed_request_flow())
        parse, channel = self._kind.parse, self._data.channel

        def read(response: bytes) -> Sequence[E] | None:
            event = parse(response, channel)
            return None if event is None else (event,)

        scopes = active_cancellations()
        opened = monotonic()  # the stream's deadline runs from here
        call = self._client.open_deliver(self._kind.method, envelope, timeout, scopes)
        return self._client.track(EventStream(call, read, timeout, scopes, opened))


class Contract(ContractBase):
    """A chaincode (optionally one named contract in it) on a channel."""

    __slots__ = ()
    _client: _Driver

    def evaluate(
        self,
        transaction_name: str,
        args: Sequence[Argument] = (),
        *,
        transient: Mapping[str, bytes] | None = None,
        target_orgs: Sequence[str] | None = None,
        timeout: float | None = None,
    ) -> bytes:
        """Query: run the transaction on one peer (of ``target_orgs`` if given) and return its result.

        Raises:
            EvaluateError: with the peer's message when the chaincode rejects the call.
        """
        return self._client.run(self._evaluate_flow(transaction_name, args, transient, target_orgs, timeout))

    def submit(
        self,
        transaction_name: str,
        args: Sequence[Argument] = (),
        *,
        transient: Mapping[str, bytes] | None = None,
        endorsing_orgs: Sequence[str] | None = None,
        timeouts: Timeouts | None = None,
        resubmit: ResubmitPolicy | bool = True,
    ) -> bytes:
        """Endorse, submit and wait for the commit; return the chaincode's result once committed VALID.

        ``resubmit``: ``True`` uses the gateway's resubmit policy, ``False`` the official clients'
        behaviour (one submit, one status call), or a :class:`ResubmitPolicy` for this call.

        Raises:
            EndorseError: not endorsed (nothing was submitted).
            SubmitError: the gateway refused the envelope before any orderer saw it.
            CommitError: committed invalid, with the validation code (e.g. MVCC_READ_CONFLICT).
            TransactionInDoubtError: outcome still unknown after the resubmit policy ran out
                (a CommitStatusError; without a policy, CommitStatusError / SubmitError as they come).
        """
        return self._client.run(
            self._submit_flow(transaction_name, args, transient, endorsing_orgs, timeouts, resubmit)
        )

    def submit_async(
        self,
        transaction_name: str,
        args: Sequence[Argument] = (),
        *,
        transient: Mapping[str, bytes] | None = None,
        endorsing_orgs: Sequence[str] | None = None,
        timeouts: Timeouts | None = None,
    ) -> SubmittedTransaction:
        """Endorse and submit; return at once with the result, and the commit status to ask for later."""
        return self._client.run(
            self._submit_async_flow(SubmittedTransaction, transaction_name, args, transient, endorsing_orgs, timeouts)
        )

    def new_proposal(
        self,
        transaction_name: str,
        args: Sequence[Argument] = (),
        *,
        transient: Mapping[str, bytes] | None = None,
        endorsing_orgs: Sequence[str] | None = None,
    ) -> Proposal:
        """Build a proposal for the fine-grained flow (or offline signing); nothing is sent yet."""
        data = self._proposal_data(transaction_name, args, transient, endorsing_orgs)
        return Proposal(self._client, self._context, data)


class Network(NetworkBase):
    """A channel: its contracts, its events, the commit status of any transaction on it."""

    __slots__ = ()
    _client: _Driver

    def get_contract(self, chaincode: str, contract_name: str | None = None) -> Contract:
        """The chaincode ``chaincode`` (and its contract ``contract_name``, if given) on this channel."""
        return Contract(self._client, self._context, self._name, chaincode, contract_name)

    def new_commit(self, transaction_id: str) -> Commit:
        """The commit status request of any transaction on this channel, by tx id."""
        return Commit(self._client, self._context, self._commit_data(transaction_id))

    def new_chaincode_events_request(
        self, chaincode: str, *, start_block: int | None = None, checkpoint: Checkpoint | None = None
    ) -> ChaincodeEventsRequest:
        """A chaincode events request (see :meth:`chaincode_events`), e.g. for offline signing."""
        return ChaincodeEventsRequest(
            self._client, self._context, self._chaincode_events_data(chaincode, start_block, checkpoint)
        )

    def chaincode_events(
        self,
        chaincode: str,
        *,
        start_block: int | None = None,
        checkpoint: Checkpoint | None = None,
        timeout: float | None = None,
    ) -> EventStream[ChaincodeEvent]:
        """Stream the chaincode's events: from the checkpoint if it has one, else ``start_block``,
        else the next commit. Call ``checkpointer.checkpoint_chaincode_event(event)`` after processing
        each event to resume after a restart with nothing lost; an event is delivered again only if
        the process stopped after handling it and before checkpointing it."""
        request = self.new_chaincode_events_request(chaincode, start_block=start_block, checkpoint=checkpoint)
        return request.events(timeout=timeout)

    def _block_request(
        self, kind: BlockEventsKind[E], start_block: int | None, checkpoint: Checkpoint | None
    ) -> BlockEventsRequest[E]:
        data = self._block_events_data(start_block, checkpoint)
        return BlockEventsRequest(self._client, self._context, data, kind=kind)

    def new_block_events_request(
        self, *, start_block: int | None = None, checkpoint: Checkpoint | None = None
    ) -> BlockEventsRequest[Block]:
        """A request for full blocks (see :meth:`block_events`)."""
        return self._block_request(BLOCKS, start_block, checkpoint)

    def new_filtered_block_events_request(
        self, *, start_block: int | None = None, checkpoint: Checkpoint | None = None
    ) -> BlockEventsRequest[FilteredBlock]:
        """A request for filtered blocks (see :meth:`filtered_block_events`)."""
        return self._block_request(FILTERED_BLOCKS, start_block, checkpoint)

    def new_block_and_private_data_events_request(
        self, *, start_block: int | None = None, checkpoint: Checkpoint | None = None
    ) -> BlockEventsRequest[BlockAndPrivateData]:
        """A request for blocks with private data (see :meth:`block_and_private_data_events`)."""
        return self._block_request(BLOCKS_WITH_PRIVATE_DATA, start_block, checkpoint)

    def block_events(
        self, *, start_block: int | None = None, checkpoint: Checkpoint | None = None, timeout: float | None = None
    ) -> EventStream[Block]:
        """Stream full blocks from the checkpoint, else ``start_block``, else the next commit."""
        return self.new_block_events_request(start_block=start_block, checkpoint=checkpoint).events(timeout=timeout)

    def filtered_block_events(
        self, *, start_block: int | None = None, checkpoint: Checkpoint | None = None, timeout: float | None = None
    ) -> EventStream[FilteredBlock]:
        """Stream filtered blocks (tx ids, validation codes, events without payloads)."""
        request = self.new_filtered_block_events_request(start_block=start_block, checkpoint=checkpoint)
        return request.events(timeout=timeout)

    def block_and_private_data_events(
        self, *, start_block: int | None = None, checkpoint: Checkpoint | None = None, timeout: float | None = None
    ) -> EventStream[BlockAndPrivateData]:
        """Stream full blocks with the private data this peer holds and the caller's organisation may read
        (the event/Block ACL: channel readers; collections filtered by their member policies)."""
        request = self.new_block_and_private_data_events_request(start_block=start_block, checkpoint=checkpoint)
        return request.events(timeout=timeout)


class Gateway(GatewayBase):
    """A connection to a gateway peer with one identity. Close it (or use ``with``) when done."""

    __slots__ = ()
    _client: _Driver

    def get_network(self, channel: str) -> Network:
        """The channel ``channel`` as seen through this gateway."""
        return Network(self._client, self._context, channel)

    def new_proposal(self, proposal_bytes: bytes) -> Proposal:
        """Rebuild a proposal from :attr:`Proposal.bytes` (keeps any signature in them)."""
        return self._rebuild(Proposal, proposal_data_from_bytes, proposal_bytes, None)

    def new_signed_proposal(self, proposal_bytes: bytes, signature: bytes) -> Proposal:
        """Rebuild a proposal signed offline; it will not be signed again."""
        return self._rebuild(Proposal, proposal_data_from_bytes, proposal_bytes, signature)

    def new_transaction(self, transaction_bytes: bytes) -> Transaction:
        """Rebuild a transaction from :attr:`Transaction.bytes`."""
        return self._rebuild(Transaction, transaction_data_from_bytes, transaction_bytes, None)

    def new_signed_transaction(self, transaction_bytes: bytes, signature: bytes) -> Transaction:
        """Rebuild a transaction signed offline."""
        return self._rebuild(Transaction, transaction_data_from_bytes, transaction_bytes, signature)

    def new_commit(self, commit_bytes: bytes) -> Commit:
        """Rebuild a commit status request from :attr:`Commit.bytes`."""
        return self._rebuild(Commit, commit_data_from_bytes, commit_bytes, None)

    def new_signed_commit(self, commit_bytes: bytes, signature: bytes) -> Commit:
        """Rebuild a commit status request signed offline."""
        return self._rebuild(Commit, commit_data_from_bytes, commit_bytes, signature)

    def new_chaincode_events_request(self, request_bytes: bytes) -> ChaincodeEventsRequest:
        """Rebuild a chaincode events request from its bytes."""
        return self._rebuild(ChaincodeEventsRequest, events_request_data_from_bytes, request_bytes, None)

    def new_signed_chaincode_events_request(self, request_bytes: bytes, signature: bytes) -> ChaincodeEventsRequest:
        """Rebuild a chaincode events request signed offline."""
        return self._rebuild(ChaincodeEventsRequest, events_request_data_from_bytes, request_bytes, signature)

    def new_block_events_request(self, request_bytes: bytes) -> BlockEventsRequest[Block]:
        """Rebuild a full-block events request from its bytes."""
        return self._block_request(BLOCKS, request_bytes, None)

    def new_filtered_block_events_request(self, request_bytes: bytes) -> BlockEventsRequest[FilteredBlock]:
        """Rebuild a filtered-block events request from its bytes."""
        return self._block_request(FILTERED_BLOCKS, request_bytes, None)

    def new_block_and_private_data_events_request(
        self, request_bytes: bytes
    ) -> BlockEventsRequest[BlockAndPrivateData]:
        """Rebuild a block-with-private-data events request from its bytes."""
        return self._block_request(BLOCKS_WITH_PRIVATE_DATA, request_bytes, None)

    def new_signed_block_events_request(self, request_bytes: bytes, signature: bytes) -> BlockEventsRequest[Block]:
        """Rebuild a full-block events request signed offline."""
        return self._block_request(BLOCKS, request_bytes, signature)

    def new_signed_filtered_block_events_request(
        self, request_bytes: bytes, signature: bytes
    ) -> BlockEventsRequest[FilteredBlock]:
        """Rebuild a filtered-block events request signed offline."""
        return self._block_request(FILTERED_BLOCKS, request_bytes, signature)

    def new_signed_block_and_private_data_events_request(
        self, request_bytes: bytes, signature: bytes
    ) -> BlockEventsRequest[BlockAndPrivateData]:
        """Rebuild a block-with-private-data events request signed offline."""
        return self._block_request(BLOCKS_WITH_PRIVATE_DATA, request_bytes, signature)

    def _block_request(
        self, kind: BlockEventsKind[E], request_bytes: bytes, signature: bytes | None
    ) -> BlockEventsRequest[E]:
        return self._rebuild(
            BlockEventsRequest, block_events_request_data_from_bytes, request_bytes, signature, kind=kind
        )

    def close(self) -> None:
        """Close the channel if this gateway opened it (calls in flight are cancelled)."""
        self._client.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def connect(
    endpoint: Endpoint | Any,
    identity: X509Identity,
    signer: Signer | None = None,
    *,
    hash: Hash = hashes.sha256,
    timeouts: Timeouts | None = None,
    resubmit: ResubmitPolicy | None = ResubmitPolicy(),  # noqa: B008 -- immutable
    tls_client_certificate_hash: bytes | None = None,
    metadata: Sequence[tuple[str, str | bytes]] = (),
    wait_for_ready: bool = False,
) -> Gateway:
    """Connect to a gateway peer.

    Args:
        endpoint: an :class:`Endpoint` (the gateway opens a channel and closes it on ``close()``), or
            an existing ``grpc.Channel`` (reused as is; the caller closes it).
        identity: the client identity every request is made with.
        signer: signs digests for ``identity``; ``None`` for offline signing only.
        hash: digest applied before signing (``hashes.none`` for Ed25519).
        timeouts: default deadline of each step.
        resubmit: how ``submit`` ends every transaction in a definite state; ``None`` for the
            official clients' behaviour.
        tls_client_certificate_hash: SHA-256 of the client TLS certificate for block events under
            mutual TLS; taken from the endpoint when it has a client certificate.
        metadata: gRPC metadata sent with every call and stream, e.g. ``(("authorization", token),)``
            for an authenticating proxy in front of the peer (``-bin`` keys take bytes).
        wait_for_ready: calls wait for the channel to (re)connect, within their deadline, instead of
            failing UNAVAILABLE at once while the peer is unreachable (e.g. restarting).
    """
    context = connection_context(
        endpoint,
        identity,
        hash=hash,
        timeouts=timeouts,
        resubmit=resubmit,
        tls_client_certificate_hash=tls_client_certificate_hash,
        can_sign=signer is not None,
        metadata=metadata,
        wait_for_ready=wait_for_ready,
    )
    if isinstance(endpoint, Endpoint):
        return Gateway(_Driver(_grpc.open_channel(endpoint), True, signer, context), context)
    return Gateway(_Driver(endpoint, False, signer, context), context)
