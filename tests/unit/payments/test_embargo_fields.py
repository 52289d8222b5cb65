"""The payment embargo covers every country a payment names: the parties' own BICs and the countries of
their IBANs, not only the parties' stated countries and the agents' BICs."""

from __future__ import annotations

import pytest

from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.protos import common_pb2

from .support import CREDITOR, Desk, payment_request


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
