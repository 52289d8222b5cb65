"""Who writes the consortium's compliance records: an officer with the right certificate role and, once
a configuration is in force, a member bank of it.

The role is the certificate's ``role`` attribute (:class:`~...letters_of_credit.access.Role`). Membership
guards the records other banks rely on -- KYC attestations, screenings and the financing registry's
public entries: Fabric admits any organisation of the channel, and a channel may hold one that the
governance does not count among its members (an observer, a bank joining or leaving). Before the first
adoption there are no members to check against (as for the first proposal, ``governance.propose``). A
bank's own records (its limits and limit policy, its private financing details) and the release of its
own holds need no membership: they bind no other bank, and a bank that leaves must be able to unwind.
"""

from __future__ import annotations

from collections.abc import Collection

from tradefin.chaincode.contracts.letters_of_credit.access import Role, Transaction
from tradefin.protos import compliance_pb2

from .errors import unauthorized


def require_role(tx: Transaction, roles: Collection[Role], action: str) -> None:
    """The caller's certificate holds one of ``roles`` (ERR_UNAUTHORIZED naming them)."""
    if not tx.caller.roles & {str(role) for role in roles}:
        wanted = " or ".join(sorted(str(role) for role in roles))
        raise unauthorized(f"{action} needs a certificate with role {wanted}")


def outside(governance: compliance_pb2.ComplianceGovernance | None, msp_id: str) -> bool:
    """Whether a configuration is in force and ``msp_id`` is not one of its member banks."""
    return governance is not None and msp_id not in governance.member_msp_ids


def not_a_member(msp_id: str) -> str:
    """What a refusal says of a bank the configuration does not count among its members."""
    return f"{msp_id} is not a member bank of the compliance governance"


def require_member(tx: Transaction, governance: compliance_pb2.ComplianceGovernance | None, action: str) -> None:
    """Once a configuration is in force, the caller's bank is one of its members (ERR_UNAUTHORIZED)."""
    if outside(governance, tx.caller.msp_id):
        raise unauthorized(
            f"{action} is reserved to the member banks of the compliance governance; {tx.caller.msp_id} is not one"
        )
