"""The shim side of one peer stream: handshake, per-transaction tasks, request/response matching.

Everything runs on the event loop of the stream: messages are decoded once by gRPC, RESPONSE and
ERROR are matched to the waiting transaction by ``(channel_id, txid)`` without any thread hop, each
TRANSACTION / INIT runs as its own task, and writes to the stream are serialised by one lock.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Coroutine
from functools import partial
from typing import Any, Protocol

from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_response_pb2
from google.protobuf.message import DecodeError

from tradefin.chaincode.shim.errors import PeerError, ProtocolError, ShimError, StreamClosedError
from tradefin.chaincode.shim.proposal import TransactionProposal
from tradefin.chaincode.shim.response import ERROR_THRESHOLD, ChaincodeResponse
from tradefin.chaincode.shim.stub import ChaincodeStub

__all__ = ["Chaincode", "ConnectionState", "PeerConnection", "PeerStream"]

logger = logging.getLogger(__name__)

_Msg = chaincode_shim_pb2.ChaincodeMessage
_DEFAULT_BATCH_SIZE = 100


class Chaincode(Protocol):
    """What the shim runs for every TRANSACTION and INIT."""

    async def invoke(self, stub: ChaincodeStub) -> ChaincodeResponse:
        """Execute the transaction described by ``stub`` and return its response."""
        ...


class PeerStream(Protocol):
    """A bidirectional ChaincodeMessage stream with one peer."""

    async def read(self) -> Any | None:
        """The next message from the peer, or None once the stream has ended."""
        ...

    async def write(self, message: Any) -> None:
        """Send one message to the peer (never called concurrently)."""
        ...


class ConnectionState(enum.Enum):
    """Handshake progress of a peer stream."""

    CREATED = "created"  # REGISTER sent, waiting for REGISTERED
    ESTABLISHED = "established"  # waiting for READY
    READY = "ready"  # serving transactions
    CLOSED = "closed"


def _short(tx_id: str) -> str:
    return tx_id[:8]


def _type_name(message_type: int) -> str:
    try:
        name: str = _Msg.Type.Name(message_type)
    except ValueError:
        return f"message type {message_type}"
    return name


def _failure_text(exc: BaseException) -> str:
    """The text of an ERROR reply: our own messages are payload-free; others show only the type."""
    if isinstance(exc, PeerError):
        return f"{exc.request} refused by the peer: {exc.peer_message}"
    if isinstance(exc, ShimError):
        return f"{type(exc).__name__}: {exc}"
    return f"internal chaincode error ({type(exc).__name__})"


class PeerConnection:
    """Serves one peer stream: registers ``package_id`` and runs the chaincode's transactions."""

    def __init__(
        self,
        stream: PeerStream,
        chaincode: Chaincode,
        package_id: str,
        *,
        write_batching: bool = True,
    ) -> None:
        self._stream = stream
        self._chaincode = chaincode
        self._package_id = package_id
        self._write_batching_allowed = write_batching
        self._write_lock = asyncio.Lock()
        self._pending: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._abandoned: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._running: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.state = ConnectionState.CREATED
        """Where the handshake stands."""
        self.use_write_batch = False
        """True when the peer's READY offered write batching (and it is not disabled here)."""
        self.max_size_write_batch = _DEFAULT_BATCH_SIZE
        """Records per WRITE_BATCH_STATE message."""
        self.use_get_multiple_keys = False
        """True when the peer's READY offered GET_STATE_MULTIPLE."""
        self.max_size_get_multiple_keys = _DEFAULT_BATCH_SIZE
        """Keys per GET_STATE_MULTIPLE message."""

    # ------------------------------------------------------------------ stream loop

    async def serve(self) -> None:
        """Register, then handle the peer's messages until the stream ends.

        Raises:
            ProtocolError: the peer broke the handshake.
        """
        try:
            await self._send(
                _Msg(
                    type=_Msg.REGISTER,
                    payload=chaincode_pb2.ChaincodeID(name=self._package_id).SerializeToString(),
                )
            )
            while True:
                message = await self._stream.read()
                if message is None:
                    break
                if self.state is ConnectionState.READY or message.type == _Msg.KEEPALIVE:
                    self._dispatch(message)
                else:
                    await self._handshake(message)
        finally:
            await self._close()

    def _dispatch(self, message: Any) -> None:
        message_type = message.type
        if message_type in (_Msg.RESPONSE, _Msg.ERROR):
            self._resolve(message)
        elif message_type in (_Msg.TRANSACTION, _Msg.INIT):
            self._start_transaction(message)
        elif message_type == _Msg.KEEPALIVE:
            self._spawn(self._send(message))
        else:
            self._reject(message, f"unexpected {_type_name(message_type)} in state ready")

    async def _handshake(self, message: Any) -> None:
        if self.state is ConnectionState.CREATED and message.type == _Msg.REGISTERED:
            self.state = ConnectionState.ESTABLISHED
            logger.debug("registered with the peer as %s", self._package_id)
            return
        if self.state is ConnectionState.ESTABLISHED and message.type == _Msg.READY:
            self._become_ready(message.payload)
            return
        text = f"unexpected {_type_name(message.type)} in state {self.state.value}"
        logger.error("%s (transaction %s)", text, _short(message.txid))
        await self._send(_Msg(type=_Msg.ERROR, payload=text.encode(), txid=message.txid, channel_id=message.channel_id))
        raise ProtocolError(text)

    def _become_ready(self, payload: bytes) -> None:
        self.state = ConnectionState.READY
        if payload:
            try:
                params = chaincode_pb2.ChaincodeAdditionalParams.FromString(payload)
            except DecodeError:
                logger.warning("ignoring undecodable READY parameters")
            else:
                self.use_write_batch = params.use_write_batch and self._write_batching_allowed
                self.max_size_write_batch = params.max_size_write_batch or _DEFAULT_BATCH_SIZE
                self.use_get_multiple_keys = params.use_get_multiple_keys
                self.max_size_get_multiple_keys = params.max_size_get_multiple_keys or _DEFAULT_BATCH_SIZE
        logger.info(
            "chaincode %s ready (write batching %s, get multiple keys %s)",
            self._package_id,
            "on" if self.use_write_batch else "off",
            "on" if self.use_get_multiple_keys else "off",
        )

    def _resolve(self, message: Any) -> None:
        future = self._pending.get((message.channel_id, message.txid))
        if future is None or future.done():
            logger.warning(
                "dropping %s for transaction %s that has no request outstanding",
                _type_name(message.type),
                _short(message.txid),
            )
            return
        future.set_result(message)

    def _reject(self, message: Any, text: str) -> None:
        logger.error("%s (transaction %s)", text, _short(message.txid))
        self._spawn(
            self._send(_Msg(type=_Msg.ERROR, payload=text.encode(), txid=message.txid, channel_id=message.channel_id))
        )

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _send(self, message: Any) -> None:
        async with self._write_lock:
            await self._stream.write(message)

    async def _close(self) -> None:
        self.state = ConnectionState.CLOSED
        for future in self._pending.values():
            if not future.done():
                future.set_exception(StreamClosedError("the peer stream ended"))
        tasks = [*self._running.values(), *self._background]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        logger.info("stream with the peer closed (chaincode %s)", self._package_id)

    # ------------------------------------------------------------------ transactions

    def _start_transaction(self, message: Any) -> None:
        key = (message.channel_id, message.txid)
        if key in self._running:
            self._reject(message, "duplicate transaction id on this stream")
            return
        task = asyncio.create_task(self._execute(message))
        self._running[key] = task
        task.add_done_callback(lambda _: self._running.pop(key, None))

    async def _execute(self, message: Any) -> None:
        try:
            reply = await self._run_transaction(message)
        except asyncio.CancelledError as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # this transaction was cancelled (the stream closes)
                raise
            reply = self._failure_reply(message, exc)  # a cancellation inside the chaincode: still answered
        except Exception as exc:  # an internal failure is answered, never left silent
            logger.error(
                "transaction %s on channel %s failed inside the shim: %s",
                _short(message.txid),
                message.channel_id,
                type(exc).__name__,
            )
            reply = self._failure_reply(message, exc)
        try:
            await self._send(reply)
        except Exception as exc:  # the stream is gone: nothing left to answer
            logger.warning("could not answer transaction %s: %s", _short(message.txid), type(exc).__name__)

    @staticmethod
    def _failure_reply(message: Any, exc: BaseException) -> Any:
        return _Msg(
            type=_Msg.ERROR, payload=_failure_text(exc).encode(), txid=message.txid, channel_id=message.channel_id
        )

    async def _run_transaction(self, message: Any) -> Any:
        try:
            chaincode_input = chaincode_pb2.ChaincodeInput.FromString(message.payload)
        except DecodeError as exc:
            raise ProtocolError("cannot decode the transaction's ChaincodeInput") from exc
        proposal = TransactionProposal(message.proposal) if message.HasField("proposal") else None
        stub = ChaincodeStub(
            self,
            message.channel_id,
            message.txid,
            chaincode_input.args,
            proposal,
            is_init=message.type == _Msg.INIT,
            decorations=chaincode_input.decorations,
        )
        response = await self._chaincode.invoke(stub)
        if message.type == _Msg.INIT and response.status >= ERROR_THRESHOLD:  # as the Go shim answers a failed init
            return _Msg(
                type=_Msg.ERROR, payload=response.message.encode(), txid=message.txid, channel_id=message.channel_id
            )
        # whatever the status, as the Go shim does: a chaincode called by another (INVOKE_CHAINCODE) may
        # answer an error its caller still endorses, and its writes must not depend on peer batching
        await stub.flush_writes()
        completed = _Msg(
            type=_Msg.COMPLETED,
            payload=proposal_response_pb2.Response(
                status=response.status, message=response.message, payload=response.payload
            ).SerializeToString(),
            txid=message.txid,
            channel_id=message.channel_id,
        )
        event = stub.event
        if event is not None:
            completed.chaincode_event.event_name = event[0]
            completed.chaincode_event.payload = event[1]
        return completed

    # ------------------------------------------------------------------ requests from stubs

    def _forget_request(self, key: tuple[str, str], future: asyncio.Future[Any]) -> None:
        if self._pending.get(key) is future:
            del self._pending[key]
        if self._abandoned.get(key) is future:
            del self._abandoned[key]

    async def request(self, channel_id: str, tx_id: str, message_type: int, payload: bytes) -> bytes:
        """Send one request for a transaction and wait for the peer's RESPONSE payload.

        Raises:
            PeerError: the peer answered ERROR.
            StreamClosedError: the stream ended first.
        """
        if self.state is not ConnectionState.READY:
            raise StreamClosedError("the peer stream is not serving transactions")
        key = (channel_id, tx_id)
        abandoned = self._abandoned.get(key)
        if abandoned is not None:
            # an earlier request of this transaction whose caller was cancelled after sending it: the peer
            # answers it all the same, and that answer must not be taken for this request's
            await asyncio.wait({abandoned})
            if self.state is not ConnectionState.READY:
                raise StreamClosedError("the peer stream is not serving transactions")
        if key in self._pending:
            raise ProtocolError("a request is already outstanding for this transaction")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        message = _Msg(type=message_type, payload=payload, txid=tx_id, channel_id=channel_id)
        sent = False
        try:
            async with self._write_lock:
                sent = True  # from the write call on, the message is the transport's: it reaches the peer
                await self._stream.write(message)
            reply = await asyncio.shield(future)  # a cancelled caller leaves the future to the peer's answer
        except asyncio.CancelledError:
            if sent and not future.done():  # keep the slot until the peer's answer to it arrives
                self._abandoned[key] = future
                future.add_done_callback(partial(self._forget_request, key))
            else:
                self._forget_request(key, future)
            raise
        except BaseException:
            self._forget_request(key, future)
            raise
        self._forget_request(key, future)
        if reply.type == _Msg.RESPONSE:
            result: bytes = reply.payload
            return result
        if reply.type == _Msg.ERROR:
            raise PeerError(_type_name(message_type), reply.payload.decode("utf-8", "replace"))
        raise ProtocolError(f"unexpected {_type_name(reply.type)} in answer to a request")
