"""A letter of credit's reimbursement paid on the banks' payment channel, on the real network.

The credit runs through the letters-of-credit typed client (bank1 issues, bank2 advises, is nominated
and honours); the reimbursement carries a settlement, so the same transaction that records it in the
credit makes the cross-border payment from bank1 to bank2 on their USD payment channel.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.integration.test_lc import Banks, new_place, open_credit, present
from tests.integration.test_lc import Desk as CreditDesk
from tests.integration.test_lc import credit_terms as lc_credit_terms
from tests.integration.test_payments import Desks, assert_conserved, ensure_pilot, open_channel, refused
from tradefin.gateway.tradefin import InvalidInputError, money
from tradefin.gateway.tradefin.payments import credit_settlement
from tradefin.network.network import FabricNetwork
from tradefin.protos import common_pb2
from tradefin.protos import letters_of_credit_pb2 as lc
from tradefin.protos import payments_pb2 as pay

APPLICANT_ACCOUNT = common_pb2.AccountRef(other="HK-012-883-0042")
BENEFICIARY_ACCOUNT = common_pb2.AccountRef(iban="DE89370400440532013000")


@pytest.fixture(scope="module")
def desks(fabric_network: FabricNetwork) -> Iterator[tuple[Desks, CreditDesk]]:
    payments, credits = Desks(fabric_network), CreditDesk(fabric_network)
    ensure_pilot(payments, ["bank1", "bank2"])
    try:
        yield payments, credits
    finally:
        payments.close()
        credits.close()


def test_a_reimbursement_with_a_settlement_is_paid_on_the_payment_channel(desks: tuple[Desks, CreditDesk]) -> None:
    payments, credits = desks
    channel_id = open_channel(payments, "USD", deposit_first="1000000.00")
    banks = Banks(new_place(credits, "HK"), new_place(credits, "DE")).bind(credits)
    terms = lc_credit_terms(banks)
    terms.beneficiary.kyc_ref = f"K-B-{uuid.uuid4().hex[:6].upper()}"
    payments.compliance("bank1").vouch(terms.applicant.kyc_ref)
    payments.compliance("bank2").vouch(terms.beneficiary.kyc_ref)
    lc_id = open_credit(credits, terms)[0].record.lc_id
    presentation_id = present(credits, banks, lc_id, "100000.00").record.presentation_id
    credits.client("bank2", "examiner").examine(presentation_id)
    honourer = credits.client("bank2", "approver")
    with refused(payments, InvalidInputError):  # the nominated bank pays its own customer: no interbank payment
        honourer.honour(presentation_id, money("USD", "100000.00"), settlement=credit_settlement(APPLICANT_ACCOUNT))
    honourer.honour(presentation_id, money("USD", "100000.00"))

    settlement = credit_settlement(APPLICANT_ACCOUNT, creditor_account=BENEFICIARY_ACCOUNT)
    reimbursed = credits.client("bank1", "treasury").reimburse(
        presentation_id, money("USD", "100000.00"), settlement=settlement
    )
    assert reimbursed.record.state == lc.PRESENTATION_STATE_REIMBURSED
    payments.payments("bank2").wait_for_commit(reimbursed.transaction_id)
    paid = payments.payments("bank2").get_payment(settlement.uetr)
    assert paid.payment.created_tx_id == reimbursed.transaction_id  # one transaction for both
    assert (paid.payment.lc_id, paid.payment.presentation_id) == (lc_id, presentation_id)
    assert (paid.payment.kind, paid.payment.status) == (pay.PAYMENT_KIND_FI_CREDIT_TRANSFER, pay.PAYMENT_STATUS_ACSP)
    assert paid.record is not None and paid.record.settlement_amount == money("USD", "100000.00")
    record = credits.client("bank1", "treasury").get_presentation(presentation_id).record
    assert record is not None and record.reimbursements[0].settlement_uetr == settlement.uetr
    view = payments.payments("bank1").get_channel(channel_id)
    assert view.balance_of("ASTBHKHH").balance == 900000_00 and view.balance_of("EUCBDEFF").balance == 100000_00
    assert_conserved(view)
