"""The duplicate-financing registry (DOMAIN.md section 4.5).

Banks fingerprint a document's normalised key fields with the consortium key (HMAC-SHA256, computed
off the ledger) and register the fingerprints; several fingerprints over different field subsets
catch near-duplicates. The registry entry, keyed by the fingerprint, says only whether and how much
of the document is financed; the bank, customer and amount stay in the financing bank's implicit
collection. A bank is refused with ERR_DUPLICATE_FINANCING, which reveals nothing but "already
financed". Two banks financing the same document concurrently read and write the same entry, so
MVCC lets only one commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.access import Role, Transaction
from tradefin.chaincode.contracts.letters_of_credit.records import SALT_BYTES, record_hash
from tradefin.chaincode.contracts.letters_of_credit.validation import SWIFT_X, check_money, check_subject_ref
from tradefin.protos import compliance_pb2

from .audit import audit_event
from .errors import duplicate_financing, invalid_input, not_found
from .ledger import Transition, Write
from .officers import require_member, require_role
from .records import (
    check_fingerprint,
    check_reservation_id,
    financing_details_key,
    financing_key,
    implicit_collection,
)

MAX_FINGERPRINTS: Final = 8
_FINANCING_OFFICERS: Final = frozenset({Role.TREASURY, Role.ISSUER, Role.APPROVER, Role.COMPLIANCE})

Entries = Mapping[str, compliance_pb2.FinancingEntry | None]


def holder_commitment(salt: bytes, msp_id: str) -> str:
    """The registry's commitment to a financing bank: hex SHA-256 of the salt and its MSP id."""
    return hashlib.sha256(salt + msp_id.encode()).hexdigest()


def status_name(status: compliance_pb2.FinancingStatus.ValueType) -> str:
    """``FINANCED`` for FINANCING_STATUS_FINANCED."""
    return compliance_pb2.FinancingStatus.Name(status).removeprefix("FINANCING_STATUS_")


def check_fingerprints(fingerprints: Sequence[str], field: str = "fingerprints") -> None:
    """One to eight distinct fingerprints."""
    if not 1 <= len(fingerprints) <= MAX_FINGERPRINTS:
        raise invalid_input(field, f"1..{MAX_FINGERPRINTS} fingerprints")
    if len(set(fingerprints)) != len(fingerprints):
        raise invalid_input(field, "a fingerprint appears twice")
    for index, fingerprint in enumerate(fingerprints):
        check_fingerprint(fingerprint, f"{field}[{index}]")


def _check_band(band: str) -> None:
    if len(band) > 16 or not set(band) <= SWIFT_X:
        raise invalid_input("face_amount_band", "at most 16 characters of the SWIFT x set")


def check_registration(request: compliance_pb2.RegisterDocumentRequest) -> None:
    """A registration's fingerprints, document type and amount band (the client checks it early)."""
    check_fingerprints(request.fingerprints)
    _check_doc_type(request.doc_type)
    _check_band(request.face_amount_band)


def check_financing_request(request: compliance_pb2.FinanceDocumentRequest) -> None:
    """A financing's fingerprints, document type, amount band, share and holder salt (the client
    checks it early)."""
    check_fingerprints(request.fingerprints)
    _check_doc_type(request.doc_type)
    _check_band(request.face_amount_band)
    if not 1 <= request.financed_pct <= 100:
        raise invalid_input("financed_pct", "1..100")
    if len(request.holder_salt) != SALT_BYTES:
        raise invalid_input("holder_salt", f"{SALT_BYTES} bytes")


def check_release_request(request: compliance_pb2.ReleaseFinancingRequest) -> None:
    """A release's fingerprints and holder salt (the client checks them early)."""
    check_fingerprints(request.fingerprints)
    if len(request.holder_salt) != SALT_BYTES:
        raise invalid_input("holder_salt", f"{SALT_BYTES} bytes")


def _check_doc_type(doc_type: compliance_pb2.FinancedDocumentType.ValueType, field: str = "doc_type") -> None:
    if doc_type not in compliance_pb2.FinancedDocumentType.values()[1:]:
        raise invalid_input(field, "INVOICE, BILL_OF_LADING, CUSTOMS_DECLARATION or WAREHOUSE_RECEIPT")


def _new_entry(tx: Transaction, fingerprint: str, doc_type: int, band: str) -> compliance_pb2.FinancingEntry:
    return compliance_pb2.FinancingEntry(
        fingerprint=fingerprint,
        doc_type=doc_type,  # type: ignore[arg-type]
        status=compliance_pb2.FINANCING_STATUS_REGISTERED,
        face_amount_band=band,
        registered_at=tx.timestamp_proto(),
    )


def _updated(tx: Transaction, entry: compliance_pb2.FinancingEntry) -> compliance_pb2.FinancingEntry:
    updated = compliance_pb2.FinancingEntry()
    updated.CopyFrom(entry)
    updated.version += 1
    updated.updated_tx_id = tx.tx_id
    return updated


def _event(tx: Transaction, event_type: str, fingerprints: Sequence[str], to_state: str) -> compliance_pb2.AuditEvent:
    return audit_event(tx, event_type, object_type="financing", object_id=fingerprints[0], to_state=to_state)


def register(
    tx: Transaction,
    request: compliance_pb2.RegisterDocumentRequest,
    entries: Entries,
    governance: compliance_pb2.ComplianceGovernance | None,
) -> Transition[compliance_pb2.FinancingResponse]:
    """A member bank's officer registers a document's fingerprints (entries that exist are left as they are)."""
    require_role(tx, _FINANCING_OFFICERS, "registering a document")
    require_member(tx, governance, "registering a document")
    check_registration(request)
    answer, writes = [], []
    for fingerprint in request.fingerprints:
        entry = entries.get(fingerprint)
        if entry is None:
            entry = _updated(tx, _new_entry(tx, fingerprint, request.doc_type, request.face_amount_band))
            writes.append(Write(financing_key(fingerprint), entry))
        answer.append(entry)
    return Transition(
        response=compliance_pb2.FinancingResponse(entries=answer),
        writes=tuple(writes),
        event=_event(tx, "financing.registered", request.fingerprints, "REGISTERED") if writes else None,
    )


def finance(
    tx: Transaction,
    request: compliance_pb2.FinanceDocumentRequest,
    entries: Entries,
    governance: compliance_pb2.ComplianceGovernance | None,
) -> Transition[compliance_pb2.FinancingResponse]:
    """A member bank's officer records a financing of a document before disbursement, unless it is
    already financed.

    The configuration's financing policy (EXCLUSIVE before the first adoption) decides.
    EXCLUSIVE: any existing financing refuses, and so does a letter-of-credit presentation that has
    the document (it made the entry FINANCED: DOMAIN.md 4.5 rule 4 refuses any further financing of a
    FINANCED fingerprint). PRO_RATA: refused once the shares would exceed 100%.
    The same holder financing again with the same share is a replay and changes nothing. The holder
    is the caller: its commitment is derived here from ``holder_salt`` and the caller's MSP id, so a
    bank that copies another's public hold derives another commitment and is refused.
    """
    require_role(tx, _FINANCING_OFFICERS, "financing a document")
    require_member(tx, governance, "financing a document")
    check_financing_request(request)
    policy = governance.financing_policy if governance is not None else compliance_pb2.FINANCING_POLICY_EXCLUSIVE
    commitment = holder_commitment(request.holder_salt, tx.caller.msp_id)
    hold = compliance_pb2.FinancingHold(holder_commitment=commitment, financed_pct=request.financed_pct)
    answer, writes = [], []
    for fingerprint in request.fingerprints:
        entry = entries.get(fingerprint) or _new_entry(tx, fingerprint, request.doc_type, request.face_amount_band)
        if entry.doc_type != request.doc_type:
            raise invalid_input("doc_type", "differs from the registered document's type")
        if any(existing == hold for existing in entry.holds):
            answer.append(entry)
            continue
        holds = [existing for existing in entry.holds]
        if (holds or entry.presented_under) and policy != compliance_pb2.FINANCING_POLICY_PRO_RATA:
            raise duplicate_financing()
        if sum(existing.financed_pct for existing in holds) + hold.financed_pct > 100:
            raise duplicate_financing()
        updated = _updated(tx, entry)
        updated.holds.append(hold)
        updated.status = compliance_pb2.FINANCING_STATUS_FINANCED
        if request.face_amount_band and not updated.face_amount_band:
            updated.face_amount_band = request.face_amount_band
        writes.append(Write(financing_key(fingerprint), updated))
        answer.append(updated)
    return Transition(
        response=compliance_pb2.FinancingResponse(entries=answer),
        writes=tuple(writes),
        event=_event(tx, "financing.financed", request.fingerprints, "FINANCED") if writes else None,
    )


def release(
    tx: Transaction, request: compliance_pb2.ReleaseFinancingRequest, entries: Entries
) -> Transition[compliance_pb2.FinancingResponse]:
    """The financing bank gives its hold back (repayment, refused or returned presentation)."""
    require_role(tx, _FINANCING_OFFICERS, "releasing a financing")
    check_release_request(request)
    commitment = holder_commitment(request.holder_salt, tx.caller.msp_id)
    answer, writes = [], []
    for fingerprint in request.fingerprints:
        entry = entries.get(fingerprint)
        remaining = [hold for hold in entry.holds if hold.holder_commitment != commitment] if entry else []
        if entry is None or len(remaining) == len(entry.holds):
            raise not_found("fingerprints", "no financing of this document by the caller")
        updated = _updated(tx, entry)
        del updated.holds[:]
        updated.holds.extend(remaining)
        if not remaining and not updated.presented_under:  # still presented under a credit: in use
            updated.status = compliance_pb2.FINANCING_STATUS_RELEASED
        writes.append(Write(financing_key(fingerprint), updated))
        answer.append(updated)
    return Transition(
        response=compliance_pb2.FinancingResponse(entries=answer),
        writes=tuple(writes),
        event=_event(tx, "financing.released", request.fingerprints, status_name(answer[0].status)),
    )


def hold_for_presentation(
    tx: Transaction,
    documents: Sequence[tuple[str, compliance_pb2.FinancedDocumentType.ValueType]],
    entries: Entries,
    commitment: str,
) -> tuple[Write, ...]:
    """A letter-of-credit presentation takes its documents' fingerprints (DOMAIN.md 4.5 rule 4: the
    same B/L cannot support two credits): refused with ERR_DUPLICATE_FINANCING when another
    presentation has the document. Financings made before are left as they are -- a document financed
    before it is presented is commonly repaid from the credit's proceeds; a financing asked for while
    the presentation has the document meets the policy (:func:`finance`: refused under EXCLUSIVE).
    The writes go with the presentation's own."""
    writes = []
    for fingerprint, doc_type in documents:
        entry = entries.get(fingerprint) or _new_entry(tx, fingerprint, doc_type, "")
        if entry.presented_under:
            raise duplicate_financing()
        if entry.doc_type != doc_type:
            raise invalid_input(
                "documents", f"fingerprint {fingerprint[:12]}... is registered for another type of document"
            )
        updated = _updated(tx, entry)
        updated.presented_under = commitment
        updated.status = compliance_pb2.FINANCING_STATUS_FINANCED
        writes.append(Write(financing_key(fingerprint), updated))
    return tuple(writes)


def release_presentation(
    tx: Transaction, fingerprints: Sequence[str], entries: Entries, commitment: str
) -> tuple[Write, ...]:
    """Returned documents leave the presentation: the entry is free for another one (RELEASED unless a
    financing still holds it). An entry the presentation does not have is left as it is."""
    writes = []
    for fingerprint in fingerprints:
        entry = entries.get(fingerprint)
        if entry is None or entry.presented_under != commitment:
            continue
        updated = _updated(tx, entry)
        updated.presented_under = ""
        if not updated.holds:
            updated.status = compliance_pb2.FINANCING_STATUS_RELEASED
        writes.append(Write(financing_key(fingerprint), updated))
    return tuple(writes)


def check_details(details: compliance_pb2.FinancingDetails) -> None:
    """A financing's details as the bank keeps them (the client checks them early): its id, the
    fingerprints, the document type and customer when given, the amounts and the holder salt."""
    check_reservation_id(details.financing_id, "details.financing_id")
    check_fingerprints(details.fingerprints, "details.fingerprints")
    if details.doc_type:
        _check_doc_type(details.doc_type, "details.doc_type")
    if details.customer_ref:
        check_subject_ref(details.customer_ref, "details.customer_ref")
    check_money(details.amount, "details.amount")
    if details.HasField("face_amount"):
        check_money(details.face_amount, "details.face_amount")
    if len(details.salt) != SALT_BYTES:
        raise invalid_input("details.salt", f"{SALT_BYTES} bytes")


def record_details(
    tx: Transaction, request: compliance_pb2.RecordFinancingDetailsRequest
) -> Transition[compliance_pb2.FinancingResponse]:
    """The financing bank keeps who and how much in its own implicit collection."""
    require_role(tx, _FINANCING_OFFICERS, "recording financing details")
    check_details(request.details)
    details = compliance_pb2.FinancingDetails()
    details.CopyFrom(request.details)
    details.financed_at.CopyFrom(tx.timestamp_proto())
    return Transition(
        response=compliance_pb2.FinancingResponse(),
        writes=(Write(financing_details_key(details.financing_id), details, implicit_collection(tx.caller.msp_id)),),
        event=audit_event(
            tx,
            "financing.details",
            object_type="financing-details",
            object_id=details.financing_id,
            payload_hash=record_hash(details),
        ),
    )
