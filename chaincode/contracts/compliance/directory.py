"""The consortium directory: which BICs each member bank answers to (``ComplianceGovernance.directory``).

A ``BankRef`` pairs a BIC with an MSP id, and each bank's own certificate authority writes the ``bic``
attribute of its certificates, so the channel alone cannot stop an organisation from naming itself
with another bank's BIC -- a credit "issued by ASTBHKHH" from Bank3MSP, a payment channel to "EUCBDEFF"
whose other side is not Euro Commerce Bank. Once the members adopt a configuration with a directory,
every bank a credit, a transfer or a payment channel names must be listed there with its MSP id, and the
records that carry the writer's certificate BIC (KYC attestations, screenings) are written only under a
BIC listed for its bank. Without one (an empty directory, or no configuration yet) the pairing stays the
caller's word.

Only the institution (the BIC's first 8 characters) is compared, as elsewhere: a branch BIC answers to
its institution's MSP id. Only member banks are listed, so with a directory every bank a new credit or
channel names is a member bank, whether or not the configuration checks credits.

The refusals: a request that pairs a BIC with another MSP id is at fault in that field
(ERR_INVALID_INPUT on its ``bic`` or ``msp_id``), even when the caller's certificate claims the same
BIC (the certificate is matched to the request's bank first); a record written before the directory is
refused the step that would bind or inform another bank -- issue and advice of a credit, acceptance of a
channel -- for its state (ERR_INVALID_STATE); a record that carries only the certificate's BIC (an
attestation, a screening) is the certificate's fault (ERR_UNAUTHORIZED).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.chaincode.contracts.letters_of_credit.validation import bic8, check_at_most, check_bic
from tradefin.protos import common_pb2, compliance_pb2

from .errors import invalid_input, invalid_state, unauthorized

#: Ten BICs for each of the (at most) hundred member banks: institutions of a banking group, mostly.
MAX_DIRECTORY_ENTRIES: Final = 1000


def validate_directory(config: compliance_pb2.ComplianceGovernance) -> None:
    """A proposed directory: well-formed BICs of member banks, no institution twice, and every member
    listed (a member without a BIC could be named by no credit or channel). Empty: no directory."""
    entries = config.directory
    if not entries:
        return
    check_at_most(entries, "config.directory", most=MAX_DIRECTORY_ENTRIES, noun="entries")
    members = set(config.member_msp_ids)
    owners: dict[str, str] = {}
    for index, entry in enumerate(entries):
        check_bic(entry.bic, f"config.directory[{index}].bic")
        if entry.msp_id not in members:
            raise invalid_input(f"config.directory[{index}].msp_id", f"{entry.msp_id!r} is not a member bank")
        institution = bic8(entry.bic)
        if institution in owners:
            raise invalid_input(f"config.directory[{index}].bic", f"institution {institution} appears twice")
        owners[institution] = entry.msp_id
    unlisted = sorted(members - set(owners.values()))
    if unlisted:
        raise invalid_input("config.directory", f"member bank {unlisted[0]} has no BIC in the directory")


def _owner(governance: compliance_pb2.ComplianceGovernance, bic: str) -> str | None:
    institution = bic8(bic)
    return next((entry.msp_id for entry in governance.directory if bic8(entry.bic) == institution), None)


def misnamed(
    governance: compliance_pb2.ComplianceGovernance | None, bank: common_pb2.BankRef
) -> tuple[str, str] | None:
    """Which part of ``bank`` does not match the directory in force (``"bic"`` when its institution is
    not listed, ``"msp_id"`` when it answers to another MSP id) and why; ``None`` when it matches or
    there is no directory."""
    if governance is None or not governance.directory:
        return None
    owner = _owner(governance, bank.bic)
    if owner is None:
        return "bic", f"{bank.bic} is not in the consortium directory of member banks"
    if owner != bank.msp_id:
        return "msp_id", f"{bank.bic} is {owner}'s in the consortium directory, not {bank.msp_id}'s"
    return None


def require_listed(
    governance: compliance_pb2.ComplianceGovernance | None, banks: Iterable[tuple[str, common_pb2.BankRef]]
) -> None:
    """Each ``(field, bank)`` of a request is listed with its MSP id (ERR_INVALID_INPUT on the field's
    ``bic`` or ``msp_id``)."""
    for field, bank in banks:
        wrong = misnamed(governance, bank)
        if wrong is not None:
            part, reason = wrong
            raise invalid_input(f"{field}.{part}", reason)


def require_listed_on_record(
    governance: compliance_pb2.ComplianceGovernance | None, banks: Iterable[common_pb2.BankRef], what: str
) -> None:
    """The banks a record written earlier names (before the directory, or before a change of it) are
    listed: else the step is refused for the record's state, not the request's (ERR_INVALID_STATE)."""
    for bank in banks:
        wrong = misnamed(governance, bank)
        if wrong is not None:
            raise invalid_state(f"{what} names {bank.bic} ({bank.msp_id}): {wrong[1]}")


def require_listed_certificate(
    tx: Transaction, governance: compliance_pb2.ComplianceGovernance | None, action: str
) -> None:
    """A record that carries the caller's bank as its certificate names it (a KYC attestation, a
    screening) is written only under a BIC the directory lists for the caller's MSP id: else the
    certificate is at fault, not the request (ERR_UNAUTHORIZED)."""
    wrong = misnamed(governance, common_pb2.BankRef(bic=tx.caller.bic, msp_id=tx.caller.msp_id))
    if wrong is not None:
        raise unauthorized(f"{action} needs a certificate carrying its bank's BIC: {wrong[1]}")
