"""The consortium directory: once a configuration lists its members' BICs, no bank a credit, a transfer or
a payment channel names can pair a BIC with another MSP id than the directory's.

The forgery it stops: a bank's own CA writes the ``bic`` attribute of its certificates, so an
organisation of the channel can carry another bank's BIC in its certificate and name itself so.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.unit.compliance.test_credits import checked_desk
from tests.unit.letters_of_credit import support as credits
from tests.unit.letters_of_credit.test_transfers import SECOND, transferable
from tradefin.chaincode.contracts.compliance.directory import MAX_DIRECTORY_ENTRIES, misnamed
from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.compliance.governance import validate_config
from tradefin.chaincode.contracts.compliance.records import governance_key
from tradefin.chaincode.contracts.payments.records import channel_id_of
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc
from tradefin.protos import payments_pb2 as pay

from ..payments.support import (
    BANK_A,
    BANK_B,
    CREDITOR,
    NOW,
    OUTSIDER,
    Desk,
    caller,
    governance_config,
    refused_writing_nothing,
    stamp,
    verified_attestation,
)

DIRECTORY = [cp.DirectoryEntry(bic=bank.bic, msp_id=bank.msp_id) for bank in (BANK_A, BANK_B, OUTSIDER)]
#: Bank3MSP under Asia Trade Bank's BIC: what a certificate its own CA issued may claim
FORGED = common_pb2.BankRef(bic=BANK_A.bic, msp_id=OUTSIDER.msp_id)


def _config(**overrides: Any) -> cp.ComplianceGovernance:
    settings: dict[str, Any] = {
        "member_msp_ids": [BANK_A.msp_id, BANK_B.msp_id, OUTSIDER.msp_id],
        "directory": DIRECTORY,
    }
    settings.update(overrides)
    return governance_config(**settings)


# -- the directory itself --------------------------------------------------------------------------


def test_a_directory_lists_each_member_and_each_institution_once() -> None:
    validate_config(_config())
    validate_config(_config(directory=[]))  # no directory: allowed, and nothing is checked
    branch = cp.DirectoryEntry(bic="ASTBHKHHXXX", msp_id=BANK_A.msp_id)
    validate_config(_config(directory=[branch, *DIRECTORY[1:]]))  # an 11-character BIC is its institution


@pytest.mark.parametrize(
    ("directory", "field", "reason"),
    [
        ([cp.DirectoryEntry(bic="ASTB", msp_id="Bank1MSP"), *DIRECTORY[1:]], "config.directory[0].bic", "not a BIC"),
        ([*DIRECTORY, cp.DirectoryEntry(bic="NOTMDEFF", msp_id="Bank9MSP")], "config.directory[3].msp_id",
         "'Bank9MSP' is not a member bank"),
        ([*DIRECTORY, cp.DirectoryEntry(bic="ASTBHKHHXXX", msp_id="Bank2MSP")], "config.directory[3].bic",
         "institution ASTBHKHH appears twice"),
        (DIRECTORY[:2], "config.directory", "member bank Bank3MSP has no BIC in the directory"),
    ],
    ids=["malformed BIC", "not a member", "institution twice", "member missing"],
)
def test_a_directory_that_does_not_say_who_is_who_is_refused(
    directory: list[cp.DirectoryEntry], field: str, reason: str
) -> None:
    with pytest.raises(RuleError) as refused:
        validate_config(_config(directory=directory))
    assert (refused.value.code_name, refused.value.field) == ("ERR_INVALID_INPUT", field)
    assert reason in refused.value.message


def test_a_directory_has_a_bound() -> None:
    too_many = [DIRECTORY[0]] * (MAX_DIRECTORY_ENTRIES + 1)  # checked before any entry is
    with pytest.raises(RuleError) as refused:
        validate_config(_config(directory=too_many))
    assert refused.value.field == "config.directory"
    assert refused.value.message == f"at most {MAX_DIRECTORY_ENTRIES} entries"


def test_what_misnamed_reports() -> None:
    config = _config()
    assert misnamed(config, BANK_A) is None
    assert misnamed(config, common_pb2.BankRef(bic="ASTBHKHHXXX", msp_id=BANK_A.msp_id)) is None  # a branch
    assert misnamed(config, FORGED) == ("msp_id", "ASTBHKHH is Bank1MSP's in the consortium directory, not Bank3MSP's")
    unknown = common_pb2.BankRef(bic="EUCBFRPP", msp_id=BANK_B.msp_id)
    assert misnamed(config, unknown) == ("bic", "EUCBFRPP is not in the consortium directory of member banks")
    assert misnamed(None, FORGED) is None and misnamed(_config(directory=[]), FORGED) is None


# -- records that carry the caller's bank as its certificate names it ------------------------------


@pytest.mark.parametrize("action", ["attesting KYC", "recording a screening"])
def test_an_attestation_or_screening_is_written_under_the_banks_own_bic_only(action: str) -> None:
    desk = Desk()
    desk.adopt(_config())
    attest = cp.AttestKycRequest(attestation=verified_attestation(CREDITOR.kyc_ref))
    screen = cp.RecordScreeningRequest(
        result=cp.ScreeningResult(
            subject_ref=CREDITOR.kyc_ref, list_id="UN", list_version="2025-11-28",
            outcome=cp.SCREENING_OUTCOME_CLEAR, screened_at=stamp(NOW),
        )
    )

    def write(bank: common_pb2.BankRef) -> object:
        if action == "attesting KYC":
            return desk.comply(caller(bank, "compliance"), lambda s, tx: s.attest_kyc(tx, attest))
        return desk.comply(caller(bank, "compliance"), lambda s, tx: s.record_screening(tx, screen))

    refusal = refused_writing_nothing(desk, lambda: write(FORGED))  # Bank3MSP's certificate says ASTBHKHH
    assert refusal.code_name == "ERR_UNAUTHORIZED"
    assert refusal.text == (
        f"{action} needs a certificate carrying its bank's BIC: "
        "ASTBHKHH is Bank1MSP's in the consortium directory, not Bank3MSP's"
    )
    write(OUTSIDER)  # the same bank under its own BIC


# -- payment channels --------------------------------------------------------------------------------


def _propose(desk: Desk, proposer: common_pb2.BankRef, counterparty: common_pb2.BankRef, bic: str = "") -> str:
    """``proposer``'s treasury (its certificate's BIC ``bic``, default the proposer's) proposes EUR."""
    request = pay.ProposeChannelRequest(
        proposer=proposer, counterparty=counterparty, currency="EUR", capacity_slots=4, salt=bytes(32)
    )
    who = caller(common_pb2.BankRef(bic=bic or proposer.bic, msp_id=proposer.msp_id), "treasury")
    desk.pay(who, lambda s, tx: s.propose_channel(tx, request))
    return channel_id_of(proposer.bic, counterparty.bic, "EUR")


def test_a_channel_is_proposed_only_between_banks_as_the_directory_names_them() -> None:
    desk = Desk()
    desk.adopt(_config())
    refusal = refused_writing_nothing(desk, lambda: _propose(desk, FORGED, BANK_B))
    assert (refusal.code_name, refusal.field) == ("ERR_INVALID_INPUT", "proposer.msp_id")
    assert refusal.message == "ASTBHKHH is Bank1MSP's in the consortium directory, not Bank3MSP's"
    unlisted = common_pb2.BankRef(bic="EUCBFRPP", msp_id=BANK_B.msp_id)
    refusal = refused_writing_nothing(desk, lambda: _propose(desk, BANK_A, unlisted))
    assert (refusal.code_name, refusal.field) == ("ERR_INVALID_INPUT", "counterparty.bic")
    assert refusal.message == "EUCBFRPP is not in the consortium directory of member banks"
    _propose(desk, BANK_A, common_pb2.BankRef(bic="EUCBDEFFXXX", msp_id=BANK_B.msp_id))  # a branch of a listed BIC


def test_a_channel_proposed_before_the_directory_opens_only_if_it_names_its_banks_so() -> None:
    desk = Desk()
    other_bic = common_pb2.BankRef(bic="EUCBFRPP", msp_id=BANK_B.msp_id)  # Bank2MSP under a BIC not listed
    channel_id = _propose(desk, BANK_A, other_bic)
    desk.adopt(_config())
    accept = pay.AcceptChannelRequest(channel_id=channel_id)
    refusal = refused_writing_nothing(
        desk, lambda: desk.pay(caller(other_bic, "treasury"), lambda s, tx: s.accept_channel(tx, accept))
    )
    assert refusal.code_name == "ERR_INVALID_STATE"
    assert refusal.message == (
        f"channel {channel_id} names EUCBFRPP (Bank2MSP): EUCBFRPP is not in the consortium directory of member banks"
    )


# -- letters of credit -------------------------------------------------------------------------------

LC_DIRECTORY = [
    cp.DirectoryEntry(bic=bank.bic, msp_id=bank.msp_id) for bank in (credits.ISSUER, credits.ADVISER, credits.CONFIRMER)
]
MEMBERS = [credits.ISSUER.msp_id, credits.ADVISER.msp_id, credits.CONFIRMER.msp_id]


def _listed_desk() -> credits.Desk:
    """The letters-of-credit desk under a configuration with a directory (credits not checked)."""
    return checked_desk(member_msp_ids=MEMBERS, check_credits=False, directory=LC_DIRECTORY)


def _apply_refused(desk: credits.Desk, terms: lc.LetterOfCreditTerms) -> RuleError:
    state = dict(desk.ledger.state)
    with pytest.raises(RuleError) as refused:
        desk.apply(terms)
    assert desk.ledger.state == state  # nothing written
    return refused.value


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"advising_bank": common_pb2.BankRef(bic=credits.ADVISER.bic, msp_id="ConfirmerMSP")},
         "terms.advising_bank.msp_id"),
        ({"second_advising_bank": common_pb2.BankRef(bic="TFSEGB2L", msp_id="AdviserMSP")},
         "terms.second_advising_bank.bic"),
        ({"requested_confirmer": common_pb2.BankRef(bic=credits.CONFIRMER.bic, msp_id="AdviserMSP"),
          "confirmation_instruction": lc.CONFIRMATION_INSTRUCTION_CONFIRM}, "terms.requested_confirmer.msp_id"),
        ({"available_with": lc.AvailableWith(nominated_bank=common_pb2.BankRef(bic="TFNOGB2L", msp_id="AdviserMSP"))},
         "terms.available_with.nominated_bank.bic"),
    ],
    ids=["advising", "second advising", "requested confirmer", "nominated"],
)
def test_a_credit_names_each_bank_as_the_directory_does(overrides: dict[str, Any], field: str) -> None:
    desk = _listed_desk()
    refusal = _apply_refused(desk, credits.sample_terms(**overrides))
    assert (refusal.code_name, refusal.field) == ("ERR_INVALID_INPUT", field)
    assert desk.apply(credits.sample_terms())  # the same credit, its banks as listed


def test_a_bank_cannot_issue_under_another_banks_bic() -> None:
    desk = _listed_desk()
    forged = common_pb2.BankRef(bic=credits.ISSUER.bic, msp_id=credits.CONFIRMER.msp_id)  # ConfirmerMSP as TFINCNSH
    terms = credits.sample_terms(issuing_bank=forged, lc_number="FORGED-1")
    state = dict(desk.ledger.state)
    with pytest.raises(RuleError) as refused:
        desk.call(credits.caller(forged, "issuer"), desk.service.apply, api.ApplyRequest(terms=terms, salt=bytes(32)))
    assert (refused.value.code_name, refused.value.field) == ("ERR_INVALID_INPUT", "terms.issuing_bank.msp_id")
    assert refused.value.message == "TFINCNSHXXX is IssuerMSP's in the consortium directory, not ConfirmerMSP's"
    assert desk.ledger.state == state


def test_a_credit_applied_for_before_the_directory_is_issued_only_if_it_names_its_banks_so() -> None:
    desk = credits.Desk()
    misnamed_adviser = common_pb2.BankRef(bic="TFAXGB2L", msp_id=credits.ADVISER.msp_id)
    terms = credits.sample_terms(
        advising_bank=misnamed_adviser, available_with=lc.AvailableWith(nominated_bank=misnamed_adviser)
    )
    lc_id = desk.apply(terms)  # no configuration yet: nothing to check against
    config = governance_config(member_msp_ids=MEMBERS, directory=LC_DIRECTORY)
    desk.ledger.state[("", governance_key())] = config.SerializeToString()
    state = dict(desk.ledger.state)
    with pytest.raises(RuleError) as refused:
        desk.call(credits.caller(credits.ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id=lc_id))
    assert refused.value.code_name == "ERR_INVALID_STATE"
    assert refused.value.message == (
        f"credit {lc_id} names TFAXGB2L (AdviserMSP): TFAXGB2L is not in the consortium directory of member banks"
    )
    assert desk.ledger.state == state
    assert desk.stub(lc_id).state == lc.CREDIT_STATE_DRAFT_APPLICATION


def test_a_transfer_names_the_second_beneficiarys_bank_as_the_directory_does() -> None:
    desk = _listed_desk()
    lc_id = desk.open_credit(transferable())
    request = api.TransferRequest(
        lc_id=lc_id,
        transfer_id=str(uuid.uuid4()),
        second_beneficiary=SECOND,
        second_beneficiary_bank=common_pb2.BankRef(bic="TFZZGB2L", msp_id=credits.ADVISER.msp_id),  # not listed
        amount=credits.usd("60000"),
    )
    state = dict(desk.ledger.state)
    with pytest.raises(RuleError) as refused:
        desk.call(credits.caller(credits.ADVISER, "advisor"), desk.service.transfer, request)
    assert (refused.value.code_name, refused.value.field) == ("ERR_INVALID_INPUT", "second_beneficiary_bank.bic")
    assert desk.ledger.state == state
    request.second_beneficiary_bank.CopyFrom(credits.ADVISER)
    assert desk.call(credits.caller(credits.ADVISER, "advisor"), desk.service.transfer, request).transfer.amount


def test_a_second_bank_of_the_issuers_msp_is_checked_at_issue_too() -> None:
    # one MSP id under two BICs: the credit's banks (one per MSP id) would show only the first
    desk = credits.Desk()
    terms = credits.sample_terms(second_advising_bank=common_pb2.BankRef(bic="TFQQGB2L", msp_id="AdviserMSP"))
    lc_id = desk.apply(terms)  # before the directory
    config = governance_config(member_msp_ids=MEMBERS, directory=LC_DIRECTORY)
    desk.ledger.state[("", governance_key())] = config.SerializeToString()
    with pytest.raises(RuleError) as refused:
        desk.call(credits.caller(credits.ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id=lc_id))
    assert refused.value.code_name == "ERR_INVALID_STATE" and "names TFQQGB2L (AdviserMSP)" in refused.value.message


def test_a_credit_issued_before_the_directory_is_advised_only_if_it_names_its_banks_so() -> None:
    desk = credits.Desk()
    misnamed_adviser = common_pb2.BankRef(bic="TFAXGB2L", msp_id=credits.ADVISER.msp_id)
    terms = credits.sample_terms(
        advising_bank=misnamed_adviser, available_with=lc.AvailableWith(nominated_bank=misnamed_adviser)
    )
    lc_id = desk.apply(terms)
    desk.call(credits.caller(credits.ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id=lc_id))
    config = governance_config(member_msp_ids=MEMBERS, directory=LC_DIRECTORY)
    desk.ledger.state[("", governance_key())] = config.SerializeToString()
    state = dict(desk.ledger.state)
    with pytest.raises(RuleError) as refused:
        desk.call(credits.caller(misnamed_adviser, "advisor"), desk.service.advise, api.AdviseRequest(lc_id=lc_id))
    assert refused.value.code_name == "ERR_INVALID_STATE"
    assert f"credit {lc_id} names TFAXGB2L (AdviserMSP)" in refused.value.message
    assert desk.ledger.state == state
