"""Governance: a configuration is proposed by one member bank and in force once every member approved."""

from __future__ import annotations

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.governance import config_sha256
from tradefin.chaincode.contracts.compliance.records import governance_key, proposal_key
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, BANK_B, OUTSIDER, Desk, caller, governance_config, money


def propose(desk: Desk, config: cp.ComplianceGovernance, who: str = "A") -> cp.GovernanceResponse:
    bank = BANK_A if who == "A" else BANK_B if who == "B" else OUTSIDER
    request = cp.ProposeGovernanceRequest(config=config)
    return desk.comply(caller(bank, "compliance"), lambda s, tx: s.propose_governance(tx, request))


def approve(desk: Desk, version: int, bank: object = BANK_B, role: str = "compliance") -> cp.GovernanceResponse:
    stored = desk.ledger.value(proposal_key(version))
    proposed = cp.GovernanceProposal.FromString(stored).config if stored is not None else cp.ComplianceGovernance()
    request = cp.ApproveGovernanceRequest(version=version, config_sha256=config_sha256(proposed))
    return desk.comply(caller(bank, role), lambda s, tx: s.approve_governance(tx, request))  # type: ignore[arg-type]


def test_a_configuration_needs_every_member_and_is_endorsed_by_all() -> None:
    desk = Desk()
    proposed = propose(desk, governance_config())
    assert not proposed.HasField("governance")
    assert proposed.proposal.required_msp_ids == ["Bank1MSP", "Bank2MSP"]
    assert desk.ledger.value(governance_key()) is None
    adopted = approve(desk, 1)
    assert adopted.governance.version == 1 and adopted.proposal.status == cp.PROPOSAL_STATUS_ADOPTED
    assert desk.ledger.policies[("", governance_key())] == ("Bank1MSP", "Bank2MSP")


def test_a_change_of_caps_goes_through_every_member_again() -> None:
    desk = Desk()
    desk.adopt()
    raised = governance_config(version=2)
    raised.pilot_caps.max_per_payment.CopyFrom(money("2000000.00", "USD"))
    propose(desk, raised, "B")
    with pytest.raises(RuleError, match="already approved"):
        approve(desk, 2, BANK_B)
    assert approve(desk, 2, BANK_A).governance.pilot_caps.max_per_payment.minor_units == 2_000_000_00


@pytest.mark.parametrize(
    ("who", "role", "code"),
    [(OUTSIDER, "compliance", "ERR_UNAUTHORIZED"), (BANK_B, "treasury", "ERR_UNAUTHORIZED")],
)
def test_only_member_compliance_officers_approve(who: object, role: str, code: str) -> None:
    desk = Desk()
    propose(desk, governance_config())
    with pytest.raises(RuleError) as error:
        approve(desk, 1, who, role)
    assert error.value.code_name == code


def test_an_outsider_cannot_propose_and_versions_are_consecutive() -> None:
    desk = Desk()
    with pytest.raises(RuleError) as error:
        propose(desk, governance_config(member_msp_ids=["Bank1MSP", "Bank2MSP"]), who="C")
    assert error.value.code_name == "ERR_UNAUTHORIZED"
    with pytest.raises(RuleError, match="next version is 1"):
        propose(desk, governance_config(version=2))
    desk.adopt()
    with pytest.raises(RuleError, match="next version is 2"):
        propose(desk, governance_config(version=3))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"member_msp_ids": ["Bank1MSP"]}, "config.member_msp_ids"),
        ({"embargoed_countries": ["XX"]}, "config.embargoed_countries[0]"),
        ({"screening_max_age_hours": 0}, "config.screening_max_age_hours"),
        ({"reference_currency": "XYZ"}, "config.reference_currency"),
        ({"dual_control_threshold": money("5.00", "EUR")}, "config.dual_control_threshold.currency"),
        ({"financing_policy": cp.FINANCING_POLICY_UNSPECIFIED}, "config.financing_policy"),
    ],
)
def test_invalid_configurations_are_refused(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(RuleError) as error:
        propose(Desk(), governance_config(**overrides))
    assert error.value.code_name == "ERR_INVALID_INPUT"
    assert error.value.field == field
