"""Compliance on the real network, through the typed client: governance adopted only with every member
bank, KYC and sanctions gates on payments, the duplicate-financing registry across two banks, private
limits kept to their bank, the audit trail; and, on a three-bank channel of its own, a payment from a
bank that is not party to the payment channel; on a network of its own, a bank of the channel that the
configuration does not count among its members."""

from __future__ import annotations

import dataclasses
import datetime
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
import yaml

from tests.integration.conftest import THREE_BANK_SPEC
from tests.integration.test_lc import Banks, new_place
from tests.integration.test_lc import Desk as CreditDesk
from tests.integration.test_lc import credit_terms as lc_credit_terms
from tests.integration.test_payments import (
    CREDITOR_ACCOUNT,
    DEBTOR_ACCOUNT,
    Customers,
    Desks,
    customers,
    ensure_pilot,
    open_channel,
    parties,
    refused,
)
from tradefin.chaincode.contracts.letters_of_credit.records import lc_id_of
from tradefin.gateway.tradefin import (
    DuplicateFinancingError,
    InvalidInputError,
    InvalidStateError,
    KycError,
    NotFoundError,
    SanctionsError,
    UnauthorizedError,
    money,
)
from tradefin.gateway.tradefin.compliance import invoice_fingerprints, pilot_configuration
from tradefin.network.identities import issue_identity
from tradefin.network.network import FabricNetwork
from tradefin.network.progress import SilentProgress
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_pb2 as lc
from tradefin.protos import payments_pb2 as pay

#: The consortium key of the duplicate-financing registry: shared by the banks, never on the ledger.
CONSORTIUM_KEY = secrets.token_bytes(32)


@pytest.fixture(scope="module")
def desks(fabric_network: FabricNetwork) -> Iterator[Desks]:
    opened = Desks(fabric_network)
    ensure_pilot(opened, ["bank1", "bank2"])
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def people(desks: Desks) -> Customers:
    return customers(desks)


def test_a_configuration_change_needs_every_member_bank(desks: Desks) -> None:
    before = desks.compliance("bank1").get_governance().governance
    changed = cp.ComplianceGovernance()
    changed.CopyFrom(before)
    changed.version = before.version + 1
    changed.description = f"pilot, amended {uuid.uuid4().hex[:6]}"
    changed.ClearField("adopted_tx_id")
    proposal = desks.compliance("bank2").propose_governance(changed).record
    assert proposal.status == cp.PROPOSAL_STATUS_PROPOSED and list(proposal.required_msp_ids) == [
        "Bank1MSP",
        "Bank2MSP",
    ]
    assert desks.compliance("bank2").get_governance().governance.version == before.version  # not in force yet
    with refused(desks, UnauthorizedError):  # a treasury certificate is not a compliance officer's
        desks.compliance("bank1", user="treasury").approve_governance(changed.version)
    adopted = desks.compliance("bank1").approve_governance(changed.version).record
    assert adopted.status == cp.PROPOSAL_STATUS_ADOPTED
    assert desks.compliance("bank2").get_governance().governance.description == changed.description
    assert len(desks.compliance("bank1").audit_trail("governance", "")) >= 2


def test_payments_need_kyc_and_clear_screening_and_no_embargo(desks: Desks, people: Customers) -> None:
    channel_id = open_channel(desks, "DKK", deposit_first="10000.00")
    bank1 = desks.payments("bank1")
    stranger = common_pb2.PartyRef(name="UNKNOWN TRADING GMBH", country="DE", kyc_ref=f"KYC-X-{uuid.uuid4().hex[:8]}")
    with refused(desks, KycError):
        bank1.pay(channel_id, money("DKK", "10.00"), **{**parties(people), "creditor": stranger})
    governance = desks.compliance("bank2").get_governance().governance
    listed = governance.sanctions_lists[0]
    desks.compliance("bank2").record_screening(
        people.creditor.kyc_ref, listed.list_id, listed.version, cp.SCREENING_OUTCOME_POTENTIAL_MATCH
    )
    try:
        with refused(desks, SanctionsError):
            bank1.pay(channel_id, money("DKK", "10.00"), **parties(people))
    finally:
        desks.compliance("bank2").record_screening(
            people.creditor.kyc_ref, listed.list_id, listed.version, cp.SCREENING_OUTCOME_CLEAR
        )
    havana = common_pb2.PartyRef(name="HAVANA CIGARS SA", country="CU", kyc_ref=people.creditor.kyc_ref)
    with refused(desks, SanctionsError):
        bank1.pay(channel_id, money("DKK", "10.00"), **{**parties(people), "creditor": havana})
    assert bank1.pay(channel_id, money("DKK", "10.00"), **parties(people)).record.status == pay.PAYMENT_STATUS_ACSP


def test_duplicate_financing_across_two_banks_with_differently_formatted_invoice_numbers(desks: Desks) -> None:
    seller, buyer, issued = "5493001KJTIIGC8Y1R12", "HK-0042", datetime.date(2025, 11, 3)
    number = f"INV-{uuid.uuid4().int % 10**6:06d}"
    at_bank1 = invoice_fingerprints(
        CONSORTIUM_KEY,
        seller_id=seller,
        invoice_number=number,
        issue_date=issued,
        amount=money("EUR", "98000.00"),
        buyer_id=buyer,
    )
    # bank2's clerk keys the same invoice: lower case, no dash, leading zeros dropped, the buyer spaced
    at_bank2 = invoice_fingerprints(
        CONSORTIUM_KEY,
        seller_id=seller.lower(),
        invoice_number=number.replace("-", " ").lower().replace(" 0", " "),
        issue_date=issued,
        amount=money("EUR", "98000.00"),
        buyer_id="hk 42",
    )
    assert at_bank1 == at_bank2
    salt1, salt2 = secrets.token_bytes(32), secrets.token_bytes(32)
    financed = (
        desks.compliance("bank1")
        .finance_document(at_bank1, cp.FINANCED_DOCUMENT_TYPE_INVOICE, holder_salt=salt1, face_amount_band="10K-100K")
        .record.entries
    )
    assert {entry.status for entry in financed} == {cp.FINANCING_STATUS_FINANCED}
    assert all("Bank1MSP" not in str(entry) for entry in financed)  # no bank, customer or amount on the ledger
    with refused(desks, DuplicateFinancingError) as error:
        desks.compliance("bank2").finance_document(at_bank2, cp.FINANCED_DOCUMENT_TYPE_INVOICE, holder_salt=salt2)
    assert error.value.reason == "already financed"  # type: ignore[attr-defined]
    desks.compliance("bank1").record_financing_details(
        cp.FinancingDetails(
            financing_id=str(uuid.uuid4()),
            fingerprints=at_bank1,
            customer_ref="KYC-HK-1",
            amount=money("EUR", "88200.00"),
            face_amount=money("EUR", "98000.00"),
            salt=salt1,
        )
    )
    desks.compliance("bank1").release_financing(at_bank1, holder_salt=salt1)
    assert (
        desks.compliance("bank2")
        .finance_document(at_bank2, cp.FINANCED_DOCUMENT_TYPE_INVOICE, holder_salt=salt2)
        .record.entries[0]
        .status
        == cp.FINANCING_STATUS_FINANCED
    )


def test_a_banks_limits_stay_with_it(desks: Desks) -> None:
    desks.compliance("bank1").set_limit(cp.LIMIT_SCOPE_COUNTERPARTY_BANK, "EUCBDEFF", money("USD", "5000000.00"))
    assert (
        desks.compliance("bank1").get_limit(cp.LIMIT_SCOPE_COUNTERPARTY_BANK, "EUCBDEFF").max.minor_units
        == 5_000_000_00
    )
    with refused(desks, NotFoundError):  # bank2's peer holds only the hash of bank1's limit
        desks.compliance("bank2").get_limit(cp.LIMIT_SCOPE_COUNTERPARTY_BANK, "EUCBDEFF")


# ------------------------------------------------------------------------------------------------
# A consortium channel of three banks (a network of its own)

TRI_CHANNEL = "tri-pay"


@pytest.fixture(scope="module")
def tri(three_bank_network: FabricNetwork) -> Iterator[Desks]:
    desks = Desks(three_bank_network, TRI_CHANNEL)
    try:
        ensure_pilot(desks, ["bank1", "bank2", "bank3"])
        yield desks
    finally:
        desks.close()


def test_a_bank_not_party_to_the_payment_channel_cannot_pay_on_it_or_read_it(tri: Desks) -> None:
    people = customers(tri)
    channel_id = open_channel(tri, "EUR", deposit_first="1000.00")
    outsider = tri.payments("bank3")
    with refused(tri, UnauthorizedError):
        outsider.pay(channel_id, money("EUR", "10.00"), **parties(people))
    paid = tri.payments("bank1").pay(channel_id, money("EUR", "10.00"), **parties(people)).record
    tri.sync()
    seen = outsider.get_payment(paid.uetr)
    assert seen.payment.status == pay.PAYMENT_STATUS_ACSP and seen.record is None  # the stub only
    view = outsider.get_channel(channel_id)
    assert view.position is None and view.balances == ()
    with refused(tri, UnauthorizedError):  # nor settle, nor cut off someone else's channel
        outsider.cut_off(channel_id)


def test_credits_are_checked_once_every_member_adopts_it(tri: Desks) -> None:
    current = tri.compliance("bank1").get_governance().governance
    checking = cp.ComplianceGovernance()
    checking.CopyFrom(current)
    checking.version, checking.check_credits = current.version + 1, True
    checking.ClearField("adopted_tx_id")
    tri.compliance("bank1").propose_governance(checking)
    tri.compliance("bank2").approve_governance(checking.version)
    assert not tri.compliance("bank3").get_governance().governance.check_credits  # bank3 has not approved yet
    tri.compliance("bank3").approve_governance(checking.version)

    credits = CreditDesk(tri.net, TRI_CHANNEL)
    try:
        banks = Banks(new_place(credits, "HK"), new_place(credits, "DE")).bind(credits)
        terms = lc_credit_terms(banks)
        terms.applicant.kyc_ref = f"K-A-{uuid.uuid4().hex[:6].upper()}"
        lc_id = credits.client("bank1", "client-applicant").apply(terms).record.lc_id
        tri.sync()
        with refused(tri, KycError):  # the issuing bank has not vouched for its applicant
            credits.client("bank1", "issuer").issue(lc_id)
        tri.compliance("bank1").vouch(terms.applicant.kyc_ref)
        assert credits.client("bank1", "issuer").issue(lc_id).record.state == lc.CREDIT_STATE_ISSUED
    finally:
        credits.close()


def test_a_bank_cannot_name_itself_with_another_members_bic(tri: Desks) -> None:
    """Bank3's own CA issues a certificate carrying Asia Trade Bank's BIC: on the channel nothing else
    stops Bank3MSP from applying as ASTBHKHH -- a credit the advising bank would take for Asia Trade
    Bank's. The consortium directory in force (ensure_pilot adopts one) refuses it."""
    asia_trade = tri.net.spec.bank("bank1")
    forger = dataclasses.replace(tri.net.spec.bank("bank3"), bic=asia_trade.bic)
    issued = issue_identity(tri.net.layout, forger, "forger", "issuer")
    assert issued.attributes["bic"] == asia_trade.bic  # what the certificate claims
    credits = CreditDesk(tri.net, TRI_CHANNEL)
    try:
        banks = Banks(new_place(credits, "HK"), new_place(credits, "DE")).bind(credits)
        terms = lc_credit_terms(banks)
        terms.issuing_bank.msp_id = forger.msp_id  # "ASTBHKHH", from Bank3MSP
        tri.sync()
        with pytest.raises(InvalidInputError) as refused:
            credits.client("bank3", "forger").apply(terms)
        assert refused.value.field == "terms.issuing_bank.msp_id"
        assert "ASTBHKHH is Bank1MSP's in the consortium directory, not Bank3MSP's" in str(refused.value)
        lc_id = lc_id_of(asia_trade.bic, terms.lc_number)
        with pytest.raises(NotFoundError):  # nothing was written
            credits.client("bank1", "issuer").get_credit(lc_id)
    finally:
        credits.close()


def test_only_member_banks_vouch_and_open_payment_channels(tmp_path: Path, port_block: int) -> None:
    """On a channel of three banks of which the configuration names two (a network of its own): the third
    bank writes no attestation and opens no payment channel; what it wrote before the adoption does not
    count (its attestation at the gate, its proposal when a member accepts it); a proposal made before
    the adoption is withdrawn or declined by closing it."""
    spec = yaml.safe_load(THREE_BANK_SPEC.read_text())
    spec["channels"] = [{"name": "members", "banks": ["bank1", "bank2", "bank3"]}]
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    net = FabricNetwork.create(tmp_path / "net", spec_path, port_base=port_block, progress=SilentProgress())
    net.up()
    desks = Desks(net, "members")
    try:
        bank1, bank3 = desks.bank("bank1"), desks.bank("bank3")
        # before any configuration, nobody's membership is checked: bank3 proposes, opens and vouches
        early = desks.payments("bank1").propose_channel(bank1, bank3, "EUR").record
        stranded = desks.payments("bank3").propose_channel(bank3, bank1, "GBP").record
        opened = open_channel(desks, "CHF", second="bank3", deposit_first="5000.00")
        tag = uuid.uuid4().hex[:6].upper()
        creditor = common_pb2.PartyRef(name="BERLIN MACHINES GMBH", country="DE", kyc_ref=f"KYC-B3-{tag}")
        today = datetime.date.today()
        desks.compliance("bank3").attest_kyc(
            creditor.kyc_ref, status="KYC_STATUS_VERIFIED", level="KYC_LEVEL_STANDARD", risk_rating="RISK_RATING_LOW",
            verified_on=today, expires_on=today + datetime.timedelta(days=365), evidence_hash=secrets.token_hex(32),
        )
        for listed in pilot_configuration([]).sanctions_lists:  # CLEAR on the lists the pilot will require
            desks.compliance("bank3").record_screening(
                creditor.kyc_ref, listed.list_id, listed.version, "SCREENING_OUTCOME_CLEAR"
            )
        ensure_pilot(desks, ["bank1", "bank2"])  # bank3 is on the channel, not a member

        subject = f"KYC-OUT-{uuid.uuid4().hex[:6].upper()}"
        with refused(desks, UnauthorizedError) as refusal:
            desks.compliance("bank3").vouch(subject)
        assert "reserved to the member banks of the compliance governance; Bank3MSP is not one" in str(refusal.value)
        with refused(desks, NotFoundError):  # nothing was written
            desks.compliance("bank1").get_kyc(bank3.msp_id, subject)

        with refused(desks, InvalidInputError) as refusal:
            desks.payments("bank1").propose_channel(bank1, bank3, "USD")
        assert cast(InvalidInputError, refusal.value).field == "counterparty.msp_id"
        with refused(desks, UnauthorizedError):
            desks.payments("bank3").accept_channel(early.channel_id)
        withdrawn = desks.payments("bank1").close_channel(early.channel_id).record
        assert withdrawn.state == pay.PAYMENT_CHANNEL_STATE_CLOSED

        # what bank3 wrote before the adoption: its attestation does not count at the gate ...
        debtor = common_pb2.PartyRef(name="KOWLOON IMPORTS LTD", country="HK", kyc_ref=f"KYC-B1-{tag}")
        desks.compliance("bank1").vouch(debtor.kyc_ref)
        before = desks.payments("bank1").get_channel(opened)
        with refused(desks, KycError) as refusal:
            desks.payments("bank1").pay(opened, money("CHF", "100.00"), debtor=debtor, debtor_account=DEBTOR_ACCOUNT,
                                        creditor=creditor, creditor_account=CREDITOR_ACCOUNT)
        assert cast(KycError, refusal.value).field == "creditor.kyc_ref"
        assert "Bank3MSP is not a member bank of the compliance governance: its attestation does not count" in str(
            refusal.value
        )
        assert desks.payments("bank1").get_channel(opened) == before  # nothing moved
        # ... and its proposal does not open when a member accepts it; the member declines it by closing it
        with refused(desks, InvalidStateError) as refusal:
            desks.payments("bank1").accept_channel(stranded.channel_id)
        assert "the proposer Bank3MSP is not a member bank of the compliance governance" in str(refusal.value)
        declined = desks.payments("bank1").close_channel(stranded.channel_id).record
        assert declined.state == pay.PAYMENT_CHANNEL_STATE_CLOSED
    finally:
        desks.close()
        net.down(purge=True)
