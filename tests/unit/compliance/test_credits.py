"""Letters of credit under the consortium's compliance checks (configuration ``check_credits``): KYC and
sanctions of the applicant (by the issuing bank) and of the beneficiary (by the advising or presenting
bank) before issue, advice, presentation and honour; the embargo on places, ports and banks; the
per-credit cap. Without the configuration nothing changes for credits."""

from __future__ import annotations

import datetime

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from tests.unit.letters_of_credit.support import ADVISER, ISSUER, Desk, caller, sample_terms
from tradefin.chaincode.contracts.compliance.records import governance_key, kyc_key, screening_key
from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from ..payments.support import governance_config, money

LISTS = (("UN", "2025-11-28"), ("OFAC", "2025-12-01"))


def checked_desk(**overrides: object) -> Desk:
    """The letters-of-credit desk with a configuration that checks credits."""
    desk = Desk()
    settings: dict[str, object] = {
        "member_msp_ids": [ISSUER.msp_id, ADVISER.msp_id],
        "check_credits": True,
        "sanctions_lists": [cp.SanctionsList(list_id=list_id, version=version) for list_id, version in LISTS],
    }
    settings.update(overrides)
    config = governance_config(**settings)
    desk.ledger.state[("", governance_key())] = config.SerializeToString()
    return desk


def vouch(
    desk: Desk,
    bank: common_pb2.BankRef,
    subject: str,
    outcome: cp.ScreeningOutcome.ValueType = cp.SCREENING_OUTCOME_CLEAR,
) -> None:
    """The bank's attestation and screenings, as its compliance officer would have recorded them."""
    attestation = cp.KycAttestation(
        subject_ref=subject,
        attesting_bank=bank,
        status=cp.KYC_STATUS_VERIFIED,
        verified_on=common_pb2.Date(year=2025, month=1, day=1),
        expires_on=common_pb2.Date(year=2026, month=12, day=31),
        risk_rating=cp.RISK_RATING_LOW,
    )
    desk.ledger.state[("", kyc_key(bank.msp_id, subject))] = attestation.SerializeToString()
    screened = Timestamp()
    screened.FromDatetime(desk.now - datetime.timedelta(hours=1))
    for list_id, version in LISTS:
        result = cp.ScreeningResult(
            subject_ref=subject,
            list_id=list_id,
            list_version=version,
            outcome=outcome,
            screened_at=screened,
        )
        desk.ledger.state[("", screening_key(bank.msp_id, subject, list_id))] = result.SerializeToString()


def issue(desk: Desk, lc_id: str) -> None:
    desk.call(caller(ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id=lc_id))


def advise(desk: Desk, lc_id: str) -> None:
    desk.call(caller(ADVISER, "advisor"), desk.service.advise, api.AdviseRequest(lc_id=lc_id))


def test_each_party_is_vouched_for_by_its_bank_before_the_credit_moves() -> None:
    desk = checked_desk()
    terms = sample_terms()
    lc_id = desk.apply(terms)
    with pytest.raises(LcRuleError, match="has not attested the applicant") as error:
        issue(desk, lc_id)
    assert error.value.code_name == "ERR_KYC"
    vouch(desk, ISSUER, terms.applicant.kyc_ref)
    issue(desk, lc_id)
    with pytest.raises(LcRuleError, match="has not attested the beneficiary") as error:
        advise(desk, lc_id)
    assert error.value.code_name == "ERR_KYC"
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref, cp.SCREENING_OUTCOME_POTENTIAL_MATCH)
    with pytest.raises(LcRuleError, match="POTENTIAL_MATCH") as error:
        advise(desk, lc_id)
    assert error.value.code_name == "ERR_SANCTIONS"
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref)
    advise(desk, lc_id)
    desk.at("2025-12-03")  # documents of 1 December; screenings are at most 24 hours old
    vouch(desk, ISSUER, terms.applicant.kyc_ref)
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref)
    presentation_id = desk.present(lc_id)
    desk.examine(presentation_id)
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref, cp.SCREENING_OUTCOME_CONFIRMED_MATCH)
    with pytest.raises(LcRuleError, match="CONFIRMED_MATCH") as error:
        desk.honour(presentation_id)
    assert error.value.code_name == "ERR_SANCTIONS"
    vouch(desk, ADVISER, terms.beneficiary.kyc_ref)
    assert desk.honour(presentation_id).state == lc.PRESENTATION_STATE_HONOURED


def test_embargoed_ports_and_the_credit_cap() -> None:
    desk = checked_desk(embargoed_countries=["IR"])
    terms = sample_terms(port_of_discharge=common_pb2.Place(name="BANDAR ABBAS", un_locode="IRBND"))
    vouch(desk, ISSUER, terms.applicant.kyc_ref)
    lc_id = desk.apply(terms)
    with pytest.raises(LcRuleError, match="IR is under embargo") as error:
        issue(desk, lc_id)
    assert (error.value.code_name, error.value.field) == ("ERR_SANCTIONS", "terms.port_of_discharge")
    capped = checked_desk()
    capped_terms = sample_terms(lc_number="LC2025-0002", amount=money("5000000.01", "USD"))
    vouch(capped, ISSUER, capped_terms.applicant.kyc_ref)
    with pytest.raises(LcRuleError, match="per-credit cap") as error:
        issue(capped, capped.apply(capped_terms))
    assert error.value.code_name == "ERR_LIMIT_EXCEEDED"


def test_without_credit_checks_credits_move_as_before() -> None:
    desk = checked_desk(check_credits=False)
    lc_id = desk.open_credit()  # nobody attested anybody
    assert desk.stub(lc_id).state == lc.CREDIT_STATE_ADVISED
