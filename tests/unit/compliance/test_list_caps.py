"""The lists of a proposed compliance configuration are bounded: exactly at the cap is proposed, one more
is ERR_INVALID_INPUT naming the list and the bound, and the refused proposal changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from tradefin.chaincode.contracts.compliance.governance import (
    MAX_COUNTRY_ENTRIES,
    MAX_MEMBERS,
    MAX_REPORTING_THRESHOLDS,
    MAX_SANCTIONS_LISTS,
)
from tradefin.chaincode.contracts.letters_of_credit.reference_data import COUNTRIES
from tradefin.protos import compliance_pb2 as cp

from ..payments.support import BANK_A, Desk, caller, governance_config, money, refused_over_bound

#: Every ISO 3166-1 country thrice, in a fixed order (enough for one more than any cap).
_COUNTRIES = sorted(COUNTRIES) * 3


def _members(count: int) -> list[str]:
    return [BANK_A.msp_id, *(f"Member{number:03d}MSP" for number in range(1, count))]


def _lists(count: int) -> list[cp.SanctionsList]:
    return [cp.SanctionsList(list_id=f"LIST-{number:02d}", version="2025-12-01") for number in range(count)]


def _caps(count: int) -> list[cp.CountryCap]:
    return [cp.CountryCap(country=country, max_per_payment=money("1000.00", "USD")) for country in _COUNTRIES[:count]]


def _thresholds(count: int) -> list[cp.ReportingThreshold]:
    amount = money("10000.00", "USD")
    return [cp.ReportingThreshold(country=country, amount=amount) for country in _COUNTRIES[:count]]


#: (list, its cap, the cap's value, the list of a given length)
LISTS: list[tuple[str, int, int, Callable[[int], Sequence[object]]]] = [
    ("member_msp_ids", MAX_MEMBERS, 100, _members),
    ("sanctions_lists", MAX_SANCTIONS_LISTS, 50, _lists),
    ("embargoed_countries", MAX_COUNTRY_ENTRIES, 249, lambda count: _COUNTRIES[:count]),
    ("high_risk_countries", MAX_COUNTRY_ENTRIES, 249, lambda count: _COUNTRIES[:count]),
    ("country_caps", MAX_COUNTRY_ENTRIES, 249, _caps),
    ("reporting_thresholds", MAX_REPORTING_THRESHOLDS, 498, _thresholds),
]


@pytest.mark.parametrize(("name", "cap", "value", "entries"), LISTS, ids=[name for name, *_ in LISTS])
def test_a_configurations_lists_are_bounded(
    name: str, cap: int, value: int, entries: Callable[[int], Sequence[object]]
) -> None:
    assert cap == value
    desk = Desk()

    def propose(count: int) -> cp.GovernanceResponse:
        request = cp.ProposeGovernanceRequest(config=governance_config(**{name: entries(count)}))
        return desk.comply(caller(BANK_A, "compliance"), lambda s, tx: s.propose_governance(tx, request))

    refused_over_bound(desk, f"config.{name}", f"{cap} ", lambda: propose(cap + 1))
    proposed = propose(cap)
    assert len(getattr(proposed.proposal.config, name)) == cap
