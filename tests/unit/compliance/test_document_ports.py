"""The embargo on the ports and the vessel flag a presentation's documents name (DOMAIN.md 4.2:
vessel/port countries): when the configuration checks credits, a document loading or discharging in an
embargoed country, or carried by a vessel under its flag, is not presented, nor honoured once the
embargo comes after the presentation -- ERR_SANCTIONS, nothing written. A waivable discrepancy is not
enough."""

from __future__ import annotations

import pytest

from tests.unit.letters_of_credit.support import ADVISER, ISSUER, Desk, caller, documents, sample_terms
from tradefin.chaincode.contracts.compliance.credits import check_documents, document_countries
from tradefin.chaincode.contracts.compliance.records import governance_key
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_pb2 as lc

from ..payments.support import governance_config
from .test_credits import advise, checked_desk, issue, vouch

BANDAR_ABBAS = common_pb2.Place(name="BANDAR ABBAS", un_locode="IRBND")
IRAN = common_pb2.Place(name="BANDAR ABBAS", country="IR")  # no UN/LOCODE: the credit's port is not compared


def advised(desk: Desk) -> str:
    """A credit issued and advised under the checks, the parties vouched for on the day of presentation."""
    terms = sample_terms()
    vouch(desk, ISSUER, terms.applicant.kyc_ref)
    lc_id = desk.apply(terms)
    issue(desk, lc_id)
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref)
    advise(desk, lc_id)
    desk.at("2025-12-03")
    vouch(desk, ISSUER, terms.applicant.kyc_ref)
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref)
    return lc_id


def bill_of_lading_via(port: str, place: common_pb2.Place) -> list[lc.Document]:
    """The complying set with the bill of lading's port of loading or discharge at ``place``."""
    docs = documents()
    getattr(docs[1].key_data, port).CopyFrom(place)
    docs[1].key_data.vessel = "ANY SANCTIONED VESSEL"
    return docs


def embargo(desk: Desk, *countries: str) -> None:
    """The configuration now embargoes ``countries`` (as an adoption would have it)."""
    config = cp.ComplianceGovernance()
    config.ParseFromString(desk.ledger.state[("", governance_key())])
    del config.embargoed_countries[:]
    config.embargoed_countries.extend(countries)
    desk.ledger.state[("", governance_key())] = config.SerializeToString()


@pytest.mark.parametrize(
    ("port", "place"),
    [("port_of_discharge", BANDAR_ABBAS), ("port_of_loading", BANDAR_ABBAS), ("port_of_loading", IRAN)],
    ids=["discharge by UN/LOCODE", "loading by UN/LOCODE", "loading by country"],
)
def test_documents_through_an_embargoed_port_are_not_presented(port: str, place: common_pb2.Place) -> None:
    desk = checked_desk(embargoed_countries=["IR"])
    lc_id = advised(desk)
    state = dict(desk.ledger.state)
    for receiving in (ADVISER, ISSUER):  # to the nominated bank, or straight to the issuing bank
        with pytest.raises(LcRuleError, match="IR is under embargo") as refused:
            desk.present(lc_id, claimed="5000.00", docs=bill_of_lading_via(port, place), receiving=receiving)
        assert (refused.value.code_name, refused.value.field) == ("ERR_SANCTIONS", f"documents[1].key_data.{port}")
        assert desk.ledger.state == state
    # the same credit takes documents through ports outside the embargo
    assert desk.presentation(desk.present(lc_id, claimed="5000.00"))[0].state == (
        lc.PRESENTATION_STATE_UNDER_EXAMINATION
    )


def test_an_embargo_adopted_after_the_presentation_stops_the_honour() -> None:
    desk = checked_desk(embargoed_countries=["KP"])
    lc_id = advised(desk)
    pid = desk.present(lc_id, claimed="5000.00", docs=bill_of_lading_via("port_of_loading", IRAN), receiving=ISSUER)
    assert desk.examine(pid, caller(ISSUER, "examiner")).state == lc.PRESENTATION_STATE_COMPLYING
    embargo(desk, "KP", "IR")
    state = dict(desk.ledger.state)
    with pytest.raises(LcRuleError, match="IR is under embargo") as refused:
        desk.honour(pid, amount="5000.00", honourer=caller(ISSUER, "approver"))
    assert (refused.value.code_name, refused.value.field) == ("ERR_SANCTIONS", "documents[1].key_data.port_of_loading")
    assert desk.ledger.state == state
    embargo(desk, "KP")  # lifted: nothing else stood in the way
    assert desk.honour(pid, amount="5000.00", honourer=caller(ISSUER, "approver")).state == (
        lc.PRESENTATION_STATE_HONOURED
    )


def test_without_credit_checks_the_ports_are_not_checked() -> None:
    desk = checked_desk(check_credits=False, embargoed_countries=["IR"])
    lc_id = desk.open_credit()
    desk.at("2025-12-03")
    pid = desk.present(lc_id, claimed="5000.00", docs=bill_of_lading_via("port_of_loading", IRAN))
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING
    assert desk.honour(pid, amount="5000.00").state == lc.PRESENTATION_STATE_HONOURED


def test_the_ports_and_the_vessel_flag_of_every_document_are_listed() -> None:
    docs = bill_of_lading_via("port_of_discharge", BANDAR_ABBAS)
    docs[2].key_data.port_of_loading.CopyFrom(IRAN)  # an insurance document showing the voyage
    assert document_countries(docs) == [
        ("documents[1].key_data.port_of_loading", "GB"),
        ("documents[1].key_data.port_of_discharge", "IR"),
        ("documents[1].key_data.vessel_flag", "PA"),
        ("documents[2].key_data.port_of_loading", "IR"),
    ]


def test_a_vessel_under_an_embargoed_flag_carries_no_documents_to_presentation_or_honour() -> None:
    desk = checked_desk(embargoed_countries=["KP"])
    lc_id = advised(desk)
    flagged = documents()
    flagged[1].key_data.vessel_flag = "KP"
    state = dict(desk.ledger.state)
    with pytest.raises(LcRuleError, match="KP is under embargo") as refused:
        desk.present(lc_id, claimed="5000.00", docs=flagged)
    assert (refused.value.code_name, refused.value.field) == ("ERR_SANCTIONS", "documents[1].key_data.vessel_flag")
    assert desk.ledger.state == state
    # presented under a flag the embargo reaches only later: the honour is refused
    flagged[1].key_data.vessel_flag = "IR"
    pid = desk.present(lc_id, claimed="5000.00", docs=flagged)
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING
    embargo(desk, "KP", "IR")
    with pytest.raises(LcRuleError, match="IR is under embargo") as stopped:
        desk.honour(pid, amount="5000.00")
    assert stopped.value.field == "documents[1].key_data.vessel_flag"


def test_the_ports_are_checked_only_when_the_configuration_checks_credits() -> None:
    docs = bill_of_lading_via("port_of_discharge", BANDAR_ABBAS)
    check_documents(None, docs)  # before the first adoption
    check_documents(governance_config(check_credits=False, embargoed_countries=["IR"]), docs)
    with pytest.raises(LcRuleError) as refused:
        check_documents(governance_config(check_credits=True, embargoed_countries=["IR"]), docs)
    assert (refused.value.code_name, refused.value.field) == (
        "ERR_SANCTIONS", "documents[1].key_data.port_of_discharge"
    )
    check_documents(governance_config(check_credits=True, embargoed_countries=["KP"]), docs)
