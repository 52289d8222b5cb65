"""The typed letters-of-credit client over the real gateway code, with only the gRPC transport faked:
what reaches the chaincode (transaction, transient request, endorsing banks), typed answers and errors,
for the blocking and the asyncio front end alike."""

from __future__ import annotations

import asyncio
import datetime
import inspect
import json
import uuid
from collections.abc import Callable

import grpc  # type: ignore[import-untyped]
import pytest
from fabric_protos.gateway import gateway_pb2

from tests.unit.gateway.fakes import FakePeer, FakeRpcError, committed
from tests.unit.letters_of_credit.support import ADVISER, CONFIRMER, ISSUER, documents, sample_terms, usd
from tests.unit.tradefin_client.contract_double import ContractDouble, Invocation, Refusal
from tradefin.gateway import CommitError, EndorseError, Gateway
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway.tradefin import (
    Committed,
    Compliance,
    InvalidInputError,
    InvalidStateError,
    LettersOfCredit,
    NotFoundError,
    Payments,
    Session,
    UnauthorizedError,
    aio,
    money,
    money_text,
)
from tradefin.gateway.tradefin._core import LAGGING_PEER_PAUSES, FlowsBase, endorsers_disagree
from tradefin.gateway.tradefin.compliance import ComplianceFlows
from tradefin.gateway.tradefin.letters_of_credit import LettersOfCreditFlows
from tradefin.gateway.tradefin.payments import PaymentsFlows
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

LC_ID = "TFINCNSH:LC2025-0001"
PRESENTATION_ID = str(uuid.uuid4())


def stub(state: lc.CreditState.ValueType = lc.CREDIT_STATE_ISSUED, *, confirmed: bool = False) -> lc.CreditStub:
    credit = lc.CreditStub(lc_id=LC_ID, issuing_bank=ISSUER, advising_bank=ADVISER, state=state, version=2)
    if confirmed:
        credit.confirming_bank.CopyFrom(CONFIRMER)
    return credit


def answers_credit(state: lc.CreditState.ValueType, *, confirmed: bool = False) -> api.CreditResponse:
    return api.CreditResponse(credit=stub(state, confirmed=confirmed))


def presentation(state: lc.PresentationState.ValueType) -> lc.PresentationStub:
    return lc.PresentationStub(presentation_id=PRESENTATION_ID, lc_id=LC_ID, state=state)


def answers_presentation(state: lc.PresentationState.ValueType) -> Callable[[Invocation], api.PresentationResponse]:
    return lambda call: api.PresentationResponse(presentation=presentation(state))


def request_of(invocation: Invocation, message_type: type[api.ApplyRequest]) -> api.ApplyRequest:
    return message_type.FromString(invocation.transient["request"])


def test_a_submit_sends_its_request_in_the_transient_map_only(gateway: Gateway, contract: ContractDouble) -> None:
    contract.on("lc:Apply", lambda call: answers_credit(lc.CREDIT_STATE_DRAFT_APPLICATION))
    terms = sample_terms()
    applied = LettersOfCredit(gateway, "asia-europe").apply(terms)

    assert isinstance(applied, Committed)
    assert applied.record.state == lc.CREDIT_STATE_DRAFT_APPLICATION and applied.block_number == 7
    assert len(applied.transaction_id) == 64
    [call] = contract.calls()
    assert (call.kind, call.transaction, call.args) == ("endorse", "lc:Apply", [])
    request = request_of(call, api.ApplyRequest)
    assert request.terms == terms and len(request.salt) == 32
    assert call.organizations == ["AdviserMSP", "IssuerMSP"]  # the credit's banks, not the channel's


def test_the_credit_banks_endorse_and_are_looked_up_once(gateway: Gateway, contract: ContractDouble) -> None:
    contract.on("lc:GetCredit", lambda call: answers_credit(lc.CREDIT_STATE_ISSUED, confirmed=True))
    contract.on("lc:Issue", lambda call: answers_credit(lc.CREDIT_STATE_ISSUED, confirmed=True))
    contract.on("lc:Advise", lambda call: answers_credit(lc.CREDIT_STATE_ADVISED, confirmed=True))
    credits = LettersOfCredit(gateway, "asia-europe")

    credits.issue(LC_ID)
    advised = credits.advise(LC_ID)

    lookup, issue, advise = contract.calls()
    assert (lookup.kind, lookup.transaction, lookup.organizations) == ("evaluate", "lc:GetCredit", ["Bank1MSP"])
    assert api.GetCreditRequest.FromString(lookup.args[0]).lc_id == LC_ID
    assert issue.organizations == advise.organizations == ["AdviserMSP", "ConfirmerMSP", "IssuerMSP"]
    assert api.AdviseRequest.FromString(advise.transient["request"]).lc_id == LC_ID
    assert advised.record.state == lc.CREDIT_STATE_ADVISED


def test_a_presentation_step_finds_the_credit_of_the_presentation(gateway: Gateway, contract: ContractDouble) -> None:
    contract.on("lc:GetPresentation", answers_presentation(lc.PRESENTATION_STATE_UNDER_EXAMINATION))
    contract.on("lc:GetCredit", lambda call: answers_credit(lc.CREDIT_STATE_ADVISED))
    contract.on("lc:Examine", answers_presentation(lc.PRESENTATION_STATE_COMPLYING))
    credits = LettersOfCredit(gateway, "asia-europe")

    examined = credits.examine(PRESENTATION_ID)
    credits.examine(PRESENTATION_ID)

    assert examined.record.state == lc.PRESENTATION_STATE_COMPLYING
    kinds = [(call.kind, call.transaction) for call in contract.calls()]
    assert kinds == [
        ("evaluate", "lc:GetPresentation"),
        ("evaluate", "lc:GetCredit"),
        ("endorse", "lc:Examine"),
        ("endorse", "lc:Examine"),
    ]
    assert contract.calls("endorse")[0].organizations == ["AdviserMSP", "IssuerMSP"]


def test_a_presentation_made_by_the_client_needs_no_lookup(gateway: Gateway, contract: ContractDouble) -> None:
    contract.on("lc:GetCredit", lambda call: answers_credit(lc.CREDIT_STATE_ADVISED))
    contract.on("lc:Present", answers_presentation(lc.PRESENTATION_STATE_UNDER_EXAMINATION))
    contract.on("lc:Honour", answers_presentation(lc.PRESENTATION_STATE_HONOURED))
    credits = LettersOfCredit(gateway, "asia-europe")

    presented = credits.present(
        LC_ID,
        receiving_bank_bic=ADVISER.bic,
        claimed=usd("100000.00"),
        documents=documents(),
        presentation_id=PRESENTATION_ID,
    )
    credits.honour(presented.record.presentation_id, money("USD", "100000.00"))

    present, honour = contract.calls("endorse")
    request = api.PresentRequest.FromString(present.transient["request"])
    assert (request.presentation_id, request.claimed.minor_units, len(request.documents)) == (PRESENTATION_ID, 10**7, 3)
    assert api.HonourRequest.FromString(honour.transient["request"]).amount.minor_units == 10**7
    assert [call.transaction for call in contract.calls("evaluate")] == ["lc:GetCredit"]


def test_an_unknown_credit_is_left_to_the_chaincode(gateway: Gateway, contract: ContractDouble) -> None:
    def missing(call: Invocation) -> api.CreditResponse:
        raise Refusal(f"ERR_NOT_FOUND: lc_id: no credit {LC_ID}")

    contract.on("lc:GetCredit", missing)
    contract.on("lc:Issue", missing)
    with pytest.raises(NotFoundError) as refused:
        LettersOfCredit(gateway, "asia-europe").issue(LC_ID)
    endorse = contract.calls("endorse")[0]
    assert endorse.organizations == []  # the gateway chooses; the chaincode refuses
    assert refused.value.field == "lc_id" and refused.value.transaction_id is not None
    assert len(refused.value.details) == 2


def test_early_checks_refuse_before_anything_is_sent(gateway: Gateway, contract: ContractDouble) -> None:
    credits = LettersOfCredit(gateway, "asia-europe")
    with pytest.raises(InvalidInputError) as refused:
        credits.apply(sample_terms(lc_number=""))
    assert refused.value.field == "terms.lc_number" and refused.value.transaction_id is None
    with pytest.raises(InvalidInputError, match="salt"):
        credits.apply(sample_terms(), salt=b"short")
    with pytest.raises(InvalidInputError) as bad_id:
        credits.examine("not-a-uuid")
    assert bad_id.value.field == "presentation_id"
    with pytest.raises(InvalidInputError) as no_disposal:
        credits.refuse(
            PRESENTATION_ID, [lc.Discrepancy(code=lc.DISCREPANCY_CODE_LATE_SHIPMENT)], lc.REFUSAL_DISPOSAL_UNSPECIFIED
        )
    assert no_disposal.value.field == "disposal"
    with pytest.raises(InvalidInputError, match="currency"):
        money("XYZ", "1.00")
    with pytest.raises(NotFoundError, match="has no amendment 0"):  # the class the chaincode answers with
        credits.accept_amendment(LC_ID, 0)
    assert contract.calls() == []


def test_without_early_checks_the_chaincode_decides(gateway: Gateway, contract: ContractDouble) -> None:
    def refuse(call: Invocation) -> api.CreditResponse:
        raise Refusal("ERR_INVALID_INPUT: terms.lc_number: is required")

    contract.on("lc:Apply", refuse)
    with pytest.raises(InvalidInputError) as refused:
        LettersOfCredit(gateway, "asia-europe", validate=False).apply(sample_terms(lc_number=""))
    assert refused.value.field == "terms.lc_number" and refused.value.transaction_id is not None


def test_discovery_mode_leaves_the_endorsers_to_the_gateway(gateway: Gateway, contract: ContractDouble) -> None:
    contract.on("lc:Issue", lambda call: answers_credit(lc.CREDIT_STATE_ISSUED))
    LettersOfCredit(gateway, "asia-europe", pin_endorsers=False).issue(LC_ID)
    [call] = contract.calls()
    assert (call.kind, call.organizations) == ("endorse", [])


def test_a_transaction_committed_invalid_raises_the_gateways_commit_error(
    gateway: Gateway, contract: ContractDouble, peer: FakePeer
) -> None:
    contract.on("lc:GetCredit", lambda call: answers_credit(lc.CREDIT_STATE_ADVISED))
    contract.on("lc:Present", answers_presentation(lc.PRESENTATION_STATE_UNDER_EXAMINATION))
    peer.script("/gateway.Gateway/CommitStatus", committed(11))
    with pytest.raises(CommitError) as lost:
        LettersOfCredit(gateway, "asia-europe").present(
            LC_ID, receiving_bank_bic=ADVISER.bic, claimed=usd("1.00"), documents=documents()
        )
    assert lost.value.code_name == "MVCC_READ_CONFLICT"


def test_queries_answer_records_and_no_private_record_for_outsiders(gateway: Gateway, contract: ContractDouble) -> None:
    contract.on("lc:GetPresentation", answers_presentation(lc.PRESENTATION_STATE_UNDER_EXAMINATION))
    contract.on(
        "lc:GetCreditTerms",
        lambda call: api.CreditTermsResponse(
            credit=stub(), terms=lc.CreditTermsRecord(terms=sample_terms()), position=lc.CreditPosition(drawn=5)
        ),
    )
    credits = LettersOfCredit(gateway, "asia-europe")
    details = credits.get_presentation(PRESENTATION_ID)
    assert details.record is None and details.presentation.lc_id == LC_ID
    credit = credits.get_credit_terms(LC_ID)
    assert credit.position.drawn == 5 and credit.terms.terms.lc_number == "LC2025-0001"
    assert all(call.organizations == ["Bank1MSP"] for call in contract.calls())


def test_the_asyncio_twin_has_the_same_operations(aio_gateway: gateway_aio.Gateway, contract: ContractDouble) -> None:
    contract.on("lc:GetCredit", lambda call: answers_credit(lc.CREDIT_STATE_ISSUED))

    def refuse(call: Invocation) -> api.CreditResponse:
        raise Refusal("ERR_UNAUTHORIZED: advising a credit is reserved to TFADGB2L (AdviserMSP)")

    contract.on("lc:Advise", refuse)
    contract.on("lc:Issue", lambda call: answers_credit(lc.CREDIT_STATE_ISSUED))

    async def run() -> tuple[Committed[lc.CreditStub], UnauthorizedError]:
        credits = aio.LettersOfCredit(aio_gateway, "asia-europe")
        issued = await credits.issue(LC_ID)
        with pytest.raises(UnauthorizedError) as refused:
            await credits.advise(LC_ID)
        return issued, refused.value

    issued, refused = asyncio.run(run())
    assert issued.record.state == lc.CREDIT_STATE_ISSUED and issued.block_number == 7
    assert "reserved to TFADGB2L" in refused.reason and refused.transaction_id is not None
    assert [call.transaction for call in contract.calls()] == ["lc:GetCredit", "lc:Issue", "lc:Advise"]


def _trail(*versions: tuple[str, str, bytes, bool]) -> cp.AuditTrailResponse:
    trail = cp.AuditTrailResponse()
    for tx_id, when, record, is_delete in versions:
        entry = trail.entries.add(tx_id=tx_id, record=record, is_delete=is_delete)
        entry.timestamp.FromDatetime(datetime.datetime.fromisoformat(when))
    return trail


def test_a_history_is_the_stubs_of_the_audit_trail_with_their_transactions_in_utc(
    gateway: Gateway, contract: ContractDouble
) -> None:
    newer, older = stub(lc.CREDIT_STATE_ADVISED), stub(lc.CREDIT_STATE_ISSUED)
    contract.on(
        "lc:GetAuditTrail",
        lambda call: _trail(
            ("b" * 64, "2026-11-27T09:30:00.250+08:00", newer.SerializeToString(), False),
            ("a" * 64, "2026-11-27T01:00:00+00:00", older.SerializeToString(), False),
        ),
    )
    history = LettersOfCredit(gateway, "asia-europe").credit_history(LC_ID)

    assert [(version.tx_id, version.stub) for version in history] == [("b" * 64, newer), ("a" * 64, older)]
    assert history[0].timestamp == datetime.datetime(2026, 11, 27, 1, 30, 0, 250_000, tzinfo=datetime.UTC)
    [call] = contract.calls()
    assert (call.kind, call.transaction) == ("evaluate", "lc:GetAuditTrail")
    assert cp.GetAuditTrailRequest.FromString(call.args[0]) == cp.GetAuditTrailRequest(
        object_type="credit", object_id=LC_ID
    )


@pytest.mark.parametrize(
    ("record", "is_delete", "complaint"),
    [
        (b"\xff\xff", False, "answered something that is not a tradefin.v1.PresentationStub"),
        (b"", True, "a deletion by"),
    ],
)
def test_a_history_entry_that_is_no_stub_is_not_taken_for_one(
    gateway: Gateway, contract: ContractDouble, record: bytes, is_delete: bool, complaint: str
) -> None:
    contract.on("lc:GetAuditTrail", lambda call: _trail(("c" * 64, "2026-11-27T01:00:00+00:00", record, is_delete)))
    with pytest.raises(ValueError, match=complaint):
        LettersOfCredit(gateway, "asia-europe").presentation_history(PRESENTATION_ID)


@pytest.mark.parametrize(
    ("flows", "blocking_client", "async_client", "some"),
    [
        (LettersOfCreditFlows, LettersOfCredit, aio.LettersOfCredit, {"apply", "honour", "credit_history"}),
        (PaymentsFlows, Payments, aio.Payments, {"pay", "return_payment", "recall", "accept_recall"}),
        (ComplianceFlows, Compliance, aio.Compliance, {"vouch", "audit_trail"}),
    ],
)
def test_both_twins_have_every_operation_with_its_signature_and_documentation(
    flows: type[FlowsBase], blocking_client: type, async_client: type, some: set[str]
) -> None:
    blocking_names = {name for name, _ in inspect.getmembers(blocking_client, inspect.isfunction)}
    operations = [name for name, _ in inspect.getmembers(flows, inspect.isfunction)]
    operations = [name for name in operations if not name.startswith("_") and name not in dir(FlowsBase)]
    assert some <= set(operations)
    for name in operations:
        blocking, asynchronous = getattr(blocking_client, name), getattr(async_client, name)
        assert name in blocking_names and inspect.iscoroutinefunction(asynchronous), name
        assert blocking.__doc__ == asynchronous.__doc__ and blocking.__doc__, name
        assert inspect.signature(blocking) == inspect.signature(asynchronous), name
    assert money_text(money("JPY", "1500")) == "JPY 1500"


def test_a_peer_behind_the_others_is_given_time_a_unanimous_refusal_is_not(
    gateway: Gateway, contract: ContractDouble
) -> None:
    contract.on("lc:GetCredit", lambda call: answers_credit(lc.CREDIT_STATE_ISSUED))
    attempts: list[int] = []

    def advise(call: Invocation) -> api.CreditResponse:
        attempts.append(1)
        if len(attempts) < 3:  # AdviserMSP's peer has not committed the issue yet; IssuerMSP's has
            raise Refusal("ERR_INVALID_STATE: credit is DRAFT_APPLICATION", only=("AdviserMSP",))
        return answers_credit(lc.CREDIT_STATE_ADVISED)

    contract.peers = (("peer0.issuer:7051", "IssuerMSP"), ("peer0.adviser:9051", "AdviserMSP"))
    contract.on("lc:Advise", advise)
    credits = LettersOfCredit(gateway, "asia-europe")
    assert credits.advise(LC_ID).record.state == lc.CREDIT_STATE_ADVISED
    assert len(attempts) == 3

    def refuse(call: Invocation) -> api.CreditResponse:
        raise Refusal("ERR_INVALID_STATE: credit is ADVISED")

    contract.on("lc:Expire", refuse)
    with pytest.raises(InvalidStateError):
        credits.expire(LC_ID)
    assert [call.transaction for call in contract.calls("endorse")].count("lc:Expire") == 1


def test_a_gateway_that_lost_a_pinned_organisations_peer_is_asked_again(
    gateway: Gateway, contract: ContractDouble
) -> None:
    # Fabric's gateway drops a peer from its registry when a call to it fails and finds it again on a
    # later request: meanwhile it answers UNAVAILABLE without asking any peer
    contract.on("lc:GetCredit", lambda call: answers_credit(lc.CREDIT_STATE_ISSUED))
    attempts: list[int] = []
    lost = "failed to find any endorsing peers for org(s): AdviserMSP"

    def advise(call: Invocation) -> api.CreditResponse:
        attempts.append(1)
        if len(attempts) < 3:
            raise FakeRpcError(grpc.StatusCode.UNAVAILABLE, lost, [])
        return answers_credit(lc.CREDIT_STATE_ADVISED)

    contract.on("lc:Advise", advise)
    credits = LettersOfCredit(gateway, "asia-europe")
    assert credits.advise(LC_ID).record.state == lc.CREDIT_STATE_ADVISED
    assert len(attempts) == 3

    def never(call: Invocation) -> api.CreditResponse:
        raise FakeRpcError(grpc.StatusCode.UNAVAILABLE, lost, [])

    contract.on("lc:Expire", never)
    with pytest.raises(EndorseError, match="failed to find any endorsing peers"):
        credits.expire(LC_ID)  # not for ever: after the pauses, the gateway's answer
    assert [call.transaction for call in contract.calls("endorse")].count("lc:Expire") == 1 + len(
        LAGGING_PEER_PAUSES
    )


def test_clients_sharing_a_session_read_each_others_writes(
    gateway: Gateway, contract: ContractDouble, peer: FakePeer
) -> None:
    contract.on("lc:GetCredit", lambda call: answers_credit(lc.CREDIT_STATE_ISSUED))
    contract.on("lc:Advise", lambda call: answers_credit(lc.CREDIT_STATE_ADVISED))
    session = Session()
    session.committed("f" * 64, "OtherBankMSP", "asia-europe")  # another bank's client just committed
    session.committed("e" * 64, "OtherBankMSP", "europe-americas")  # and one on another channel
    credits = LettersOfCredit(gateway, "asia-europe", session=session)

    credits.get_credit(LC_ID)  # waits for that transaction on this bank's peer first, once
    advised = credits.advise(LC_ID)

    [waited] = [gateway_pb2.CommitStatusRequest.FromString(
        gateway_pb2.SignedCommitStatusRequest.FromString(request).request
    ) for request in peer.requests("/gateway.Gateway/CommitStatus")][:1]
    assert waited.transaction_id == "f" * 64
    statuses = len(peer.requests("/gateway.Gateway/CommitStatus"))
    assert statuses == 2  # the wait (for this channel's transaction only), then the advice's own commit status
    assert session.pending("Bank1MSP", "asia-europe") is None
    assert session.pending("OtherBankMSP", "asia-europe") == advised.transaction_id
    assert session.pending("Bank1MSP", "europe-americas") == "e" * 64  # still owed on its own channel


def test_a_session_asks_a_bank_to_catch_up_only_when_another_bank_wrote_last() -> None:
    session = Session()
    assert session.pending("Bank1MSP") is None
    session.committed("tx1", "Bank1MSP")
    assert session.pending("Bank1MSP") is None and session.pending("Bank2MSP") == "tx1"
    session.seen("tx1", "Bank2MSP")
    assert session.pending("Bank2MSP") is None
    session.committed("tx2", "Bank2MSP")
    session.seen("tx1", "Bank1MSP")  # a late answer about an older transaction changes nothing
    assert session.pending("Bank1MSP") == "tx2"


def test_a_session_carries_over_to_the_next_process_through_its_snapshot() -> None:
    session = Session()
    session.committed("tx1", "Bank1MSP", "asia-europe")
    session.seen("tx1", "Bank3MSP", "asia-europe")
    session.committed("tx9", "Bank3MSP", "asia-americas")
    snapshot = json.loads(json.dumps(session.snapshot()))  # as a file holds it
    assert snapshot["asia-europe"] == {"transaction_id": "tx1", "msp_ids": ["Bank1MSP", "Bank3MSP"]}

    later = Session()
    later.committed("tx5", "Bank2MSP", "asia-americas")  # what this process saw itself stands
    later.restore(snapshot)
    assert later.pending("Bank2MSP", "asia-europe") == "tx1"
    assert later.pending("Bank3MSP", "asia-europe") is None
    assert later.pending("Bank1MSP", "asia-americas") == "tx5"
    odd = Session()
    odd.restore({"ch": {"transaction_id": 7, "msp_ids": []}, "ch2": "x", "ch3": {"transaction_id": "t"}})
    assert odd.snapshot() == {}  # what is not a snapshot's is ignored


def test_clients_sharing_a_session_look_a_credits_banks_up_once(gateway: Gateway, contract: ContractDouble) -> None:
    contract.on("lc:Apply", lambda call: answers_credit(lc.CREDIT_STATE_DRAFT_APPLICATION))
    contract.on("lc:Issue", lambda call: answers_credit(lc.CREDIT_STATE_ISSUED))
    contract.on("lc:Present", answers_presentation(lc.PRESENTATION_STATE_UNDER_EXAMINATION))
    contract.on("lc:Examine", answers_presentation(lc.PRESENTATION_STATE_COMPLYING))
    session = Session()
    applicant, issuer, beneficiary, examiner = (
        LettersOfCredit(gateway, "asia-europe", session=session) for _ in range(4)
    )
    applicant.apply(sample_terms())
    issuer.issue(LC_ID)
    beneficiary.present(LC_ID, receiving_bank_bic=ADVISER.bic, claimed=usd("1.00"), documents=documents())
    examiner.examine(PRESENTATION_ID)
    assert contract.calls("evaluate") == []
    assert {tuple(call.organizations) for call in contract.calls("endorse")} == {("AdviserMSP", "IssuerMSP")}


def test_which_endorsement_failures_mean_a_peer_behind_the_others() -> None:
    both = ("Bank1MSP", "Bank2MSP")
    assert endorsers_disagree([("Bank2MSP", "ERR_NOT_FOUND: no credit")], both, "Bank1MSP")
    assert not endorsers_disagree([("Bank1MSP", "ERR_X: no"), ("Bank2MSP", "ERR_X: no")], both, "Bank1MSP")
    assert endorsers_disagree([("Bank1MSP", "ProposalResponsePayloads do not match")], both, "Bank1MSP")
    # discovery: the gateway endorsed on its own organisation first, and that one succeeded
    assert endorsers_disagree([("Bank2MSP", "ERR_NOT_FOUND: no credit")], None, "Bank1MSP")
    assert not endorsers_disagree([("Bank1MSP", "ERR_NOT_FOUND: no credit")], None, "Bank1MSP")
    assert not endorsers_disagree([], both, "Bank1MSP")


def test_settlements_in_flight_at_once_draw_on_spread_capacity_slots() -> None:
    """Each settlement's first capacity slot follows from its UETR (the chaincode takes it modulo the
    channel's slots), so concurrent honours on one payment channel seldom write the same keys."""
    import uuid

    from tradefin.gateway.tradefin.payments import credit_settlement
    from tradefin.protos import common_pb2

    account = common_pb2.AccountRef(other="HK-0042-1")
    hints = [credit_settlement(account).slot_hint for _ in range(64)]
    assert len({hint % 32 for hint in hints}) > 16  # all 64 on one slot before
    uetr = str(uuid.uuid4())
    assert credit_settlement(account, uetr=uetr).slot_hint == credit_settlement(account, uetr=uetr).slot_hint
