"""A scripted stand-in for the peer's end of the ChaincodeSupport stream (unit tests only).

It drives the real ``PeerConnection``: the test plays the peer, sending messages and asserting
on what the chaincode writes back.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fabric_protos.common import common_pb2
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_pb2, chaincode_shim_pb2, proposal_pb2, proposal_response_pb2

from tradefin.chaincode.shim import Chaincode, ConnectionState, PeerConnection

Msg = chaincode_shim_pb2.ChaincodeMessage
CHANNEL = "asia-europe"
PACKAGE_ID = "tradefin_1.0:0123abcd"


class FakePeerStream:
    """The peer side of a stream: queues in both directions."""

    def __init__(self) -> None:
        self.to_chaincode: asyncio.Queue[Any] = asyncio.Queue()
        self.from_chaincode: asyncio.Queue[Any] = asyncio.Queue()
        self.writers_active = 0
        self.max_concurrent_writers = 0

    # PeerStream, used by the chaincode
    async def read(self) -> Any | None:
        return await self.to_chaincode.get()

    async def write(self, message: Any) -> None:
        self.writers_active += 1
        self.max_concurrent_writers = max(self.max_concurrent_writers, self.writers_active)
        await asyncio.sleep(0)  # give a concurrent writer the chance to overlap, if the shim allowed it
        self.writers_active -= 1
        await self.from_chaincode.put(Msg.FromString(message.SerializeToString()))

    # the peer's side, used by tests
    def send(self, message: Any) -> None:
        self.to_chaincode.put_nowait(message)

    def end(self) -> None:
        self.to_chaincode.put_nowait(None)

    async def receive(self) -> Any:
        async with asyncio.timeout(2.0):
            return await self.from_chaincode.get()

    def nothing_sent(self) -> bool:
        return self.from_chaincode.empty()


def ready_payload(
    *, write_batch: bool = False, batch_size: int = 0, get_multiple: bool = False, multiple_size: int = 0
) -> bytes:
    params = chaincode_pb2.ChaincodeAdditionalParams(
        use_write_batch=write_batch,
        max_size_write_batch=batch_size,
        use_get_multiple_keys=get_multiple,
        max_size_get_multiple_keys=multiple_size,
    )
    payload: bytes = params.SerializeToString()
    return payload


async def connect(
    chaincode: Chaincode, ready: bytes = b"", *, write_batching: bool = True
) -> tuple[PeerConnection, FakePeerStream, asyncio.Task[None]]:
    """Start a connection and complete the handshake; returns it with the peer's stream and the task."""
    stream = FakePeerStream()
    connection = PeerConnection(stream, chaincode, PACKAGE_ID, write_batching=write_batching)
    task = asyncio.create_task(connection.serve())
    register = await stream.receive()
    assert register.type == Msg.REGISTER
    assert chaincode_pb2.ChaincodeID.FromString(register.payload).name == PACKAGE_ID
    stream.send(Msg(type=Msg.REGISTERED))
    stream.send(Msg(type=Msg.READY, payload=ready))
    for _ in range(100):
        if connection.state is ConnectionState.READY:
            break
        await asyncio.sleep(0)
    assert connection.state is ConnectionState.READY
    return connection, stream, task


def signed_proposal(
    *,
    tx_id: str,
    creator: bytes = b"",
    nonce: bytes = b"n" * 24,
    timestamp: datetime | None = None,
    transient: dict[str, bytes] | None = None,
    args: list[bytes] | None = None,
    epoch: int = 0,
) -> Any:
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.ENDORSER_TRANSACTION, channel_id=CHANNEL, tx_id=tx_id, epoch=epoch
    )
    if timestamp is not None:
        channel_header.timestamp.FromDatetime(timestamp)
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator, nonce=nonce).SerializeToString(),
    )
    invocation = chaincode_pb2.ChaincodeInvocationSpec(
        chaincode_spec=chaincode_pb2.ChaincodeSpec(
            chaincode_id=chaincode_pb2.ChaincodeID(name="tradefin"),
            input=chaincode_pb2.ChaincodeInput(args=args or []),
        )
    )
    payload = proposal_pb2.ChaincodeProposalPayload(
        input=invocation.SerializeToString(), TransientMap=transient or {}
    )
    proposal = proposal_pb2.Proposal(header=header.SerializeToString(), payload=payload.SerializeToString())
    return proposal_pb2.SignedProposal(proposal_bytes=proposal.SerializeToString(), signature=b"signature")


def serialized_identity(msp_id: str, certificate_pem: bytes) -> bytes:
    identity: bytes = identities_pb2.SerializedIdentity(
        mspid=msp_id, id_bytes=certificate_pem
    ).SerializeToString()
    return identity


def transaction(
    tx_id: str, *args: bytes | str, proposal: Any = None, channel_id: str = CHANNEL, init: bool = False
) -> Any:
    raw_args = [a.encode() if isinstance(a, str) else a for a in args]
    message = Msg(
        type=Msg.INIT if init else Msg.TRANSACTION,
        txid=tx_id,
        channel_id=channel_id,
        payload=chaincode_pb2.ChaincodeInput(args=raw_args).SerializeToString(),
    )
    message.proposal.CopyFrom(
        proposal if proposal is not None else signed_proposal(tx_id=tx_id, args=raw_args)
    )
    return message


def response(request: Any, payload: bytes = b"") -> Any:
    return Msg(type=Msg.RESPONSE, txid=request.txid, channel_id=request.channel_id, payload=payload)


def error(request: Any, text: str) -> Any:
    return Msg(type=Msg.ERROR, txid=request.txid, channel_id=request.channel_id, payload=text.encode())


def completed_response(message: Any) -> Any:
    assert message.type == Msg.COMPLETED, Msg.Type.Name(message.type)
    return proposal_response_pb2.Response.FromString(message.payload)


async def shutdown(stream: FakePeerStream, task: asyncio.Task[None]) -> None:
    stream.end()
    await asyncio.wait_for(task, 2.0)
