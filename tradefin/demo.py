"""The main job: a real network, the chaincode on every channel, and a real flow through the clients.

After a value written and read back on each channel, a documentary credit runs on asia-europe through the
typed client, each step by a role-bearing user of its bank: the applicant applies through Asia Trade Bank,
which issues; Euro Commerce Bank advises; the beneficiary presents documents through it; it examines
them and honours (it is the nominated bank); Asia Trade Bank reimburses it.

The reimbursement is a cross-border payment on the two banks' USD payment channel, made in the same
transaction: the banks adopt the pilot's compliance configuration, vouch for their customers and open
the channel first; afterwards Euro Commerce Bank reports the payment credited, the cycle is cut off and
netted, and the net is settled by a pacs.009 the receiving bank confirms.
"""

from __future__ import annotations

import datetime
import hashlib
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .gateway import Gateway
from .gateway.tradefin import (
    Committed,
    Compliance,
    LettersOfCredit,
    NotFoundError,
    Payments,
    Session,
    date_of,
    money,
    money_text,
)
from .gateway.tradefin.compliance import pilot_configuration
from .gateway.tradefin.payments import channel_id as payment_channel_id
from .gateway.tradefin.payments import credit_settlement
from .network.network import FabricNetwork
from .network.progress import Progress
from .network.spec import BankSpec
from .protos import calendar_pb2, common_pb2, payments_pb2
from .protos import letters_of_credit_pb2 as lc

CREDIT_CHANNEL = "asia-europe"


@dataclass
class Timeline:
    """Who did what, on which channel, in which block."""

    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(self, actor: str, action: str, channel: str, block: int | None, detail: str) -> None:
        self.rows.append((actor, action, channel, "-" if block is None else str(block), detail))

    def render(self, console: Console, title: str) -> None:
        table = Table(title=title)
        for column in ("who", "did", "channel", "block", "detail"):
            table.add_column(column, overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        console.print(table)


def run_demo(workdir: Path | None, progress: Progress, console: Console, *, runtime: str | None = None) -> Timeline:
    """Bring the network up (or reuse it), write and read a value on each channel through the gateway,
    then run a letter of credit from application to reimbursement through the typed client."""
    network = FabricNetwork.create(workdir, runtime=runtime, progress=progress)
    started = time.monotonic()
    network.up()
    console.print(f"network up in {time.monotonic() - started:.1f}s ({network.runtime_name}, "
                  f"{network.spec.orderer.variant}); workdir {network.workdir}")
    timeline = Timeline()
    for channel in network.spec.channels:
        writer, reader = network.spec.channel_banks(channel.name)[:2]
        key, value = f"demo-{time.time_ns()}", f"hello from {writer.display_name}"
        with network.gateway(writer) as gateway:
            contract = gateway.get_network(channel.name).get_contract(network.spec.chaincode.name)
            submitted = contract.submit_async("kv:Put", [key, value])
            status = submitted.status()
            timeline.add(writer.display_name, f"kv:Put {key}", channel.name, status.block_number,
                         f"{status.code_name}, tx {submitted.transaction_id[:12]}…")
        with network.gateway(reader) as gateway:
            contract = gateway.get_network(channel.name).get_contract(network.spec.chaincode.name)
            read = contract.evaluate("kv:Get", [key]).decode()
            if read != value:
                raise RuntimeError(f"{reader.display_name} read {read!r} on {channel.name}, expected {value!r}")
            timeline.add(reader.display_name, f"kv:Get {key}", channel.name, None, f"read back {read!r}")
    if any(channel.name == CREDIT_CHANNEL for channel in network.spec.channels):
        started = time.monotonic()
        channel_id = prepare_payment_channel(network, timeline)
        settlement = credit_settlement(APPLICANT_ACCOUNT, creditor_account=BENEFICIARY_ACCOUNT)
        run_credit(network, timeline, settlement)
        console.print(f"letter of credit from application to reimbursement in {time.monotonic() - started:.1f}s")
        started = time.monotonic()
        settle_credit_payment(network, timeline, channel_id, settlement.uetr)
        console.print(f"cross-border payment credited, netted and settled in {time.monotonic() - started:.1f}s")
    return timeline


# Banking-day calendars of the demo banks' countries (a bank's compliance officer publishes them once):
# place, UTC offset in minutes, weekend.
_CALENDARS = (("HK", 8 * 60), ("DE", 60))
_WEEKEND = (calendar_pb2.WEEKDAY_SATURDAY, calendar_pb2.WEEKDAY_SUNDAY)


def _credit_terms(
    issuing: common_pb2.BankRef, advising: common_pb2.BankRef, today: datetime.date
) -> lc.LetterOfCreditTerms:
    """USD 250,000 +/-5% for machine tools, available with the advising bank by sight payment."""
    return lc.LetterOfCreditTerms(
        form=lc.CREDIT_FORM_IRREVOCABLE,
        lc_number="D" + uuid.uuid4().hex[:12].upper(),
        rules=lc.APPLICABLE_RULES_UCP_LATEST_VERSION,
        expiry_date=date_of(today + datetime.timedelta(days=90)),
        expiry_place=common_pb2.Place(name="FRANKFURT", un_locode="DEFRA"),
        applicant=common_pb2.PartyRef(
            name="KOWLOON PRECISION IMPORTS LTD", address=["18 HARBOUR ROAD", "HONG KONG"], country="HK",
            kyc_ref=APPLICANT_KYC
        ),
        beneficiary=common_pb2.PartyRef(
            name="RHEINLAND MASCHINENBAU GMBH", address=["MAINZER LANDSTR 1", "FRANKFURT"], country="DE",
            kyc_ref=BENEFICIARY_KYC,
        ),
        amount=money("USD", "250000.00"),
        tolerance=lc.AmountTolerance(plus_pct=5, minus_pct=5),
        available_with=lc.AvailableWith(nominated_bank=advising),
        available_by=lc.AVAILABLE_BY_PAYMENT,
        partial_shipments=lc.SHIPMENT_PERMISSION_ALLOWED,
        port_of_loading=common_pb2.Place(name="HAMBURG", un_locode="DEHAM"),
        port_of_discharge=common_pb2.Place(name="HONG KONG", un_locode="HKHKG"),
        latest_shipment_date=date_of(today + datetime.timedelta(days=60)),
        goods=lc.Goods(description="12 CNC TURNING CENTRES, CIF HONG KONG", incoterm="CIF"),
        documents_required=[
            lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE, originals=1, copies=1),
            lc.DocumentRequirement(doc_type=lc.DOCUMENT_TYPE_BILL_OF_LADING, originals=3),
        ],
        confirmation_instruction=lc.CONFIRMATION_INSTRUCTION_WITHOUT,
        issuing_bank=issuing,
        advising_bank=advising,
    )


def _documents(shipped: datetime.date, invoiced: common_pb2.Money) -> list[lc.Document]:
    """The beneficiary's invoice and full set of bills of lading (the files stay off the ledger: hashes)."""
    number = uuid.uuid4().hex[:8].upper()

    def digest(name: str) -> str:
        return hashlib.sha256(f"{name}-{number}".encode()).hexdigest()

    return [
        lc.Document(
            doc_type=lc.DOCUMENT_TYPE_COMMERCIAL_INVOICE,
            doc_ref=f"INV-{number}",
            issue_date=date_of(shipped),
            sha256=digest("invoice"),
            originals=1,
            copies=1,
            key_data=lc.DocumentKeyData(invoice_number=f"INV-{number}", amount=invoiced),
        ),
        lc.Document(
            doc_type=lc.DOCUMENT_TYPE_BILL_OF_LADING,
            doc_ref=f"BL-{number}",
            issue_date=date_of(shipped),
            sha256=digest("bill-of-lading"),
            originals=3,
            key_data=lc.DocumentKeyData(
                transport_document_number=f"BL-{number}",
                shipment_date=date_of(shipped),
                port_of_loading=common_pb2.Place(un_locode="DEHAM"),
                port_of_discharge=common_pb2.Place(un_locode="HKHKG"),
                vessel="MAERSK ESSEN",
                vessel_imo="IMO9456769",
                vessel_flag="DK",
            ),
        ),
    ]


def _publish_calendars(compliance: LettersOfCredit, timeline: Timeline, actor: str) -> None:
    """The time rules need the banks' banking-day calendars on the ledger; publish what is missing."""
    for place, offset in _CALENDARS:
        try:
            compliance.get_calendar(place)
        except NotFoundError:
            calendar = calendar_pb2.BankingCalendar(
                place=place, version=1, weekend_days=_WEEKEND, utc_offset_minutes=offset, description="demo calendar"
            )
            published = compliance.publish_calendar(calendar)
            timeline.add(actor, f"lc:PublishCalendar {place}", CREDIT_CHANNEL, published.block_number,
                         f"banking days of {place}, version {published.record.version}")


def run_credit(
    network: FabricNetwork, timeline: Timeline, settlement: payments_pb2.CreditSettlement | None = None
) -> str:
    """A letter of credit from application to reimbursement, each step by a user of its bank; its id.
    With ``settlement`` the reimbursement is paid on the banks' payment channel in the same transaction."""
    issuing_bank, advising_bank = network.spec.bank("bank1"), network.spec.bank("bank2")
    session = Session()  # every actor's peer has what the previous actor wrote
    with ExitStack() as stack:

        def desk(bank: BankSpec, user: str) -> LettersOfCredit:
            gateway = stack.enter_context(network.gateway(bank, user=user))
            return LettersOfCredit(gateway, CREDIT_CHANNEL, session=session)

        issuer, advisor = issuing_bank.display_name, advising_bank.display_name
        _publish_calendars(desk(issuing_bank, "compliance"), timeline, f"{issuer} (compliance)")
        today = datetime.datetime.now(datetime.UTC).date()
        terms = _credit_terms(issuing_bank.bank_ref(), advising_bank.bank_ref(), today)
        amount = terms.amount

        def record(actor: str, action: str, committed: Committed[lc.CreditStub] | Committed[lc.PresentationStub],
                   detail: str) -> None:
            timeline.add(actor, action, CREDIT_CHANNEL, committed.block_number,
                         f"{detail}; tx {committed.transaction_id[:12]}…")

        applied = desk(issuing_bank, "client-applicant").apply(terms)
        lc_id = applied.record.lc_id
        record(f"applicant via {issuer}", f"lc:Apply {lc_id}", applied,
               f"{money_text(amount)} +/-5% by sight payment; terms private, hash {applied.record.terms_hash[:10]}…")
        issued = desk(issuing_bank, "issuer").issue(lc_id)
        record(f"{issuer} (issuer)", "lc:Issue", issued, f"issued on {_iso(issued.record.issue_date)}, "
               f"expires {_iso(issued.record.expiry_date)}")
        advised = desk(advising_bank, "advisor").advise(lc_id)
        record(f"{advisor} (advisor)", "lc:Advise", advised, "advised to the beneficiary")

        claimed = money("USD", "248500.00")
        presented = desk(advising_bank, "client-beneficiary").present(
            lc_id,
            receiving_bank_bic=advising_bank.bic,
            claimed=claimed,
            documents=_documents(today - datetime.timedelta(days=3), claimed),
        )
        presentation_id = presented.record.presentation_id
        record(f"beneficiary via {advisor}", "lc:Present", presented,
               f"{money_text(claimed)}, invoice + 3/3 bills of lading; refusal deadline "
               f"{_iso(presented.record.examination_deadline)}")
        examined = desk(advising_bank, "examiner").examine(presentation_id)
        state = lc.PresentationState.Name(examined.record.state).removeprefix("PRESENTATION_STATE_")
        record(f"{advisor} (examiner)", "lc:Examine", examined, f"{state} (objective checks on the ledger)")
        honoured = desk(advising_bank, "approver").honour(presentation_id, claimed)
        record(f"{advisor} (approver)", "lc:Honour", honoured, f"paid {money_text(claimed)} at sight")
        treasury = desk(issuing_bank, "treasury")
        reimbursed = treasury.reimburse(presentation_id, claimed, settlement=settlement)
        paid_by = f"; payment {settlement.uetr[:8]}… on the payment channel" if settlement is not None else ""
        record(f"{issuer} (treasury)", "lc:Reimburse", reimbursed,
               f"reimbursed {advisor} {money_text(claimed)}{paid_by}")

        position = treasury.get_credit_terms(lc_id).position
        available = position.max_amount - position.drawn - position.reserved
        timeline.add(f"{issuer} (treasury)", "lc:GetCreditTerms", CREDIT_CHANNEL, None,
                     f"drawn {money_text(common_pb2.Money(currency='USD', minor_units=position.drawn))}, "
                     f"available {money_text(common_pb2.Money(currency='USD', minor_units=available))}")
    return lc_id


# The demo customers' KYC references at their banks, and their accounts (the travel rule).
APPLICANT_KYC, BENEFICIARY_KYC = "K-1", "K-2"
APPLICANT_ACCOUNT = common_pb2.AccountRef(other="HK-012-883-0042")
BENEFICIARY_ACCOUNT = common_pb2.AccountRef(iban="DE89370400440532013000")
PAYMENT_CURRENCY = "USD"


def prepare_payment_channel(network: FabricNetwork, timeline: Timeline) -> str:
    """The pilot's compliance configuration (adopted by both banks), the customers vouched for by their
    banks, and the banks' USD payment channel open with a deposit confirmed (reused when it exists)."""
    first, second = network.spec.bank("bank1"), network.spec.bank("bank2")
    session = Session()
    with ExitStack() as stack:

        def gateway(bank: BankSpec, user: str) -> Gateway:
            return stack.enter_context(network.gateway(bank, user=user))

        officers = [
            Compliance(gateway(bank, "compliance"), CREDIT_CHANNEL, session=session) for bank in (first, second)
        ]
        if not officers[0].get_governance().HasField("governance"):
            proposed = officers[0].propose_governance(pilot_configuration(
                [first.msp_id, second.msp_id], directory=[first.bank_ref(), second.bank_ref()]
            ))
            timeline.add(f"{first.display_name} (compliance)", "compliance:ProposeGovernance", CREDIT_CHANNEL,
                         proposed.block_number,
                         "pilot caps, sanctions lists, embargo, dual-control threshold, BIC directory")
            adopted = officers[1].approve_governance(1)
            timeline.add(f"{second.display_name} (compliance)", "compliance:ApproveGovernance", CREDIT_CHANNEL,
                         adopted.block_number, "every member approved: version 1 in force")
        for officer, bank, subject in ((officers[0], first, APPLICANT_KYC), (officers[1], second, BENEFICIARY_KYC)):
            attested = officer.vouch(subject)
            timeline.add(f"{bank.display_name} (compliance)", f"compliance:AttestKyc {subject}", CREDIT_CHANNEL, None,
                         f"VERIFIED until {_iso(attested.expires_on)}; CLEAR on every required list")
        treasury1 = Payments(gateway(first, "treasury"), CREDIT_CHANNEL, session=session)
        treasury2 = Payments(gateway(second, "treasury"), CREDIT_CHANNEL, session=session)
        channel_id = payment_channel_id(first.bic, second.bic, PAYMENT_CURRENCY)
        try:
            treasury1.get_channel(channel_id)
            return channel_id
        except NotFoundError:
            pass
        proposed_channel = treasury1.propose_channel(first.bank_ref(), second.bank_ref(), PAYMENT_CURRENCY,
                                                     capacity_slots=8)
        timeline.add(f"{first.display_name} (treasury)", "pay:ProposeChannel", CREDIT_CHANNEL,
                     proposed_channel.block_number, f"{channel_id}, 8 capacity slots")
        opened = treasury2.accept_channel(channel_id)
        timeline.add(f"{second.display_name} (treasury)", "pay:AcceptChannel", CREDIT_CHANNEL, opened.block_number,
                     "both banks agreed: OPEN")
        deposit = treasury1.record_deposit(channel_id, money(PAYMENT_CURRENCY, "1000000.00"), str(uuid.uuid4()))
        confirmed = treasury2.confirm_deposit(channel_id, deposit.record)
        timeline.add(f"{second.display_name} (treasury)", "pay:ConfirmDeposit", CREDIT_CHANNEL, confirmed.block_number,
                     f"{first.display_name}'s USD 1,000,000.00 prefunding arrived (pacs.009)")
    return channel_id


def settle_credit_payment(network: FabricNetwork, timeline: Timeline, channel_id: str, uetr: str) -> None:
    """The receiving bank reports the reimbursement credited; the cycle is cut off and netted; the net is
    settled by a pacs.009 the receiving bank confirms; the channel's balances are back at the deposits."""
    first, second = network.spec.bank("bank1"), network.spec.bank("bank2")
    session = Session()
    with ExitStack() as stack:
        treasury1 = Payments(stack.enter_context(network.gateway(first, user="treasury")), CREDIT_CHANNEL,
                             session=session)
        treasury2 = Payments(stack.enter_context(network.gateway(second, user="treasury")), CREDIT_CHANNEL,
                             session=session)
        treasury2.wait_for_commit(treasury1.get_payment(uetr).payment.created_tx_id)  # made by the other bank
        credited = treasury2.report_status(uetr, payments_pb2.PAYMENT_STATUS_ACCC)
        record = treasury2.get_payment(uetr).record
        amount = money_text(record.credited_amount) if record is not None else ""
        timeline.add(f"{second.display_name} (treasury)", "pay:ReportStatus ACCC", CREDIT_CHANNEL,
                     credited.block_number, f"{amount} credited to the beneficiary (ACSP -> ACCC)")
        frozen = treasury1.net(channel_id)
        batch = treasury1.get_batch(channel_id, frozen.record.cycle).record
        owed = money_text(common_pb2.Money(currency=PAYMENT_CURRENCY, minor_units=batch.net_amount)) if batch else ""
        timeline.add(f"{first.display_name} (treasury)", "pay:CutOff + pay:FreezeBatch", CREDIT_CHANNEL,
                     frozen.block_number, f"cycle {frozen.record.cycle} netted: {owed} owed; hash "
                     f"{frozen.record.batch_hash[:10]}…")
        settled = treasury2.settle_batch(channel_id, frozen.record.cycle, str(uuid.uuid4()))
        timeline.add(f"{second.display_name} (treasury)", "pay:SettleBatch", CREDIT_CHANNEL, settled.block_number,
                     f"net received by pacs.009 {settled.record.settlement_uetr[:8]}…: batch SETTLED")
        view = treasury1.get_channel(channel_id)
        balances = ", ".join(
            f"{balance.bic} {money_text(common_pb2.Money(currency=PAYMENT_CURRENCY, minor_units=balance.balance))}"
            for balance in view.balances
        )
        timeline.add(f"{first.display_name} (treasury)", "pay:GetChannel", CREDIT_CHANNEL, None,
                     f"balances back at the deposits: {balances}")


def _iso(day: common_pb2.Date) -> str:
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
