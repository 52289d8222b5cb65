"""Fixtures of the typed payments and compliance clients' unit tests: the gateway's fake peer and
connected gateways, and the scripted contract behind them (shared with the letters-of-credit client's
tests)."""

from __future__ import annotations

from tests.unit.gateway.conftest import aio_gateway, channel, gateway, identity, peer, private_key
from tests.unit.tradefin_client.conftest import contract

__all__ = ["aio_gateway", "channel", "contract", "gateway", "identity", "peer", "private_key"]
