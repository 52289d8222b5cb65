"""Bank-private limits (DOMAIN.md section 4.3), reservations against them, and the clearance a
payment shows.

Limits and their utilisation live in the owning bank's implicit collection, so they are read and
changed only in transactions that bank's peer alone endorses. A bank that declares it clears its
payments (:class:`LimitPolicy`) reserves utilisation first, in such a transaction, which also writes
a :class:`LimitClearance`. The bilateral payment then proves the clearance by its hash, which every
peer of the channel can read: the other bank's peer checks it without ever seeing a limit.

Utilisation never exceeds the limit: the reservation reads and rewrites each limit record, so two
concurrent reservations of the same limit cannot both commit (MVCC).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from tradefin.chaincode.contracts.letters_of_credit.access import Role, Transaction
from tradefin.chaincode.contracts.letters_of_credit.records import SALT_BYTES, derived_salt, record_hash
from tradefin.chaincode.contracts.letters_of_credit.validation import (
    check_bic,
    check_country,
    check_money,
    check_subject_ref,
)
from tradefin.protos import compliance_pb2

from .audit import audit_event
from .errors import duplicate, invalid_input, invalid_state, limit_exceeded, not_found
from .ledger import Transition, Write
from .officers import require_role
from .rates import in_currency
from .records import (
    check_product,
    check_reservation_id,
    clearance_key,
    implicit_collection,
    limit_key,
    limit_policy_key,
    reservation_key,
)

_LIMIT_OFFICERS = (Role.COMPLIANCE,)
_RESERVING_OFFICERS = frozenset({Role.TREASURY, Role.COMPLIANCE, Role.APPROVER})


def scope_name(scope: compliance_pb2.LimitScope.ValueType) -> str:
    """``COUNTRY`` for LIMIT_SCOPE_COUNTRY."""
    return compliance_pb2.LimitScope.Name(scope).removeprefix("LIMIT_SCOPE_")


def check_limit_ref(scope: compliance_pb2.LimitScope.ValueType, key: str, field: str = "") -> None:
    """A limit's key suits its scope; ``field`` is the path of the message holding them ("" for a request
    that carries scope and key itself)."""
    key_field, scope_field = (f"{field}.key", f"{field}.scope") if field else ("key", "scope")
    if scope == compliance_pb2.LIMIT_SCOPE_COUNTERPARTY_BANK:
        check_bic(key, key_field)
        if len(key) != 8:
            raise invalid_input(key_field, "a counterparty limit is keyed by the BIC8")
    elif scope == compliance_pb2.LIMIT_SCOPE_COUNTRY:
        check_country(key, key_field)
    elif scope == compliance_pb2.LIMIT_SCOPE_CUSTOMER:
        check_subject_ref(key, key_field)
    elif scope == compliance_pb2.LIMIT_SCOPE_PRODUCT:
        check_product(key, key_field)
    else:
        raise invalid_input(scope_field, "COUNTERPARTY_BANK, COUNTRY, CUSTOMER or PRODUCT")


def check_limit_request(request: compliance_pb2.SetLimitRequest) -> None:
    """The limit's scope and key, its maximum and salt (the client checks it early)."""
    check_limit_ref(request.scope, request.key)
    check_money(request.max, "max")
    if len(request.salt) != SALT_BYTES:
        raise invalid_input("salt", f"{SALT_BYTES} random bytes")


def set_limit(
    tx: Transaction, request: compliance_pb2.SetLimitRequest, existing: compliance_pb2.Limit | None
) -> Transition[compliance_pb2.LimitResponse]:
    """A compliance officer sets one of the bank's limits (never below what is already utilised)."""
    require_role(tx, _LIMIT_OFFICERS, "setting a limit")
    check_limit_request(request)
    utilised = existing.utilised if existing is not None else 0
    if existing is not None and existing.max.currency != request.max.currency and utilised:
        raise invalid_state("the limit's currency cannot change while it is utilised")
    if request.max.minor_units < utilised:
        raise invalid_state("the new maximum is below the current utilisation")
    limit = compliance_pb2.Limit(
        scope=request.scope,
        key=request.key,
        max=request.max,
        utilised=utilised,
        salt=request.salt,
        version=(existing.version if existing is not None else 0) + 1,
    )
    collection = implicit_collection(tx.caller.msp_id)
    return Transition(
        response=compliance_pb2.LimitResponse(),
        writes=(Write(limit_key(request.scope, request.key), limit, collection),),
        event=audit_event(
            tx,
            "limit.set",
            object_type="limit",
            object_id=tx.caller.msp_id,
            to_state=scope_name(request.scope),
            payload_hash=record_hash(limit),
        ),
    )


def applicable_limits(request: compliance_pb2.ReserveLimitsRequest) -> list[compliance_pb2.LimitRef]:
    """The limits a reservation is checked against, from the payment's context."""
    refs = []
    if request.counterparty_bic:
        refs.append(
            compliance_pb2.LimitRef(
                scope=compliance_pb2.LIMIT_SCOPE_COUNTERPARTY_BANK, key=request.counterparty_bic[:8]
            )
        )
    if request.country:
        refs.append(compliance_pb2.LimitRef(scope=compliance_pb2.LIMIT_SCOPE_COUNTRY, key=request.country))
    if request.customer_ref:
        refs.append(compliance_pb2.LimitRef(scope=compliance_pb2.LIMIT_SCOPE_CUSTOMER, key=request.customer_ref))
    refs.append(compliance_pb2.LimitRef(scope=compliance_pb2.LIMIT_SCOPE_PRODUCT, key=request.product))
    return refs


def check_reservation_request(request: compliance_pb2.ReserveLimitsRequest) -> None:
    """The reservation's id, amount and context."""
    check_reservation_id(request.reservation_id, "reservation_id")
    check_money(request.amount, "amount")
    if request.counterparty_bic:
        check_bic(request.counterparty_bic, "counterparty_bic")
    if request.country:
        check_country(request.country, "country")
    if request.customer_ref:
        check_subject_ref(request.customer_ref, "customer_ref")
    check_product(request.product, "product")
    if len(request.clearance_salt) != SALT_BYTES:
        raise invalid_input("clearance_salt", f"{SALT_BYTES} random bytes")


def clearance_of(request: compliance_pb2.ReserveLimitsRequest) -> compliance_pb2.LimitClearance:
    """The clearance record a reservation writes."""
    return compliance_pb2.LimitClearance(
        reservation_id=request.reservation_id,
        amount=request.amount,
        counterparty_bic=request.counterparty_bic[:8],
        country=request.country,
        customer_ref=request.customer_ref,
        product=request.product,
        salt=request.clearance_salt,
    )


def clearance_digest(clearance: compliance_pb2.LimitClearance) -> bytes:
    """SHA-256 of the clearance as written: the hash Fabric publishes for it."""
    return hashlib.sha256(clearance.SerializeToString(deterministic=True)).digest()


def reserve(
    tx: Transaction,
    request: compliance_pb2.ReserveLimitsRequest,
    governance: compliance_pb2.ComplianceGovernance | None,
    limits: Mapping[tuple[int, str], compliance_pb2.Limit],
    existing: compliance_pb2.LimitReservation | None,
    stored_clearance: compliance_pb2.LimitClearance | None,
) -> Transition[compliance_pb2.LimitResponse]:
    """Add the amount to every applicable limit's utilisation, or refuse with ERR_LIMIT_EXCEEDED.

    ``limits`` holds the bank's limits found for :func:`applicable_limits`, by (scope, key);
    ``existing`` and ``stored_clearance`` are the reservation and clearance already under the id.
    A request is a replay (answered without writing) only when the clearance it would write is the
    one stored, byte for byte (same amount, context and salt); any other reuse of the id is
    ERR_DUPLICATE.
    """
    require_role(tx, _RESERVING_OFFICERS, "reserving limits")
    check_reservation_request(request)
    if existing is not None:
        replay = (
            not existing.released
            and stored_clearance is not None
            and clearance_digest(stored_clearance) == clearance_digest(clearance_of(request))
        )
        if replay:
            return Transition(response=compliance_pb2.LimitResponse())  # a replay: reserved already
        raise duplicate("reservation_id", f"reservation {request.reservation_id} exists")
    collection = implicit_collection(tx.caller.msp_id)
    key = reservation_key(request.reservation_id)
    reservation = compliance_pb2.LimitReservation(
        reservation_id=request.reservation_id, amount=request.amount, salt=derived_salt(request.clearance_salt, key)
    )
    writes = []
    for ref in applicable_limits(request):
        limit = limits.get((ref.scope, ref.key))
        if limit is None:
            continue
        if governance is None and limit.max.currency != request.amount.currency:
            raise limit_exceeded("amount", "no governance reference rates to compare currencies")
        added = (
            request.amount.minor_units
            if governance is None
            else in_currency(request.amount, limit.max.currency, governance, "amount")
        )
        if limit.utilised + added > limit.max.minor_units:
            raise limit_exceeded("amount", f"the bank's {scope_name(ref.scope)} limit would be exceeded")
        updated = compliance_pb2.Limit()
        updated.CopyFrom(limit)
        updated.utilised += added
        updated.version += 1
        writes.append(Write(limit_key(ref.scope, ref.key), updated, collection))
        reservation.limits.append(ref)
        reservation.utilised.append(added)
    writes.append(Write(key, reservation, collection))
    writes.append(Write(clearance_key(request.reservation_id), clearance_of(request), collection))
    return Transition(
        response=compliance_pb2.LimitResponse(),
        writes=tuple(writes),
        event=audit_event(tx, "limit.reserved", object_type="limit", object_id=tx.caller.msp_id),
    )


def release(
    tx: Transaction,
    request: compliance_pb2.ReleaseLimitsRequest,
    reservation: compliance_pb2.LimitReservation | None,
    limits: Mapping[tuple[int, str], compliance_pb2.Limit],
    payment_releasable: bool,
) -> Transition[compliance_pb2.LimitResponse]:
    """Give a reservation's utilisation back and void its clearance.

    ``payment_releasable``: the payment it cleared was rejected, lapsed, returned in full, or never
    made.
    """
    require_role(tx, _RESERVING_OFFICERS, "releasing limits")
    if reservation is None:
        raise not_found("reservation_id", f"no reservation {request.reservation_id}")
    if reservation.released:
        raise invalid_state(f"reservation {request.reservation_id} was already released")
    if not payment_releasable:
        raise invalid_state("the payment this reservation cleared stands (not rejected, lapsed or fully returned)")
    collection = implicit_collection(tx.caller.msp_id)
    writes = []
    for ref, added in zip(reservation.limits, reservation.utilised, strict=True):
        limit = limits.get((ref.scope, ref.key))
        if limit is None:
            continue
        updated = compliance_pb2.Limit()
        updated.CopyFrom(limit)
        updated.utilised = max(0, updated.utilised - added)
        updated.version += 1
        writes.append(Write(limit_key(ref.scope, ref.key), updated, collection))
    released = compliance_pb2.LimitReservation()
    released.CopyFrom(reservation)
    released.released = True
    writes.append(Write(reservation_key(request.reservation_id), released, collection))
    # A voided clearance no longer matches any payment's expected hash; salted, its own hash does not
    # tell which reservation was released (after a return: that the payment was returned in full).
    key = clearance_key(request.reservation_id)
    void = compliance_pb2.LimitClearance(
        reservation_id=request.reservation_id, salt=derived_salt(reservation.salt, key)
    )
    writes.append(Write(key, void, collection))
    return Transition(
        response=compliance_pb2.LimitResponse(),
        writes=tuple(writes),
        event=audit_event(tx, "limit.released", object_type="limit", object_id=tx.caller.msp_id),
    )


def set_policy(
    tx: Transaction, request: compliance_pb2.SetLimitPolicyRequest, existing: compliance_pb2.LimitPolicy | None
) -> Transition[compliance_pb2.LimitPolicyResponse]:
    """A compliance officer declares whether the bank's payments need a limit clearance."""
    require_role(tx, _LIMIT_OFFICERS, "setting the limit policy")
    policy = compliance_pb2.LimitPolicy(
        msp_id=tx.caller.msp_id,
        clearance_required=request.clearance_required,
        version=(existing.version if existing is not None else 0) + 1,
    )
    return Transition(
        response=compliance_pb2.LimitPolicyResponse(policy=policy),
        writes=(Write(limit_policy_key(tx.caller.msp_id), policy),),
        event=audit_event(
            tx,
            "limit.policy",
            object_type="limit-policy",
            object_id=tx.caller.msp_id,
            to_state="CLEARANCE_REQUIRED" if request.clearance_required else "NO_CLEARANCE",
        ),
    )


def require_clearance(
    published_hash: bytes | None, expected: compliance_pb2.LimitClearance, *, field: str = "limit_clearance_salt"
) -> None:
    """The bank's clearance for this payment exists and matches it exactly (checked by hash)."""
    if published_hash is None:
        raise limit_exceeded(field, f"the sending bank has not cleared {expected.reservation_id} against its limits")
    if published_hash != clearance_digest(expected):
        raise limit_exceeded(field, f"the limit clearance of {expected.reservation_id} does not match this payment")


@dataclass(frozen=True)
class ClearanceEvidence:
    """Whether the sending bank clears against private limits, and the hash its clearance has."""

    required: bool
    published_hash: bytes | None = None

    def check(self, expected: compliance_pb2.LimitClearance, field: str = "limit_clearance_salt") -> None:
        """When a clearance is required, it exists and matches ``expected`` exactly."""
        if self.required:
            require_clearance(self.published_hash, expected, field=field)
