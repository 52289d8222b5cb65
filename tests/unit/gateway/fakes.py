"""Test doubles at the gRPC layer: a scripted gateway peer behind fake sync and asyncio channels.

Only the transport is faked; every request the client sends is decoded with the Fabric protos and
every reply is a real serialised Fabric message.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import proposal_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf import any_pb2
from google.rpc import status_pb2

from tradefin.gateway import PrivateKey
from tradefin.gateway._flow import serialize

Handler = Callable[[bytes, float | None], bytes]


def make_certificate(key: PrivateKey, common_name: str = "User1@bank1.example.com") -> bytes:
    """A self-signed PEM certificate for ``key`` (stands in for a cryptogen user certificate)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else crypto_hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM)


def new_ec_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


def prepared_envelope_payload(channel: str, transaction_id: str, result: bytes, signature_header: bytes = b"") -> bytes:
    """The payload of an endorsed envelope as the gateway builds it, carrying ``result`` (and the
    proposal's ``signature_header``: its creator and nonce, as the gateway copies them)."""
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.ENDORSER_TRANSACTION, channel_id=channel, tx_id=transaction_id
    )
    chaincode_action = proposal_pb2.ChaincodeAction(response=proposal_response_pb2.Response(status=200, payload=result))
    response_payload = proposal_response_pb2.ProposalResponsePayload(
        proposal_hash=b"hash", extension=chaincode_action.SerializeToString()
    )
    action_payload = transaction_pb2.ChaincodeActionPayload(
        chaincode_proposal_payload=b"",
        action=transaction_pb2.ChaincodeEndorsedAction(proposal_response_payload=response_payload.SerializeToString()),
    )
    transaction = transaction_pb2.Transaction(
        actions=[transaction_pb2.TransactionAction(header=b"", payload=action_payload.SerializeToString())]
    )
    payload = common_pb2.Payload(
        header=common_pb2.Header(
            channel_header=channel_header.SerializeToString(), signature_header=signature_header
        ),
        data=transaction.SerializeToString(),
    )
    return serialize(payload)


class FakeRpcError(grpc.RpcError):  # type: ignore[misc]
    """A failed call as grpcio reports it: code, details and trailing metadata."""

    def __init__(self, code: Any, message: str, details: Iterable[tuple[str, str, str]] = ()) -> None:
        super().__init__(message)
        self._code = code
        self._message = message
        status = status_pb2.Status(code=code.value[0], message=message)
        for address, msp_id, detail_message in details:
            packed = any_pb2.Any()
            packed.Pack(gateway_pb2.ErrorDetail(address=address, msp_id=msp_id, message=detail_message))
            status.details.append(packed)
        self._trailing = (("grpc-status-details-bin", status.SerializeToString()),) if details else ()

    def code(self) -> Any:
        return self._code

    def details(self) -> str:
        return self._message

    def trailing_metadata(self) -> Any:
        return self._trailing


@dataclass
class Recorded:
    method: str
    request: bytes
    timeout: float | None


@dataclass
class FakePeer:
    """A scripted gateway peer: per method, a queue of handlers (the last one repeats)."""

    channel: str = "asia-europe"
    result: bytes = b"result"
    calls: list[Recorded] = field(default_factory=list)
    scripts: dict[str, list[Handler]] = field(default_factory=dict)
    stream_responses: list[bytes] = field(default_factory=list)

    def script(self, method: str, *handlers: Handler) -> None:
        self.scripts[method] = list(handlers)

    def requests(self, method: str) -> list[bytes]:
        return [call.request for call in self.calls if call.method == method]

    def handle(self, method: str, request: bytes, timeout: float | None) -> bytes:
        self.calls.append(Recorded(method, request, timeout))
        queue = self.scripts.get(method)
        if queue:
            handler = queue.pop(0) if len(queue) > 1 else queue[0]
            return handler(request, timeout)
        return self.default(method, request)

    def default(self, method: str, request: bytes) -> bytes:
        if method.endswith("/Evaluate"):
            return serialize(
                gateway_pb2.EvaluateResponse(result=proposal_response_pb2.Response(status=200, payload=self.result))
            )
        if method.endswith("/Endorse"):
            endorse = gateway_pb2.EndorseRequest.FromString(request)
            proposal = proposal_pb2.Proposal.FromString(endorse.proposed_transaction.proposal_bytes)
            signature_header = common_pb2.Header.FromString(proposal.header).signature_header
            payload = prepared_envelope_payload(
                endorse.channel_id, endorse.transaction_id, self.result, signature_header
            )
            return serialize(gateway_pb2.EndorseResponse(prepared_transaction=common_pb2.Envelope(payload=payload)))
        if method.endswith("/Submit"):
            return serialize(gateway_pb2.SubmitResponse())
        if method.endswith("/CommitStatus"):
            return committed(0, 7)(request, None)
        raise AssertionError(f"unexpected call {method}")


def committed(code: int, block: int = 7) -> Handler:
    def handler(request: bytes, timeout: float | None) -> bytes:
        return serialize(gateway_pb2.CommitStatusResponse(result=code, block_number=block))

    return handler


def failing(code: Any, message: str = "failed", details: Iterable[tuple[str, str, str]] = ()) -> Handler:
    def handler(request: bytes, timeout: float | None) -> bytes:
        raise FakeRpcError(code, message, details)

    return handler


class FakeStreamCall:
    """A server stream: yields the scripted responses, then blocks nothing and ends (or raises)."""

    def __init__(self, responses: list[bytes], error: Exception | None = None) -> None:
        self._responses: Iterator[bytes] = iter(responses)
        self._error = error
        self.cancelled = False

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return True  # the fake's failures are read as they happen: their time is the time they are read

    def add_done_callback(self, callback: Callable[[Any], None]) -> None:
        pass

    def __iter__(self) -> FakeStreamCall:
        return self

    def __next__(self) -> bytes:
        if self.cancelled:
            raise FakeRpcError(grpc.StatusCode.CANCELLED, "cancelled")
        try:
            return next(self._responses)
        except StopIteration:
            if self._error is not None:
                raise self._error from None
            raise

    async def read(self) -> Any:
        try:
            return self.__next__()
        except StopIteration:
            return grpc.aio.EOF

    def cancel(self) -> bool:
        self.cancelled = True
        return True


class FakeFuture:
    """A finished call as grpcio's ``future()`` returns it (the fake peer answers at once)."""

    def __init__(self, call: Callable[[], bytes]) -> None:
        try:
            self._reply: bytes | None = call()
            self._error: BaseException | None = None
        except BaseException as error:
            self._reply, self._error = None, error

    def cancel(self) -> bool:
        return False  # already done

    def result(self) -> bytes:
        if self._error is not None:
            raise self._error
        assert self._reply is not None
        return self._reply


class FakeMultiCallable:
    """grpcio's unary-unary multicallable: call it, or make a future of the call."""

    def __init__(self, peer: FakePeer, method: str) -> None:
        self.peer = peer
        self.method = method

    def __call__(self, request: bytes, timeout: float | None = None) -> bytes:
        return self.peer.handle(self.method, request, timeout)

    def future(self, request: bytes, timeout: float | None = None) -> FakeFuture:
        return FakeFuture(lambda: self.peer.handle(self.method, request, timeout))


class FakeChannel:
    """A blocking grpc.Channel stand-in that routes calls to a FakePeer."""

    def __init__(self, peer: FakePeer, stream_error: Exception | None = None) -> None:
        self.peer = peer
        self.stream_error = stream_error
        self.streams: list[tuple[str, bytes, FakeStreamCall]] = []
        self.closed = False

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Callable[..., bytes]:
        return FakeMultiCallable(self.peer, method)

    def _stream(self, method: str, request: bytes, timeout: float | None) -> FakeStreamCall:
        self.peer.calls.append(Recorded(method, request, timeout))
        stream = FakeStreamCall(list(self.peer.stream_responses), self.stream_error)
        self.streams.append((method, request, stream))
        return stream

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Callable[..., FakeStreamCall]:
        return lambda request, timeout=None: self._stream(method, request, timeout)

    def stream_stream(self, method: str, *args: Any, **kwargs: Any) -> Callable[..., FakeStreamCall]:
        return lambda requests, timeout=None: self._stream(method, b"".join(requests), timeout)

    def close(self) -> None:
        self.closed = True


class FakeAioChannel(FakeChannel):
    """The grpc.aio.Channel stand-in: unary calls are awaitable."""

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
        async def call(request: bytes, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 -- grpc.aio's shape
            return self.peer.handle(method, request, timeout)

        return call

    async def close(self) -> None:  # type: ignore[override]
        self.closed = True
