"""Deadlines: the defaults, no deadline at all, and values grpc would misread refused up front."""

from __future__ import annotations

import math

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.unit.gateway.fakes import FakeChannel, FakePeer
from tradefin.gateway import Gateway, ResubmitPolicy, Timeouts, X509Identity, connect, new_private_key_signer


def timeouts_by_method(peer: FakePeer) -> dict[str, float | None]:
    return {call.method.rsplit("/", 1)[1]: call.timeout for call in peer.calls}


def test_none_means_no_deadline_for_that_step(gateway: Gateway, peer: FakePeer) -> None:
    contract = gateway.get_network("ch").get_contract("cc")
    unbounded = ResubmitPolicy(deadline=None)  # nor does the resolution as a whole have one
    contract.submit("fn", timeouts=Timeouts(endorse=None, commit_status=None), resubmit=unbounded)
    # not the gateway's defaults (15 s, 60 s): this call's Timeouts say none
    assert timeouts_by_method(peer) == {"Endorse": None, "Submit": 5.0, "CommitStatus": None}
    peer.calls.clear()
    # the default resubmit policy's 180 s for the whole resolution bounds a step that has no deadline
    contract.submit("fn", timeouts=Timeouts(endorse=None, commit_status=None))
    status_deadline = timeouts_by_method(peer)["CommitStatus"]
    assert status_deadline is not None and 170 < status_deadline <= 180


def test_a_gateway_without_deadlines(
    channel: FakeChannel, peer: FakePeer, identity: X509Identity, private_key: ec.EllipticCurvePrivateKey
) -> None:
    unbounded = Timeouts(evaluate=None, endorse=None, submit=None, commit_status=None)
    with connect(channel, identity, new_private_key_signer(private_key), timeouts=unbounded) as gateway:
        contract = gateway.get_network("ch").get_contract("cc")
        contract.evaluate("get")
        contract.submit("fn", resubmit=False)
        assert set(timeouts_by_method(peer).values()) == {None}
        peer.calls.clear()
        contract.new_proposal("fn").endorse(timeout=2.5)  # a call's own deadline still applies
        assert timeouts_by_method(peer) == {"Endorse": 2.5}


def test_infinity_is_no_deadline_not_one_already_passed(gateway: Gateway, peer: FakePeer) -> None:
    # grpc takes timeout=inf as a deadline in the past: every call would fail at once
    contract = gateway.get_network("ch").get_contract("cc")
    contract.evaluate("get", timeout=math.inf)
    assert Timeouts(submit=math.inf).submit == math.inf
    contract.submit("fn", timeouts=Timeouts(submit=math.inf), resubmit=False)
    assert timeouts_by_method(peer) == {"Evaluate": None, "Endorse": 15.0, "Submit": None, "CommitStatus": 60.0}
    peer.calls.clear()
    network = gateway.get_network("ch")
    network.chaincode_events("cc", start_block=0, timeout=math.inf).close()
    network.block_events(start_block=0, timeout=math.inf).close()
    network.chaincode_events("cc", start_block=0, timeout=30).close()
    assert [call.timeout for call in peer.calls] == [None, None, 30]  # a stream's infinite deadline is none too


@pytest.mark.parametrize("seconds", [0, -1, math.nan, -math.inf])
def test_a_deadline_grpc_would_misread_is_refused_before_anything_is_sent(
    gateway: Gateway, peer: FakePeer, channel: FakeChannel, seconds: float
) -> None:
    with pytest.raises(ValueError, match="positive, finite number of seconds"):
        Timeouts(endorse=seconds)
    with pytest.raises(ValueError, match="positive, finite number of seconds"):
        ResubmitPolicy(commit_status_timeout=seconds)
    network = gateway.get_network("ch")
    with pytest.raises(ValueError, match="timeout must be a positive, finite number of seconds"):
        network.get_contract("cc").new_proposal("fn").endorse(timeout=seconds)
    with pytest.raises(ValueError, match="timeout must be a positive, finite number of seconds"):
        network.new_chaincode_events_request("cc", start_block=0).events(timeout=seconds)
    assert peer.calls == [] and channel.streams == []
