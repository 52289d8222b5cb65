"""Compliance input the checks must not miss: the payment embargo covers every country a payment names
(the parties' own BICs and their IBANs' countries, not only the stated countries and the agents' BICs),
and a screening time outside the timestamp range is refused as invalid input."""

from __future__ import annotations

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.protos import common_pb2
from tradefin.protos import compliance_pb2 as cp

from .support import BANK_A, CREDITOR, Desk, caller, payment_request


@pytest.mark.parametrize(
    ("creditor_bic", "creditor_account", "field"),
    [
        ("BMJIIRTH", common_pb2.AccountRef(other="ACC-1"), "creditor.bic"),
        ("", common_pb2.AccountRef(iban="IR730170000000110000000001"), "creditor_account.iban"),
    ],
)
def test_a_payment_to_an_embargoed_countrys_bic_or_account_is_refused(
    creditor_bic: str, creditor_account: common_pb2.AccountRef, field: str
) -> None:
    desk = Desk()
    channel_id = desk.ready(deposit_a="100000.00")
    creditor = common_pb2.PartyRef()
    creditor.CopyFrom(CREDITOR)
    creditor.bic = creditor_bic
    state = dict(desk.ledger.state)
    with pytest.raises(RuleError, match="IR is under embargo") as refused:
        desk.initiate(payment_request(channel_id, creditor=creditor, creditor_account=creditor_account))
    assert (refused.value.code_name, refused.value.field) == ("ERR_SANCTIONS", field)
    assert desk.ledger.state == state


@pytest.mark.parametrize(
    "screened_at",
    [Timestamp(seconds=10**13), Timestamp(seconds=0, nanos=-5), Timestamp(seconds=-(10**13))],
)
def test_a_screening_time_outside_the_timestamp_range_is_invalid_input(screened_at: Timestamp) -> None:
    desk = Desk()
    request = cp.RecordScreeningRequest(
        result=cp.ScreeningResult(
            subject_ref="KYC-1", list_id="UN", list_version="v1", outcome=cp.SCREENING_OUTCOME_CLEAR,
            screened_at=screened_at,
        )
    )
    with pytest.raises(RuleError) as refused:  # not ERR_INTERNAL
        desk.comply(caller(BANK_A, "compliance"), lambda service, tx: service.record_screening(tx, request))
    assert (refused.value.code_name, refused.value.field) == ("ERR_INVALID_INPUT", "result.screened_at")
