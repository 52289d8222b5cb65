"""Readiness evidence from the peers' discovery service: who each peer sees on a channel.

The gateway plans cross-bank endorsements from discovery, so "every bank's peer is discovered on every
channel, with the chaincode installed" is the evidence that submits will find their endorsers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
from fabric_protos.discovery import protocol_pb2, protocol_pb2_grpc
from fabric_protos.gossip import message_pb2

from ..gateway.identity import X509Identity, load_msp_identity
from ..gateway.signers import load_msp_signer
from .errors import NetworkError


class DiscoveryError(NetworkError):
    """The discovery service refused the query."""


@dataclass(frozen=True)
class DiscoveredPeer:
    msp_id: str
    endpoint: str
    ledger_height: int
    chaincodes: tuple[str, ...]


@dataclass(frozen=True)
class DiscoveryClient:
    """Asks one peer's discovery service, as a bank user, about channel membership."""

    address: str
    tls_ca: Path
    server_name: str
    msp_dir: Path
    msp_id: str

    def peers(self, channel: str, timeout: float = 5.0) -> list[DiscoveredPeer]:
        identity: X509Identity = load_msp_identity(self.msp_dir, self.msp_id)
        signer = load_msp_signer(self.msp_dir)
        request = protocol_pb2.Request(
            authentication=protocol_pb2.AuthInfo(client_identity=identity.creator),
            queries=[protocol_pb2.Query(channel=channel, peer_query=protocol_pb2.PeerMembershipQuery())],
        )
        payload = request.SerializeToString()
        signed = protocol_pb2.SignedRequest(payload=payload, signature=signer(hashlib.sha256(payload).digest()))
        credentials = grpc.ssl_channel_credentials(root_certificates=self.tls_ca.read_bytes())
        options = [("grpc.ssl_target_name_override", self.server_name)]
        with grpc.secure_channel(self.address, credentials, options=options) as channel_:
            response: Any = protocol_pb2_grpc.DiscoveryStub(channel_).Discover(signed, timeout=timeout)
        result = response.results[0]
        if result.HasField("error"):
            raise DiscoveryError(f"discovery on {self.address} for {channel}: {result.error.content}")
        found = []
        for msp_id, peers in result.members.peers_by_org.items():
            for peer in peers.peers:
                found.append(_peer(msp_id, peer))
        return found


def _peer(msp_id: str, peer: Any) -> DiscoveredPeer:
    membership = message_pb2.GossipMessage.FromString(peer.membership_info.payload)
    endpoint = membership.alive_msg.membership.endpoint
    height, chaincodes = 0, ()
    if peer.HasField("state_info"):
        state = message_pb2.GossipMessage.FromString(peer.state_info.payload)
        height = state.state_info.properties.ledger_height
        chaincodes = tuple(cc.name for cc in state.state_info.properties.chaincodes)
    return DiscoveredPeer(msp_id, endpoint, height, chaincodes)
