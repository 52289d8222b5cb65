"""Fixtures of the compliance client's unit tests: the gateway's fake peer and connected gateways,
and the scripted contract behind them (shared with the other typed clients' tests)."""

from __future__ import annotations

from tests.unit.gateway.conftest import aio_gateway, channel, gateway, identity, peer, private_key
from tests.unit.tradefin_client.conftest import contract

__all__ = ["aio_gateway", "channel", "contract", "gateway", "identity", "peer", "private_key"]
