"""The compliance checks of a letter of credit (DOMAIN.md 4.1-4.3), when the consortium's configuration
says credits are checked (``check_credits``): before issue, advice, presentation and honour, the parties
are vouched for by the bank that acts for them (KYC) and CLEAR on every required list, no party, place,
port or bank is in an embargoed country, and the credit's amount is within the pilot's cap. At
presentation and honour the presented documents' ports of loading and discharge and their vessel's
flag are under the same embargo (:func:`check_documents`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tradefin.chaincode.contracts.letters_of_credit.access import Transaction
from tradefin.chaincode.contracts.letters_of_credit.ledger import CreditLedger
from tradefin.protos import common_pb2, compliance_pb2
from tradefin.protos import letters_of_credit_pb2 as lc

from .errors import limit_exceeded
from .gate import bic_country, check_parties
from .rates import in_currency
from .reader import ComplianceReader
from .screening import require_not_embargoed

#: A party to check: its role (names the field in errors), the party, and the bank that vouches for it.
CreditParty = tuple[str, common_pb2.PartyRef, common_pb2.BankRef]

_PLACES = ("expiry_place", "place_of_receipt", "port_of_loading", "port_of_discharge", "final_destination")
#: The places a presented document's key data names (a transport document's ports).
_DOCUMENT_PORTS = ("port_of_loading", "port_of_discharge")


def place_country(place: common_pb2.Place) -> str:
    """The country of a place: stated, or the first two letters of its UN/LOCODE ("" when neither)."""
    return place.country or place.un_locode[:2].upper()


def credit_checks(
    governance: compliance_pb2.ComplianceGovernance | None,
) -> compliance_pb2.ComplianceGovernance | None:
    """``governance`` when it checks credits; ``None`` when there is none or credits are not checked."""
    return governance if governance is not None and governance.check_credits else None


async def credit_governance(ledger: CreditLedger) -> compliance_pb2.ComplianceGovernance | None:
    """The configuration in force when it checks credits; ``None`` when credits are not checked."""
    return credit_checks(await ComplianceReader(ledger).governance())


def credit_countries(terms: lc.LetterOfCreditTerms, banks: Iterable[common_pb2.BankRef]) -> list[tuple[str, str]]:
    """Every (field, country) of a credit the embargo applies to: places and ports, both parties (the
    beneficiary's too at issue, before its bank screens it at advice), and the banks."""
    countries = [
        (f"terms.{name}.country", party.country)
        for name, party in (("applicant", terms.applicant), ("beneficiary", terms.beneficiary))
        if party.country
    ]
    for name in _PLACES:
        country = place_country(getattr(terms, name))
        if country:
            countries.append((f"terms.{name}", country))
    countries += [(f"bank {bank.bic}", bic_country(bank.bic)) for bank in banks if bank.bic]
    return countries


def document_countries(documents: Iterable[lc.Document]) -> list[tuple[str, str]]:
    """Every (field, country) of presented documents the embargo applies to: the ports of loading and
    discharge in their key data (a bill of lading's, say), and the flag of the vessel."""
    countries = []
    for index, document in enumerate(documents):
        key_data, field = document.key_data, f"documents[{index}].key_data"
        for name in _DOCUMENT_PORTS:
            country = place_country(getattr(key_data, name))
            if country:
                countries.append((f"{field}.{name}", country))
        if key_data.vessel_flag:
            countries.append((f"{field}.vessel_flag", key_data.vessel_flag))
    return countries


def check_documents(
    governance: compliance_pb2.ComplianceGovernance | None, documents: Iterable[lc.Document]
) -> None:
    """When the configuration checks credits: no presented document's port of loading or discharge, nor
    its vessel's flag, is in an embargoed country (DOMAIN.md 4.2: vessel/port countries), refused with
    ERR_SANCTIONS.
    Called at presentation and at honour, beside :func:`check_credit`, with the configuration the
    operation read (an embargo adopted after the presentation stops the honour)."""
    checks = credit_checks(governance)
    if checks is not None:
        require_not_embargoed(document_countries(documents), checks)


async def check_credit(
    ledger: CreditLedger,
    governance: compliance_pb2.ComplianceGovernance,
    tx: Transaction,
    terms: lc.LetterOfCreditTerms,
    banks: Sequence[common_pb2.BankRef],
    parties: Sequence[CreditParty],
    *,
    amount: common_pb2.Money | None = None,
) -> None:
    """KYC and screening of ``parties`` by their banks, the embargo on the credit's countries, and
    (when given) ``amount`` within the pilot's per-credit cap. Refusals: ERR_KYC, ERR_SANCTIONS,
    ERR_LIMIT_EXCEEDED."""
    reader = ComplianceReader(ledger)
    files = await reader.party_files(governance, parties)
    check_parties(governance, files, tx, other_countries=credit_countries(terms, banks))
    if amount is not None:
        reference = in_currency(amount, governance.reference_currency, governance, "terms.amount")
        if reference > governance.pilot_caps.max_per_credit.minor_units:
            raise limit_exceeded("terms.amount", "exceeds the pilot's per-credit cap")
