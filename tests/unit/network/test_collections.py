"""Private data collections in the chaincode definition: one per set of banks, member-only, all endorse."""

from __future__ import annotations

import json
from pathlib import Path

from tradefin.chaincode.contracts import collection_definitions
from tradefin.network.collections import collections_config, write_collections_config


def test_every_set_of_banks_of_a_channel_has_its_collections() -> None:
    names = {d.name for d in collection_definitions(["Bank3MSP", "Bank1MSP", "Bank2MSP"])}
    assert {"lc-Bank1MSP-Bank2MSP", "lc-Bank1MSP-Bank3MSP", "lc-Bank2MSP-Bank3MSP",
            "lc-Bank1MSP-Bank2MSP-Bank3MSP"} <= names
    assert {"pay-Bank1MSP-Bank2MSP", "pay-Bank1MSP-Bank3MSP", "pay-Bank2MSP-Bank3MSP"} <= names
    assert not any(len(d.members) < 2 for d in collection_definitions(["Bank1MSP", "Bank2MSP"]))


def test_collections_are_member_only_and_endorsed_by_every_member() -> None:
    [lc] = [c for c in collections_config(collection_definitions(["Bank1MSP", "Bank2MSP"]),
                                          {"Bank1MSP": 1, "Bank2MSP": 1}) if str(c["name"]).startswith("lc-")]
    assert lc["policy"] == "OR('Bank1MSP.member', 'Bank2MSP.member')"
    assert lc["endorsementPolicy"] == {"signaturePolicy": "AND('Bank1MSP.peer', 'Bank2MSP.peer')"}
    assert lc["memberOnlyRead"] is True and lc["memberOnlyWrite"] is True
    assert lc["requiredPeerCount"] == 0 and lc["blockToLive"] == 0
    assert lc["maxPeerCount"] == 0  # one peer per bank: every member's only peer endorsed the write


def test_other_peers_of_the_members_receive_the_private_data() -> None:
    config = collections_config(collection_definitions(["Bank1MSP", "Bank2MSP"]), {"Bank1MSP": 2, "Bank2MSP": 3})
    assert {c["maxPeerCount"] for c in config} == {3}


def test_custom_contracts_get_no_collections(tmp_path: Path) -> None:
    assert write_collections_config(tmp_path / "c.json", "my.module:Contract", {"Bank1MSP": 1, "Bank2MSP": 1}) is None
    written = write_collections_config(tmp_path / "c.json", "default", {"Bank1MSP": 1, "Bank2MSP": 1})
    assert written is not None and json.loads(written.read_text())
