# mypy: disallow-any-expr, disallow-any-explicit
"""A bank's script against the typed trade-finance client, checked by ``mypy --strict`` (never run by pytest).

If a public signature of the typed client loses its types (an ``Any`` leaking out of a twin, a wrong
record type), mypy fails here.
"""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

from tradefin.gateway import CommitError, ConnectionProfile, ErrorDetail, connect, load_msp_identity, load_msp_signer
from tradefin.gateway import aio as gateway_aio
from tradefin.gateway.tradefin import (
    Committed,
    CreditDetails,
    ExpiredError,
    InsufficientFundsError,
    InvalidInputError,
    LettersOfCredit,
    PresentationDetails,
    TradeFinanceError,
    aio,
    as_date,
    credit_event,
    date_of,
    money,
    money_text,
)
from tradefin.protos import calendar_pb2, common_pb2
from tradefin.protos import letters_of_credit_pb2 as lc

home = Path(".tradefin")
profile = ConnectionProfile.load(home / "profiles/bank1.json")
endpoint = profile.endpoint("peer0.bank1.tradefin.test")
msp = home / "crypto/peerOrganizations/bank1.tradefin.test/users/issuer@bank1.tradefin.test/msp"
issuing_bank = common_pb2.BankRef(bic="ASTBHKHH", msp_id="Bank1MSP")
advising_bank = common_pb2.BankRef(bic="EUCBDEFF", msp_id="Bank2MSP")


def terms(expiry: datetime.date) -> lc.LetterOfCreditTerms:
    return lc.LetterOfCreditTerms(
        form=lc.CREDIT_FORM_IRREVOCABLE,
        lc_number="LC-2026-001",
        rules=lc.APPLICABLE_RULES_UCP_LATEST_VERSION,
        expiry_date=date_of(expiry),
        amount=money("USD", "250000.00"),
        issuing_bank=issuing_bank,
        advising_bank=advising_bank,
    )


def blocking_flow() -> None:
    with connect(endpoint, load_msp_identity(msp, "Bank1MSP"), load_msp_signer(msp)) as gateway:
        credits = LettersOfCredit(gateway, "asia-europe", validate=True)
        applied: Committed[lc.CreditStub] = credits.apply(terms(datetime.date(2026, 12, 31)))
        block: int = applied.block_number
        lc_id: str = applied.record.lc_id
        issued = credits.issue(lc_id)
        state: lc.CreditState.ValueType = issued.record.state
        try:
            presented = credits.present(
                lc_id,
                receiving_bank_bic="EUCBDEFF",
                claimed=money("USD", "250000.00"),
                documents=[lc.Document(doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE, doc_ref="INV-1")],
            )
            presentation_id: str = presented.record.presentation_id
            honoured: Committed[lc.PresentationStub] = credits.honour(
                presentation_id, money("USD", "250000.00"), maturity_date=datetime.date(2027, 3, 31)
            )
            print(honoured.transaction_id, money_text(money("USD", "1.00")))
        except InvalidInputError as refused:
            field: str = refused.field
            transaction_id: str | None = refused.transaction_id
            details: tuple[ErrorDetail, ...] = refused.details
            print(field, transaction_id, details)
        except (ExpiredError, InsufficientFundsError) as refused:
            print(refused.code, refused.reason)
        except TradeFinanceError as refused:
            print(refused.text)
        except CommitError as lost:
            print(lost.code_name)
        details_of: CreditDetails = credits.get_credit_terms(lc_id)
        drawn: int = details_of.position.drawn
        presentation: PresentationDetails = credits.get_presentation("0f8fad5b-d9cb-469f-a165-70867728950e")
        record: lc.PresentationRecord | None = presentation.record
        calendar: calendar_pb2.BankingCalendar = credits.get_calendar("HK")
        published: Committed[calendar_pb2.BankingCalendar] = credits.publish_calendar(calendar)
        expiry: datetime.date = as_date(issued.record.expiry_date)
        print(block, state, drawn, record, published.record.version, expiry)
        with gateway.get_network("asia-europe").chaincode_events("tradefin") as events:
            for event in events:
                decoded: lc.LetterOfCreditEvent = credit_event(event)
                print(decoded.type, decoded.lc_id)
                break


async def asyncio_flow() -> None:
    async with gateway_aio.connect(endpoint, load_msp_identity(msp, "Bank1MSP"), load_msp_signer(msp)) as gateway:
        credits = aio.LettersOfCredit(gateway, "asia-europe")
        applied = await credits.apply(terms(datetime.date(2026, 12, 31)))
        lc_id = applied.record.lc_id
        issued, stub = await asyncio.gather(credits.issue(lc_id), credits.get_credit(lc_id))
        state: lc.CreditState.ValueType = issued.record.state
        version: int = stub.version
        task = asyncio.create_task(credits.advise(applied.record.lc_id))
        advised: Committed[lc.CreditStub] = await task
        print(state, version, advised.block_number)


if __name__ == "__main__":
    blocking_flow()
    asyncio.run(asyncio_flow())
