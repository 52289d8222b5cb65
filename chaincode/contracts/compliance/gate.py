"""The compliance gate a payment or a credit passes before anything moves (DOMAIN.md 4.1, 4.2, 4.4).

The service reads, per party, the attestation and screening results of the bank that acts for it
(:class:`PartyFile`); :func:`check_parties` then requires KYC, CLEAR screenings and no embargoed
country, and says whether the parties call for dual control (a HIGH-risk party or a high-risk
country).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.protos import common_pb2, compliance_pb2

from .errors import kyc_failed
from .governance import pilot_day
from .kyc import require_verified
from .officers import not_a_member, outside
from .screening import require_clear, require_not_embargoed


@dataclass(frozen=True)
class PartyFile:
    """A party, the bank that must vouch for it, and what that bank recorded about it."""

    #: "debtor", "creditor", "applicant", "beneficiary"; names the field in errors.
    role: str
    party: common_pb2.PartyRef
    bank: common_pb2.BankRef
    attestation: compliance_pb2.KycAttestation | None
    #: The bank's result per required list id (None: never screened).
    screenings: Mapping[str, compliance_pb2.ScreeningResult | None]


@dataclass(frozen=True)
class GateResult:
    """What the gate found besides refusals: reasons for dual control."""

    high_risk_parties: tuple[str, ...]
    high_risk_countries: tuple[str, ...]

    @property
    def needs_second_approver(self) -> bool:
        """A HIGH-risk party or a high-risk country is involved (section 4.4)."""
        return bool(self.high_risk_parties or self.high_risk_countries)


def bic_country(bic: str) -> str:
    """Characters 5-6 of a BIC."""
    return bic[4:6]


def check_parties(
    governance: compliance_pb2.ComplianceGovernance,
    parties: Sequence[PartyFile],
    tx: Transaction,
    *,
    other_countries: Iterable[tuple[str, str]] = (),
) -> GateResult:
    """KYC by the acting bank (a member bank of the configuration), CLEAR screenings on every required
    list, no embargoed country.

    ``other_countries`` are further (field, country) pairs to check against the embargo: BIC
    countries of the banks, ports and places of a credit, the countries of a payment's IBANs.
    """
    day = pilot_day(governance, tx)
    countries = [(f"{file.role}.country", file.party.country) for file in parties]
    countries += [(f"{file.role}.bic", bic_country(file.party.bic)) for file in parties if file.party.bic]
    countries += [(f"{file.role}_bank.bic", bic_country(file.bank.bic)) for file in parties]
    countries += list(other_countries)
    require_not_embargoed(countries, governance)
    risky_parties = []
    for file in parties:
        if outside(governance, file.bank.msp_id):  # e.g. written before it was left out
            raise kyc_failed(
                f"{file.role}.kyc_ref",
                f"{not_a_member(file.bank.msp_id)}: its attestation does not count",
            )
        attestation = require_verified(
            file.attestation, role=file.role, subject_ref=file.party.kyc_ref, bank_msp_id=file.bank.msp_id, day=day
        )
        require_clear(file.screenings, governance, role=file.role, bank_msp_id=file.bank.msp_id, now=tx.timestamp)
        if attestation.risk_rating == compliance_pb2.RISK_RATING_HIGH:
            risky_parties.append(file.role)
    high_risk = set(governance.high_risk_countries)
    risky_countries = sorted({country for _, country in countries if country in high_risk})
    return GateResult(tuple(risky_parties), tuple(risky_countries))


def account_countries(accounts: Iterable[tuple[str, common_pb2.AccountRef]]) -> list[tuple[str, str]]:
    """(field, country) of each IBAN among ``accounts`` (its first two letters); other accounts name none."""
    return [(f"{field}.iban", account.iban[:2].upper()) for field, account in accounts if account.iban]
