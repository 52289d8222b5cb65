"""GetAuditTrail of the lc contract: every version of a credit's or a presentation's public stub, or of a
place's banking-day calendar, newest first -- readable by any bank of the channel, as the records are."""

from __future__ import annotations

import asyncio
import hashlib
import re
import uuid

import pytest

from tradefin.chaincode.contracts.letters_of_credit.errors import LcRuleError
from tradefin.chaincode.contracts.letters_of_credit.records import credit_key
from tradefin.chaincode.contracts.letters_of_credit.service import LettersOfCreditService
from tradefin.protos import calendar_pb2
from tradefin.protos import compliance_pb2 as cp
from tradefin.protos import letters_of_credit_pb2 as lc

from .support import ADVISER, ISSUER, OUTSIDER, Desk, caller


def trail(desk: Desk, object_type: str, object_id: str) -> list[cp.AuditEntry]:
    request = cp.GetAuditTrailRequest(object_type=object_type, object_id=object_id)
    return list(desk.query(caller(OUTSIDER, "auditor"), desk.service.get_audit_trail, request).entries)


def test_a_credits_trail_holds_every_transition_newest_first() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    desk.examine(pid)
    desk.honour(pid)

    entries = trail(desk, "credit", lc_id)
    stubs = [lc.CreditStub.FromString(entry.record) for entry in entries]
    # apply, issue, advise, then the presentation's three steps (each moves the credit's balances)
    assert [stub.version for stub in stubs] == [6, 5, 4, 3, 2, 1]
    assert [stub.state for stub in stubs[3:]] == [
        lc.CREDIT_STATE_ADVISED,
        lc.CREDIT_STATE_ISSUED,
        lc.CREDIT_STATE_DRAFT_APPLICATION,
    ]
    assert [stub.open_presentations for stub in stubs] == [1, 1, 1, 0, 0, 0]
    assert stubs[0] == desk.stub(lc_id)  # the newest is the credit as it stands
    assert [entry.tx_id for entry in entries] == list(reversed(desk.ledger.written_by[("", credit_key(lc_id))]))
    assert entries[0].timestamp.ToDatetime().date().isoformat() == "2025-12-03"
    assert entries[-1].timestamp.ToDatetime().date().isoformat() == "2025-11-03"
    assert all(entry.record_hash == hashlib.sha256(entry.record).hexdigest() for entry in entries)
    assert not any(entry.is_delete for entry in entries)


def test_a_presentations_trail_and_a_calendars() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    pid = desk.at("2025-12-03").present(lc_id)
    desk.examine(pid)
    states = [lc.PresentationStub.FromString(entry.record).state for entry in trail(desk, "presentation", pid)]
    assert states == [lc.PRESENTATION_STATE_COMPLYING, lc.PRESENTATION_STATE_UNDER_EXAMINATION]

    (published,) = trail(desk, "calendar", "GB")  # the desk published each calendar once
    assert calendar_pb2.BankingCalendar.FromString(published.record).place == "GB"


def test_a_record_never_written_has_an_empty_trail() -> None:
    desk = Desk()
    assert trail(desk, "credit", "TFINCNSH:NEVER-ISSUED") == []
    assert trail(desk, "presentation", str(uuid.uuid4())) == []
    assert trail(desk, "calendar", "JP") == []


@pytest.mark.parametrize(
    ("object_type", "object_id", "refusal"),
    [
        ("lc", "TFINCNSH:LC1", "object_type: one of credit (credit id), presentation (presentation id), calendar"),
        ("Credit", "TFINCNSH:LC1", "object_type: one of credit"),
        ("payment", "TFINCNSH:LC1", "object_type: one of credit"),  # the pay contract's, not this one's
        (
            "credit",
            "TFINCNSH",
            "object_id: not a credit id (lc_id: a credit id is the issuing bank's BIC8, ':' and the credit number)",
        ),
        ("credit", "", "object_id: not a credit id"),
        ("presentation", "not-a-uuid", "object_id: not a presentation id"),
        ("calendar", "gb", "object_id: not a calendar id (place: 'gb' is not an ISO 3166-1 alpha-2"),
        ("calendar", "", "object_id: not a calendar id (place: "),
    ],
)
def test_what_the_request_names_is_checked(object_type: str, object_id: str, refusal: str) -> None:
    desk = Desk()
    with pytest.raises(LcRuleError, match=f"^ERR_INVALID_INPUT: {re.escape(refusal)}"):
        trail(desk, object_type, object_id)


def test_every_bank_of_the_channel_reads_the_trail_whatever_its_role() -> None:
    desk = Desk()
    lc_id = desk.open_credit()
    request = cp.GetAuditTrailRequest(object_type="credit", object_id=lc_id)
    for who in (caller(ISSUER, "issuer"), caller(ADVISER, ""), caller(OUTSIDER, "client-applicant")):
        assert len(desk.query(who, desk.service.get_audit_trail, request).entries) == 3


def test_a_ledger_without_history_says_so() -> None:
    class NoHistory:
        async def read(self, *_: object) -> None:
            return None

    service = LettersOfCreditService(NoHistory())  # type: ignore[arg-type]
    request = cp.GetAuditTrailRequest(object_type="calendar", object_id="GB")
    with pytest.raises(LcRuleError, match=r"^ERR_INVALID_STATE: .*keeps no history"):
        asyncio.run(service.get_audit_trail(caller(OUTSIDER, ""), request))
