"""Each state read is a round trip between the chaincode and the peer: the contract reads the records a
transition needs in as few of them as it can (GET_STATE_MULTIPLE for keys known together)."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from tests.unit.letters_of_credit.support import ADVISER, ISSUER, documents, usd
from tests.unit.letters_of_credit.test_contract import Chaincode, FakeStub, identity, open_credit, people

__all__ = ["people"]  # the fixture of the contract tests
from tradefin.chaincode.shim import ClientIdentity
from tradefin.protos import letters_of_credit_api_pb2 as api


@pytest.fixture()
def round_trips(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Reads per transaction function, whatever their kind (single or multiple keys)."""
    counted: Counter[str] = Counter()
    for name in ("get_state", "get_private_data", "get_multiple_states", "get_multiple_private_data"):
        original = getattr(FakeStub, name)

        async def read(self: FakeStub, *args: object, _original: object = original) -> object:
            counted[self.function] += 1
            return await _original(self, *args)  # type: ignore[operator]

        monkeypatch.setattr(FakeStub, name, read)
    return counted


def test_a_credit_reads_in_few_round_trips(people: dict[str, ClientIdentity], round_trips: Counter[str]) -> None:
    chaincode = Chaincode()
    lc_id = open_credit(chaincode, people)
    presentation_id = str(uuid.uuid4())
    request = api.PresentRequest(
        presentation_id=presentation_id,
        lc_id=lc_id,
        receiving_bank_bic=ADVISER.bic,
        claimed=usd("100000"),
        documents=documents(),
    )
    assert chaincode.submit(people["beneficiary"], "Present", request).status == 200
    examined = chaincode.submit(people["examiner"], "Examine", api.ExamineRequest(presentation_id=presentation_id))
    assert examined.status == 200, examined.message
    honour = api.HonourRequest(presentation_id=presentation_id, amount=usd("100000"))
    honoured = chaincode.submit(identity(ADVISER, "approver"), "Honour", honour)
    assert honoured.status == 200, honoured.message
    reimburse = api.ReimburseRequest(presentation_id=presentation_id, amount=usd("100000"))
    reimbursed = chaincode.submit(identity(ISSUER, "treasury"), "Reimburse", reimburse)
    assert reimbursed.status == 200, reimbursed.message

    # The calendars and the compliance configuration are read with the credit's stub (their keys
    # follow from the credit id, the caller's BIC and the presentation's receiving bank):
    # apply: credit + calendar; issue: stub (+ calendar, configuration), private records;
    # advise: stub (+ calendar, configuration); present: credit and presentation stubs (+ calendars,
    # configuration), private records; examine, honour, reimburse: presentation stub, credit stub
    # (+ calendars, and the configuration for honour), private records.
    assert [round_trips[f"lc:{name}"] for name in ("Apply", "Issue", "Advise")] == [1, 2, 1]
    assert [round_trips[f"lc:{name}"] for name in ("Present", "Examine", "Honour", "Reimburse")] == [2, 3, 3, 3]
