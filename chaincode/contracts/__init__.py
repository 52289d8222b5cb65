"""The project's contracts, the registry the chaincode server runs by default, and the private data
collections those contracts need (the launcher puts them into the chaincode definition)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from tradefin.chaincode.contract import Contract

__all__ = ["CollectionDefinition", "collection_definitions", "default_contracts"]


def default_contracts() -> list[Contract]:
    """New instances of the contracts ``python -m tradefin.chaincode serve`` runs by default.

    The first one is the default contract (it answers function names without a ``contract:``
    prefix). Add a contract here to ship it in the chaincode.
    """
    from tradefin.chaincode.contracts.compliance.contract import ComplianceContract
    from tradefin.chaincode.contracts.kv import KvContract
    from tradefin.chaincode.contracts.letters_of_credit.contract import LettersOfCreditContract
    from tradefin.chaincode.contracts.payments.contract import PaymentsContract

    return [KvContract(), LettersOfCreditContract(), PaymentsContract(), ComplianceContract()]


@dataclass(frozen=True)
class CollectionDefinition:
    """A private data collection shared by ``members`` (MSP ids): member-only reads and writes, and
    writes endorsed by every member."""

    name: str
    members: tuple[str, ...]
    block_to_live: int = 0


def collection_definitions(channel_msp_ids: Iterable[str]) -> list[CollectionDefinition]:
    """The collections the default contracts use on a channel whose banks have these MSP ids.

    Letters of credit keep their terms in a collection of the credit's banks (issuing, advising and,
    when there are, second advising, confirming and nominated bank): one collection per set of two to
    ``MAX_CREDIT_BANKS`` (5) banks of the channel -- not per set of any size, which would make 2**n
    collections (65,000 for 16 banks, a chaincode definition far over the orderer's 10 MB). Payment
    channels keep positions, payments, batches and quotes in a collection of their two banks: one per
    pair of banks. Compliance uses Fabric's implicit per-organisation collections, which need no
    definition.
    """
    from tradefin.chaincode.contracts.letters_of_credit.credit import MAX_CREDIT_BANKS
    from tradefin.chaincode.contracts.letters_of_credit.records import credit_collection_name
    from tradefin.chaincode.contracts.payments.records import payment_collection

    banks = sorted(set(channel_msp_ids))
    definitions = []
    for size in range(2, min(len(banks), MAX_CREDIT_BANKS) + 1):
        for members in itertools.combinations(banks, size):
            definitions.append(CollectionDefinition(credit_collection_name(members), members))
    for pair in itertools.combinations(banks, 2):
        definitions.append(CollectionDefinition(payment_collection(pair), pair))
    return definitions
