"""The only module that touches grpcio directly: channels, credentials, and gRPC errors.

grpcio ships no type information, so it is imported here once and kept behind small typed functions.
"""

from __future__ import annotations

import re
from typing import Any

import grpc  # type: ignore[import-untyped]
import grpc.aio  # type: ignore[import-untyped]

from tradefin.gateway.endpoint import Endpoint
from tradefin.gateway.errors import GatewayError, GrpcCode, details_from_status_bytes

__all__ = [
    "FutureCancelledError",
    "RpcError",
    "UsageError",
    "channel_options",
    "gateway_error",
    "is_cancelled",
    "open_aio_channel",
    "open_channel",
]

RpcError: type[Exception] = grpc.RpcError
"""grpcio's base exception of failed calls (sync and asyncio)."""

UsageError: type[Exception] = grpc.aio.UsageError
"""What grpc.aio raises for a call on a closed channel."""

FutureCancelledError: type[Exception] = grpc.FutureCancelledError
"""What a cancelled blocking call's future raises."""

_STATUS_DETAILS_KEY = "grpc-status-details-bin"
_MAX_MESSAGE_BYTES = 100 * 1024 * 1024  # Fabric's own default limit for blocks and envelopes

_BASE_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
    # Peers refuse pings more often than every 60 s by default (peer.keepalive.minInterval).
    ("grpc.keepalive_time_ms", 120_000),
    ("grpc.keepalive_timeout_ms", 20_000),
)


def channel_options(endpoint: Endpoint) -> list[tuple[str, Any]]:
    """gRPC channel arguments for an endpoint: the client's own, then the endpoint's (which win)."""
    options = dict(_BASE_OPTIONS)
    if endpoint.server_name_override:
        options["grpc.ssl_target_name_override"] = endpoint.server_name_override
    options.update(endpoint.channel_options)
    return list(options.items())


def _credentials(endpoint: Endpoint) -> Any:
    return grpc.ssl_channel_credentials(
        root_certificates=endpoint.root_certificates,
        private_key=endpoint.client_key,
        certificate_chain=endpoint.client_certificate,
    )


def open_channel(endpoint: Endpoint) -> Any:
    """A blocking-API gRPC channel to the endpoint."""
    if endpoint.plaintext:
        return grpc.insecure_channel(endpoint.address, options=channel_options(endpoint))
    return grpc.secure_channel(endpoint.address, _credentials(endpoint), options=channel_options(endpoint))


def open_aio_channel(endpoint: Endpoint) -> Any:
    """An asyncio gRPC channel to the endpoint."""
    if endpoint.plaintext:
        return grpc.aio.insecure_channel(endpoint.address, options=channel_options(endpoint))
    return grpc.aio.secure_channel(endpoint.address, _credentials(endpoint), options=channel_options(endpoint))


def is_cancelled(error: Any) -> bool:
    """Whether a grpcio error says the call was cancelled (by this client, or its channel closing)."""
    try:
        return bool(error.code() == grpc.StatusCode.CANCELLED)
    except AttributeError:
        return False


def step_name(method: str) -> str:
    """``commit status`` for ``/gateway.Gateway/CommitStatus``: the step a gRPC method performs."""
    name = method.rsplit("/", 1)[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()


def gateway_error(
    error: Any, *, elapsed: float | None = None, timeout: float | None = None, what: str = ""
) -> GatewayError:
    """Classify a grpcio error: code, message and the per-node details of its status trailer.

    ``elapsed`` and ``timeout`` (seconds) tell a deadline apart from a cancellation: when the deadline
    passes, the peer resets the stream, and grpcio may read that reset (``CANCELLED``, or ``INTERNAL``
    "Stream removed") before its own deadline timer fires. A call this client did not cancel and whose
    deadline had passed is reported as ``DEADLINE_EXCEEDED``, its message naming ``what`` timed out
    (e.g. ``endorse``) and the deadline.
    """
    try:
        code = GrpcCode(error.code().value[0])
    except (AttributeError, TypeError, ValueError, IndexError):
        code = GrpcCode.UNKNOWN
    try:
        message = error.details() or ""
    except AttributeError:
        message = str(error)
    passed = timeout is not None and elapsed is not None and elapsed >= timeout
    reset = code is GrpcCode.CANCELLED or (
        code is GrpcCode.INTERNAL and ("Stream removed" in message or "RST_STREAM" in message)
    )
    if passed and (reset or code is GrpcCode.DEADLINE_EXCEEDED):
        code = GrpcCode.DEADLINE_EXCEEDED
        message = f"{what or 'the call'}: no answer within its deadline of {timeout:g} s ({message})"
    details: tuple[Any, ...] = ()
    try:
        metadata = error.trailing_metadata() or ()
    except AttributeError:
        metadata = ()
    for key, value in metadata:
        if key == _STATUS_DETAILS_KEY and isinstance(value, bytes):
            details = details_from_status_bytes(value)
            break
    result = GatewayError(code, message, details)
    result.__cause__ = error
    return result
