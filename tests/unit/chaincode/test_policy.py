"""Key-level endorsement policies: building and reading SignaturePolicyEnvelopes."""

from __future__ import annotations

import pytest
from fabric_protos.common import policies_pb2
from fabric_protos.msp import msp_principal_pb2

from tradefin.chaincode.shim import EndorserRole, KeyEndorsementPolicy


def test_all_of_builds_an_n_out_of_n_over_sorted_role_principals() -> None:
    policy = KeyEndorsementPolicy.all_of(["Bank2MSP", "Bank1MSP"])
    envelope = policies_pb2.SignaturePolicyEnvelope.FromString(policy.to_bytes())
    assert envelope.version == 0
    principals = [msp_principal_pb2.MSPRole.FromString(p.principal) for p in envelope.identities]
    assert [(p.msp_identifier, p.role) for p in principals] == [
        ("Bank1MSP", msp_principal_pb2.MSPRole.PEER),
        ("Bank2MSP", msp_principal_pb2.MSPRole.PEER),
    ]
    assert all(p.principal_classification == msp_principal_pb2.MSPPrincipal.ROLE for p in envelope.identities)
    assert envelope.rule.n_out_of.n == 2
    assert [r.signed_by for r in envelope.rule.n_out_of.rules] == [0, 1]
    assert policy.to_bytes() == KeyEndorsementPolicy.all_of(["Bank1MSP", "Bank2MSP"]).to_bytes()


def test_any_of_and_n_of_with_member_role() -> None:
    any_of = KeyEndorsementPolicy.any_of(["Bank1MSP", "Bank3MSP"], EndorserRole.MEMBER)
    envelope = policies_pb2.SignaturePolicyEnvelope.FromString(any_of.to_bytes())
    assert envelope.rule.n_out_of.n == 1
    assert {msp_principal_pb2.MSPRole.FromString(p.principal).role for p in envelope.identities} == {
        msp_principal_pb2.MSPRole.MEMBER
    }
    two_of_three = KeyEndorsementPolicy.n_of(2, ["A", "B", "C"])
    assert policies_pb2.SignaturePolicyEnvelope.FromString(two_of_three.to_bytes()).rule.n_out_of.n == 2


def test_read_back_names_the_organisations() -> None:
    written = KeyEndorsementPolicy.n_of(2, ["Bank1MSP", "Bank2MSP", "Bank3MSP"], EndorserRole.MEMBER)
    read = KeyEndorsementPolicy.from_bytes(written.to_bytes())
    assert read.msp_ids == ["Bank1MSP", "Bank2MSP", "Bank3MSP"]
    assert read.required == 2
    assert set(read.organisations.values()) == {EndorserRole.MEMBER}
    assert read == written


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        KeyEndorsementPolicy.all_of([])
    with pytest.raises(ValueError, match="between 1"):
        KeyEndorsementPolicy.n_of(3, ["A", "B"])
    with pytest.raises(ValueError, match="SignaturePolicyEnvelope"):
        KeyEndorsementPolicy.from_bytes(b"\xff\xff")
    with pytest.raises(ValueError, match="names no organisation"):
        KeyEndorsementPolicy.from_bytes(policies_pb2.SignaturePolicyEnvelope().SerializeToString())
    by_certificate = policies_pb2.SignaturePolicyEnvelope()
    by_certificate.identities.add(
        principal_classification=msp_principal_pb2.MSPPrincipal.IDENTITY, principal=b"-----BEGIN CERTIFICATE-----"
    )
    with pytest.raises(ValueError, match="other than by organisation and role"):  # refused, never dropped
        KeyEndorsementPolicy.from_bytes(by_certificate.SerializeToString())


def test_every_msp_role_survives_a_read_and_write_back() -> None:
    """A policy read, changed and written back never comes out weaker: no organisation is dropped."""
    envelope = policies_pb2.SignaturePolicyEnvelope()
    roles = {
        "Org1MSP": msp_principal_pb2.MSPRole.PEER,
        "Org2MSP": msp_principal_pb2.MSPRole.ADMIN,
        "Org3MSP": msp_principal_pb2.MSPRole.CLIENT,
        "Org4MSP": msp_principal_pb2.MSPRole.ORDERER,
        "Org5MSP": msp_principal_pb2.MSPRole.MEMBER,
    }
    for msp_id, role in roles.items():
        envelope.identities.add(
            principal_classification=msp_principal_pb2.MSPPrincipal.ROLE,
            principal=msp_principal_pb2.MSPRole(msp_identifier=msp_id, role=role).SerializeToString(),
        )
    policy = KeyEndorsementPolicy.from_bytes(envelope.SerializeToString())
    assert {msp_id: role.value for msp_id, role in policy.organisations.items()} == roles
    again = KeyEndorsementPolicy.from_bytes(policy.to_bytes())
    assert again.organisations == policy.organisations and again.required == policy.required
    assert again.organisations["Org2MSP"] is EndorserRole.ADMIN
