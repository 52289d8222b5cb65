"""The chaincode server over real gRPC (TLS and mutual TLS), with the test playing the peer."""

from __future__ import annotations

from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from fabric_protos.peer import chaincode_shim_pb2_grpc

from tests.unit.chaincode.certificates import Issued, NameOID, issue, name
from tests.unit.chaincode.peer_fakes import Msg, completed_response, ready_payload, response, run, transaction
from tradefin.chaincode.contract import ContractRouter
from tradefin.chaincode.contracts.kv import KvContract
from tradefin.chaincode.shim import ChaincodeServer, ServerTLS


class TlsMaterial:
    def __init__(self) -> None:
        self.ca = issue(name((NameOID.COMMON_NAME, "chaincode TLS CA")), ca=True)
        self.server = issue(name((NameOID.COMMON_NAME, "chaincode")), issuer=self.ca, dns_names=("localhost",))
        self.client = issue(name((NameOID.COMMON_NAME, "peer0.bank1")), issuer=self.ca)
        self.stranger_ca = issue(name((NameOID.COMMON_NAME, "other CA")), ca=True)

    def server_tls(self, mutual: bool) -> ServerTLS:
        client_ca = self.ca.certificate_pem if mutual else None
        return ServerTLS(self.server.certificate_pem, self.server.key_pem, client_ca)

    def channel_credentials(self, client: Issued | None) -> Any:
        if client is None:
            return grpc.ssl_channel_credentials(root_certificates=self.ca.certificate_pem)
        return grpc.ssl_channel_credentials(
            root_certificates=self.ca.certificate_pem,
            private_key=client.key_pem,
            certificate_chain=client.certificate_pem,
        )


async def play_peer(port: int, credentials: Any) -> tuple[str, Any, Any]:
    """Dial like a peer: handshake, one kv:Put, return (registered name, PUT_STATE, COMPLETED)."""
    options = [("grpc.ssl_target_name_override", "localhost")]
    async with grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials, options=options) as channel:
        call = chaincode_shim_pb2_grpc.ChaincodeStub(channel).Connect()
        register = await call.read()
        assert register.type == Msg.REGISTER
        await call.write(Msg(type=Msg.REGISTERED))
        await call.write(Msg(type=Msg.READY, payload=ready_payload()))
        await call.write(transaction("tx-grpc", "kv:Put", "k", b"v"))
        put_state = await call.read()
        await call.write(response(put_state))
        completed = await call.read()
        await call.done_writing()
        from fabric_protos.peer import chaincode_pb2

        return chaincode_pb2.ChaincodeID.FromString(register.payload).name, put_state, completed


@pytest.mark.parametrize("mutual", [False, True])
def test_tls_server_serves_a_transaction(mutual: bool) -> None:
    tls = TlsMaterial()

    async def scenario() -> None:
        server = ChaincodeServer(
            "127.0.0.1:0", "tradefin_1.0:abc", ContractRouter([KvContract()]), tls=tls.server_tls(mutual)
        )
        async with server:
            assert server.port > 0
            registered, put_state, completed = await play_peer(
                server.port, tls.channel_credentials(tls.client if mutual else None)
            )
        assert registered == "tradefin_1.0:abc"
        assert (put_state.type, put_state.txid) == (Msg.PUT_STATE, "tx-grpc")
        assert completed_response(completed).payload == b"v"
        assert completed.chaincode_event.event_name == "kv.put"

    run(scenario())


@pytest.mark.parametrize("client", ["none", "stranger"])
def test_mutual_tls_refuses_peers_without_a_trusted_client_certificate(client: str) -> None:
    tls = TlsMaterial()
    stranger = issue(name((NameOID.COMMON_NAME, "intruder")), issuer=tls.stranger_ca)

    async def scenario() -> None:
        server = ChaincodeServer(
            "127.0.0.1:0", "tradefin_1.0:abc", ContractRouter([KvContract()]), tls=tls.server_tls(mutual=True)
        )
        async with server:
            credentials = tls.channel_credentials(stranger if client == "stranger" else None)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await play_peer(server.port, credentials)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
            assert not server.connections

    run(scenario())


def test_server_refuses_a_port_in_use_and_an_empty_package_id() -> None:
    tls = TlsMaterial()

    async def scenario() -> None:
        first = ChaincodeServer("127.0.0.1:0", "cc:1", ContractRouter([KvContract()]), tls=tls.server_tls(False))
        async with first:
            second = ChaincodeServer(
                f"127.0.0.1:{first.port}", "cc:1", ContractRouter([KvContract()]), tls=tls.server_tls(False)
            )
            with pytest.raises(OSError, match="cannot listen"):
                await second.start()

    run(scenario())
    with pytest.raises(ValueError, match="package_id"):
        ChaincodeServer("127.0.0.1:0", "", ContractRouter([KvContract()]), tls=None)
    assert "PRIVATE" not in repr(tls.server_tls(True))
