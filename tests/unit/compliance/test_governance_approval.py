"""An approval names the content it approves (SHA-256 of the proposed configuration): a proposal
replaced after the approver reviewed it is refused with ERR_INVALID_STATE, not adopted."""

from __future__ import annotations

import asyncio

import pytest

from tests.unit.tradefin_client.contract_double import ContractDouble
from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.governance import config_sha256
from tradefin.gateway import Gateway
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway.tradefin.compliance import AsyncCompliance, Compliance, governance_sha256
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, BANK_B, Desk, caller, governance_config, snapshot


def propose(desk: Desk, config: cp.ComplianceGovernance) -> None:
    request = cp.ProposeGovernanceRequest(config=config)
    desk.comply(caller(BANK_A, "compliance"), lambda s, tx: s.propose_governance(tx, request))


def approve(desk: Desk, version: int, digest: bytes) -> cp.GovernanceResponse:
    request = cp.ApproveGovernanceRequest(version=version, config_sha256=digest)
    return desk.comply(caller(BANK_B, "compliance"), lambda s, tx: s.approve_governance(tx, request))


def reviewed_then_swapped(desk: Desk) -> bytes:
    """Version 2 adds RU to the embargo; bank B reviews it; bank A then replaces it with no embargo."""
    desk.adopt()
    reviewed = governance_config(version=2, embargoed_countries=["KP", "IR", "SY", "CU", "RU"])
    propose(desk, reviewed)
    read = cp.GetGovernanceRequest(proposal_version=2)
    seen = desk.comply(caller(BANK_B, "compliance"), lambda s, tx: s.get_governance(tx.caller, read))
    propose(desk, governance_config(version=2, embargoed_countries=[], sanctions_lists=[]))
    return config_sha256(seen.proposal.config)


def test_an_approval_of_reviewed_content_does_not_adopt_a_replacement() -> None:
    desk = Desk()
    digest = reviewed_then_swapped(desk)
    before = snapshot(desk)
    with pytest.raises(RuleError) as error:
        approve(desk, 2, digest)
    assert error.value.code_name == "ERR_INVALID_STATE"
    assert snapshot(desk) == before


def test_the_replacement_is_adopted_once_approved_by_its_own_hash() -> None:
    desk = Desk()
    reviewed_then_swapped(desk)
    swapped = governance_config(version=2, embargoed_countries=[], sanctions_lists=[])
    adopted = approve(desk, 2, config_sha256(swapped)).governance
    assert adopted.version == 2 and list(adopted.embargoed_countries) == []


@pytest.mark.parametrize("digest", [b"", b"\x00" * 31, b"\x00" * 33])
def test_an_approval_without_a_config_hash_is_refused(digest: bytes) -> None:
    desk = Desk()
    propose(desk, governance_config())
    before = snapshot(desk)
    with pytest.raises(RuleError) as error:
        approve(desk, 1, digest)
    assert error.value.code_name == "ERR_INVALID_INPUT" and error.value.field == "config_sha256"
    assert snapshot(desk) == before


def test_the_client_approves_the_proposal_it_read(gateway: Gateway, contract: ContractDouble) -> None:
    proposal = cp.GovernanceProposal(config=governance_config(version=2), required_msp_ids=["Bank1MSP", "Bank2MSP"])
    contract.on("compliance:GetGovernance", lambda call: cp.GovernanceResponse(proposal=proposal))
    contract.on("compliance:ApproveGovernance", lambda call: cp.GovernanceResponse(proposal=proposal))
    Compliance(gateway, "asia-europe").approve_governance(2)
    Compliance(gateway, "asia-europe").approve_governance(2, config_sha256=b"\x01" * 32)
    sent = [cp.ApproveGovernanceRequest.FromString(call.transient["request"]) for call in contract.calls("endorse")]
    assert sent[0] == cp.ApproveGovernanceRequest(version=2, config_sha256=governance_sha256(proposal.config))
    assert sent[1].config_sha256 == b"\x01" * 32


def test_the_async_client_names_the_hash_too(aio_gateway: gateway_aio.Gateway, contract: ContractDouble) -> None:
    proposal = cp.GovernanceProposal(config=governance_config(version=3), required_msp_ids=["Bank1MSP"])
    contract.on("compliance:GetGovernance", lambda call: cp.GovernanceResponse(proposal=proposal))
    contract.on("compliance:ApproveGovernance", lambda call: cp.GovernanceResponse(proposal=proposal))

    async def run() -> None:
        async with aio_gateway:
            await AsyncCompliance(aio_gateway, "asia-europe").approve_governance(3)

    asyncio.run(run())
    request = cp.ApproveGovernanceRequest.FromString(contract.calls("endorse")[0].transient["request"])
    assert request.config_sha256 == config_sha256(proposal.config)


def test_reading_a_version_never_proposed_is_not_found_as_approving_it_is() -> None:
    """An officer asking for version 7 learns there is none (the client then approves nothing), rather
    than getting an empty proposal whose empty configuration the client would hash and approve."""
    desk = Desk()
    desk.adopt()
    read = cp.GetGovernanceRequest(proposal_version=7)
    with pytest.raises(RuleError) as error:
        desk.comply(caller(BANK_B, "compliance"), lambda s, tx: s.get_governance(tx.caller, read))
    assert (error.value.code_name, error.value.field) == ("ERR_NOT_FOUND", "proposal_version")
    with pytest.raises(RuleError) as approving:
        approve(desk, 7, b"\x00" * 32)
    assert approving.value.code_name == "ERR_NOT_FOUND"
    next_one = desk.comply(
        caller(BANK_B, "compliance"), lambda s, tx: s.get_governance(tx.caller, cp.GetGovernanceRequest())
    )
    assert next_one.HasField("governance") and not next_one.HasField("proposal")  # the default: none proposed yet
