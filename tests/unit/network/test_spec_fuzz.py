"""Property tests of the network spec: any mutation of the default document is either accepted or refused
with a :class:`SpecError` (never another exception), and an accepted spec survives every offline step
``network up`` takes before it starts a process (ports, crypto-config, configtx, node configs, collections,
the chaincode package)."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.network.test_spec import sized_doc
from tradefin.chaincode.contracts import collection_definitions
from tradefin.network import channel_config, crypto, node_config
from tradefin.network.chaincode_package import Connection, build_package, is_label, package_label
from tradefin.network.collections import collections_config
from tradefin.network.identities import DEFAULT_USERS
from tradefin.network.layout import Layout
from tradefin.network.ports import BLOCK_SIZE, plan_ports, ports_needed
from tradefin.network.spec import NetworkSpec, SpecError, default_spec_path, load_spec, parse_spec

Path_ = tuple[str | int, ...]


def default_doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(default_spec_path().read_text())
    return doc


def _paths(node: object, prefix: Path_ = ()) -> list[Path_]:
    """Every key and list index of the document, depth first (the root is ``()``)."""
    found: list[Path_] = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


PATHS = _paths(default_doc())


def _get(doc: Any, path: Path_) -> Any:
    for step in path:
        doc = doc[step]
    return doc


_DEFAULT = default_doc()
MAPPINGS = [p for p in PATHS if isinstance(_get(_DEFAULT, p), dict)]
LISTS = [p for p in PATHS if isinstance(_get(_DEFAULT, p), list)]
LEAVES = [p for p in PATHS if p != ()]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 4, 5, 9, 10, 200, 10_001, 2**64, 10**100]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "a\nb", "bank1\n", "Bank1MSP\n", "ASTBHKHH\n", "é", "银行", "\u202e", "x" * 1000,
                     "raft1", "bft", "raft", "BFT", "default", "custom:Thing", "1.0", "1 0", "1.0\n", "v/1", "-",
                     "bank1", "bank2", "bank3", "HK", "DE", "ASTBHKHH", "EUCBDEFF", "OrdererMSP", "Bank1MSP",
                     "Bank1-MSP", "Bank1.MSP", "A-B", "B-C", "a.b.test", "bank1.tradefin.test", "a--b", "a_-b",
                     "lscc"]),
    st.text(max_size=12),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(["name", "banks", "x", "msp_id", "1"]), SCALARS, max_size=3),
)
UNKNOWN_KEYS = st.one_of(st.sampled_from(["extra", "Name", "name ", "", "ö"]), st.integers(-2, 2), st.booleans(),
                         st.none(), st.floats(allow_nan=False, max_value=10, min_value=-10))


@st.composite
def mutation(draw: st.DrawFn, doc: dict[str, Any]) -> None:
    """Apply one mutation to ``doc`` in place."""
    kind = draw(st.sampled_from(["drop", "replace", "replace", "unknown", "duplicate"]))
    if kind == "drop":
        path = draw(st.sampled_from(LEAVES))
        try:
            parent = _get(doc, path[:-1])
            del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            pass
    elif kind == "replace":
        path = draw(st.sampled_from(PATHS))
        value = draw(VALUES)
        if path == ():
            doc.clear()
            if isinstance(value, dict):
                doc.update(value)
            return
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _get(doc, path[:-1])[path[-1]] = value
    elif kind == "unknown":
        path = draw(st.sampled_from(MAPPINGS))
        try:
            target = _get(doc, path)
        except (KeyError, IndexError, TypeError):
            return
        if isinstance(target, dict):
            target[draw(UNKNOWN_KEYS)] = draw(VALUES)
    else:
        path = draw(st.sampled_from(LISTS))
        try:
            target = _get(doc, path)
        except (KeyError, IndexError, TypeError):
            return
        if isinstance(target, list) and target:
            target.append(copy.deepcopy(target[draw(st.integers(0, len(target) - 1))]))


@st.composite
def mutated_docs(draw: st.DrawFn) -> dict[str, Any]:
    doc = default_doc()
    for _ in range(draw(st.integers(1, 3))):
        draw(mutation(doc))
    return doc


def offline_derivations(spec: NetworkSpec, root: Path) -> None:
    """What ``network up`` derives from the spec before it runs Fabric's binaries or starts a process."""
    layout = Layout(root, spec)
    ports = plan_ports(spec, 20000)  # an accepted spec fits its port block
    yaml.safe_dump(crypto.crypto_config(layout), sort_keys=False)
    for bank in spec.banks:  # the certificates' common names identities and crypto.chaincode_tls give
        for name in [f"{user}@{bank.domain}" for user, _ in DEFAULT_USERS] + [f"chaincode.{bank.domain}"]:
            x509.NameAttribute(NameOID.COMMON_NAME, name)
    yaml.safe_dump(channel_config.configtx(layout, ports), sort_keys=False)
    for name in spec.orderer.node_names():
        config = node_config.orderer_config(layout, ports, name)
        yaml.safe_dump(config.config, sort_keys=False)
    for bank in spec.banks:
        for index in range(bank.peers):
            config = node_config.peer_config(layout, ports, bank, index, "/builder")
            yaml.safe_dump(config.config, sort_keys=False)
            json.loads(config.env[node_config.BUILDER_CONFIG_ENV])
    for channel in spec.channels:
        banks = spec.channel_banks(channel.name)
        if spec.chaincode.contracts == "default":
            peers = {bank.msp_id: bank.peers for bank in banks}
            json.dumps(collections_config(collection_definitions(list(peers)), peers))
        label = package_label(spec.chaincode.name, spec.chaincode.version)
        build_package(label, Connection(address="{{.chaincode.slot0}}", root_cert_pem="PEM"))
        assert len(layout.chaincode_dir(channel.name, spec.chaincode.name).name) <= 255
        for bank in banks:
            assert len(layout.log(bank.chaincode_server_name(spec.chaincode.name, channel.name)).name) <= 255


@settings(derandomize=True, deadline=None, max_examples=1500)
@given(mutated_docs())
def test_a_mutated_spec_is_accepted_or_refused_with_a_spec_error(doc: dict[str, Any]) -> None:
    try:
        spec = parse_spec(doc)
    except SpecError as exc:
        assert exc.field and "\n" not in exc.field
        return
    offline_derivations(spec, Path("/nonexistent/tradefin"))


def test_the_default_spec_survives_the_offline_derivations() -> None:
    offline_derivations(load_spec(), Path("/nonexistent/tradefin"))


@settings(derandomize=True, deadline=None, max_examples=300)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=20), st.integers(1, 9))
def test_a_spec_is_accepted_exactly_when_its_ports_fit_the_block(peers: list[int], orderer_nodes: int) -> None:
    try:
        spec = parse_spec(sized_doc(peers, orderer_nodes))
    except SpecError as exc:
        assert exc.field == "banks" and f"needs {ports_needed(orderer_nodes, peers)} ports" in exc.message
        assert ports_needed(orderer_nodes, peers) > BLOCK_SIZE
        return
    ports = [port for _, _, port in plan_ports(spec, 20000).all_ports()]  # building it needs no more
    assert len(set(ports)) == len(ports) and max(ports) < 20000 + BLOCK_SIZE


LABELISH = st.text(st.one_of(st.sampled_from("Aa09_.+-"), st.characters()), min_size=1, max_size=64)


@settings(derandomize=True, deadline=None, max_examples=500)
@given(LABELISH)
def test_the_spec_and_the_package_label_agree_on_chaincode_versions(version: str) -> None:
    doc = default_doc()
    doc["chaincode"]["version"] = version
    try:
        parse_spec(doc)
    except SpecError as exc:
        assert exc.field == "chaincode.version"
        assert not is_label(package_label("tradefin", version))
        return
    build_package(package_label("tradefin", version), Connection(address="{{.chaincode.slot0}}", root_cert_pem="PEM"))


NOT_MAPPINGS = {
    "empty": b"",
    "comment-only": b"# nothing here\n",
    "list": b"- name: tradefin\n- banks: []\n",
    "scalar": b"tradefin\n",
    "binary": bytes(range(256)) * 4,
    "latin-1": "name: caf\xe9\n".encode("latin-1"),
    "nested-lists": b"[" * 5000 + b"]" * 5000,
    "nested-maps": b"{a: " * 5000 + b"1" + b"}" * 5000,
    "tabs": b"name:\ttradefin\n\tbanks: [\n",
}


@pytest.mark.parametrize("label", sorted(NOT_MAPPINGS))
def test_a_spec_file_that_is_not_a_yaml_mapping_is_refused_naming_the_file(label: str, tmp_path: Path) -> None:
    path = tmp_path / f"{label}.yaml"
    path.write_bytes(NOT_MAPPINGS[label])
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(path) in str(info.value)


def test_a_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SpecError):
        load_spec(path)
