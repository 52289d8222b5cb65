"""Letters of credit under the consortium's compliance checks, where a credit could slip past them: an
amendment carrying it over the per-credit cap or to an embargoed port, a beneficiary in an embargoed
country at issue (its bank screens it only at advice)."""

from __future__ import annotations

import pytest

from tests.unit.compliance.test_credits import advise, checked_desk, issue, vouch
from tests.unit.payments.support import money
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.protos import common_pb2
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, ISSUER, Desk, sample_terms, usd
from .test_amendments import propose


def _issued_and_advised(**overrides: object) -> tuple[Desk, str]:
    desk = checked_desk(**overrides)
    terms = sample_terms(amount=money("5000000.00", "USD"))  # at the pilot's per-credit cap
    vouch(desk, ISSUER, terms.applicant.kyc_ref)
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref)
    lc_id = desk.apply(terms)
    issue(desk, lc_id)
    advise(desk, lc_id)
    return desk, lc_id


def test_an_amendment_cannot_carry_a_credit_past_the_per_credit_cap() -> None:
    desk, lc_id = _issued_and_advised()
    state = dict(desk.ledger.state)
    with pytest.raises(LcRuleError, match="per-credit cap") as refused:
        propose(desk, lc_id, 1, lc.AmendmentChanges(increase=usd("20000000")))
    assert refused.value.code_name == "ERR_LIMIT_EXCEEDED"
    assert desk.ledger.state == state
    propose(desk, lc_id, 1, lc.AmendmentChanges(decrease=usd("1000")))


def test_an_amendment_cannot_move_the_goods_to_an_embargoed_port() -> None:
    desk, lc_id = _issued_and_advised(embargoed_countries=["IR"])
    port = common_pb2.Place(name="BANDAR ABBAS", un_locode="IRBND")
    with pytest.raises(LcRuleError, match="IR is under embargo") as refused:
        propose(desk, lc_id, 1, lc.AmendmentChanges(port_of_discharge=port))
    assert refused.value.code_name == "ERR_SANCTIONS"


def test_a_credit_to_a_beneficiary_in_an_embargoed_country_is_not_issued() -> None:
    desk = checked_desk(embargoed_countries=["IR"])
    terms = sample_terms()
    terms.beneficiary.country = "IR"
    vouch(desk, ISSUER, terms.applicant.kyc_ref)
    lc_id = desk.apply(terms)
    with pytest.raises(LcRuleError, match="IR is under embargo") as refused:
        issue(desk, lc_id)  # the issuing bank would be irrevocably bound before the advice screens it
    assert (refused.value.code_name, refused.value.field) == ("ERR_SANCTIONS", "terms.beneficiary.country")
    assert desk.stub(lc_id).state == lc.CREDIT_STATE_DRAFT_APPLICATION
