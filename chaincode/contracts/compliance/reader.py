"""What other contracts (payments, letters of credit) read of compliance, over any credit ledger."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from tradefin.chaincode.contracts.letters_of_credit.ledger import PUBLIC, CreditLedger, batch_reader, parsed
from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey
from tradefin.protos import common_pb2, compliance_pb2, errors_pb2

from .errors import RuleError, invalid_input, invalid_state
from .gate import PartyFile
from .ledger import HistoryEntry, KeyHistory, get
from .records import governance_key, kyc_key, limit_policy_key, screening_key


class ComplianceReader:
    """Reads governance, attestations, screenings and limit policies."""

    def __init__(self, ledger: CreditLedger) -> None:
        self._ledger = ledger

    async def governance(self) -> compliance_pb2.ComplianceGovernance | None:
        """The configuration in force, if one was adopted."""
        return await get(self._ledger, governance_key(), compliance_pb2.ComplianceGovernance)

    async def required_governance(self, action: str) -> compliance_pb2.ComplianceGovernance:
        """The configuration in force; acts that need it are refused before the first adoption."""
        governance = await self.governance()
        if governance is None:
            raise invalid_state(f"no compliance configuration is in force on this channel: no {action}")
        return governance

    async def party_files(
        self,
        governance: compliance_pb2.ComplianceGovernance,
        parties: Sequence[tuple[str, common_pb2.PartyRef, common_pb2.BankRef]],
    ) -> list[PartyFile]:
        """Each (role, party, bank)'s attestation and screenings by that bank, all read in one round trip
        (nothing read for a party without a KYC reference)."""
        lists = [listed.list_id for listed in governance.sanctions_lists]
        keys: list[RecordKey] = []
        for _, party, bank in parties:
            if party.kyc_ref:
                keys.append(kyc_key(bank.msp_id, party.kyc_ref))
                keys.extend(screening_key(bank.msp_id, party.kyc_ref, list_id) for list_id in lists)
        values = iter(await batch_reader(self._ledger)(keys, PUBLIC))
        files = []
        for role, party, bank in parties:
            attestation = None
            screenings: dict[str, compliance_pb2.ScreeningResult | None] = {}
            if party.kyc_ref:
                attestation = parsed(next(values), compliance_pb2.KycAttestation)
                for list_id in lists:
                    screenings[list_id] = parsed(next(values), compliance_pb2.ScreeningResult)
            files.append(PartyFile(role, party, bank, attestation, screenings))
        return files

    async def clearance_required(self, msp_id: str) -> bool:
        """Whether the bank declared that its payments need a limit clearance."""
        policy = await get(self._ledger, limit_policy_key(msp_id), compliance_pb2.LimitPolicy)
        return policy is not None and policy.clearance_required


def audited_key(object_type: str, build: Callable[[], RecordKey]) -> RecordKey:
    """The key of the record a GetAuditTrail request names. A malformed ``object_id`` is refused on
    ``object_id`` -- the request's field -- rather than on the record field it would have filled
    (``uetr``, ``subject_ref``...), which the request does not have."""
    try:
        return build()
    except RuleError as error:
        if error.code != errors_pb2.ERR_INVALID_INPUT or error.field in ("object_type", "object_id"):
            raise
        raise invalid_input("object_id", f"not a {object_type} id ({error.text})") from None


async def audit_trail(ledger: KeyHistory, key: RecordKey) -> compliance_pb2.AuditTrailResponse:
    """Every committed write of a public record, newest first."""
    entries = [_entry(item) for item in await ledger.history(key)]
    return compliance_pb2.AuditTrailResponse(entries=entries)


def _entry(item: HistoryEntry) -> compliance_pb2.AuditEntry:
    entry = compliance_pb2.AuditEntry(
        tx_id=item.tx_id,
        is_delete=item.is_delete,
        record=item.value,
        record_hash=hashlib.sha256(item.value).hexdigest(),
    )
    entry.timestamp.FromDatetime(item.timestamp)
    return entry
