"""The chaincode event of each transition (DOMAIN.md section 4.6, INV-LC-14)."""

from __future__ import annotations

from tradefin.protos import letters_of_credit_pb2 as lc

from .access import Transaction

_PREFIX = "LC_EVENT_TYPE_"


def event_name(event_type: lc.LcEventType.ValueType) -> str:
    """The Fabric chaincode event name of a transition, e.g. ``lc.issued``."""
    return "lc." + lc.LcEventType.Name(event_type).removeprefix(_PREFIX).lower()


def transition_event(
    tx: Transaction,
    event_type: lc.LcEventType.ValueType,
    *,
    lc_id: str,
    object_type: str,
    object_id: str,
    from_state: str = "",
    to_state: str = "",
    reason_code: str = "",
    payload_hash: str = "",
) -> lc.LetterOfCreditEvent:
    """The public event of a transition: who did what to which object, with no private data."""
    return lc.LetterOfCreditEvent(
        type=event_type,
        lc_id=lc_id,
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
