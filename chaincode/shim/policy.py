"""Key-level endorsement policies (state-based endorsement).

A key's ``VALIDATION_PARAMETER`` metadata holds a serialized ``common.SignaturePolicyEnvelope``.
:class:`KeyEndorsementPolicy` builds the common shapes (all of / any of / n of a set of
organisations, each signing as a peer or a member) and reads back which organisations a
stored policy names, so contracts never touch the raw protobuf.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from fabric_protos.common import policies_pb2
from fabric_protos.msp import msp_principal_pb2
from google.protobuf.message import DecodeError

__all__ = ["EndorserRole", "KeyEndorsementPolicy"]


class EndorserRole(Enum):
    """Which identities of an organisation may sign for it."""

    PEER = msp_principal_pb2.MSPRole.PEER
    MEMBER = msp_principal_pb2.MSPRole.MEMBER
    ADMIN = msp_principal_pb2.MSPRole.ADMIN
    CLIENT = msp_principal_pb2.MSPRole.CLIENT
    ORDERER = msp_principal_pb2.MSPRole.ORDERER


_ROLE_BY_VALUE = {role.value: role for role in EndorserRole}


@dataclass(frozen=True)
class KeyEndorsementPolicy:
    """``required`` signatures out of the organisations in ``organisations`` (MSP id -> role)."""

    organisations: Mapping[str, EndorserRole]
    required: int

    def __post_init__(self) -> None:
        if not self.organisations:
            raise ValueError("an endorsement policy needs at least one organisation")
        if not 1 <= self.required <= len(self.organisations):
            raise ValueError("required signatures must be between 1 and the number of organisations")

    @classmethod
    def all_of(cls, msp_ids: Iterable[str], role: EndorserRole = EndorserRole.PEER) -> KeyEndorsementPolicy:
        """Every listed organisation must endorse (AND)."""
        organisations = dict.fromkeys(msp_ids, role)
        return cls(MappingProxyType(organisations), len(organisations))

    @classmethod
    def any_of(cls, msp_ids: Iterable[str], role: EndorserRole = EndorserRole.PEER) -> KeyEndorsementPolicy:
        """Any one of the listed organisations may endorse (OR)."""
        return cls(MappingProxyType(dict.fromkeys(msp_ids, role)), 1)

    @classmethod
    def n_of(
        cls, required: int, msp_ids: Iterable[str], role: EndorserRole = EndorserRole.PEER
    ) -> KeyEndorsementPolicy:
        """``required`` of the listed organisations must endorse."""
        return cls(MappingProxyType(dict.fromkeys(msp_ids, role)), required)

    @property
    def msp_ids(self) -> list[str]:
        """The organisations the policy names, sorted."""
        return sorted(self.organisations)

    def to_bytes(self) -> bytes:
        """Serialize as a ``SignaturePolicyEnvelope`` (organisations sorted, so the bytes are stable)."""
        envelope = policies_pb2.SignaturePolicyEnvelope(version=0)
        ordered = self.msp_ids
        for msp_id in ordered:
            role = msp_principal_pb2.MSPRole(msp_identifier=msp_id, role=self.organisations[msp_id].value)
            envelope.identities.add(
                principal_classification=msp_principal_pb2.MSPPrincipal.ROLE,
                principal=role.SerializeToString(),
            )
        rule = envelope.rule.n_out_of
        rule.n = self.required
        for index in range(len(ordered)):
            rule.rules.add(signed_by=index)
        serialized: bytes = envelope.SerializeToString()
        return serialized

    @classmethod
    def from_bytes(cls, policy: bytes) -> KeyEndorsementPolicy:
        """Read a ``SignaturePolicyEnvelope``: the organisations it names and its top-level threshold.

        Nested rules are summarised: ``required`` is the top-level ``n`` when the rule is an
        n-out-of over the named organisations, else the number of organisations.

        Raises:
            ValueError: the bytes are not a signature policy naming organisations by role.
        """
        try:
            envelope = policies_pb2.SignaturePolicyEnvelope.FromString(policy)
        except DecodeError as exc:
            raise ValueError("not a SignaturePolicyEnvelope") from exc
        organisations: dict[str, EndorserRole] = {}
        for principal in envelope.identities:
            # refuse what cannot be represented rather than drop it: a policy read, changed and written
            # back must never come out weaker than it went in
            if principal.principal_classification != msp_principal_pb2.MSPPrincipal.ROLE:
                raise ValueError("the policy names an identity other than by organisation and role")
            role = msp_principal_pb2.MSPRole.FromString(principal.principal)
            if role.role not in _ROLE_BY_VALUE:
                raise ValueError(f"unknown MSP role {role.role} for {role.msp_identifier}")
            organisations[role.msp_identifier] = _ROLE_BY_VALUE[role.role]
        if not organisations:
            raise ValueError("the policy names no organisation")
        required = len(organisations)
        if envelope.rule.WhichOneof("Type") == "n_out_of":
            required = min(max(envelope.rule.n_out_of.n, 1), len(organisations))
        return cls(MappingProxyType(organisations), required)
