"""The audit event every compliance and payment write emits (DOMAIN.md section 4.6).

Events are public: object ids, states, the actor's MSP id, role and identity hash, and the hash of the
private record written; never private data. The Fabric event name is the event's ``type``.
"""

from __future__ import annotations

from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.protos import compliance_pb2


def audit_event(
    tx: Transaction,
    event_type: str,
    *,
    object_type: str,
    object_id: str,
    from_state: str = "",
    to_state: str = "",
    reason_code: str = "",
    payload_hash: str = "",
) -> compliance_pb2.AuditEvent:
    """Who did what to which object, when, in which transaction."""
    return compliance_pb2.AuditEvent(
        type=event_type,
        object_type=object_type,
        object_id=object_id,
        from_state=from_state,
        to_state=to_state,
        actor_msp_id=tx.caller.msp_id,
        actor_hash=tx.caller.identity_hash,
        role=tx.caller.role,
        reason_code=reason_code,
        tx_id=tx.tx_id,
        timestamp=tx.timestamp_proto(),
        payload_hash=payload_hash,
    )
