"""The real gRPC wiring, against an in-process gRPC server standing in for the peer's services:
mutual TLS with a server name override, raw-bytes calls, error details in the trailer, deadlines,
streams and their cancellation, and the TLS certificate hash that block event requests must carry."""

from __future__ import annotations

import asyncio
import datetime
import gc
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes as crypto_hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import chaincode_event_pb2, events_pb2
from google.protobuf import any_pb2
from google.rpc import status_pb2

from tests.unit.gateway.fakes import FakePeer
from tradefin.gateway import (
    Cancellation,
    ChaincodeEvent,
    EndorseError,
    Endpoint,
    EvaluateError,
    GatewayError,
    GrpcCode,
    ResubmitPolicy,
    TransactionInDoubtError,
    X509Identity,
    connect,
    new_private_key_signer,
)
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway._flow import serialize

PEER_NAME = "peer0.bank1.example.com"


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@dataclass
class TlsMaterial:
    ca: bytes
    server_certificate: bytes
    server_key: bytes
    client_certificate: bytes
    client_key: bytes


def make_tls() -> TlsMaterial:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tlsca.bank1.example.com")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, crypto_hashes.SHA256())
    )

    def leaf(common_name: str, server: bool) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
        )
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        return _pem(builder.sign(ca_key, crypto_hashes.SHA256())), _key_pem(key)

    server_certificate, server_key = leaf(PEER_NAME, server=True)
    client_certificate, client_key = leaf("User1@bank1.example.com", server=False)
    return TlsMaterial(_pem(ca), server_certificate, server_key, client_certificate, client_key)


@dataclass
class PeerServer:
    """Raw-bytes handlers over a FakePeer, plus what the streams saw."""

    peer: FakePeer
    deliver_requests: list[bytes] = field(default_factory=list)
    client_certificates: list[bytes] = field(default_factory=list)
    stream_cancelled: threading.Event = field(default_factory=threading.Event)
    hold_commit_status: bool = False  # CommitStatus waits until the client goes away
    events_per_response: int = 1  # chaincode events in the stream's one response
    status_waiting: threading.Event = field(default_factory=threading.Event)
    metadata: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (method, what the call carried)
    submit_failure: tuple[grpc.StatusCode, str] | None = None  # every Submit fails so
    events_failure: tuple[grpc.StatusCode, str] | None = None  # the events stream fails so after its response
    submit_failed: threading.Event = field(default_factory=threading.Event)

    def when_status_waits(self, action: Callable[[], object]) -> threading.Thread:
        """A started thread that runs ``action`` once a held CommitStatus call is waiting."""

        def run() -> None:
            assert self.status_waiting.wait(30)
            action()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def methods(self) -> list[str]:
        """The gateway methods called so far, in order."""
        return [call.method.rsplit("/", 1)[1] for call in self.peer.calls]

    def unary(self, method: str) -> Any:
        def handle(request: bytes, context: Any) -> bytes:
            self.metadata.append((method.rsplit("/", 1)[1], dict(context.invocation_metadata())))
            if method == "/gateway.Gateway/CommitStatus" and self.hold_commit_status:
                reply = self.peer.handle(method, request, context.time_remaining())
                self.status_waiting.set()
                while context.is_active():
                    time.sleep(0.01)
                return reply
            if method == "/gateway.Gateway/Submit" and self.submit_failure is not None:
                self.peer.handle(method, request, context.time_remaining())  # recorded
                self.submit_failed.set()
                context.abort(*self.submit_failure)
            if method == "/gateway.Gateway/Evaluate" and self.peer.result == b"slow":
                time.sleep(0.5)
            if method == "/gateway.Gateway/Endorse" and self.peer.result == b"reject":
                status = status_pb2.Status(code=grpc.StatusCode.ABORTED.value[0], message="failed to endorse")
                detail = any_pb2.Any()
                detail.Pack(gateway_pb2.ErrorDetail(address=f"{PEER_NAME}:7051", msp_id="Bank1MSP", message="ERR_X"))
                status.details.append(detail)
                context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
                context.abort(grpc.StatusCode.ABORTED, "failed to endorse")
            return self.peer.handle(method, request, context.time_remaining())

        return grpc.unary_unary_rpc_method_handler(handle)

    def chaincode_events(self, request: bytes, context: Any) -> Iterator[bytes]:
        # The stream never ends by itself: its termination is the client's cancellation.
        context.add_callback(self.stream_cancelled.set)
        self.metadata.append(("ChaincodeEvents", dict(context.invocation_metadata())))
        events = [
            chaincode_event_pb2.ChaincodeEvent(chaincode_id="tradefin", tx_id=f"tx-{n}", event_name="E")
            for n in range(1, self.events_per_response + 1)
        ]
        yield serialize(gateway_pb2.ChaincodeEventsResponse(block_number=4, events=events))
        if self.events_failure is not None:
            context.abort(*self.events_failure)
        while context.is_active():
            time.sleep(0.01)

    def deliver(self, requests: Iterator[bytes], context: Any) -> Iterator[bytes]:
        self.deliver_requests.append(next(requests))
        self.client_certificates.extend(context.auth_context().get("x509_pem_cert", []))
        block = common_pb2.Block(header=common_pb2.BlockHeader(number=0))
        yield serialize(events_pb2.DeliverResponse(block=block))
        yield serialize(events_pb2.DeliverResponse(status=common_pb2.SUCCESS))

    def handlers(self) -> list[Any]:
        gateway_methods = {
            name: self.unary(f"/gateway.Gateway/{name}") for name in ("Evaluate", "Endorse", "Submit", "CommitStatus")
        }
        gateway_methods["ChaincodeEvents"] = grpc.unary_stream_rpc_method_handler(self.chaincode_events)
        return [
            grpc.method_handlers_generic_handler("gateway.Gateway", gateway_methods),
            grpc.method_handlers_generic_handler(
                "protos.Deliver", {"Deliver": grpc.stream_stream_rpc_method_handler(self.deliver)}
            ),
        ]


@pytest.fixture(scope="module")
def tls() -> TlsMaterial:
    return make_tls()


def mutual_tls_server(tls: TlsMaterial, port: int = 0) -> tuple[PeerServer, Any, int]:
    """A peer stand-in requiring the client certificate, on ``port`` (0: any free one), not started yet."""
    peer_server = PeerServer(FakePeer())
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    grpc_server.add_generic_rpc_handlers(peer_server.handlers())
    credentials = grpc.ssl_server_credentials(
        [(tls.server_key, tls.server_certificate)], root_certificates=tls.ca, require_client_auth=True
    )
    return peer_server, grpc_server, grpc_server.add_secure_port(f"127.0.0.1:{port}", credentials)


def mutual_tls_endpoint(tls: TlsMaterial, port: int) -> Endpoint:
    return Endpoint.tls(
        f"127.0.0.1:{port}",
        tls.ca,
        client_certificate=tls.client_certificate,
        client_key=tls.client_key,
        server_name_override=PEER_NAME,
    )


@pytest.fixture
def server(tls: TlsMaterial) -> Iterator[tuple[PeerServer, Endpoint]]:
    peer_server, grpc_server, port = mutual_tls_server(tls)
    grpc_server.start()
    try:
        yield peer_server, mutual_tls_endpoint(tls, port)
    finally:
        grpc_server.stop(grace=None).wait(5)


def test_blocking_front_end_over_mutual_tls(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    with connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
        contract = gateway.get_network("asia-europe").get_contract("tradefin")
        assert contract.evaluate("Get") == b"result"
        assert contract.submit("Issue", ["LC-1"]) == b"result"

        peer_server.peer.result = b"reject"
        with pytest.raises(EndorseError) as caught:
            contract.submit("Issue")
        assert caught.value.code is GrpcCode.ABORTED
        assert [(d.address, d.msp_id, d.message) for d in caught.value.details] == [
            (f"{PEER_NAME}:7051", "Bank1MSP", "ERR_X")
        ]

        peer_server.peer.result = b"slow"
        with pytest.raises(EvaluateError) as slow:
            contract.evaluate("Get", timeout=0.1)
        assert slow.value.code is GrpcCode.DEADLINE_EXCEEDED

        events = gateway.get_network("asia-europe").chaincode_events("tradefin")
        assert next(events) == ChaincodeEvent(4, "tx-1", "tradefin", "E", b"")
        events.close()
        assert peer_server.stream_cancelled.wait(30)  # returns as soon as the server sees the cancel

        blocks = list(gateway.get_network("asia-europe").block_events(start_block=0))
        assert [block.number for block in blocks] == [0]

    envelope = common_pb2.Envelope.FromString(peer_server.deliver_requests[0])
    header = common_pb2.ChannelHeader.FromString(common_pb2.Payload.FromString(envelope.payload).header.channel_header)
    [client_certificate] = peer_server.client_certificates
    der = x509.load_pem_x509_certificate(client_certificate).public_bytes(serialization.Encoding.DER)
    assert header.tls_cert_hash == hashlib.sha256(der).digest()


def test_asyncio_front_end_over_mutual_tls(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server

    async def scenario() -> None:
        async with gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
            contract = gateway.get_network("asia-europe").get_contract("tradefin")
            results = await asyncio.gather(*(contract.submit("Issue", [str(i)]) for i in range(20)))
            assert results == [b"result"] * 20
            assert await contract.evaluate("Get") == b"result"

            peer_server.peer.result = b"reject"
            with pytest.raises(EndorseError) as caught:
                await contract.submit("Issue")
            assert caught.value.details[0].message == "ERR_X"

            peer_server.peer.result = b"slow"
            with pytest.raises(EvaluateError) as slow:
                await contract.evaluate("Get", timeout=0.1)
            assert slow.value.code is GrpcCode.DEADLINE_EXCEEDED

            events = await gateway.get_network("asia-europe").chaincode_events("tradefin")
            assert (await anext(events)).transaction_id == "tx-1"  # an event, not a stream that just ended
            await events.aclose()
            # the server sees the cancel while the gateway (and its channel) is still open
            assert await asyncio.to_thread(peer_server.stream_cancelled.wait, 30)

            blocks = await gateway.get_network("asia-europe").block_events(start_block=0)
            assert [block.number async for block in blocks] == [0]

    asyncio.run(scenario())


def test_closing_a_blocking_gateway_mid_submit_gives_an_answer_with_the_tx_id(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    peer_server.hold_commit_status = True
    gateway = connect(endpoint, identity, new_private_key_signer(private_key))
    closer = peer_server.when_status_waits(gateway.close)
    with pytest.raises(TransactionInDoubtError) as caught:  # not grpcio's ValueError of a closed channel
        gateway.get_network("asia-europe").get_contract("tradefin").submit("Issue")
    closer.join()
    assert caught.value.code is GrpcCode.CANCELLED
    assert caught.value.transaction_id
    assert peer_server.methods() == ["Endorse", "Submit", "CommitStatus"]


def test_closing_an_asyncio_gateway_mid_submit_gives_an_answer_with_the_tx_id(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    peer_server.hold_commit_status = True

    async def scenario() -> None:
        gateway = gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key))
        submit = asyncio.ensure_future(gateway.get_network("asia-europe").get_contract("tradefin").submit("Issue"))
        assert await asyncio.to_thread(peer_server.status_waiting.wait, 30)
        await gateway.close()
        with pytest.raises(TransactionInDoubtError) as caught:  # grpc.aio's CancelledError becomes an answer
            await submit
        assert caught.value.code is GrpcCode.CANCELLED

    asyncio.run(scenario())
    assert peer_server.methods() == ["Endorse", "Submit", "CommitStatus"]


def test_a_cancelled_asyncio_submit_names_the_transaction_it_may_have_left_with_the_orderer(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    # asyncio's cancellation must stay a CancelledError; it carries the transaction id as a note
    peer_server, endpoint = server
    peer_server.hold_commit_status = True

    async def scenario() -> None:
        async with gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
            contract = gateway.get_network("asia-europe").get_contract("tradefin")
            submit = asyncio.ensure_future(contract.submit("Issue"))
            assert await asyncio.to_thread(peer_server.status_waiting.wait, 30)
            submit.cancel()
            with pytest.raises(asyncio.CancelledError) as caught:
                await submit
            (note,) = caught.value.__notes__
            submitted = [
                gateway_pb2.SubmitRequest.FromString(request).transaction_id
                for request in peer_server.peer.requests("/gateway.Gateway/Submit")
            ]
            assert len(submitted) == 1 and f"transaction {submitted[0]} was sent for ordering" in note
            assert f"network.new_commit({submitted[0]!r})" in note
            with pytest.raises(TimeoutError) as timed_out:  # asyncio.wait_for: the note is on its cause
                await asyncio.wait_for(contract.submit("Issue"), 0.5)
            cause = timed_out.value.__context__
            assert cause is not None and "was sent for ordering before the cancellation" in cause.__notes__[0]
            # a status query alone submits nothing: cancelled while the peer holds it, no note
            peer_server.status_waiting.clear()
            status_only = asyncio.ensure_future(gateway.get_network("asia-europe").new_commit("ab" * 32).status())
            assert await asyncio.to_thread(peer_server.status_waiting.wait, 30)
            status_only.cancel()
            with pytest.raises(asyncio.CancelledError) as nothing_sent:
                await status_only
            assert not getattr(nothing_sent.value, "__notes__", [])
            peer_server.hold_commit_status = False

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("failure", "may_commit"),
    [
        ((grpc.StatusCode.UNKNOWN, "exceeding concurrency limit"), False),  # the peer's limiter: not sent
        ((grpc.StatusCode.UNAVAILABLE, "no orderer answered"), True),  # an orderer may have taken it
    ],
)
def test_a_cancelled_asyncio_resolution_names_its_transaction_only_if_an_orderer_may_have_it(
    server: tuple[PeerServer, Endpoint],
    identity: X509Identity,
    private_key: ec.EllipticCurvePrivateKey,
    failure: tuple[grpc.StatusCode, str],
    may_commit: bool,
) -> None:
    peer_server, endpoint = server
    peer_server.submit_failure = failure
    peer_server.hold_commit_status = True  # a probe after a Submit that may have gone waits here
    policy = ResubmitPolicy(pause=30.0, probe_timeout=30.0)  # a refusal is followed by a long pause

    async def scenario() -> None:
        async with gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
            contract = gateway.get_network("asia-europe").get_contract("tradefin")
            submit = asyncio.ensure_future(contract.submit("Issue", resubmit=policy))
            assert await asyncio.to_thread(peer_server.submit_failed.wait, 30)
            if may_commit:
                assert await asyncio.to_thread(peer_server.status_waiting.wait, 30)
            else:
                await asyncio.sleep(0.2)  # the flow is in its pause before the next Submit
            submit.cancel()
            with pytest.raises(asyncio.CancelledError) as caught:
                await submit
            notes = getattr(caught.value, "__notes__", [])
            if may_commit:
                assert len(notes) == 1 and "was sent for ordering before the cancellation and may commit" in notes[0]
            else:
                assert notes == []  # refused by the peer: nothing can commit, so nothing to look for
            peer_server.hold_commit_status = False

    asyncio.run(scenario())
    assert peer_server.methods() == (["Endorse", "Submit", "CommitStatus"] if may_commit else ["Endorse", "Submit"])


RESET = (grpc.StatusCode.INTERNAL, "Received RST_STREAM with error code 2")  # the peer's own reset


def test_a_stream_reset_early_but_read_after_its_deadline_keeps_the_peers_error(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    # only a reset at or after the deadline is the deadline: this one came at once, and is read late
    peer_server, endpoint = server
    peer_server.events_failure = RESET
    with connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
        events = gateway.get_network("asia-europe").chaincode_events("tradefin", timeout=0.5)
        assert next(events).transaction_id == "tx-1"
        time.sleep(1.0)
        with pytest.raises(GatewayError) as caught:
            next(events)
    assert caught.value.code is GrpcCode.INTERNAL and "RST_STREAM" in caught.value.message


def test_an_asyncio_stream_reset_early_but_read_after_its_deadline_keeps_the_peers_error(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    peer_server.events_failure = RESET

    async def scenario() -> GatewayError:
        async with gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
            events = await gateway.get_network("asia-europe").chaincode_events("tradefin", timeout=0.5)
            assert (await anext(events)).transaction_id == "tx-1"
            await asyncio.sleep(1.0)
            with pytest.raises(GatewayError) as caught:
                await anext(events)
            return caught.value

    error = asyncio.run(scenario())
    assert error.code is GrpcCode.INTERNAL and "RST_STREAM" in error.message


def test_cancelling_blocking_calls_from_another_thread(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    peer_server.hold_commit_status = True
    cancellation = Cancellation()

    with connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
        contract = gateway.get_network("asia-europe").get_contract("tradefin")
        canceller = peer_server.when_status_waits(cancellation.cancel)
        started = time.monotonic()
        with cancellation, pytest.raises(TransactionInDoubtError) as caught:  # the envelope went out
            contract.submit("Issue")
        canceller.join()
        assert time.monotonic() - started < 10  # not the 60 s commit-status deadline
        assert caught.value.code is GrpcCode.CANCELLED and "cancelled" in caught.value.message
        assert peer_server.methods() == ["Endorse", "Submit", "CommitStatus"]

        peer_server.hold_commit_status = False
        assert contract.evaluate("Get") == b"result"  # outside the scope the gateway goes on
        with cancellation, pytest.raises(EvaluateError) as refused:  # a cancelled scope sends nothing
            contract.evaluate("Get")
        assert refused.value.message == "the call was cancelled before sending"
        assert len(peer_server.peer.calls) == 4


def test_cancelling_asyncio_calls_from_another_thread(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    peer_server.hold_commit_status = True
    cancellation = Cancellation()

    async def scenario() -> None:
        async with gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
            contract = gateway.get_network("asia-europe").get_contract("tradefin")
            canceller = peer_server.when_status_waits(cancellation.cancel)
            with cancellation, pytest.raises(TransactionInDoubtError) as caught:  # an answer, no CancelledError
                await contract.submit("Issue")
            canceller.join()
            assert caught.value.code is GrpcCode.CANCELLED
            peer_server.hold_commit_status = False
            assert await contract.evaluate("Get") == b"result"

    started = time.monotonic()
    asyncio.run(scenario())
    assert time.monotonic() - started < 10
    assert peer_server.methods() == ["Endorse", "Submit", "CommitStatus", "Evaluate"]


def test_an_asyncio_stream_whose_gateway_closes_ends_with_an_error_not_a_bare_cancellation(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    _, endpoint = server

    async def scenario() -> None:
        gateway = gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key))
        events = await gateway.get_network("asia-europe").chaincode_events("tradefin")
        assert (await anext(events)).transaction_id == "tx-1"
        waiting = asyncio.ensure_future(anext(events))  # the server sends nothing more
        await asyncio.sleep(0.1)
        await gateway.close()
        with pytest.raises(GatewayError) as caught:  # this task was not cancelled: no CancelledError
            await waiting
        assert caught.value.code is GrpcCode.CANCELLED and "the gateway was closed" in caught.value.message

    asyncio.run(scenario())


def test_a_blocking_stream_whose_gateway_closes_its_own_channel_ends_with_the_closed_gateways_error(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    # grpc's own words were "Channel closed!" here; the shared-channel case and asyncio said what happened
    _, endpoint = server
    gateway = connect(endpoint, identity, new_private_key_signer(private_key))
    events = gateway.get_network("asia-europe").chaincode_events("tradefin")
    assert next(events).transaction_id == "tx-1"
    failures: list[BaseException] = []

    def read() -> None:
        try:
            next(events)  # the server sends nothing more
        except BaseException as error:
            failures.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.1)
    gateway.close()
    reader.join(10)
    assert not reader.is_alive() and len(failures) == 1
    assert isinstance(failures[0], GatewayError)
    assert failures[0].code is GrpcCode.CANCELLED and "the gateway was closed" in failures[0].message


def test_cancelling_a_scope_ends_the_blocking_streams_opened_in_it(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    cancellation = Cancellation()
    with connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
        network = gateway.get_network("asia-europe")
        with cancellation:  # the deadline only bounds a regression: the cancellation must end it first
            events = network.chaincode_events("tradefin", timeout=20)
        assert next(events).transaction_id == "tx-1"
        canceller = threading.Timer(0.2, cancellation.cancel)  # while the next read waits on the server
        canceller.start()
        started = time.monotonic()
        assert list(events) == []  # iteration simply ends, as after close()
        canceller.join()
        assert time.monotonic() - started < 10
        assert peer_server.stream_cancelled.wait(30)

        with cancellation, pytest.raises(GatewayError) as refused:  # opened in a cancelled scope: nothing sent
            network.block_events(start_block=0)
        assert refused.value.code is GrpcCode.CANCELLED
        assert peer_server.deliver_requests == []
        assert [block.number for block in network.block_events(start_block=0)] == [0]  # outside the scope


def test_cancelling_a_scope_ends_the_asyncio_streams_opened_in_it(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    cancellation = Cancellation()

    async def scenario() -> None:
        async with gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
            network = gateway.get_network("asia-europe")
            with cancellation:
                events = await network.chaincode_events("tradefin", timeout=20)
            assert (await anext(events)).transaction_id == "tx-1"
            threading.Timer(0.2, cancellation.cancel).start()  # from another thread, while the read waits
            assert [event async for event in events] == []
            assert await asyncio.to_thread(peer_server.stream_cancelled.wait, 30)
            with cancellation, pytest.raises(GatewayError) as refused:
                await network.block_events(start_block=0)
            assert refused.value.code is GrpcCode.CANCELLED
            assert peer_server.deliver_requests == []

    started = time.monotonic()
    asyncio.run(scenario())
    assert time.monotonic() - started < 10


def test_a_stream_dropped_unclosed_in_a_long_lived_scope_is_still_cancelled(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    shutdown = Cancellation()  # e.g. the application's scope, cancelled only at exit
    with connect(endpoint, identity, new_private_key_signer(private_key)) as gateway, shutdown:
        for _ in gateway.get_network("asia-europe").chaincode_events("tradefin", timeout=20):
            break  # left without close(), as any iterator may be
        gc.collect()
        # the scope does not keep the stream alive: collected, its call is cancelled at once
        assert peer_server.stream_cancelled.wait(5)


def test_cancelling_the_scope_inside_the_loop_ends_iteration_at_once(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    peer_server, endpoint = server
    peer_server.events_per_response = 3  # the rest of the response must not be handed out

    with connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
        scope, seen = Cancellation(), []
        with scope:
            events = gateway.get_network("asia-europe").chaincode_events("tradefin", timeout=20)
        for event in events:
            seen.append(event.transaction_id)
            scope.cancel()
        assert seen == ["tx-1"]

    async def scenario() -> list[str]:
        async with gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
            scope, seen = Cancellation(), []
            with scope:
                events = await gateway.get_network("asia-europe").chaincode_events("tradefin", timeout=20)
            async for event in events:
                seen.append(event.transaction_id)
                scope.cancel()  # on the loop's own thread
            return seen

    assert asyncio.run(scenario()) == ["tx-1"]


def test_a_task_cancelled_as_its_stream_is_closed_still_ends_cancelled(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    _, endpoint = server

    async def scenario() -> None:
        scope = Cancellation()
        async with gateway_aio.connect(endpoint, identity, new_private_key_signer(private_key)) as gateway:
            network = gateway.get_network("asia-europe")

            async def listen() -> None:
                with scope:
                    events = await network.chaincode_events("tradefin", timeout=20)
                async for _ in events:
                    pass

            task = asyncio.create_task(listen())
            await asyncio.sleep(0.3)  # the listener waits for the next response
            scope.cancel()  # shutdown: the scope and the task, together
            task.cancel()
            with pytest.raises(asyncio.CancelledError):  # not a normal return: TaskGroup / timeout rely on it
                await task

    asyncio.run(scenario())


def test_closing_a_blocking_gateway_on_a_shared_channel_ends_its_calls_and_streams_not_the_channel(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    # One channel shared by several identities' gateways (as the official clients advise): closing one
    # gateway ends what it has in flight -- its submit, its event stream -- and leaves the channel open.
    from tradefin.gateway._grpc import open_channel

    peer_server, endpoint = server
    channel = open_channel(endpoint)
    try:
        signer = new_private_key_signer(private_key)
        gateway, other = connect(channel, identity, signer), connect(channel, identity, signer)
        events = gateway.get_network("asia-europe").chaincode_events("tradefin")
        assert next(events).transaction_id == "tx-1"
        peer_server.hold_commit_status = True
        closer = peer_server.when_status_waits(gateway.close)
        started = time.monotonic()
        with pytest.raises(TransactionInDoubtError) as caught:  # the envelope went out: in doubt, not failed
            gateway.get_network("asia-europe").get_contract("tradefin").submit("Issue")
        closer.join()
        assert time.monotonic() - started < 10  # not the 60 s commit-status deadline
        assert caught.value.code is GrpcCode.CANCELLED and "closed" in caught.value.message
        with pytest.raises(GatewayError) as ended:  # the stream ends as when the gateway's own channel closes
            next(events)
        assert ended.value.code is GrpcCode.CANCELLED and "closed" in ended.value.message
        assert peer_server.stream_cancelled.wait(30)

        peer_server.hold_commit_status = False
        assert other.get_network("asia-europe").get_contract("tradefin").evaluate("Get") == b"result"
        with pytest.raises(EvaluateError):  # the closed gateway sends nothing more
            gateway.get_network("asia-europe").get_contract("tradefin").evaluate("Get")
    finally:
        channel.close()


def test_closing_an_asyncio_gateway_on_a_shared_channel_ends_its_calls_and_streams_not_the_channel(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    from tradefin.gateway._grpc import open_aio_channel

    peer_server, endpoint = server

    async def scenario() -> None:
        channel = open_aio_channel(endpoint)
        try:
            signer = new_private_key_signer(private_key)
            gateway = gateway_aio.connect(channel, identity, signer)
            other = gateway_aio.connect(channel, identity, signer)
            events = await gateway.get_network("asia-europe").chaincode_events("tradefin")
            assert (await anext(events)).transaction_id == "tx-1"
            waiting = asyncio.ensure_future(anext(events))  # the server sends nothing more
            peer_server.hold_commit_status = True
            submit = asyncio.ensure_future(gateway.get_network("asia-europe").get_contract("tradefin").submit("Issue"))
            assert await asyncio.to_thread(peer_server.status_waiting.wait, 30)
            await gateway.close()
            with pytest.raises(TransactionInDoubtError) as caught:
                await asyncio.wait_for(submit, 10)
            assert caught.value.code is GrpcCode.CANCELLED and "closed" in caught.value.message
            with pytest.raises(GatewayError) as ended:
                await asyncio.wait_for(waiting, 10)
            assert ended.value.code is GrpcCode.CANCELLED and "closed" in ended.value.message
            assert await asyncio.to_thread(peer_server.stream_cancelled.wait, 30)
            peer_server.hold_commit_status = False
            assert await other.get_network("asia-europe").get_contract("tradefin").evaluate("Get") == b"result"
        finally:
            await channel.close()

    asyncio.run(scenario())


SYSTEM_ROOTS_SCRIPT = """
import sys
from concurrent import futures
import grpc
from tests.unit.gateway.conftest import MSP_ID
from tests.unit.gateway.fakes import FakePeer, make_certificate, new_ec_key
from tests.unit.gateway.test_grpc_transport import PEER_NAME, PeerServer
from tradefin.gateway import Endpoint, X509Identity, connect, new_private_key_signer

server_key, server_certificate = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
peer_server = PeerServer(FakePeer())
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
server.add_generic_rpc_handlers(peer_server.handlers())
port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([(server_key, server_certificate)]))
server.start()
key = new_ec_key()
endpoint = Endpoint.tls_with_system_roots(f"127.0.0.1:{port}", server_name_override=PEER_NAME)
with connect(endpoint, X509Identity(MSP_ID, make_certificate(key)), new_private_key_signer(key)) as gateway:
    print(gateway.get_network("asia-europe").get_contract("tradefin").evaluate("Get", timeout=10).decode())
server.stop(None)
"""


def test_system_roots_verify_the_peer_against_the_machines_trust_store(tls: TlsMaterial, tmp_path: Path) -> None:
    # The trust store is gRPC's default roots, which GRPC_DEFAULT_SSL_ROOTS_FILE_PATH replaces; gRPC reads
    # it once per process, hence a process of its own: trusting the test CA there, the call goes through;
    # trusting another CA only, the handshake fails.
    import os
    import subprocess
    import sys

    (tmp_path / "key.pem").write_bytes(tls.server_key)
    (tmp_path / "cert.pem").write_bytes(tls.server_certificate)
    (tmp_path / "ca.pem").write_bytes(tls.ca)
    (tmp_path / "other-ca.pem").write_bytes(make_tls().ca)
    root = Path(__file__).resolve().parents[3]

    def run(roots: str) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": str(tmp_path / roots), "PYTHONPATH": str(root)}
        return subprocess.run(
            [sys.executable, "-c", SYSTEM_ROOTS_SCRIPT, str(tmp_path / "key.pem"), str(tmp_path / "cert.pem")],
            capture_output=True, text=True, env=environment, cwd=root, timeout=60, check=False,
        )

    trusted = run("ca.pem")
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.strip() == "result"
    untrusted = run("other-ca.pem")
    assert untrusted.returncode != 0
    assert "EvaluateError" in untrusted.stderr and "UNAVAILABLE" in untrusted.stderr


def test_metadata_goes_with_every_call_and_stream(
    server: tuple[PeerServer, Endpoint], identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    # e.g. an authenticating proxy in front of the peer; -bin keys carry bytes
    peer_server, endpoint = server
    metadata = (("authorization", "Bearer t0k3n"), ("x-trace-bin", b"\x00\x01"))
    with connect(endpoint, identity, new_private_key_signer(private_key), metadata=metadata) as gateway:
        network = gateway.get_network("asia-europe")
        network.get_contract("tradefin").submit("Issue")
        with network.chaincode_events("tradefin") as events:
            next(events)

    async def asynchronously() -> None:
        signer = new_private_key_signer(private_key)
        async with gateway_aio.connect(endpoint, identity, signer, metadata=metadata) as gateway:
            await gateway.get_network("asia-europe").get_contract("tradefin").evaluate("Get")

    asyncio.run(asynchronously())
    assert [method for method, _ in peer_server.metadata] == [
        "Endorse", "Submit", "CommitStatus", "ChaincodeEvents", "Evaluate"
    ]
    for _, carried in peer_server.metadata:
        assert carried["authorization"] == "Bearer t0k3n"
        assert carried["x-trace-bin"] == b"\x00\x01"
    for bad in [(("Authorization", "x"),), (("grpc-timeout", "1S"),), (("x-bin", "text"),), (("k", "caf\u00e9"),)]:
        with pytest.raises(ValueError, match="metadata"):
            connect(endpoint, identity, metadata=bad)  # refused before any channel is opened
    secret = "Bearer s3cr3t-t0k3n"
    for leaky in [[["authorization", secret]], [("x-token", secret + "\n")]]:
        with pytest.raises(ValueError) as refused:
            connect(endpoint, identity, metadata=leaky)  # type: ignore[arg-type]
        assert secret not in str(refused.value)  # a credential is never echoed
    with connect(endpoint, identity, metadata=(("authorization", secret),)) as gateway:
        assert secret not in repr(gateway._context)


def test_wait_for_ready_rides_out_a_peer_that_is_not_up_yet(
    tls: TlsMaterial, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = mutual_tls_endpoint(tls, port)
    signer = new_private_key_signer(private_key)
    with connect(endpoint, identity, signer) as impatient, pytest.raises(EvaluateError) as refused:
        impatient.get_network("asia-europe").get_contract("tradefin").evaluate("Get", timeout=10)
    assert refused.value.code is GrpcCode.UNAVAILABLE  # at once, not after the deadline

    _, grpc_server, _ = mutual_tls_server(tls, port)
    starter = threading.Timer(1.0, grpc_server.start)  # the peer comes up while the call waits
    try:
        with connect(endpoint, identity, signer, wait_for_ready=True) as patient:
            starter.start()
            started = time.monotonic()
            assert patient.get_network("asia-europe").get_contract("tradefin").evaluate("Get", timeout=20) == b"result"
            assert 0.5 < time.monotonic() - started < 15
    finally:
        starter.join()
        grpc_server.stop(grace=None).wait(5)
