"""Letters of credit on a channel with a bank that is not party to the credit (a network of its own).

Three banks share one consortium channel (MAJORITY = any two). A credit between bank1 and bank2 keeps its
terms in the collection of those two banks and its keys under AND(bank1, bank2): bank3, a member of the
channel, reads the public stubs and nothing else, and even two of three banks cannot move the credit
when the credit's second bank is not among them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from tests.integration.test_lc import Banks, Desk, credit_terms, documents, new_place, open_credit, present
from tests.integration.test_payments import Desks, assert_conserved, ensure_pilot, open_channel
from tradefin.cli import main
from tradefin.gateway import CommitError, EvaluateError
from tradefin.gateway.tradefin import (
    InvalidInputError,
    NotFoundError,
    UnauthorizedError,
    chaincode_error,
    money,
)
from tradefin.gateway.tradefin.payments import credit_settlement
from tradefin.network.network import FabricNetwork
from tradefin.protos import common_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc
from tradefin.protos import payments_pb2 as pay

CHANNEL = "tri-consortium"
APPLICANT_ACCOUNT = common_pb2.AccountRef(other="HK-012-883-0042")
BENEFICIARY_ACCOUNT = common_pb2.AccountRef(iban="DE89370400440532013000")


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

    # the histories of the public stubs are as public as the stubs
    assert [version.stub.state for version in outsider.credit_history(lc_id)][-3:] == [
        lc.CREDIT_STATE_ADVISED,
        lc.CREDIT_STATE_ISSUED,
        lc.CREDIT_STATE_DRAFT_APPLICATION,
    ]
    assert [version.stub.state for version in outsider.presentation_history(presentation_id)] == [
        lc.PRESENTATION_STATE_COMPLYING,
        lc.PRESENTATION_STATE_UNDER_EXAMINATION,
    ]

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


def test_a_credit_confirmed_by_a_third_bank_is_settled_by_a_separate_payment(desk: Desk, banks: Banks) -> None:
    # bank1 issues, bank2 advises, is nominated and honours, bank3 confirms: every transition of the
    # credit is endorsed by the three. A settlement in the reimbursement would make the payment on the
    # bank1-bank2 payment channel in the same transaction, but bank3's peer does not hold that channel's
    # private records, so it cannot endorse it: the settlement is refused up front (by the client, and
    # by the chaincode before it reads or writes anything), and the payment is made separately.
    payments = Desks(desk.network, CHANNEL, session=desk.session)
    try:
        ensure_pilot(payments, ["bank1", "bank2", "bank3"])
        channel_id = open_channel(payments, "USD", deposit_first="1000000.00")
        payments.payments("bank3")  # synced with the others before each refusal
        confirmer = desk.bank("bank3")
        terms = credit_terms(banks)
        terms.confirmation_instruction = lc.CONFIRMATION_INSTRUCTION_CONFIRM
        terms.requested_confirmer.CopyFrom(
            common_pb2.BankRef(bic=confirmer.bic, msp_id=confirmer.msp_id, calendar_place=new_place(desk, "US").code)
        )
        tag = uuid.uuid4().hex[:6].upper()
        terms.applicant.kyc_ref, terms.beneficiary.kyc_ref = f"K-A-{tag}", f"K-B-{tag}"
        payments.compliance("bank1").vouch(terms.applicant.kyc_ref)
        payments.compliance("bank2").vouch(terms.beneficiary.kyc_ref)
        lc_id = open_credit(desk, terms)[0].record.lc_id
        confirmed = desk.client("bank3", "approver").add_confirmation(lc_id).record
        assert confirmed.confirmation == lc.CONFIRMATION_STATUS_ADDED
        assert list(confirmed.endorsing_msp_ids) == ["Bank1MSP", "Bank2MSP", "Bank3MSP"]
        assert confirmed.collection == "lc-Bank1MSP-Bank2MSP-Bank3MSP"
        presentation_id = present(desk, banks, lc_id, "100000.00").record.presentation_id
        desk.client("bank2", "examiner").examine(presentation_id)
        desk.client("bank2", "approver").honour(presentation_id, money("USD", "100000.00"))

        settlement = credit_settlement(APPLICANT_ACCOUNT, creditor_account=BENEFICIARY_ACCOUNT)
        treasury = desk.client("bank1", "treasury")
        payments.sync()  # every endorser has what the session wrote: the refusal is the rules'
        with pytest.raises(InvalidInputError) as early:  # the client knows the credit's three banks
            treasury.reimburse(presentation_id, money("USD", "100000.00"), settlement=settlement)
        assert early.value.field == "settlement" and "outside the payment channel's pair" in str(early.value)
        assert "Payments.pay" in str(early.value) and early.value.transaction_id is None  # nothing was sent
        height = desk.chain_height()
        with pytest.raises(InvalidInputError) as late:  # the chaincode (each of the three endorsers)
            desk.client("bank1", "treasury", validate=False).reimburse(
                presentation_id, money("USD", "100000.00"), settlement=settlement
            )
        assert late.value.field == "settlement" and "outside the payment channel's pair (Bank3MSP)" in str(late.value)
        assert late.value.transaction_id  # sent, and refused by the chaincode at endorsement
        assert desk.chain_height() == height  # nothing was written
        with pytest.raises(NotFoundError):
            payments.payments("bank1").get_payment(settlement.uetr)

        reimbursed = treasury.reimburse(presentation_id, money("USD", "100000.00"))
        assert reimbursed.record.state == lc.PRESENTATION_STATE_REIMBURSED
        paid = payments.payments("bank1").pay(
            channel_id,
            money("USD", "100000.00"),
            debtor=terms.applicant,
            debtor_account=APPLICANT_ACCOUNT,
            creditor=terms.beneficiary,
            creditor_account=BENEFICIARY_ACCOUNT,
            kind=pay.PAYMENT_KIND_FI_CREDIT_TRANSFER,
            purpose="TRAD",
            remittance_information=f"/LC/{lc_id}/PRES/{presentation_id}",
        ).record
        assert paid.status == pay.PAYMENT_STATUS_ACSP
        view = payments.payments("bank1").get_channel(channel_id)
        assert view.balance_of("ASTBHKHH").balance == 900000_00 and view.balance_of("EUCBDEFF").balance == 100000_00
        assert_conserved(view)
        # bank3 sees the payment's public stub only, and the credit's records in full.
        payments.sync()
        assert payments.payments("bank3").get_payment(paid.uetr).record is None
        record = desk.client("bank3", "auditor").get_presentation(presentation_id).record
        assert record is not None and not record.reimbursements[0].settlement_uetr
    finally:
        payments.close()


def _cli(network: FabricNetwork, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--workdir", str(network.workdir), *args])
    return result.exit_code, " ".join(result.output.split())  # stdout and stderr, rich's line wrapping undone


def test_the_command_line_shows_a_credit_and_its_history_as_each_bank_sees_it(
    network: FabricNetwork, desk: Desk, banks: Banks
) -> None:
    lc_id = open_credit(desk, credit_terms(banks))[0].record.lc_id
    presented = present(desk, banks, lc_id, "30000.00")
    examined = desk.client("bank2", "examiner").examine(presented.record.presentation_id)

    code, shown = _cli(network, "lc", "show", lc_id, "--on", CHANNEL)  # as the issuing bank by default
    assert code == 0, shown
    assert f"credit {lc_id}: ADVISED (version 5)" in shown and "1 presentation(s) open" in shown
    assert "USD 100000.00" in shown and "reserved USD 30000.00" in shown  # the terms and balances: a bank of it
    code, shown = _cli(network, "lc", "show", lc_id, "--bank", "bank3", "--on", CHANNEL)
    assert code == 0, shown
    assert "for the credit's banks only (Bank3MSP is not one)" in shown and "USD" not in shown
    code, answer = _cli(network, "lc", "show", lc_id, "--bank", "bank3", "--on", CHANNEL, "--json")
    assert code == 0, answer
    record = json.loads(answer)
    assert record["terms"] is None and record["position"] is None
    assert record["credit"]["version"] == "5"  # a uint64: a string in protobuf's JSON

    code, answer = _cli(network, "lc", "history", presented.record.presentation_id, "--bank", "bank3", "--json")
    assert code == 0, answer
    versions = json.loads(answer)
    assert [version["tx_id"] for version in versions] == [examined.transaction_id, presented.transaction_id]
    assert [version["presentation"]["state"] for version in versions] == [
        "PRESENTATION_STATE_COMPLYING",
        "PRESENTATION_STATE_UNDER_EXAMINATION",
    ]
    code, shown = _cli(network, "lc", "history", lc_id, "--bank", "bank3")
    assert code == 0, shown
    # newest first, each version's state then the event that left it
    words = [word for word in shown.split() if word in ("APPLIED", "ISSUED", "ADVISED", "PRESENTED", "EXAMINED")]
    assert words == ["ADVISED", "EXAMINED", "ADVISED", "PRESENTED", "ADVISED", "ADVISED", "ISSUED", "ISSUED", "APPLIED"]

    # a presentation: its state and deadline to anyone, its amounts and documents to the credit's banks
    presentation_id = presented.record.presentation_id
    code, shown = _cli(network, "lc", "show", presentation_id, "--bank", "bank1", "--on", CHANNEL)
    assert code == 0, shown
    assert f"presentation {presentation_id} under {lc_id}: COMPLYING (version 2)" in shown
    assert "claimed USD 30000.00; documents: COMMERCIAL_INVOICE" in shown
    code, shown = _cli(network, "lc", "show", presentation_id, "--bank", "bank3", "--on", CHANNEL)
    assert code == 0 and "COMPLYING" in shown and "for the credit's banks only (Bank3MSP is not one)" in shown
    code, answer = _cli(network, "lc", "show", presentation_id, "--bank", "bank3", "--on", CHANNEL, "--json")
    assert code == 0 and json.loads(answer)["record"] is None
    # without --bank and --on, each channel is asked until the record is found; salts stay out of JSON
    code, answer = _cli(network, "lc", "show", presentation_id, "--json")
    assert code == 0, answer
    shown_record = json.loads(answer)
    assert shown_record["presentation"]["presentation_id"] == presentation_id
    assert "salt" not in (shown_record["record"] or {})
    code, answer = _cli(network, "lc", "show", lc_id, "--json")
    assert code == 0 and "salt" not in json.loads(answer)["position"]

    # what the commands refuse: a malformed id before any network access, an unknown one as the ledger does
    code, shown = _cli(network, "lc", "show", "ASTBHKHH-LC1")
    assert code == 2 and "LC_ID|PRESENTATION_ID" in shown and "is neither a credit id" in shown
    code, shown = _cli(network, "lc", "show", "ASTBHKH:LC1")
    assert code == 2 and "a credit id is the issuing bank's BIC8" in shown
    code, shown = _cli(network, "lc", "history", "not-a-presentation")
    assert code == 2 and "nor a presentation id (a lower-case UUID v4)" in shown
    code, shown = _cli(network, "lc", "show", f"{lc_id}X", "--on", CHANNEL)
    assert code == 1 and f"refused: ERR_NOT_FOUND: no credit {lc_id}X on {CHANNEL} (as bank1)" in shown
    code, shown = _cli(network, "lc", "history", str(uuid.uuid4()), "--on", CHANNEL)
    assert code == 1 and "refused: ERR_NOT_FOUND: no presentation" in shown and f"on {CHANNEL} (as bank" in shown
    code, shown = _cli(network, "lc", "show", str(uuid.uuid4()))
    assert code == 1 and "refused: ERR_NOT_FOUND: no presentation" in shown
