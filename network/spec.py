"""The network spec: topology as data, validated before anything starts.

A spec names an orderer organisation and its consensus (``raft1``, ``raft3`` or ``bft4``), the banks (one
Fabric organisation each, with MSP id, BIC and country) and the consortium channels. Every error names
the field it is about, e.g. ``channels[1].banks[0]: unknown bank 'bank9' (known: bank1, bank2, bank3)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..chaincode.__main__ import DEFAULT_CONTRACTS, UsageError, contract_references
from ..chaincode.contracts import collection_definitions
from ..chaincode.contracts.letters_of_credit.errors import LcRuleError
from ..chaincode.contracts.letters_of_credit.reference_data import BIC_ONLY_COUNTRIES
from ..chaincode.contracts.letters_of_credit.validation import BIC_PATTERN, bic8, check_bic, check_country
from ..protos import common_pb2
from .chaincode_package import MAX_LABEL_LENGTH, is_label, package_label
from .ports import BLOCK_SIZE, CHAINCODE_SLOTS, PORTS_PER_NODE, ports_needed

ORDERER_VARIANTS: dict[str, tuple[str, int]] = {
    "raft1": ("etcdraft", 1),
    "raft3": ("etcdraft", 3),
    "bft4": ("BFT", 4),
}
CONSENSUS_TYPES = {"raft": "etcdraft", "etcdraft": "etcdraft", "bft": "BFT"}
MIN_BFT_NODES = 4

_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_MSP_RE = re.compile(r"^[A-Za-z][A-Za-z0-9.-]{0,63}$")
_CHANNEL_RE = re.compile(r"^[a-z][a-z0-9.-]{0,248}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
MAX_DNS_LABEL_LENGTH = 63  # RFC 1035
# cryptogen names an orderer's certificate orderer<i>.<domain>-cert.pem, a file name (at most 255 characters)
MAX_ORDERER_DOMAIN_LENGTH = 255 - len("orderer0.") - len("-cert.pem")
# A bank's users are <user>@<domain> in their certificates' common names, which hold 64 characters at most
# (RFC 5280 ub-common-name; `cryptography` refuses more): the longest default user is client-beneficiary
# (identities.DEFAULT_USERS).
MAX_COMMON_NAME_LENGTH = 64
MAX_BANK_DOMAIN_LENGTH = MAX_COMMON_NAME_LENGTH - len("client-beneficiary@")
# Fabric's chaincode name rule (lifecycle ChaincodeNameRegExp): '_' and '-' only single, between alphanumerics.
_CC_NAME_RE = re.compile(r"^[A-Za-z0-9]+([_-][A-Za-z0-9]+)*$")
SYSTEM_CHAINCODES = frozenset({"cscc", "escc", "lscc", "qscc", "vscc"})  # names Fabric's lifecycle refuses
# A version is what may follow "<name>_" in a package label (chaincode_package.is_label: Fabric's label rule,
# whose characters are those of Fabric's chaincode version rule). Fabric bounds neither the version nor the
# label: the 64 is this project's, and keeps the label short (the peer names files after it).
MAX_CC_VERSION_LENGTH = 64
# ... and the name leaves room in the label for any version (the label's own bound is Fabric's peer's).
MAX_CC_NAME_LENGTH = MAX_LABEL_LENGTH - 1 - MAX_CC_VERSION_LENGTH
# A file name's bound (NAME_MAX): every unit logs to <unit>.log (a chaincode server's unit name holds its bank,
# chaincode and channel); the chaincode's directory <channel>--<name> is always shorter.
MAX_FILE_NAME_LENGTH = 255


class SpecError(ValueError):
    """The spec is invalid; ``field`` names where (a dotted path with list indices)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class OrdererSpec:
    org_name: str
    msp_id: str
    domain: str
    consensus: str  # "etcdraft" or "BFT"
    nodes: int
    batch_timeout_ms: int = 200

    @property
    def variant(self) -> str:
        prefix = "raft" if self.consensus == "etcdraft" else "bft"
        return f"{prefix}{self.nodes}"

    def node_names(self) -> list[str]:
        return [f"orderer{i}" for i in range(self.nodes)]


@dataclass(frozen=True)
class BankSpec:
    name: str
    msp_id: str
    bic: str
    country: str
    display_name: str
    domain: str
    peers: int = 1

    def bank_ref(self) -> common_pb2.BankRef:
        """The bank as requests and records name it: its BIC and its MSP id."""
        return common_pb2.BankRef(bic=self.bic, msp_id=self.msp_id)

    def peer_names(self) -> list[str]:
        """Node names of this bank's peers, e.g. ``bank1-peer0``."""
        return [f"{self.name}-peer{i}" for i in range(self.peers)]

    def peer_host(self, index: int) -> str:
        return f"peer{index}.{self.domain}"

    def chaincode_server_name(self, chaincode: str, channel: str) -> str:
        """Node name of this bank's server of ``chaincode`` on ``channel``, e.g. ``bank1-cc-tradefin-asia-europe``."""
        return f"{self.name}-cc-{chaincode}-{channel}"


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    banks: tuple[str, ...]


@dataclass(frozen=True)
class ChaincodeSpec:
    """The chaincode ``network up`` deploys on every channel."""

    name: str = "tradefin"
    version: str = "1.0"
    contracts: str = "default"
    mutual_tls: bool = False


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    orderer: OrdererSpec
    banks: tuple[BankSpec, ...]
    channels: tuple[ChannelSpec, ...]
    chaincode: ChaincodeSpec = field(default_factory=ChaincodeSpec)

    def bank(self, name: str) -> BankSpec:
        for bank in self.banks:
            if bank.name == name:
                return bank
        raise KeyError(name)

    def channel(self, name: str) -> ChannelSpec:
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(name)

    def channel_banks(self, channel: str) -> list[BankSpec]:
        return [self.bank(name) for name in self.channel(channel).banks]

    def with_orderers(self, variant: str, field: str = "orderer.variant") -> NetworkSpec:
        """The same network with another orderer variant (``raft1``, ``raft3``, ``bft4``); a SpecError names
        ``field`` (the argument that asked for the variant, if not the spec)."""
        consensus, nodes = orderer_variant(variant)
        check_port_need(nodes, self.banks, field)
        return replace(self, orderer=replace(self.orderer, consensus=consensus, nodes=nodes))


def orderer_variant(variant: object) -> tuple[str, int]:
    """(consensus type, node count) of an orderer variant name; SpecError names ``orderer.variant``."""
    if not isinstance(variant, str) or variant not in ORDERER_VARIANTS:
        raise SpecError("orderer.variant", f"unknown variant {variant!r}; use one of {', '.join(ORDERER_VARIANTS)}")
    return ORDERER_VARIANTS[variant]


def check_port_need(orderer_nodes: int, banks: Sequence[BankSpec], field: str) -> None:
    """Refuse a network that needs more ports than its block has (``ports.plan_ports`` would refuse it
    when the network is built), saying how many it needs and what takes them."""
    needed = ports_needed(orderer_nodes, [bank.peers for bank in banks])
    if needed > BLOCK_SIZE:
        peers = sum(bank.peers for bank in banks)
        raise SpecError(
            field,
            f"the network needs {needed} ports and its port block has {BLOCK_SIZE}: {PORTS_PER_NODE} per orderer "
            f"node ({orderer_nodes}) and per peer ({peers}), {CHAINCODE_SLOTS} chaincode server slots per bank "
            f"({len(banks)}); use fewer banks, fewer peers per bank or fewer orderer nodes",
        )


# --- loading -------------------------------------------------------------------------------------------


def default_spec_path() -> Path:
    return Path(str(resources.files("tradefin.network").joinpath("specs/default.yaml")))


def load_spec(path: str | Path | None = None) -> NetworkSpec:
    """Read and validate a spec file (the packaged default when ``path`` is None)."""
    spec_path = Path(path) if path is not None else default_spec_path()
    try:
        text = spec_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError("spec", f"cannot read {spec_path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise SpecError("spec", f"{spec_path} is not UTF-8 text (byte {exc.start}): is it a YAML file?") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError("spec", f"{spec_path} is not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise SpecError("spec", f"{spec_path} is nested too deeply to be a network spec") from exc
    if not isinstance(data, Mapping):
        found = "an empty document" if data is None else f"a {type(data).__name__}"
        raise SpecError("spec", f"{spec_path} must be a YAML mapping of the spec's fields (name, orderer, banks, "
                                f"channels, chaincode), not {found}")
    return parse_spec(data)


class _Reader:
    """Typed access to one mapping of the YAML document, with field paths for errors."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, Mapping):
            raise SpecError(path or "spec", "must be a mapping")
        self.data: Mapping[str, Any] = data
        self.path = path
        self.used: set[str] = set()

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key: str, default: object = None) -> object:
        self.used.add(key)
        return self.data.get(key, default)

    def string(self, key: str, default: str | None = None, pattern: re.Pattern[str] | None = None,
               hint: str = "") -> str:
        value = self.raw(key, default)
        if value is None:
            raise SpecError(self.at(key), "is required")
        if not isinstance(value, str) or not value:
            raise SpecError(self.at(key), "must be a non-empty string")
        if pattern is not None and not pattern.fullmatch(value):
            raise SpecError(self.at(key), f"{value!r} is not valid{': ' + hint if hint else ''}")
        return value

    def integer(self, key: str, default: int, minimum: int, maximum: int) -> int:
        value = self.raw(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise SpecError(self.at(key), "must be an integer")
        if not minimum <= value <= maximum:
            raise SpecError(self.at(key), f"must be between {minimum} and {maximum}, got {value}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise SpecError(self.at(key), "must be true or false")
        return value

    def items(self, key: str) -> Sequence[object]:
        value = self.raw(key)
        if value is None:
            raise SpecError(self.at(key), "is required")
        if not isinstance(value, list):
            raise SpecError(self.at(key), "must be a list")
        return value

    def finish(self) -> None:
        # Keys of any YAML type (int, bool, null, ...) may be there: order and name them by their text.
        unknown = sorted(_key_name(key) for key in self.data if key not in self.used)
        if unknown:
            raise SpecError(self.at(unknown[0]), "unknown field")


def _key_name(key: object) -> str:
    """A mapping key as it is named in errors: a plain name as is, anything else (``''``, ``1``, ``null``,
    a name with blanks or line breaks) quoted, so that the error still shows which key it is."""
    if isinstance(key, str) and re.fullmatch(r"[A-Za-z0-9_.-]+", key):
        return key
    return repr(key)


def parse_spec(data: object, *, recorded: bool = False) -> NetworkSpec:
    """Validate a parsed YAML document and build the spec.

    ``recorded``: the spec an existing network was made from (its state.json), read without the checks that keep
    a new network from failing to start or to work (sizes and names of domains and chaincode servers, the banks'
    countries, Fabric's chaincode name rule, the contracts), some of them added since it may have been made: such
    a network must still be shown and brought down. ``FabricNetwork`` starts nothing from a spec that fails them.
    """
    top = _Reader(data, "")
    name = top.string("name", "tradefin", _NAME_RE, "lower-case letters, digits and '-'")
    orderer = _parse_orderer(top.raw("orderer", {}), name, recorded)
    bank_items = top.items("banks")
    banks = tuple(_parse_bank(item, f"banks[{i}]", name, recorded) for i, item in enumerate(bank_items))
    if len(banks) < 2:
        raise SpecError("banks", "a consortium needs at least two banks")
    _unique([b.name for b in banks], "banks", "name")
    _unique([b.msp_id for b in banks], "banks", "msp_id", taken=orderer.msp_id)
    # by institution, as the contracts and the consortium directory compare BICs
    _unique([bic8(b.bic) for b in banks], "banks", "bic")
    _unique([b.domain for b in banks], "banks", "domain", taken=orderer.domain)
    # before the channels: the collections check takes time exponential in a channel's banks
    check_port_need(orderer.nodes, banks, "banks")
    channel_items = top.items("channels")
    known = [b.name for b in banks]
    channels = tuple(_parse_channel(item, f"channels[{i}]", known) for i, item in enumerate(channel_items))
    if not channels:
        raise SpecError("channels", "at least one channel is required")
    _unique([c.name for c in channels], "channels", "name")
    chaincode = _parse_chaincode(top.raw("chaincode", {}), recorded)
    top.finish()
    if not recorded:
        _check_node_names(banks, channels, chaincode.name)
    if chaincode.contracts == "default":
        msp_ids = {bank.name: bank.msp_id for bank in banks}
        for index, channel in enumerate(channels):
            _distinct_collections([msp_ids[member] for member in channel.banks], f"channels[{index}].banks")
    return NetworkSpec(name, orderer, banks, channels, chaincode)


def _check_node_names(banks: Sequence[BankSpec], channels: Sequence[ChannelSpec], chaincode: str) -> None:
    """Refuse a channel whose banks' servers of the spec's chaincode would get a name that cannot name their log
    file, or that another node has."""
    check_chaincode_servers(banks, channels, chaincode, lambda index: f"channels[{index}].name")


def check_chaincode_servers(banks: Sequence[BankSpec], channels: Sequence[ChannelSpec], chaincode: str,
                            where: Callable[[int], str], taken: Mapping[str, str] | None = None) -> dict[str, str]:
    """Refuse a chaincode whose servers on ``channels`` would get a name that cannot name their log file, or that
    another node has (a server's name holds the bank, chaincode and channel names: bank 'a' serving on channel
    'peer0' is 'a-cc-<chaincode>-peer0', the name of the first peer of bank 'a-cc-<chaincode>'). The SpecError
    names ``where(index of the channel)``; ``taken`` maps the names of other nodes to what they are (default: the
    banks' peers). Returns those names with the servers'."""
    nodes = dict(taken) if taken is not None else node_names(banks)
    by_name = {bank.name: bank for bank in banks}
    for index, channel in enumerate(channels):
        for member in channel.banks:
            node = by_name[member].chaincode_server_name(chaincode, channel.name)
            if len(f"{node}.log") > MAX_FILE_NAME_LENGTH:
                shown = channel.name if len(channel.name) <= 40 else f"{channel.name[:20]}..."
                raise SpecError(where(index), f"too long for bank {member!r} and chaincode {chaincode!r}: the log "
                                              f"of their server on channel {shown!r} would be a file name of "
                                              f"{len(node) + 4} characters, more than {MAX_FILE_NAME_LENGTH}; shorten "
                                              "the channel or chaincode name")
            if node in nodes:
                raise SpecError(where(index), f"the server of chaincode {chaincode!r} of bank {member!r} on channel "
                                              f"{channel.name!r} would be named {node!r}, as is {nodes[node]}: rename "
                                              "the channel or the chaincode")
            nodes[node] = f"the server of chaincode {chaincode!r} of bank {member!r} on channel {channel.name!r}"
    return nodes


def node_names(banks: Sequence[BankSpec]) -> dict[str, str]:
    """The node names of the banks' peers, each with what it is."""
    return {peer: f"a peer of bank {bank.name!r}" for bank in banks for peer in bank.peer_names()}


def _distinct_collections(msp_ids: list[str], where: str) -> None:
    """Refuse banks whose MSP ids would give two bank sets of the channel one private data collection
    name (a collection name holds the members' MSP ids joined by '-', with '.' written as '-': e.g.
    {"A-B", "C"} and {"A", "B-C"}); Fabric would refuse the chaincode definition with a duplicate."""
    seen: dict[str, tuple[str, ...]] = {}
    for definition in collection_definitions(msp_ids):
        members = tuple(sorted(definition.members))
        if definition.name in seen and seen[definition.name] != members:
            raise SpecError(
                where,
                f"the bank sets {{{', '.join(seen[definition.name])}}} and {{{', '.join(members)}}} (MSP ids) would "
                f"share the private data collection name {definition.name!r}: give the banks MSP ids that differ "
                "in letters or digits",
            )
        seen[definition.name] = members


def _unique(values: list[str], list_field: str, key: str, taken: str | None = None) -> None:
    """Refuse the first value seen before in the list or equal to ``taken`` (the orderer organisation's)."""
    seen = {taken} if taken is not None else set()
    for index, value in enumerate(values):
        if value in seen:
            raise SpecError(f"{list_field}[{index}].{key}", f"duplicate {key} {value!r}")
        seen.add(value)


def _parse_orderer(data: object, network: str, recorded: bool) -> OrdererSpec:
    reader = _Reader(data, "orderer")
    variant = reader.raw("variant")
    if variant is not None:
        consensus, nodes = orderer_variant(variant)
        if reader.raw("consensus") is not None or reader.raw("nodes") is not None:
            raise SpecError("orderer.variant", "give either variant or consensus + nodes, not both")
    else:
        kind = reader.string("consensus", "raft")
        if kind.lower() not in CONSENSUS_TYPES:
            raise SpecError("orderer.consensus", f"unknown consensus {kind!r}; use raft or bft")
        consensus = CONSENSUS_TYPES[kind.lower()]
        nodes = reader.integer("nodes", 1, 1, 9)
    if consensus == "BFT" and nodes < MIN_BFT_NODES:
        raise SpecError("orderer.nodes", f"BFT needs at least {MIN_BFT_NODES} nodes to tolerate one fault, got {nodes}")
    spec = OrdererSpec(
        org_name=reader.string("org", "orderers", _NAME_RE),
        msp_id=reader.string("msp_id", "OrdererMSP", _MSP_RE),
        domain=_domain(reader, f"orderer.{network}.test", MAX_ORDERER_DOMAIN_LENGTH,
                       "cryptogen names files orderer<i>.<domain>-cert.pem", recorded),
        consensus=consensus,
        nodes=nodes,
        batch_timeout_ms=reader.integer("batch_timeout_ms", 200, 10, 10_000),
    )
    reader.finish()
    return spec


def _domain(reader: _Reader, default: str, maximum: int, reason: str, recorded: bool) -> str:
    hint = f"a lower-case DNS name (labels of 1 to {MAX_DNS_LABEL_LENGTH} characters)"
    domain = reader.string("domain", default, _DOMAIN_RE, hint)
    if recorded:
        return domain
    if any(len(label) > MAX_DNS_LABEL_LENGTH for label in domain.split(".")):
        raise SpecError(reader.at("domain"), f"{domain[:80]!r} is not valid: {hint}")
    if len(domain) > maximum:
        raise SpecError(reader.at("domain"), f"{domain!r} is {len(domain)} characters long, more than {maximum}: "
                                             f"{reason}")
    return domain


def _parse_bank(data: object, path: str, network: str, recorded: bool) -> BankSpec:
    reader = _Reader(data, path)
    name = reader.string("name", pattern=_NAME_RE, hint="lower-case letters, digits and '-'")
    bank = BankSpec(
        name=name,
        msp_id=reader.string("msp_id", pattern=_MSP_RE),
        bic=reader.string("bic", pattern=BIC_PATTERN, hint="an ISO 9362 BIC (8 or 11 characters)"),
        country=reader.string("country", pattern=_COUNTRY_RE, hint="an ISO 3166-1 alpha-2 code"),
        display_name=reader.string("display_name", name),
        domain=_domain(reader, f"{name}.{network}.test", MAX_BANK_DOMAIN_LENGTH,
                       "the bank's users are <user>@<domain> in certificates, whose common names hold "
                       f"{MAX_COMMON_NAME_LENGTH} characters", recorded),
        peers=reader.integer("peers", 1, 1, 4),
    )
    if not recorded:
        _bank_country(bank.country, f"{path}.country")
        _contract_check(f"{path}.bic", lambda: check_bic(bank.bic, "bic"), "the chaincode contracts would refuse it "
                        "in every request")
    if bank.bic[4:6] != bank.country:
        raise SpecError(f"{path}.bic",
                        f"BIC {bank.bic} is for country {bank.bic[4:6]}, the bank's country is {bank.country}")
    reader.finish()
    return bank


def _bank_country(country: str, where: str) -> None:
    """A country the contracts accept in the bank's BIC (its characters 5-6, which must be the country): an
    ISO 3166-1 code, or a code SWIFT uses beyond it (XK). The contracts refuse any other BIC in every request."""
    if country not in BIC_ONLY_COUNTRIES:
        _contract_check(where, lambda: check_country(country, "country"), "the chaincode contracts would refuse a BIC "
                        "of that country in every request")


def _contract_check(where: str, check: Callable[[], None], consequence: str) -> None:
    """``check()``, a check of the chaincode contracts', its refusal a SpecError naming ``where``."""
    try:
        check()
    except LcRuleError as exc:
        raise SpecError(where, f"{exc.message} ({consequence})") from None


def _parse_channel(data: object, path: str, known_banks: list[str]) -> ChannelSpec:
    reader = _Reader(data, path)
    name = reader.string("name", pattern=_CHANNEL_RE, hint="lower-case letters, digits, '.' and '-'")
    members = reader.items("banks")
    banks: list[str] = []
    for index, member in enumerate(members):
        where = f"{path}.banks[{index}]"
        if not isinstance(member, str):
            raise SpecError(where, "must be a bank name")
        if member not in known_banks:
            raise SpecError(where, f"unknown bank {member!r} (known: {', '.join(known_banks)})")
        if member in banks:
            raise SpecError(where, f"bank {member!r} is listed twice")
        banks.append(member)
    if len(banks) < 2:
        raise SpecError(f"{path}.banks", f"a consortium channel needs at least two banks, got {len(banks)}")
    reader.finish()
    return ChannelSpec(name, tuple(banks))


def check_chaincode_name(name: str, where: str = "chaincode.name") -> None:
    """Refuse a chaincode name Fabric's lifecycle refuses, or too long for its package label (SpecError
    naming ``where``: the spec's field, or the command-line option that gave the name)."""
    if not _CC_NAME_RE.fullmatch(name):
        raise SpecError(where, f"{name!r} is not valid: letters and digits, with single '_' or '-' between them")
    if name in SYSTEM_CHAINCODES:
        raise SpecError(where, f"{name!r} is the name of a Fabric system chaincode")
    if len(name) > MAX_CC_NAME_LENGTH:
        raise SpecError(where, f"is {len(name)} characters long, more than {MAX_CC_NAME_LENGTH}: the package label "
                               f"<name>_<version> may have {MAX_LABEL_LENGTH}")


def check_chaincode_version(name: str, version: str, where: str = "chaincode.version") -> None:
    """Refuse a version that cannot follow ``name`` (already checked) in its package label."""
    if not version or len(version) > MAX_CC_VERSION_LENGTH or not is_label(package_label(name, version)):
        raise SpecError(where, f"{version!r} is not valid: up to {MAX_CC_VERSION_LENGTH} letters, digits, '.', '_', "
                               "'+' and '-' (the package label is <name>_<version>)")


def check_contracts(contracts: str, where: str = "chaincode.contracts") -> None:
    """Refuse contracts the chaincode server cannot read: ``default`` or ``module:attr[,module:attr]`` (nothing
    is imported)."""
    if contracts != DEFAULT_CONTRACTS:
        try:
            contract_references(contracts)
        except UsageError as exc:
            raise SpecError(where, f"{contracts!r} is not valid: '{DEFAULT_CONTRACTS}' or module:attribute entries "
                                   "separated by ','") from exc


def _parse_chaincode(data: object, recorded: bool) -> ChaincodeSpec:
    reader = _Reader(data, "chaincode")
    name = reader.string("name", "tradefin")
    if not recorded:
        check_chaincode_name(name, reader.at("name"))
    elif not is_label(name):  # it names the chaincode's directory and package: no path, whatever else it is
        raise SpecError(reader.at("name"), f"{name[:80]!r} is not valid: letters, digits, '_' and '-'")
    version = reader.string("version", "1.0")
    check_chaincode_version(name, version, reader.at("version"))
    contracts = reader.string("contracts", DEFAULT_CONTRACTS)
    if not recorded:
        check_contracts(contracts, reader.at("contracts"))
    spec = ChaincodeSpec(
        name=name,
        version=version,
        contracts=contracts,
        mutual_tls=reader.boolean("mutual_tls", False),
    )
    reader.finish()
    return spec
