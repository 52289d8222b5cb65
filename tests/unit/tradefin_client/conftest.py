"""Fixtures of the typed client's unit tests: the gateway's fake peer and connected gateways (shared
with the gateway's unit tests), and the scripted ``lc`` contract behind them."""

from __future__ import annotations

import pytest

from tests.unit.gateway.conftest import aio_gateway, channel, gateway, identity, peer, private_key
from tests.unit.gateway.fakes import FakePeer
from tests.unit.tradefin_client.contract_double import ContractDouble

__all__ = ["aio_gateway", "channel", "contract", "gateway", "identity", "peer", "private_key"]


@pytest.fixture
def contract(peer: FakePeer) -> ContractDouble:
    return ContractDouble(peer)
