"""Spec validation: a bad spec is refused before anything starts, with the field named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.reference_data import BIC_ONLY_COUNTRIES, COUNTRIES
from tradefin.chaincode.contracts.letters_of_credit.validation import check_bic
from tradefin.network.chaincode_package import MAX_LABEL_LENGTH, is_label, package_label
from tradefin.network.identities import DEFAULT_USERS
from tradefin.network.spec import (
    MAX_BANK_DOMAIN_LENGTH,
    MAX_ORDERER_DOMAIN_LENGTH,
    SpecError,
    default_spec_path,
    load_spec,
    parse_spec,
)


def default_doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(default_spec_path().read_text())
    return doc


def refused(doc: object) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_spec(doc)
    return info.value


def test_default_spec_has_three_banks_and_two_channels_sharing_one_bank() -> None:
    spec = load_spec()
    assert [b.name for b in spec.banks] == ["bank1", "bank2", "bank3"]
    assert [c.name for c in spec.channels] == ["asia-europe", "asia-americas"]
    shared = set(spec.channel("asia-europe").banks) & set(spec.channel("asia-americas").banks)
    assert shared == {"bank1"}
    assert spec.orderer.variant == "raft1"
    assert all(b.peers == 1 for b in spec.banks)


@pytest.mark.parametrize("variant, consensus, nodes", [("raft1", "etcdraft", 1), ("raft3", "etcdraft", 3),
                                                        ("bft4", "BFT", 4)])
def test_orderer_variants(variant: str, consensus: str, nodes: int) -> None:
    spec = load_spec().with_orderers(variant)
    assert (spec.orderer.consensus, spec.orderer.nodes, spec.orderer.variant) == (consensus, nodes, variant)
    assert spec.orderer.node_names() == [f"orderer{i}" for i in range(nodes)]


def test_unknown_bank_in_channel_names_the_field() -> None:
    doc = default_doc()
    doc["channels"][1]["banks"] = ["bank1", "bank9"]
    error = refused(doc)
    assert error.field == "channels[1].banks[1]"
    assert "unknown bank 'bank9'" in str(error) and "bank1, bank2, bank3" in str(error)


@pytest.mark.parametrize("key, field", [("name", "banks[1].name"), ("msp_id", "banks[1].msp_id"),
                                         ("bic", "banks[1].bic")])
def test_duplicate_bank_fields_are_refused(key: str, field: str) -> None:
    doc = default_doc()
    doc["banks"][1][key] = doc["banks"][0][key]
    if key == "bic":
        doc["banks"][1]["country"] = doc["banks"][0]["country"]
    error = refused(doc)
    assert error.field == field and "duplicate" in str(error)


def test_two_banks_of_one_institution_are_refused() -> None:
    doc = default_doc()
    doc["banks"][1]["bic"] = doc["banks"][0]["bic"][:8] + "XXX"  # a branch BIC of the first bank
    doc["banks"][1]["country"] = doc["banks"][0]["country"]
    error = refused(doc)
    assert error.field == "banks[1].bic" and f"duplicate bic {doc['banks'][0]['bic'][:8]!r}" in str(error)


def test_duplicate_channel_names_are_refused() -> None:
    doc = default_doc()
    doc["channels"][1]["name"] = doc["channels"][0]["name"]
    assert refused(doc).field == "channels[1].name"


def test_bft_with_fewer_than_four_nodes_is_refused() -> None:
    doc = default_doc()
    doc["orderer"].pop("variant")
    doc["orderer"].update({"consensus": "bft", "nodes": 3})
    error = refused(doc)
    assert error.field == "orderer.nodes" and "at least 4" in str(error)


def test_channel_with_one_bank_is_refused() -> None:
    doc = default_doc()
    doc["channels"][0]["banks"] = ["bank1"]
    error = refused(doc)
    assert error.field == "channels[0].banks" and "at least two banks" in str(error)


def test_msp_ids_that_would_share_a_collection_name_on_a_channel_are_refused() -> None:
    doc = default_doc()
    # {Bank-One, Two} and {Bank, One-Two} would both be "lc-Bank-One-Two" on a channel of all four
    msp_ids = ["Bank-One", "Two", "Bank", "One-Two"]
    for bank, msp_id in zip(doc["banks"], msp_ids, strict=False):
        bank["msp_id"] = msp_id
    extra = copy.deepcopy(doc["banks"][2])
    extra.update(name="bank4", msp_id=msp_ids[3], bic="EXTRUS33")
    doc["banks"].append(extra)
    doc["channels"] = [{"name": "all-four", "banks": ["bank1", "bank2", "bank3", "bank4"]}]
    error = refused(doc)
    assert error.field == "channels[0].banks" and "'lc-Bank-One-Two'" in str(error)
    doc["banks"][3]["msp_id"] = "OneTwo"  # distinct once written into a collection name
    assert parse_spec(doc).bank("bank4").msp_id == "OneTwo"


@pytest.mark.parametrize("country", ["ZZ", "AA", "XX", "QM", "EU", "UK"])
def test_a_bank_country_the_contracts_refuse_in_its_bic_is_refused(country: str) -> None:
    # 'ZZ' (with a BIC of ZZ, as the spec requires) was accepted, and the chaincode contracts then refused the
    # bank's BIC in every request (ERR_INVALID_INPUT "BIC country 'ZZ' is not an ISO 3166-1 country code").
    doc = default_doc()
    doc["banks"][1].update(country=country, bic=f"EUCB{country}FF")
    error = refused(doc)
    assert error.field == "banks[1].country"
    assert f"{country!r} is not an ISO 3166-1 alpha-2 country code" in error.message
    with pytest.raises(LcRuleError, match="BIC country"):
        check_bic(f"EUCB{country}FF", "bic")


def test_a_bank_may_be_of_any_country_the_contracts_take_in_a_bic() -> None:
    # ISO 3166-1 and the codes SWIFT uses beyond it (XK: Kosovo)
    for country in sorted(COUNTRIES | BIC_ONLY_COUNTRIES):
        doc = default_doc()
        doc["banks"][1].update(country=country, bic=f"EUCB{country}FF")
        bank = parse_spec(doc).bank("bank2")
        check_bic(bank.bic, "bic")
        assert bank.country == country


def test_bank_listed_twice_in_a_channel_is_refused() -> None:
    doc = default_doc()
    doc["channels"][0]["banks"] = ["bank1", "bank1"]
    assert refused(doc).field == "channels[0].banks[1]"


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["banks"][0].update(bic="NOTABIC"), "banks[0].bic"),
    (lambda d: d["banks"][0].update(country="hk"), "banks[0].country"),
    (lambda d: d["banks"][0].update(bic="ASTBDEFF"), "banks[0].bic"),  # BIC country is not the bank's
    (lambda d: d["banks"][0].pop("msp_id"), "banks[0].msp_id"),
    (lambda d: d["banks"][0].update(peers=0), "banks[0].peers"),
    (lambda d: d["channels"][0].update(name="Asia_Europe"), "channels[0].name"),
    # a YAML block scalar ends with a newline, which `$` would let through
    (lambda d: d["channels"][0].update(name="asia-europe\n"), "channels[0].name"),
    (lambda d: d["banks"][0].update(bic="ASTBHKHH\n"), "banks[0].bic"),
    (lambda d: d["banks"][0].update(msp_id="Bank1MSP\n"), "banks[0].msp_id"),
    (lambda d: d.update(name="tradefin\n"), "name"),
    (lambda d: d["orderer"].update(variant="solo"), "orderer.variant"),
    (lambda d: d["orderer"].update(variant=["raft1"]), "orderer.variant"),
    (lambda d: d["banks"][1].update(msp_id="OrdererMSP"), "banks[1].msp_id"),  # the orderer organisation's
    (lambda d: d["banks"][1].update(domain="orderer.tradefin.test"), "banks[1].domain"),
    (lambda d: d.update(surprise=1), "surprise"),
    (lambda d: d["banks"][2].update(colour="blue"), "banks[2].colour"),
    (lambda d: d.update(banks=[d["banks"][0]]), "banks"),
    (lambda d: d.update(channels=[]), "channels"),
])
def test_invalid_fields_are_named(mutate: Any, field: str) -> None:
    doc = copy.deepcopy(default_doc())
    mutate(doc)
    assert refused(doc).field == field


def test_spec_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("banks: [\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.yaml")


@pytest.mark.parametrize("version", ["1 0", "1.0\n", "v/1", "é", "x" * 65])
def test_a_chaincode_version_that_cannot_label_a_package_is_refused(version: str) -> None:
    # The package label is "<name>_<version>"; such a version was accepted and failed at deploy time.
    doc = default_doc()
    doc["chaincode"]["version"] = version
    assert refused(doc).field == "chaincode.version"


@pytest.mark.parametrize(("version", "label_ok"), [
    *((good, True) for good in ["1.0", "2", "1.0.0-rc.1", "1.0+build.5", "_", ".", "+", "-rc1", "x" * 64]),
    # ':' would make a package id (label:hash) ambiguous; Fabric's label allows ASCII letters and digits only
    *((bad, False) for bad in ["1 0", "1.0\n", "\n1.0", "v/1", "1:0", "é", "\u0661", "1.0\x00", "\t"]),
])
def test_a_chaincode_version_is_accepted_exactly_when_it_makes_a_valid_package_label(version: str,
                                                                                    label_ok: bool) -> None:
    # One definition (chaincode_package.is_label, Fabric's label rule) decides both; the spec used to restate
    # the label's characters in a pattern of its own.
    doc = default_doc()
    doc["chaincode"]["version"] = version
    assert is_label(package_label(doc["chaincode"]["name"], version)) == label_ok
    try:
        accepted = parse_spec(doc).chaincode.version == version
    except SpecError as exc:
        assert exc.field == "chaincode.version"
        accepted = False
    assert accepted == label_ok


@pytest.mark.parametrize("name", ["trade__fin", "trade-_fin", "trade--fin", "lscc", "qscc", "cscc", "escc", "vscc",
                                  "trade_", "-trade", "trade fin", "trade.fin"])
def test_a_chaincode_name_fabric_refuses_is_refused(name: str) -> None:
    # Fabric's lifecycle allows '_' and '-' only singly between alphanumerics and refuses the system chaincodes'
    # names: 'trade__fin' or 'lscc' passed the spec and `network up` failed approving the definition.
    doc = default_doc()
    doc["chaincode"]["name"] = name
    assert refused(doc).field == "chaincode.name"


@pytest.mark.parametrize("name", ["tradefin", "trade_fin-2", "a", "LSCC", "Trade-Fin_v2"])
def test_a_chaincode_name_fabric_accepts_is_accepted(name: str) -> None:
    doc = default_doc()
    doc["chaincode"]["name"] = name
    assert parse_spec(doc).chaincode.name == name


def test_a_chaincode_name_leaves_room_for_any_version_in_the_package_label() -> None:
    # 'x' * 1000 was accepted: its label made the peer's ccaas build directory name longer than a file name may be
    doc = default_doc()
    doc["chaincode"].update(name="x" * 108, version="v" * 64)
    spec = parse_spec(doc)
    assert len(package_label(spec.chaincode.name, spec.chaincode.version)) == MAX_LABEL_LENGTH
    doc["chaincode"]["name"] = "x" * 109
    error = refused(doc)
    assert error.field == "chaincode.name" and "more than 108" in error.message


def test_a_channel_name_too_long_for_its_chaincode_servers_log_files_is_refused() -> None:
    # Fabric takes 249 characters; bank1's server of tradefin on a channel of 234 logs to
    # 'bank1-cc-tradefin-<channel>.log', 256 characters: the server failed to start (ENAMETOOLONG)
    doc = default_doc()
    doc["channels"][0]["name"] = "a" * 233
    assert parse_spec(doc).channels[0].name == "a" * 233
    doc["channels"][0]["name"] = "a" * 234
    error = refused(doc)
    assert error.field == "channels[0].name" and "file name of 256 characters" in error.message
    doc["channels"][0]["name"] = "a" * 200
    doc["chaincode"]["name"] = "x" * 50  # the chaincode's name counts too
    assert refused(doc).field == "channels[0].name"


def test_a_chaincode_server_named_like_another_node_is_refused() -> None:
    # bank1's server of tradefin on channel 'peer0' and the first peer of bank 'bank1-cc-tradefin' were both
    # 'bank1-cc-tradefin-peer0': one log file, one state entry for two processes
    doc = default_doc()
    doc["banks"].append({**doc["banks"][2], "name": "bank1-cc-tradefin", "msp_id": "Bank4MSP", "bic": "BNKFUS33"})
    doc["channels"][0]["name"] = "peer0"
    error = refused(doc)
    assert error.field == "channels[0].name" and "'bank1-cc-tradefin-peer0'" in error.message
    assert "a peer of bank 'bank1-cc-tradefin'" in error.message


def _domain_of(length: int) -> str:
    """A DNS name of ``length`` characters (labels of at most 63) ending in ``.test``."""
    body = (("d" * 62 + ".") * 5)[: length - len(".test")]
    return body.removesuffix(".") + ("d" if body.endswith(".") else "") + ".test"


def test_a_bank_domain_too_long_for_its_users_certificates_is_refused() -> None:
    # 'client-beneficiary@<domain>' is a certificate's common name (64 characters at most): with a longer domain
    # network up stopped at the crypto step with cryptography's ValueError (a traceback)
    longest = max((user for user, _ in DEFAULT_USERS), key=len)
    assert len(f"{longest}@") + MAX_BANK_DOMAIN_LENGTH == 64
    doc = default_doc()
    doc["banks"][0]["domain"] = _domain_of(MAX_BANK_DOMAIN_LENGTH)
    bank = parse_spec(doc).banks[0]
    for name in [f"{user}@{bank.domain}" for user, _ in DEFAULT_USERS] + [f"chaincode.{bank.domain}"]:
        x509.NameAttribute(NameOID.COMMON_NAME, name)  # the names identities and crypto give certificates
    doc["banks"][0]["domain"] = _domain_of(MAX_BANK_DOMAIN_LENGTH + 1)
    error = refused(doc)
    assert error.field == "banks[0].domain" and "more than 45" in error.message
    with pytest.raises(ValueError):
        x509.NameAttribute(NameOID.COMMON_NAME, f"{longest}@{doc['banks'][0]['domain']}")
    doc = default_doc()  # the default domain <bank>.<network>.test counts too
    doc["name"] = "n" * 31
    doc["banks"][0]["name"] = "b" * 9
    for channel in doc["channels"]:
        channel["banks"] = ["b" * 9 if member == "bank1" else member for member in channel["banks"]]
    assert refused(doc).field == "banks[0].domain"


def test_an_orderer_domain_too_long_for_cryptogens_file_names_is_refused() -> None:
    # cryptogen failed writing orderer0.<domain>-cert.pem ('file name too long')
    doc = default_doc()
    doc["orderer"]["domain"] = _domain_of(MAX_ORDERER_DOMAIN_LENGTH)
    assert len(f"orderer8.{parse_spec(doc).orderer.domain}-cert.pem") == 255
    doc["orderer"]["domain"] = _domain_of(MAX_ORDERER_DOMAIN_LENGTH + 1)
    assert refused(doc).field == "orderer.domain"


@pytest.mark.parametrize("domain", ["a" * 64 + ".test", "x." + "b" * 64, "-a.test", "a-.test", "a..test", "test"])
def test_a_domain_that_is_no_dns_name_is_refused(domain: str) -> None:
    # a label of 64 characters passed the spec's 'lower-case DNS name'
    doc = default_doc()
    doc["orderer"]["domain"] = domain
    assert refused(doc).field == "orderer.domain"
    doc["orderer"]["domain"] = "a" * 63 + ".test"
    assert parse_spec(doc).orderer.domain == "a" * 63 + ".test"


@pytest.mark.parametrize("contracts", ["nonsense", "x:", ":y", "a b:c", ",", " , ", "my-mod:Thing", ".rel:Thing",
                                       "mod:Thing()", "mod:Thing\nother", "Default"])
def test_contracts_the_chaincode_server_cannot_read_are_refused(contracts: str) -> None:
    # they were accepted and every bank's chaincode server exited at network up ('--contracts entries are
    # module:attribute'), after the orderers and peers had started
    doc = default_doc()
    doc["chaincode"]["contracts"] = contracts
    assert refused(doc).field == "chaincode.contracts"


@pytest.mark.parametrize("contracts", ["default", "custom:Thing", "my.mod:factory.make, other:Thing", "m:T,"])
def test_contracts_the_chaincode_server_reads_are_accepted(contracts: str) -> None:
    doc = default_doc()
    doc["chaincode"]["contracts"] = contracts
    assert parse_spec(doc).chaincode.contracts == contracts


def test_unknown_keys_of_any_yaml_type_are_named() -> None:
    doc: dict[Any, Any] = default_doc()
    doc[1] = "x"
    doc["extra"] = "y"  # sorting int and str keys raised TypeError
    assert refused(doc).field == "1"
    doc = default_doc()
    doc[""] = None
    assert refused(doc).field == "''"  # was "", naming nothing
    doc = default_doc()
    doc["orderer"][None] = 1
    assert refused(doc).field == "orderer.None"


def test_a_spec_file_that_is_not_a_mapping_or_not_text_is_refused_naming_the_file(tmp_path: Path) -> None:
    for name, content in [("empty.yaml", b""), ("list.yaml", b"- a\n- b\n"), ("junk.yaml", bytes(range(256))),
                          ("deep.yaml", b"[" * 5000 + b"]" * 5000)]:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(SpecError) as info:
            load_spec(path)
        assert info.value.field == "spec" and str(path) in info.value.message


def sized_doc(peers: list[int], orderer_nodes: int = 1, channel_banks: int = 2) -> dict[str, Any]:
    """The default document with one bank per entry of ``peers`` (its peer count), a raft orderer of
    ``orderer_nodes`` and one channel of the first ``channel_banks`` banks."""
    doc = default_doc()
    template = doc["banks"][2]
    doc["banks"] = [{**template, "name": f"bank{i}", "msp_id": f"Bank{i}MSP", "bic": f"B{i:03d}US33", "peers": count}
                    for i, count in enumerate(peers)]
    doc["orderer"] = {"consensus": "raft", "nodes": orderer_nodes}
    doc["channels"] = [{"name": "all", "banks": [f"bank{i}" for i in range(channel_banks)]}]
    return doc


def test_a_spec_needing_more_ports_than_its_block_is_refused_saying_how_many() -> None:
    # 9 orderer nodes (36 ports) + 12 one-peer banks (12 each) + one three-peer bank (20) = 200: the block
    fits = sized_doc([1] * 12 + [3], orderer_nodes=9)
    assert len(parse_spec(fits).banks) == 13
    # one more peer: the spec was accepted and `network up` failed building the network (PortError)
    over = sized_doc([1] * 12 + [4], orderer_nodes=9)
    error = refused(over)
    assert error.field == "banks"
    assert "needs 204 ports" in error.message and "has 200" in error.message
    assert "orderer node (9)" in error.message and "peer (16)" in error.message and "bank (13)" in error.message
    assert "fewer banks, fewer peers per bank or fewer orderer nodes" in error.message


def test_another_orderer_variant_that_needs_more_ports_than_the_block_is_refused() -> None:
    spec = parse_spec(sized_doc([1] * 14 + [4], orderer_nodes=1))  # 4 + 14 x 12 + 24 = 196
    assert spec.with_orderers("raft1").orderer.nodes == 1
    with pytest.raises(SpecError) as info:
        spec.with_orderers("bft4")  # 12 more ports: `network up --orderers bft4` failed building the network
    assert info.value.field == "orderer.variant" and "needs 208 ports" in info.value.message


@pytest.mark.timeout(30)
def test_a_channel_of_too_many_banks_is_refused_without_enumerating_its_collections() -> None:
    # 40 banks on one channel: the private data collection check enumerated 2**40 bank sets (it hung)
    error = refused(sized_doc([1] * 40, channel_banks=40))
    assert error.field == "banks" and "needs 484 ports" in error.message
