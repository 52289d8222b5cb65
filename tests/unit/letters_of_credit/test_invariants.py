"""INV-LC-01..15 (DOMAIN.md section 1.10), one test (or more) per invariant."""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.ledger import CreditLedger
from tradefin.chaincode.contracts.letters_of_credit.presentations import PresentationFile, is_reimbursable, is_settled
from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey, credit_key
from tradefin.chaincode.contracts.letters_of_credit.service import LettersOfCreditService
from tradefin.protos import letters_of_credit_api_pb2 as api
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, CONFIRMER, ISSUER, OUTSIDER, Desk, caller, documents, sample_terms, usd

LATE = lc.Discrepancy(code=lc.DISCREPANCY_CODE_LATE_SHIPMENT, text="LATE")


def late_documents() -> list[lc.Document]:
    return documents(shipped="2025-12-11", issued="2025-12-11")


def test_inv_lc_01_only_the_issuer_role_of_the_issuing_bank_issues_and_amends() -> None:
    desk = Desk()
    lc_id = desk.apply()
    for who in (caller(ADVISER, "issuer"), caller(ISSUER, "approver"), caller(OUTSIDER, "issuer")):
        with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED"):
            desk.call(who, desk.service.issue, api.IssueRequest(lc_id=lc_id))
    desk.call(caller(ISSUER, "issuer"), desk.service.issue, api.IssueRequest(lc_id=lc_id))
    amendment = api.ProposeAmendmentRequest(lc_id=lc_id, seq=1, changes=lc.AmendmentChanges(increase=usd("1")))
    for who in (caller(ADVISER, "issuer"), caller(ISSUER, "examiner")):
        with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED"):
            desk.call(who, desk.service.propose_amendment, amendment)


def test_inv_lc_02_irrevocable_terms_change_only_by_accepted_amendment() -> None:
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: terms.form: revocable"):
        Desk().apply(sample_terms(form=lc.CREDIT_FORM_REVOCABLE))
    desk = Desk()
    lc_id = desk.open_credit()
    issued = desk.terms(lc_id)
    desk.call(
        caller(ISSUER, "issuer"),
        desk.service.propose_amendment,
        api.ProposeAmendmentRequest(lc_id=lc_id, seq=1, changes=lc.AmendmentChanges(increase=usd("5000"))),
    )
    desk.call(caller(ADVISER, "advisor"), desk.service.advise_amendment, api.AdviseAmendmentRequest(lc_id=lc_id, seq=1))
    pid = desk.at("2025-12-03").present(lc_id)
    desk.examine(pid)
    desk.honour(pid)
    assert desk.terms(lc_id) == issued  # proposals, presentations and honour leave the terms alone
    desk.call(caller(ADVISER, "advisor"), desk.service.accept_amendment, api.AcceptAmendmentRequest(lc_id=lc_id, seq=1))
    assert desk.terms(lc_id).terms.amount.minor_units == 10_500_000
    operations = {name for name in dir(LettersOfCreditService) if not name.startswith("_")}
    assert not {name for name in operations if set(name.split("_")) & {"update", "edit", "delete", "revoke"}}


def test_inv_lc_03_credit_number_unique_per_issuing_bank_and_immutable() -> None:
    desk = Desk()
    desk.apply()
    with pytest.raises(LcRuleError, match=r"^ERR_DUPLICATE: terms.lc_number"):
        desk.apply(sample_terms(amount=usd("1.00")))
    other_issuer = sample_terms(issuing_bank=CONFIRMER)
    response = desk.call(
        caller(CONFIRMER, "client-applicant"),
        desk.service.apply,
        api.ApplyRequest(terms=other_issuer, salt=bytes(32)),
    )
    assert response.credit.lc_id == "TFCODEFF:LC2025-0001"
    assert "lc_number" not in lc.AmendmentChanges.DESCRIPTOR.fields_by_name


ACTIONS = (
    "present",
    "examine",
    "honour",
    "refuse",
    "return",
    "reimburse",
    "precluded_honour",
    "examine_forwarded",
    "issuer_silent",
    "forwarded_waiver",
    "forwarded_return",
)
FORWARDED_DISPOSALS = (lc.REFUSAL_DISPOSAL_HOLD, lc.REFUSAL_DISPOSAL_NOTIFY, lc.REFUSAL_DISPOSAL_RETURN)


def _check_position(desk: Desk, lc_id: str, presentations: list[str]) -> None:
    position = desk.position(lc_id)
    records = [desk.presentation(pid) for pid in presentations]
    assert 0 <= position.drawn + position.reserved <= position.max_amount  # INV-LC-04
    assert position.reserved == sum(record.reserved for _, record in records)
    assert position.drawn == sum(record.honour.amount.minor_units for _, record in records)
    assert 0 <= position.reimbursed <= position.reimbursable <= position.drawn  # INV-LC-11
    # what the issuing bank owes is exactly what it owes on each presentation, however its examination of
    # the forwarded documents or its preclusion came about; the credit counts what is not settled
    owed = [record.honour.amount.minor_units for _, record in records if is_reimbursable(record, ISSUER.msp_id)]
    assert position.reimbursable == sum(owed)
    unsettled = [stub for stub, record in records if not is_settled(PresentationFile(stub, record), ISSUER.msp_id)]
    assert desk.stub(lc_id).open_presentations == len(unsettled)
    for _, record in records:
        assert record.honour.amount.minor_units <= record.claimed.minor_units
        assert sum(item.amount.minor_units for item in record.reimbursements) <= record.honour.amount.minor_units


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.integers(min_value=1, max_value=11_000_000),  # a presentation's claim, in cents
            # which presentation the step acts on: few, so that steps follow each other on one
            st.integers(min_value=0, max_value=2),
            st.integers(min_value=1, max_value=110),  # honour / reimburse: % of what was claimed / honoured
        ),
        min_size=6,
        max_size=20,
    )
)
def test_inv_lc_04_and_11_balances_hold_under_any_sequence(steps: list[tuple[str, int, int, int]]) -> None:
    # Honour and reimbursement amounts are shares of what the presentation claimed / was honoured, so that
    # sequences reach honoured and reimbursed presentations (up to 110 %: over the line is refused).
    desk = Desk()
    lc_id = desk.open_credit()
    desk.at("2025-12-03")
    presentations: list[str] = []
    for step, claim, pick, share in steps:
        action = step if presentations else "present"  # every other step acts on a presentation
        target = presentations[pick % len(presentations)] if presentations else ""
        amount = claim
        if target and action in ("honour", "precluded_honour", "reimburse"):
            record = desk.presentation(target)[1]
            base = record.claimed.minor_units if action != "reimburse" else record.honour.amount.minor_units
            amount = max(1, base * share // 100)
        money = usd(f"{amount // 100}.{amount % 100:02d}")
        try:
            if action == "present":
                docs = documents(invoiced="200000.00") if amount % 3 else late_documents()
                presentations.append(desk.present(lc_id, f"{amount // 100}.{amount % 100:02d}", docs))
            elif action == "examine" and target:
                desk.examine(target)
            elif action in ("honour", "precluded_honour") and target:
                if action == "precluded_honour":
                    desk.at("2025-12-22")
                desk.call(
                    caller(ADVISER, "approver"),
                    desk.service.honour,
                    api.HonourRequest(presentation_id=target, amount=money),
                )
            elif action == "refuse" and target:
                desk.call(
                    caller(ADVISER, "examiner"),
                    desk.service.refuse,
                    api.RefuseRequest(presentation_id=target, discrepancies=[LATE], disposal=lc.REFUSAL_DISPOSAL_HOLD),
                )
            elif action == "return" and target:
                desk.call(
                    caller(ADVISER, "examiner"),
                    desk.service.return_documents,
                    api.ReturnDocumentsRequest(presentation_id=target),
                )
            elif action == "examine_forwarded" and target:
                found = [LATE] if share % 2 else []
                disposal = FORWARDED_DISPOSALS[share % 3] if found else lc.REFUSAL_DISPOSAL_UNSPECIFIED
                request = api.ExamineForwardedRequest(presentation_id=target, discrepancies=found, disposal=disposal)
                desk.call(caller(ISSUER, "examiner"), desk.service.examine_forwarded, request)
            elif action == "forwarded_waiver" and target:  # each step may fail: the sequence goes on
                waiver_steps: tuple[tuple[str, Any, Any], ...] = (
                    ("examiner", desk.service.request_waiver, api.RequestWaiverRequest),
                    ("client-applicant", desk.service.grant_waiver, api.GrantWaiverRequest),
                    ("approver", desk.service.accept_waiver, api.AcceptWaiverRequest),
                )
                for role, method, request_type in waiver_steps:
                    with contextlib.suppress(LcRuleError):
                        desk.call(caller(ISSUER, role), method, request_type(presentation_id=target))
            elif action == "forwarded_return" and target:
                desk.call(
                    caller(ADVISER, "examiner"),
                    desk.service.return_documents,
                    api.ReturnDocumentsRequest(presentation_id=target),
                )
            elif action == "issuer_silent" and target:
                desk.at("2026-01-20")
                desk.call(
                    caller(ADVISER, "examiner"), desk.service.preclude, api.PrecludeRequest(presentation_id=target)
                )
            elif action == "reimburse" and target:
                desk.call(
                    caller(ISSUER, "treasury"),
                    desk.service.reimburse,
                    api.ReimburseRequest(presentation_id=target, amount=money),
                )
        except LcRuleError:
            pass
        _check_position(desk, lc_id, presentations)


def test_inv_lc_05_no_presentation_after_expiry_but_timely_ones_carry_on() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-31").present(lc_id, docs=documents(shipped="2025-12-10", issued="2025-12-10"))
    desk.at("2026-01-02").call(caller(ADVISER, "advisor"), desk.service.expire, api.ExpireRequest(lc_id=lc_id))
    with pytest.raises(LcRuleError, match=r"^ERR_EXPIRED"):
        desk.present(lc_id, "1.00")
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING  # examined after expiry
    assert desk.honour(pid).state == lc.PRESENTATION_STATE_HONOURED


def test_inv_lc_06_refusal_by_the_examining_bank_once_with_discrepancies_and_disposal_in_time() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-12").present(lc_id, docs=late_documents())
    notice = api.RefuseRequest(presentation_id=pid, discrepancies=[LATE], disposal=lc.REFUSAL_DISPOSAL_HOLD)
    with pytest.raises(LcRuleError, match=r"^ERR_UNAUTHORIZED"):
        desk.call(caller(ISSUER, "examiner"), desk.service.refuse, notice)  # not the bank presented to
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: discrepancies"):
        desk.call(
            caller(ADVISER, "examiner"),
            desk.service.refuse,
            api.RefuseRequest(presentation_id=pid, disposal=lc.REFUSAL_DISPOSAL_HOLD),
        )
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: disposal"):
        desk.call(
            caller(ADVISER, "examiner"),
            desk.service.refuse,
            api.RefuseRequest(presentation_id=pid, discrepancies=[LATE]),
        )
    late = Desk()  # the issuing bank's presentation (a nominated bank is not precluded, art. 16f)
    late_lc = late.open_credit()
    late_pid = late.at("2025-12-12T03:00:00+00:00").present(late_lc, receiving=ISSUER, docs=late_documents())
    late.at("2025-12-22")
    with pytest.raises(LcRuleError, match=r"^ERR_DEADLINE_PASSED"):
        late.call(
            caller(ISSUER, "examiner"),
            late.service.refuse,
            api.RefuseRequest(presentation_id=late_pid, discrepancies=[LATE], disposal=lc.REFUSAL_DISPOSAL_HOLD),
        )
    precluded = late.honour(late_pid, honourer=caller(ISSUER, "approver"))
    assert precluded.state == lc.PRESENTATION_STATE_HONOURED  # precluded: must honour
    desk.call(caller(ADVISER, "examiner"), desk.service.refuse, notice)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE"):
        desk.call(caller(ADVISER, "examiner"), desk.service.refuse, notice)


def test_inv_lc_07_amendment_binds_only_on_acceptance() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    changes = lc.AmendmentChanges(decrease=usd("50000"))
    desk.call(
        caller(ISSUER, "issuer"),
        desk.service.propose_amendment,
        api.ProposeAmendmentRequest(lc_id=lc_id, seq=1, changes=changes, deemed_acceptance_clause="DEEMED ACCEPTED"),
    )
    desk.call(caller(ADVISER, "advisor"), desk.service.advise_amendment, api.AdviseAmendmentRequest(lc_id=lc_id, seq=1))
    pid = desk.at("2025-12-03").present(lc_id)  # full original amount: the decrease does not bind yet
    assert desk.examine(pid).state == lc.PRESENTATION_STATE_COMPLYING
    partial = desk.call(
        caller(ADVISER, "client-beneficiary"),
        desk.service.accept_amendment,
        api.AcceptAmendmentRequest(lc_id=lc_id, seq=1, excluded_changes=["decrease"]),
    )
    assert partial.amendment.status == lc.AMENDMENT_STATUS_REJECTED


def test_inv_lc_08_cancellation_needs_every_party_and_ends_the_credit() -> None:
    desk = Desk()
    lc_id = desk.open_credit(sample_terms(form=lc.CREDIT_FORM_IRREVOCABLE_TRANSFERABLE))
    desk.call(
        caller(ISSUER, "issuer"),
        desk.service.propose_amendment,
        api.ProposeAmendmentRequest(lc_id=lc_id, seq=1, changes=lc.AmendmentChanges(cancel=True)),
    )
    assert desk.stub(lc_id).state == lc.CREDIT_STATE_ADVISED  # the issuing bank alone cannot cancel
    desk.call(caller(ADVISER, "advisor"), desk.service.advise_amendment, api.AdviseAmendmentRequest(lc_id=lc_id, seq=1))
    desk.call(
        caller(ADVISER, "client-beneficiary"),
        desk.service.accept_amendment,
        api.AcceptAmendmentRequest(lc_id=lc_id, seq=1),
    )
    assert desk.stub(lc_id).state == lc.CREDIT_STATE_CANCELLED
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE"):
        desk.at("2025-12-03").present(lc_id)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE"):
        desk.call(
            caller(ISSUER, "issuer"),
            desk.service.propose_amendment,
            api.ProposeAmendmentRequest(lc_id=lc_id, seq=2, changes=lc.AmendmentChanges(increase=usd("1"))),
        )
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE"):
        desk.call(
            caller(ADVISER, "advisor"),
            desk.service.transfer,
            api.TransferRequest(
                lc_id=lc_id,
                transfer_id=str(uuid.uuid4()),
                second_beneficiary=sample_terms().beneficiary,
                second_beneficiary_bank=ADVISER,
                amount=usd("1"),
            ),
        )
    desk.call(caller(ISSUER, "issuer"), desk.service.close, api.CloseRequest(lc_id=lc_id))
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*CLOSED"):
        desk.present(lc_id)


def test_inv_lc_09_one_honoured_drawing_when_partial_drawings_are_prohibited() -> None:
    desk = Desk()
    lc_id = desk.open_credit(sample_terms(partial_shipments=lc.SHIPMENT_PERMISSION_NOT_ALLOWED))
    first = desk.at("2025-12-03").present(lc_id, "100000.00")
    # to the issuing bank, which a missed deadline precludes (art. 16f)
    second = desk.present(lc_id, "5000.00", documents(invoiced="5000.00", quantity=1000), receiving=ISSUER)
    desk.examine(first)
    desk.honour(first)
    assert desk.stub(lc_id).state == lc.CREDIT_STATE_FULLY_UTILISED
    examined = desk.examine(second, caller(ISSUER, "examiner"))
    assert examined.discrepancy_codes == [lc.DISCREPANCY_CODE_PARTIAL_NOT_ALLOWED]
    desk.at("2025-12-12")  # the deadline passed without refusal: precluded, yet still only one drawing
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: partial drawings are prohibited"):
        desk.honour(second, "5000.00", honourer=caller(ISSUER, "approver"))


def test_inv_lc_10_waiver_by_the_applicant_after_discrepancies_effective_on_acceptance() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-12T03:00:00+00:00").present(lc_id, receiving=ISSUER, docs=late_documents())
    ask = api.RequestWaiverRequest(presentation_id=pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE"):  # no discrepancy determined yet
        desk.call(caller(ISSUER, "examiner"), desk.service.request_waiver, ask)
    desk.examine(pid, caller(ISSUER, "examiner"))
    desk.call(caller(ISSUER, "examiner"), desk.service.request_waiver, ask)
    desk.call(
        caller(ISSUER, "client-applicant"), desk.service.grant_waiver, api.GrantWaiverRequest(presentation_id=pid)
    )
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE"):  # granted but not accepted by the issuer
        desk.honour(pid, honourer=caller(ISSUER, "approver"))
    desk.call(caller(ISSUER, "examiner"), desk.service.accept_waiver, api.AcceptWaiverRequest(presentation_id=pid))
    assert desk.honour(pid, honourer=caller(ISSUER, "approver")).state == lc.PRESENTATION_STATE_HONOURED


def test_inv_lc_11_honour_within_claim_and_balance_reimbursement_within_honour() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id, "50000.00", documents(invoiced="50000.00", quantity=500))
    desk.examine(pid)
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: amount"):
        desk.honour(pid, "50000.01")
    desk.honour(pid, "50000.00")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_INPUT: amount"):
        desk.call(
            caller(ISSUER, "treasury"),
            desk.service.reimburse,
            api.ReimburseRequest(presentation_id=pid, amount=usd("50000.01")),
        )
    # a partial reimbursement counts once, and the rest stays reimbursable (INV-LC-11 with something reimbursed)
    desk.call(caller(ISSUER, "treasury"), desk.service.reimburse,
              api.ReimburseRequest(presentation_id=pid, amount=usd("20000.00")))
    position = desk.position(lc_id)
    assert (position.drawn, position.reimbursed) == (5_000_000, 2_000_000)
    _check_position(desk, lc_id, [pid])


def test_inv_lc_12_transfer_conditions() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    request = api.TransferRequest(
        lc_id=lc_id,
        transfer_id=str(uuid.uuid4()),
        second_beneficiary=sample_terms().beneficiary,
        second_beneficiary_bank=ADVISER,
        amount=usd("1"),
    )
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*not transferable"):
        desk.call(caller(ADVISER, "advisor"), desk.service.transfer, request)
    transferable = Desk()
    lc_id = transferable.open_credit(sample_terms(form=lc.CREDIT_FORM_IRREVOCABLE_TRANSFERABLE))
    request.lc_id, request.amount.minor_units = lc_id, 10_000_001
    with pytest.raises(LcRuleError, match=r"^ERR_INSUFFICIENT_FUNDS: amount"):  # above the credit amount
        transferable.call(caller(ADVISER, "advisor"), transferable.service.transfer, request)
    request.amount.minor_units = 10_000_000
    transferable.call(caller(ADVISER, "advisor"), transferable.service.transfer, request)
    request.transfer_id = str(uuid.uuid4())
    request.amount.minor_units = 1
    with pytest.raises(LcRuleError, match=r"^ERR_INSUFFICIENT_FUNDS: amount"):
        transferable.call(caller(ADVISER, "advisor"), transferable.service.transfer, request)


def test_inv_lc_13_confirmation_covers_what_was_confirmed() -> None:
    desk = Desk()
    lc_id = desk.open_credit(
        sample_terms(confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_MAY_ADD, requested_confirmer=CONFIRMER)
    )
    desk.call(caller(CONFIRMER, "issuer"), desk.service.add_confirmation, api.AddConfirmationRequest(lc_id=lc_id))
    desk.call(
        caller(ISSUER, "issuer"),
        desk.service.propose_amendment,
        api.ProposeAmendmentRequest(lc_id=lc_id, seq=1, changes=lc.AmendmentChanges(increase=usd("9000"))),
    )
    desk.call(
        caller(CONFIRMER, "issuer"),
        desk.service.decide_amendment_confirmation,
        api.DecideAmendmentConfirmationRequest(lc_id=lc_id, seq=1, extend=False),
    )
    assert list(desk.stub(lc_id).unconfirmed_amendment_seqs) == [1]
    pid = desk.at("2025-12-03").present(lc_id, receiving=CONFIRMER)  # presentable to the confirming bank
    assert desk.presentation(pid)[0].receiving_bank == CONFIRMER


def test_inv_lc_14_every_transition_emits_one_event_and_touches_the_credit_history() -> None:
    desk = Desk()
    before = len(desk.ledger.events)
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    desk.examine(pid)
    desk.honour(pid)
    desk.call(
        caller(ISSUER, "treasury"),
        desk.service.reimburse,
        api.ReimburseRequest(presentation_id=pid, amount=usd("100000")),
    )
    names = [name for _, name, _ in desk.ledger.events[before:]]
    assert names == [
        "lc.applied",
        "lc.issued",
        "lc.advised",
        "lc.presented",
        "lc.examined",
        "lc.honoured",
        "lc.reimbursed",
    ]
    history = desk.ledger.written_by[("", credit_key(lc_id))]
    assert history == [tx for tx, _, _ in desk.ledger.events[before:]]
    assert [desk.stub(lc_id).version] == [len(history)]
    assert not [name for name in dir(CreditLedger) if not name.startswith("_") and "del" in name.lower()]


@pytest.fixture
def foreign_timezone() -> Iterator[None]:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    time.tzset()
    yield
    if previous is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = previous
    time.tzset()


def run_reference_flow() -> dict[tuple[str, RecordKey], bytes]:
    desk = Desk()
    lc_id = desk.at("2025-11-03T23:30:00+00:00").open_credit()
    pid = desk.at("2025-12-05T16:59:00+00:00").present(lc_id, presentation_id="0b8f1b7e-4f5a-4c6b-9d0e-1f2a3b4c5d6e")
    desk.examine(pid)
    desk.honour(pid)
    return dict(desk.ledger.state)


def test_inv_lc_15_dates_come_from_ledger_data_and_the_tx_timestamp_only(foreign_timezone: None) -> None:
    in_kiritimati = run_reference_flow()
    os.environ["TZ"] = "UTC"
    time.tzset()
    assert run_reference_flow() == in_kiritimati
