"""Common connection profiles, the JSON/YAML format the official Fabric SDKs and tools read."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from .layout import Layout
from .ports import HOST, PortPlan
from .spec import BankSpec


def connection_profile(layout: Layout, ports: PortPlan, bank: BankSpec) -> dict[str, object]:
    """The profile of one bank: its organisation (with ``cryptoPath``, its users' MSP folders), its peers
    (url, TLS CA PEM, name override), its channels."""
    tls_ca_pem = layout.bank_tls_ca(bank).read_text()
    peers: dict[str, object] = {}
    for index, node in enumerate(bank.peer_names()):
        host = bank.peer_host(index)
        peers[host] = {
            "url": f"grpcs://{HOST}:{ports.port(node, 'listen')}",
            "tlsCACerts": {"pem": tls_ca_pem},
            "grpcOptions": {"ssl-target-name-override": host, "hostnameOverride": host},
        }
    channels = {
        channel.name: {
            "peers": {
                host: {"endorsingPeer": True, "chaincodeQuery": True, "ledgerQuery": True, "eventSource": True}
                for host in peers
            }
        }
        for channel in layout.spec.channels
        if bank.name in channel.banks
    }
    return {
        "name": f"{layout.spec.name}-{bank.name}",
        "version": "1.0.0",
        "client": {"organization": bank.msp_id, "connection": {"timeout": {"peer": {"endorser": "300"}}}},
        "organizations": {
            bank.msp_id: {
                "mspid": bank.msp_id,
                "peers": list(peers),
                "certificateAuthorities": [],
                # the bank's users' MSP folders (cryptogen: Admin, User1); keys stay there, never copied
                "cryptoPath": str(layout.bank_user(bank, "{username}").resolve() / "msp"),
            }
        },
        "peers": peers,
        "channels": channels,
    }


def write_profiles(layout: Layout, ports: PortPlan) -> dict[str, dict[str, Path]]:
    """Write ``profiles/<bank>.json`` and ``.yaml`` for every bank; return their paths."""
    layout.profiles.mkdir(parents=True, exist_ok=True)
    written: dict[str, dict[str, Path]] = {}
    for bank in layout.spec.banks:
        profile = connection_profile(layout, ports, bank)
        json_path = layout.profile(bank, "json")
        yaml_path = layout.profile(bank, "yaml")
        json_path.write_text(json.dumps(profile, indent=2) + "\n")
        yaml_path.write_text(yaml.safe_dump(profile, sort_keys=False))
        written[bank.name] = {"json": json_path, "yaml": yaml_path}
    return written
