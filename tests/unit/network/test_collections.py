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


def test_a_credit_of_five_banks_has_its_collection_and_no_larger_set_gets_one() -> None:
    """A credit's collection holds its bank parties (at most MAX_CREDIT_BANKS); a set of more banks
    is no credit's, so defining it would only grow the chaincode definition."""
    from tradefin.chaincode.contracts.letters_of_credit.credit import MAX_CREDIT_BANKS
    from tradefin.chaincode.contracts.letters_of_credit.records import credit_collection_name

    banks = [f"Bank{number}MSP" for number in range(1, 8)]
    definitions = collection_definitions(banks)
    assert credit_collection_name(banks[:MAX_CREDIT_BANKS]) in {d.name for d in definitions}
    assert max(len(d.members) for d in definitions) == MAX_CREDIT_BANKS == 5


def test_the_largest_channel_the_port_block_allows_fits_the_orderers_message_limit() -> None:
    """16 one-peer banks (the most a 200-port block holds beside one orderer) once made 65,519
    collections, 35 MB of configuration in a chaincode definition the orderer refuses over 10 MB."""
    from tradefin.network.ports import BLOCK_SIZE, ports_needed

    banks = max(n for n in range(2, 100) if ports_needed(1, [1] * n) <= BLOCK_SIZE)
    msp_ids = [f"Bank{number}MSP" for number in range(1, banks + 1)]
    config = collections_config(collection_definitions(msp_ids), dict.fromkeys(msp_ids, 1))
    assert banks == 16 and len(json.dumps(config)) < 10 * 1024 * 1024 // 2
