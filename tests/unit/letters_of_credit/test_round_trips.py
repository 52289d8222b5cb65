"""Each state read is a round trip between the chaincode and the peer: the contract reads the records a
transition needs in as few of them as it can (GET_STATE_MULTIPLE for keys known together)."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest

from tests.unit.letters_of_credit.support import ADVISER, documents, usd
from tests.unit.letters_of_credit.test_contract import Chaincode, FakeStub, open_credit, people

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


def test_a_presentation_and_its_examination_read_in_few_round_trips(
    people: dict[str, ClientIdentity], round_trips: Counter[str]
) -> None:
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

    # apply: credit + calendar; issue: stub, private records, calendar; present: credit and presentation
    # stubs, private records, calendars; examine: presentation stub, credit stub, private records, calendars.
    assert (round_trips["lc:Apply"], round_trips["lc:Issue"]) == (1, 3)
    assert (round_trips["lc:Present"], round_trips["lc:Examine"]) == (3, 4)
