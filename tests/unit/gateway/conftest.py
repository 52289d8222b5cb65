"""Fixtures of the gateway unit tests: an identity with its key, a scripted peer, connected gateways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.unit.gateway.fakes import FakeAioChannel, FakeChannel, FakePeer, make_certificate, new_ec_key
from tradefin.gateway import Gateway, ResubmitPolicy, X509Identity, connect, new_private_key_signer
from tradefin.gateway import aio as gateway_aio

MSP_ID = "Bank1MSP"


@pytest.fixture(scope="session")
def private_key() -> ec.EllipticCurvePrivateKey:
    return new_ec_key()


@pytest.fixture(scope="session")
def identity(private_key: ec.EllipticCurvePrivateKey) -> X509Identity:
    return X509Identity(MSP_ID, make_certificate(private_key))


@pytest.fixture
def peer() -> FakePeer:
    return FakePeer()


@pytest.fixture
def channel(peer: FakePeer) -> FakeChannel:
    return FakeChannel(peer)


@pytest.fixture
def gateway(channel: FakeChannel, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey) -> Iterator[Gateway]:
    fast = ResubmitPolicy(probe_timeout=0.5, pause=0.0)
    with connect(channel, identity, new_private_key_signer(private_key), resubmit=fast) as connected:
        yield connected


@pytest.fixture
def aio_gateway(peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey) -> gateway_aio.Gateway:
    fast = ResubmitPolicy(probe_timeout=0.5, pause=0.0)
    return gateway_aio.connect(FakeAioChannel(peer), identity, new_private_key_signer(private_key), resubmit=fast)
