"""Letters of credit on a channel with a bank that is not party to the credit (a network of its own).

Three banks share one consortium channel (MAJORITY = any two). A credit between bank1 and bank2 keeps its
terms in the collection of those two banks and its keys under AND(bank1, bank2): bank3, a member of the
channel, reads the public stubs and nothing else, and even two of three banks cannot move the credit
when the credit's second bank is not among them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.test_lc import Banks, Desk, credit_terms, documents, new_place, open_credit, present
from tradefin.gateway import CommitError, EvaluateError
from tradefin.gateway.tradefin import (
    NotFoundError,
    UnauthorizedError,
    chaincode_error,
    money,
)
from tradefin.network.network import FabricNetwork
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

CHANNEL = "tri-consortium"


@pytest.fixture(scope="module")
def network(three_bank_network: FabricNetwork) -> FabricNetwork:
    return three_bank_network


@pytest.fixture(scope="module")
def desk(network: FabricNetwork) -> Iterator[Desk]:
    opened = Desk(network, CHANNEL)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture()
def banks(desk: Desk) -> Banks:
    return Banks(new_place(desk, "HK"), new_place(desk, "DE")).bind(desk)


def test_a_bank_of_the_channel_not_party_to_the_credit_reads_only_the_public_stub(desk: Desk, banks: Banks) -> None:
    lc_id = open_credit(desk, credit_terms(banks))[0].record.lc_id
    presentation_id = present(desk, banks, lc_id, "30000.00").record.presentation_id
    desk.client("bank2", "examiner").examine(presentation_id)
    outsider = desk.client("bank3", "auditor")

    credit = outsider.get_credit(lc_id)
    assert credit.state == lc.CREDIT_STATE_ADVISED and credit.collection == "lc-Bank1MSP-Bank2MSP"
    assert list(credit.endorsing_msp_ids) == ["Bank1MSP", "Bank2MSP"] and credit.terms_hash
    seen = outsider.get_presentation(presentation_id)
    assert seen.presentation.state == lc.PRESENTATION_STATE_COMPLYING and seen.record is None
    assert desk.client("bank1", "auditor").get_presentation(presentation_id).record is not None

    with pytest.raises(UnauthorizedError, match="Bank3MSP is not a bank of credit"):
        outsider.get_credit_terms(lc_id)
    with pytest.raises(UnauthorizedError):
        desk.client("bank3", "issuer").expire(lc_id)

    # The terms are not even on bank3's peer: a bank of the credit asking that peer gets no private data.
    contract = desk.gateway("bank1", "issuer").get_network(CHANNEL).get_contract("tradefin", "lc")
    request = api.GetCreditTermsRequest(lc_id=lc_id).SerializeToString()
    with pytest.raises(EvaluateError) as on_bank3:
        contract.evaluate("GetCreditTerms", [request], target_orgs=["Bank3MSP"])
    refusal = chaincode_error(on_bank3.value)
    assert isinstance(refusal, NotFoundError) and "missing from lc-Bank1MSP-Bank2MSP" in refusal.reason
    terms = contract.evaluate("GetCreditTerms", [request], target_orgs=["Bank2MSP"])
    assert api.CreditTermsResponse.FromString(terms).position.reserved == 3_000_000


def test_two_of_three_banks_cannot_move_a_credit_without_its_second_bank(desk: Desk, banks: Banks) -> None:
    applied = desk.client("bank1", "client-applicant").apply(credit_terms(banks))
    lc_id = applied.record.lc_id
    issued = desk.client("bank1", "issuer").issue(lc_id)
    desk.client("bank3", "auditor").wait_for_commit(issued.transaction_id)  # bank3's peer simulates too
    # The advice endorsed by bank1 and bank3 satisfies the channel's MAJORITY but not the credit's
    # key-level policy AND(bank1, bank2): the transaction commits invalid and changes nothing.
    contract = desk.gateway("bank2", "advisor").get_network(CHANNEL).get_contract("tradefin", "lc")
    proposal = contract.new_proposal(
        "Advise",
        transient={"request": api.AdviseRequest(lc_id=lc_id).SerializeToString()},
        endorsing_orgs=["Bank1MSP", "Bank3MSP"],
    )
    resolution = proposal.endorse().resolve()
    with pytest.raises(CommitError) as blocked:
        resolution.raise_for_outcome()
    assert blocked.value.code_name == "ENDORSEMENT_POLICY_FAILURE"
    assert desk.client("bank2", "advisor").get_credit(lc_id).state == lc.CREDIT_STATE_ISSUED
    assert desk.client("bank2", "advisor").advise(lc_id).record.state == lc.CREDIT_STATE_ADVISED


def test_the_gateways_discovery_also_satisfies_the_credits_endorsement(desk: Desk, banks: Banks) -> None:
    # The peer reports the key-level policies of the keys a proposal writes in its chaincode interest,
    # so discovery picks the credit's banks even for transitions that write no private data (advise),
    # where the channel's MAJORITY alone would pick bank3 half of the time.
    applicant = desk.client("bank1", "client-applicant", pin_endorsers=False)
    issuer = desk.client("bank1", "issuer", pin_endorsers=False)
    advisor = desk.client("bank2", "advisor", pin_endorsers=False)
    for _ in range(4):
        lc_id = applicant.apply(credit_terms(banks)).record.lc_id
        issuer.issue(lc_id)
        assert advisor.advise(lc_id).record.state == lc.CREDIT_STATE_ADVISED
    examiner = desk.client("bank2", "examiner", pin_endorsers=False)
    presented = desk.client("bank2", "client-beneficiary", pin_endorsers=False).present(
        lc_id,
        receiving_bank_bic=banks.advising.bic,
        claimed=money("USD", "1000.00"),
        documents=documents(banks, "1000.00"),
    )
    assert examiner.examine(presented.record.presentation_id).record.state == lc.PRESENTATION_STATE_COMPLYING
