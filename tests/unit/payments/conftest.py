"""Fixtures of the payments unit tests: a desk with a funded channel (a module may define its own), and
for the typed payments and compliance clients' tests the gateway's fake peer and connected gateways,
and the scripted contract behind them (shared with the letters-of-credit client's tests)."""

from __future__ import annotations

import pytest

from tests.unit.gateway.conftest import aio_gateway, channel, gateway, identity, peer, private_key
from tests.unit.tradefin_client.conftest import contract

from .support import Desk

__all__ = ["aio_gateway", "channel", "channel_id", "contract", "desk", "gateway", "identity", "peer", "private_key"]


@pytest.fixture()
def desk() -> Desk:
    """A desk over an empty ledger."""
    return Desk()


@pytest.fixture()
def channel_id(desk: Desk) -> str:
    """A channel with both banks' deposits and a credit line from B to A."""
    return desk.ready(deposit_a="10000.00", deposit_b="10000.00", credit_a="2000.00")
