"""The consortium directory: which BICs each member bank answers to (``ComplianceGovernance.directory``).

A ``BankRef`` pairs a BIC with an MSP id, and each bank's own certificate authority writes the ``bic``
attribute of its certificates, so the channel alone cannot stop an organisation from naming itself
with another bank's BIC -- a credit "issued by ASTBHKHH" from Bank3MSP, a payment channel to "EUCBDEFF"
whose other side is not Euro Commerce Bank. Once the members adopt a configuration with a directory,
every bank a credit, a transfer or a payment channel names must be listed there with its MSP id.
Without one (an empty directory, or no configuration yet) the pairing stays the caller's word.

Only the institution (the BIC's first 8 characters) is compared, as elsewhere: a branch BIC answers to
its institution's MSP id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.validation import bic8, check_at_most, check_bic
from tradefin.protos import common_pb2, compliance_pb2

from .errors import invalid_input, invalid_state

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
        return "bic", f"{bank.bic} is not in the consortium directory"
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
