"""Chaincode as a service: a grpc.aio server for ``protos.Chaincode/Connect``.

The peer dials this server (address from the package's connection.json), opens one Connect stream
per peer and expects the chaincode to REGISTER with the package id. One server serves any number
of peers; each stream gets its own :class:`PeerConnection`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc  # type: ignore[import-untyped]  # no stubs in the dev extras (types-grpcio)
from fabric_protos.peer import chaincode_shim_pb2_grpc

from tradefin.chaincode.shim.errors import ProtocolError
from tradefin.chaincode.shim.handler import Chaincode, PeerConnection

__all__ = ["DEFAULT_MAX_MESSAGE_SIZE", "ChaincodeServer", "ServerTLS"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_SIZE = 100 * 1024 * 1024
"""Fabric's default gRPC message size limit, on both sides of the stream."""


@dataclass(frozen=True)
class ServerTLS:
    """Server certificate and key (PEM); with ``client_ca_pem`` the peer must present a client cert."""

    certificate_pem: bytes
    private_key_pem: bytes
    client_ca_pem: bytes | None = None

    def __repr__(self) -> str:  # never show key material
        return f"ServerTLS(mutual={self.client_ca_pem is not None})"

    @classmethod
    def from_files(
        cls, certificate: str | Path, private_key: str | Path, client_ca: str | Path | None = None
    ) -> ServerTLS:
        """Read the PEM files (mutual TLS when ``client_ca`` is given)."""
        return cls(
            Path(certificate).read_bytes(),
            Path(private_key).read_bytes(),
            Path(client_ca).read_bytes() if client_ca is not None else None,
        )

    @property
    def mutual(self) -> bool:
        """True when client certificates are required."""
        return self.client_ca_pem is not None

    def credentials(self) -> grpc.ServerCredentials:
        """gRPC server credentials for this configuration."""
        return grpc.ssl_server_credentials(
            [(self.private_key_pem, self.certificate_pem)],
            root_certificates=self.client_ca_pem,
            require_client_auth=self.client_ca_pem is not None,
        )


class _GrpcPeerStream:
    """Adapts a grpc.aio servicer context to :class:`PeerStream`."""

    __slots__ = ("_context",)

    def __init__(self, context: Any) -> None:
        self._context = context

    async def read(self) -> Any | None:
        message = await self._context.read()
        return None if message is grpc.aio.EOF else message

    async def write(self, message: Any) -> None:
        await self._context.write(message)


class _ChaincodeService(chaincode_shim_pb2_grpc.ChaincodeServicer):  # type: ignore[misc]
    def __init__(self, server: ChaincodeServer) -> None:
        self._server = server

    async def Connect(self, request_iterator: Any, context: Any) -> None:
        connection = PeerConnection(
            _GrpcPeerStream(context),
            self._server.chaincode,
            self._server.package_id,
            write_batching=self._server.write_batching,
        )
        self._server.connections.add(connection)
        logger.info("peer connected from %s", context.peer())
        try:
            await connection.serve()
        except ProtocolError as exc:
            logger.error("peer stream from %s ended: %s", context.peer(), exc)
        finally:
            self._server.connections.discard(connection)


class ChaincodeServer:
    """Serves a chaincode to Fabric peers over ``protos.Chaincode/Connect``.

    ``tls`` is required as a keyword: pass a :class:`ServerTLS`, or ``None`` to serve plaintext on
    purpose (the package's connection.json must then say ``tls_required: false``).
    """

    def __init__(
        self,
        address: str,
        package_id: str,
        chaincode: Chaincode,
        *,
        tls: ServerTLS | None,
        write_batching: bool = True,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        if not package_id:
            raise ValueError("package_id must not be empty: the peer matches it on REGISTER")
        self.address = address
        """The listen address, ``host:port``."""
        self.package_id = package_id
        """The id sent in REGISTER: the chaincode package id, exactly as installed."""
        self.chaincode = chaincode
        """What runs each transaction."""
        self.tls = tls
        """TLS configuration, None for plaintext."""
        self.write_batching = write_batching
        """Use WRITE_BATCH_STATE when a peer offers it."""
        self.connections: set[PeerConnection] = set()
        """The peer streams currently open."""
        self._max_message_size = max_message_size
        self._server: grpc.aio.Server | None = None
        self._port = 0

    @property
    def port(self) -> int:
        """The bound port (useful when the address asked for port 0)."""
        return self._port

    async def start(self) -> None:
        """Bind and start serving.

        Raises:
            OSError: the address cannot be bound.
        """
        if self._server is not None:
            raise RuntimeError("server already started")
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", self._max_message_size),
                ("grpc.max_send_message_length", self._max_message_size),
                # Peers ping every minute (Fabric's client keepalive): accept that, idle or not.
                ("grpc.keepalive_time_ms", 60_000),
                ("grpc.keepalive_timeout_ms", 20_000),
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
                # Without this a second server could bind the same port silently.
                ("grpc.so_reuseport", 0),
            ]
        )
        chaincode_shim_pb2_grpc.add_ChaincodeServicer_to_server(_ChaincodeService(self), server)
        try:
            if self.tls is None:
                port = server.add_insecure_port(self.address)
            else:
                port = server.add_secure_port(self.address, self.tls.credentials())
        except RuntimeError as exc:
            await server.stop(None)
            raise OSError(f"cannot listen on {self.address}: {exc}") from exc
        if port == 0:
            await server.stop(None)
            raise OSError(f"cannot listen on {self.address}")
        await server.start()
        self._server = server
        self._port = port
        logger.debug("chaincode server bound to port %d", port)

    async def wait_for_termination(self) -> None:
        """Wait until the server stops."""
        if self._server is not None:
            await self._server.wait_for_termination()

    async def stop(self, grace: float | None = 5.0) -> None:
        """Stop accepting streams and close the open ones after ``grace`` seconds."""
        if self._server is None:
            return
        server, self._server = self._server, None
        await server.stop(grace)

    async def __aenter__(self) -> ChaincodeServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
