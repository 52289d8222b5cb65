"""Private data collections in the chaincode definition (the ``--collections-config`` JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from ..chaincode.contracts import CollectionDefinition, collection_definitions


def collections_config(definitions: list[CollectionDefinition],
                       peers_per_org: dict[str, int]) -> list[dict[str, object]]:
    """Fabric's collection configuration: members may read and write, writes need every member's peer.

    Every member org endorses each write (the collection's endorsement policy), so one peer per member
    already holds the private data; endorsers push it only to the members' other peers
    (``maxPeerCount``): with one peer per bank, nothing is pushed at all, which saves each endorser the
    dissemination round trip on every private write.
    """
    config: list[dict[str, object]] = []
    for definition in definitions:
        members = definition.members
        config.append({
            "name": definition.name,
            "policy": "OR(" + ", ".join(f"'{m}.member'" for m in members) + ")",
            "requiredPeerCount": 0,
            "maxPeerCount": sum(peers_per_org.get(m, 1) for m in members) - len(members),
            "blockToLive": definition.block_to_live,
            "memberOnlyRead": True,
            "memberOnlyWrite": True,
            "endorsementPolicy": {"signaturePolicy": "AND(" + ", ".join(f"'{m}.peer'" for m in members) + ")"},
        })
    return config


def write_collections_config(path: Path, contracts: str, peers_per_org: dict[str, int]) -> Path | None:
    """Write the collections of ``contracts`` for a channel; None when they need none.

    Only the project's default contracts declare collections; a custom contracts module gets none.
    """
    if contracts != "default":
        return None
    definitions = collection_definitions(list(peers_per_org))
    if not definitions:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(collections_config(definitions, peers_per_org), indent=2, sort_keys=True) + "\n")
    return path
