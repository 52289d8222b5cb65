"""A scripted ``lc`` contract behind the gateway's fake peer (tests/unit/gateway/fakes.py).

Only the gRPC transport is faked: the typed client runs through the real gateway code, and each
Evaluate / Endorse request it sends is decoded with the Fabric protos into what the chaincode would see
(transaction name, arguments, transient map, endorsing organisations). A handler per transaction name
answers with a message (serialized) or refuses like the chaincode does ("ERR_CODE: text" in every
endorser's detail).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import grpc  # type: ignore[import-untyped]
from fabric_protos.common import common_pb2
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import chaincode_pb2, proposal_pb2, proposal_response_pb2
from google.protobuf.message import Message

from tests.unit.gateway.fakes import FakePeer, FakeRpcError, prepared_envelope_payload
from tradefin.gateway._flow import serialize


@dataclass(frozen=True)
class Invocation:
    """One call as the chaincode would receive it."""

    kind: str  # "evaluate" or "endorse"
    transaction: str  # e.g. "lc:Issue"
    args: list[bytes]
    transient: dict[str, bytes]
    organizations: list[str]  # target (evaluate) or endorsing (endorse) organisations


class Refusal(Exception):
    """Raise in a handler to refuse like the chaincode: ``ERR_CODE: text`` from every endorser, or
    only from the peers of ``only`` (the others endorsed: a lagging peer)."""

    def __init__(self, message: str, *, only: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.only = only


Handler = Callable[[Invocation], Message]


def _invocation(kind: str, signed_proposal: object, organizations: list[str]) -> Invocation:
    proposal = proposal_pb2.Proposal.FromString(signed_proposal.proposal_bytes)  # type: ignore[attr-defined]
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input).chaincode_spec
    name, *args = list(spec.input.args)
    return Invocation(kind, name.decode(), args, dict(payload.TransientMap), organizations)


@dataclass
class ContractDouble:
    """Answers the typed client's calls per transaction name, recording every invocation."""

    peer: FakePeer
    handlers: dict[str, Handler] = field(default_factory=dict)
    invocations: list[Invocation] = field(default_factory=list)
    peers: tuple[tuple[str, str], ...] = (("peer0.bank1:7051", "Bank1MSP"), ("peer0.bank2:9051", "Bank2MSP"))

    def __post_init__(self) -> None:
        self.peer.script("/gateway.Gateway/Evaluate", self._evaluate)
        self.peer.script("/gateway.Gateway/Endorse", self._endorse)

    def on(self, transaction: str, handler: Handler) -> None:
        self.handlers[transaction] = handler

    def calls(self, kind: str | None = None) -> list[Invocation]:
        return [call for call in self.invocations if kind is None or call.kind == kind]

    def _answer(self, invocation: Invocation, failure: str) -> bytes:
        self.invocations.append(invocation)
        handler = self.handlers.get(invocation.transaction)
        if handler is None:
            raise AssertionError(f"unexpected call {invocation.transaction}")
        try:
            return handler(invocation).SerializeToString()
        except Refusal as refusal:
            message = f"chaincode response 500, {refusal}"
            raise FakeRpcError(
                grpc.StatusCode.ABORTED if invocation.kind == "endorse" else grpc.StatusCode.UNKNOWN,
                failure,
                [(address, msp_id, message) for address, msp_id in self.peers if msp_id in (refusal.only or (msp_id,))],
            ) from None

    def _evaluate(self, request: bytes, timeout: float | None) -> bytes:
        message = gateway_pb2.EvaluateRequest.FromString(request)
        invocation = _invocation("evaluate", message.proposed_transaction, list(message.target_organizations))
        result = self._answer(invocation, "failed to evaluate transaction, see attached details for more info")
        response = proposal_response_pb2.Response(status=200, payload=result)
        return serialize(gateway_pb2.EvaluateResponse(result=response))

    def _endorse(self, request: bytes, timeout: float | None) -> bytes:
        message = gateway_pb2.EndorseRequest.FromString(request)
        invocation = _invocation("endorse", message.proposed_transaction, list(message.endorsing_organizations))
        result = self._answer(invocation, "failed to endorse transaction, see attached details for more info")
        payload = prepared_envelope_payload(message.channel_id, message.transaction_id, result)
        return serialize(gateway_pb2.EndorseResponse(prepared_transaction=common_pb2.Envelope(payload=payload)))
