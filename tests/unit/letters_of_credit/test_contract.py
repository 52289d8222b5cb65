"""The ``lc`` contract over a faked stub state layer, routed like the shim routes real transactions."""

from __future__ import annotations

import asyncio
import datetime
import json
import uuid
from typing import Any, cast

import pytest
from google.protobuf.message import Message

from tradefin.chaincode.contract import ContractRouter
from tradefin.chaincode.contracts.letters_of_credit.contract import REQUEST_FIELD, LettersOfCreditContract
from tradefin.chaincode.contracts.letters_of_credit.records import credit_key
from tradefin.chaincode.shim import (
    ChaincodeResponse,
    ChaincodeStub,
    ClientIdentity,
    KeyEndorsementPolicy,
)
from tradefin.chaincode.shim.keys import create_composite_key
from tradefin.protos import common_pb2
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from ..chaincode.certificates import bank_identity
from ..chaincode.stub_results import KeyHistories, StubResults
from .support import ADVISER, ISSUER, OUTSIDER, calendars, documents, sample_terms, usd

NOW = datetime.datetime(2025, 12, 3, 9, 0, tzinfo=datetime.UTC)


def identity(bank: common_pb2.BankRef, role: str) -> ClientIdentity:
    """A certificate of ``bank`` with Fabric CA attributes role and bic, as the peer would pass it."""
    return bank_identity(bank.msp_id, bank.bic, role, who=role)


class World:
    """Committed world state and private data shared by the fake stubs."""

    def __init__(self) -> None:
        self.public: dict[str, bytes] = {}
        self.private: dict[tuple[str, str], bytes] = {}
        self.policies: dict[tuple[str, str], bytes] = {}
        self.history = KeyHistories()


class FakeStub:
    """What the contract uses of ChaincodeStub; writes reach the world only if the response is OK."""

    def __init__(
        self, world: World, who: ClientIdentity, function: str, args: list[bytes], transient: dict[str, bytes]
    ) -> None:
        self.world = world
        self.client_identity = who
        self.args = [function.encode(), *args]
        self.transient = transient
        self.channel_id = "asia-europe"
        self.tx_id = uuid.uuid4().hex
        self.tx_timestamp = NOW
        self.event: tuple[str, bytes] | None = None
        self.writes: dict[tuple[str, str], bytes] = {}
        self.metadata: dict[tuple[str, str], bytes] = {}

    @property
    def function(self) -> str:
        return self.args[0].decode()

    @property
    def parameters(self) -> list[bytes]:
        return self.args[1:]

    @staticmethod
    def create_composite_key(object_type: str, attributes: Any) -> str:
        return create_composite_key(object_type, attributes)

    async def get_state(self, key: str) -> bytes | None:
        return self.world.public.get(key)

    async def get_multiple_states(self, keys: list[str]) -> list[bytes | None]:
        return [self.world.public.get(key) for key in keys]

    async def put_state(self, key: str, value: bytes) -> None:
        self.writes[("", key)] = value

    async def get_private_data(self, collection: str, key: str) -> bytes | None:
        return self.world.private.get((collection, key))

    async def get_multiple_private_data(self, collection: str, keys: list[str]) -> list[bytes | None]:
        return [self.world.private.get((collection, key)) for key in keys]

    async def put_private_data(self, collection: str, key: str, value: bytes) -> None:
        self.writes[(collection, key)] = value

    async def set_state_validation_parameter(self, key: str, policy: bytes) -> None:
        self.metadata[("", key)] = policy

    async def set_private_data_validation_parameter(self, collection: str, key: str, policy: bytes) -> None:
        self.metadata[(collection, key)] = policy

    def set_event(self, name: str, payload: bytes = b"") -> None:
        self.event = (name, payload)

    def get_history_for_key(self, key: str) -> StubResults:
        return self.world.history.results(key)

    def commit(self) -> None:
        for (collection, key), value in self.writes.items():
            if collection:
                self.world.private[(collection, key)] = value
            else:
                self.world.public[key] = value
                self.world.history.record(key, self.tx_id, value, self.tx_timestamp)
        self.world.policies.update(self.metadata)


class Chaincode:
    """Routes transactions to the lc contract like the shim does."""

    def __init__(self, *, max_skew: datetime.timedelta = datetime.timedelta(days=36500)) -> None:
        self.router = ContractRouter([LettersOfCreditContract(max_timestamp_skew=max_skew)])
        self.world = World()
        self.last: FakeStub | None = None

    def submit(
        self, who: ClientIdentity, function: str, request: Message, *, at: datetime.datetime = NOW
    ) -> ChaincodeResponse:
        stub = FakeStub(self.world, who, f"lc:{function}", [], {REQUEST_FIELD: request.SerializeToString()})
        stub.tx_timestamp = at
        return self._run(stub)

    def evaluate(self, who: ClientIdentity, function: str, request: Message) -> ChaincodeResponse:
        return self._run(FakeStub(self.world, who, f"lc:{function}", [request.SerializeToString()], {}))

    def _run(self, stub: FakeStub) -> ChaincodeResponse:
        response = asyncio.run(self.router.invoke(cast(ChaincodeStub, stub)))
        if response.status == 200:
            stub.commit()
        self.last = stub
        return response


@pytest.fixture(scope="module")
def people() -> dict[str, ClientIdentity]:
    return {
        "compliance": identity(ISSUER, "compliance"),
        "applicant": identity(ISSUER, "client-applicant"),
        "issuer": identity(ISSUER, "issuer"),
        "advisor": identity(ADVISER, "advisor"),
        "beneficiary": identity(ADVISER, "client-beneficiary"),
        "examiner": identity(ADVISER, "examiner"),
        "outsider": identity(OUTSIDER, "issuer"),
    }


def open_credit(chaincode: Chaincode, people: dict[str, ClientIdentity]) -> str:
    for calendar in calendars():
        assert (
            chaincode.submit(
                people["compliance"], "PublishCalendar", api.PublishCalendarRequest(calendar=calendar)
            ).status
            == 200
        )
    at = datetime.datetime(2025, 11, 3, 9, 0, tzinfo=datetime.UTC)
    applied = chaincode.submit(
        people["applicant"], "Apply", api.ApplyRequest(terms=sample_terms(), salt=bytes(32)), at=at
    )
    lc_id = api.CreditResponse.FromString(applied.payload).credit.lc_id
    assert chaincode.submit(people["issuer"], "Issue", api.IssueRequest(lc_id=lc_id), at=at).status == 200
    assert chaincode.submit(people["advisor"], "Advise", api.AdviseRequest(lc_id=lc_id), at=at).status == 200
    return lc_id


def test_a_credit_through_the_contract(people: dict[str, ClientIdentity]) -> None:
    chaincode = Chaincode()
    lc_id = open_credit(chaincode, people)
    stub_key = create_composite_key("tradefin.lc", ["TFINCNSH", "LC2025-0001"])
    assert KeyEndorsementPolicy.from_bytes(chaincode.world.policies[("", stub_key)]).msp_ids == [
        "AdviserMSP",
        "IssuerMSP",
    ]
    assert ("lc-AdviserMSP-IssuerMSP", create_composite_key("tradefin.lc.terms", ["TFINCNSH", "LC2025-0001"])) in (
        chaincode.world.private
    )
    pid = str(uuid.uuid4())
    present = api.PresentRequest(
        presentation_id=pid, lc_id=lc_id, receiving_bank_bic=ADVISER.bic, claimed=usd("100000"), documents=documents()
    )
    presented = chaincode.submit(people["beneficiary"], "Present", present)
    assert presented.status == 200, presented.message
    answer = api.PresentationResponse.FromString(presented.payload)
    assert answer.presentation.state == lc.PRESENTATION_STATE_UNDER_EXAMINATION
    assert not answer.HasField("record")  # the answer is in the block: public part only
    assert chaincode.last is not None and chaincode.last.event is not None
    assert chaincode.last.event[0] == "lc.presented"
    examined = chaincode.submit(people["examiner"], "Examine", api.ExamineRequest(presentation_id=pid))
    assert api.PresentationResponse.FromString(examined.payload).presentation.state == lc.PRESENTATION_STATE_COMPLYING
    honoured = chaincode.submit(
        identity(ADVISER, "approver"), "Honour", api.HonourRequest(presentation_id=pid, amount=usd("100000"))
    )
    assert api.PresentationResponse.FromString(honoured.payload).presentation.state == lc.PRESENTATION_STATE_HONOURED
    private = chaincode.evaluate(people["issuer"], "GetPresentation", api.GetPresentationRequest(presentation_id=pid))
    assert api.PresentationResponse.FromString(private.payload).record.honour.amount == usd("100000")
    public = chaincode.evaluate(people["outsider"], "GetPresentation", api.GetPresentationRequest(presentation_id=pid))
    assert not api.PresentationResponse.FromString(public.payload).HasField("record")
    assert str(credit_key(lc_id)) == "tradefin.lc/TFINCNSH/LC2025-0001"


def test_rule_errors_become_catalogue_responses_and_write_nothing(people: dict[str, ClientIdentity]) -> None:
    chaincode = Chaincode()
    lc_id = open_credit(chaincode, people)
    before = dict(chaincode.world.public)
    refused = chaincode.submit(people["outsider"], "Close", api.CloseRequest(lc_id=lc_id))
    assert (refused.status, refused.message.split(":")[0]) == (500, "ERR_UNAUTHORIZED")
    invalid = chaincode.submit(people["applicant"], "Apply", api.ApplyRequest(terms=sample_terms(lc_number="A//B")))
    assert invalid.message.startswith("ERR_INVALID_INPUT: terms.lc_number: ")
    assert chaincode.world.public == before


def test_submit_requests_travel_in_the_transient_map(people: dict[str, ClientIdentity]) -> None:
    chaincode = Chaincode()
    stub = FakeStub(chaincode.world, people["issuer"], "lc:Issue", [], {})
    response = asyncio.run(chaincode.router.invoke(cast(ChaincodeStub, stub)))
    assert response.message == "ERR_INVALID_INPUT: transient field 'request' is required"
    stub = FakeStub(chaincode.world, people["issuer"], "lc:Issue", [], {REQUEST_FIELD: b"\xff\xff"})
    response = asyncio.run(chaincode.router.invoke(cast(ChaincodeStub, stub)))
    assert response.message.startswith("ERR_INVALID_INPUT: transient field 'request' is not a tradefin.v1.IssueRequest")
    stub = FakeStub(chaincode.world, people["issuer"], "lc:Issue", [b"lc-id-as-argument"], {})
    assert asyncio.run(chaincode.router.invoke(cast(ChaincodeStub, stub))).message.startswith(
        "ERR_INVALID_INPUT: Issue takes 0"
    )


def test_endorsers_refuse_a_skewed_proposal_timestamp(people: dict[str, ClientIdentity]) -> None:
    chaincode = Chaincode(max_skew=datetime.timedelta(minutes=5))
    now = datetime.datetime.now(datetime.UTC)
    request = api.PublishCalendarRequest(calendar=calendars()[1])
    skewed = chaincode.submit(people["compliance"], "PublishCalendar", request, at=now - datetime.timedelta(minutes=10))
    assert skewed.message.startswith("ERR_TIMESTAMP_SKEW: ")
    assert chaincode.submit(people["compliance"], "PublishCalendar", request, at=now).status == 200
    stale_query = FakeStub(
        chaincode.world,
        people["outsider"],
        "lc:GetCalendar",
        [api.GetCalendarRequest(place="GB").SerializeToString()],
        {},
    )
    stale_query.tx_timestamp = now - datetime.timedelta(days=1)
    assert asyncio.run(chaincode.router.invoke(cast(ChaincodeStub, stale_query))).status == 200  # queries write nothing


def test_metadata_lists_every_operation() -> None:
    router = ContractRouter([LettersOfCreditContract()])
    metadata = json.loads(router.metadata_json)["contracts"]["lc"]
    tags = {item["name"]: item["tag"][0] for item in metadata["transactions"]}
    assert tags["Present"] == "submit" and tags["GetCreditTerms"] == "evaluate"
    requests = {
        name.removesuffix("Request") for name in api.DESCRIPTOR.message_types_by_name if name.endswith("Request")
    }
    # every operation has its request in the lc API, but the audit trail, which takes the request the
    # payments and compliance contracts take
    assert requests | {"GetAuditTrail"} == set(tags)
    assert tags["GetAuditTrail"] == "evaluate"
