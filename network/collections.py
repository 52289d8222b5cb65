"""Private data collections in the chaincode definition (the ``--collections-config`` JSON)."""

from __future__ import annotations

import json
from pathlib import Path

from ..chaincode.contracts import CollectionDefinition, collection_definitions


def collections_config(definitions: list[CollectionDefinition]) -> list[dict[str, object]]:
    """Fabric's collection configuration: members may read and write, writes need every member's peer."""
    config: list[dict[str, object]] = []
    for definition in definitions:
        members = definition.members
        config.append({
            "name": definition.name,
            "policy": "OR(" + ", ".join(f"'{m}.member'" for m in members) + ")",
            "requiredPeerCount": 0,
            "maxPeerCount": len(members) - 1,
            "blockToLive": definition.block_to_live,
            "memberOnlyRead": True,
            "memberOnlyWrite": True,
            "endorsementPolicy": {"signaturePolicy": "AND(" + ", ".join(f"'{m}.peer'" for m in members) + ")"},
        })
    return config


def write_collections_config(path: Path, contracts: str, channel_msp_ids: list[str]) -> Path | None:
    """Write the collections of ``contracts`` for a channel; None when they need none.

    Only the project's default contracts declare collections; a custom contracts module gets none.
    """
    if contracts != "default":
        return None
    definitions = collection_definitions(channel_msp_ids)
    if not definitions:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(collections_config(definitions), indent=2, sort_keys=True) + "\n")
    return path
