"""``tradefin lc``: a letter of credit as one bank of its consortium channel sees it, and its history.

Read-only: credits are run by the banks' applications through the typed client (``tradefin demo``
runs one and prints its id); these commands let an operator look at what the ledger holds, asking as
a bank's ``auditor`` user.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.table import Table

from . import _existing, friendly_errors, main, out
from .payments import (
    _bank_by_bic,
    _bank_spec,
    _checked,
    _consortium_banks,
    _consortium_channel,
    _desks,
    _json_option,
    _record_json,
    _refuse_not_found,
    decorated,
    payment_errors,
)

F = TypeVar("F", bound=Callable[..., Any])

_RECORD_ID = "LC_ID|PRESENTATION_ID"
_CREDIT_PREFIX = "CREDIT_STATE_"
_PRESENTATION_PREFIX = "PRESENTATION_STATE_"


def _record_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """A credit id (``BIC8:number``) or a presentation id (a UUID v4)."""
    from ..chaincode.contracts.letters_of_credit.errors import LcRuleError
    from ..chaincode.contracts.letters_of_credit.records import parse_lc_id
    from ..chaincode.contracts.letters_of_credit.validation import check_uuid4

    if ":" in value:
        _checked(param.human_readable_name, lambda: parse_lc_id(value))
        return value
    try:
        check_uuid4(value, "presentation_id")
    except LcRuleError:
        raise click.BadParameter(
            f"{value[:40]!r} is neither a credit id (the issuing bank's BIC8, ':' and the credit number) nor a "
            "presentation id (a lower-case UUID v4)",
            param_hint=param.human_readable_name,
        ) from None
    return value


def _date(value: Any) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if value.year else "-"


def _bank(ref: Any) -> str:
    return f"{ref.bic} ({ref.msp_id})"


def _discrepancies(codes: Any) -> str:
    from ..protos import letters_of_credit_pb2 as lc

    return ", ".join(lc.DiscrepancyCode.Name(code).removeprefix("DISCREPANCY_CODE_") for code in codes)


def _record_command(func: F) -> F:
    """The argument and options of an ``lc`` command: the record's id, the bank asking, the channel and
    ``--json``; its refusals in one line."""
    return decorated(
        func,
        click.argument("record_id", metavar="LC_ID|PRESENTATION_ID", callback=_record_id),
        click.option("--bank", default=None,
                     help="Ask as this bank's auditor (default: a credit's issuing bank; for a presentation, "
                          "the first bank on each channel -- name a bank of the credit to see its amounts and "
                          "documents)."),
        click.option("--on", "fabric_channel", default=None,
                     help="The consortium channel (default: each channel of the bank asking, until found)."),
        _json_option,
        click.pass_context,
        friendly_errors,
        payment_errors,
    )


@main.group("lc")
def lc_group() -> None:
    """Letters of credit on a consortium channel: a credit's or a presentation's record and history
    (read-only)."""


@lc_group.command("show")
@_record_command
def lc_show(ctx: click.Context, record_id: str, bank: str | None, fabric_channel: str | None, as_json: bool) -> None:
    """A credit (state, banks, dates; its terms and balances for its banks) or a presentation (state,
    deadline, discrepancies; the amounts and documents for the credit's banks)."""
    from ..gateway.tradefin import NotFoundError, UnauthorizedError

    net = _existing(ctx)
    for spec, channel in _places(net, bank, fabric_channel, record_id):
        with _desks(net, [spec], channel, "--bank") as desks:
            credits = desks.credits(spec)
            try:
                if ":" not in record_id:
                    _show_presentation(credits.get_presentation(record_id), spec, as_json)
                    return
                stub = credits.get_credit(record_id)
            except NotFoundError:
                continue  # not on this channel
            try:
                terms = credits.get_credit_terms(record_id)
            except UnauthorizedError:  # not a bank of the credit: the public record only
                terms = None
        if as_json:
            out.print_json(json.dumps({
                "credit": _record_json(stub),
                "terms": _record_json(terms.terms.terms) if terms is not None else None,
                "position": _record_json(terms.position) if terms is not None else None,
            }))
        else:
            _show_credit(stub, terms, spec)
        return
    _not_found(net, bank, fabric_channel, record_id)


def _places(net: Any, bank: str | None, fabric_channel: str | None, record_id: str) -> list[tuple[Any, str]]:
    """Where to look for a credit or a presentation, in order: the bank asking and the consortium channel.
    ``--on`` names the channel, ``--bank`` the bank; else a credit's issuing bank asks (or, on a channel
    without it, the channel's first bank) and a presentation is looked for on every channel."""
    if fabric_channel is not None:
        on_channel = _consortium_banks(net, fabric_channel)
        if bank is not None:
            spec = _bank_spec(net, bank, "--bank")
            _consortium_channel(net, [spec], fabric_channel, "--bank")  # the bank is on it, or says so
        else:
            issuer = _bank_by_bic(net, record_id, _RECORD_ID) if ":" in record_id else None
            spec = issuer if issuer in on_channel else on_channel[0]
        return [(spec, fabric_channel)]
    if bank is not None:
        askers = [_bank_spec(net, bank, "--bank")]
    elif ":" in record_id:
        askers = [_bank_by_bic(net, record_id, _RECORD_ID)]
    else:
        askers = list(net.spec.banks)
    places: dict[str, Any] = {}
    for spec in askers:
        for channel in net.spec.channels:
            if spec.name in channel.banks:
                places.setdefault(channel.name, spec)
    return [(spec, channel) for channel, spec in places.items()]


def _not_found(net: Any, bank: str | None, fabric_channel: str | None, record_id: str) -> None:
    kind = "credit" if ":" in record_id else "presentation"
    _refuse_not_found(f"{kind} {record_id}", _places(net, bank, fabric_channel, record_id))


def _show_presentation(details: Any, asking: Any, as_json: bool) -> None:
    from ..gateway.tradefin import money_text
    from ..protos import letters_of_credit_pb2 as lc

    stub, record = details.presentation, details.record
    if as_json:
        out.print_json(json.dumps({
            "presentation": _record_json(stub),
            "record": _record_json(record) if record is not None else None,
        }))
        return
    state = lc.PresentationState.Name(stub.state).removeprefix(_PRESENTATION_PREFIX)
    out.print(f"presentation [bold]{stub.presentation_id}[/bold] under {stub.lc_id}: {state} (version {stub.version}), "
              f"received {_date(stub.received_on)} by {_bank(stub.receiving_bank)} from {_bank(stub.presenting_bank)}, "
              f"refusal deadline {_date(stub.examination_deadline)}")
    if stub.discrepancy_codes:
        out.print(f"  discrepancies: {_discrepancies(stub.discrepancy_codes)}")
    if record is None:
        out.print(f"  amounts and documents: for the credit's banks only ({asking.msp_id} is not one)")
        return
    documents = ", ".join(
        f"{lc.DocumentType.Name(document.doc_type).removeprefix('DOCUMENT_TYPE_')} {document.doc_ref}"
        for document in record.documents
    )
    out.print(f"  claimed {money_text(record.claimed)}; documents: {documents}")


def _show_credit(stub: Any, details: Any, asking: Any) -> None:
    from ..gateway.tradefin import money_text
    from ..protos import common_pb2
    from ..protos import letters_of_credit_pb2 as lc

    state = lc.CreditState.Name(stub.state).removeprefix(_CREDIT_PREFIX)
    out.print(f"credit [bold]{stub.lc_id}[/bold]: {state} (version {stub.version}), issued {_date(stub.issue_date)}, "
              f"expires {_date(stub.expiry_date)}, {stub.open_presentations} presentation(s) open")
    banks = [("issuing", stub.issuing_bank), ("advising", stub.advising_bank),
             ("second advising", stub.second_advising_bank), ("confirming", stub.confirming_bank),
             ("nominated", stub.nominated_bank)]
    out.print("  " + ", ".join(f"{role} {_bank(ref)}" for role, ref in banks if ref.bic))
    if details is None:
        out.print(f"  terms and balances: for the credit's banks only ({asking.msp_id} is not one)")
        return
    terms, position = details.terms.terms, details.position

    def amount(minor_units: int) -> str:
        return money_text(common_pb2.Money(currency=position.currency, minor_units=minor_units))

    tolerance = terms.tolerance
    band = f" (+{tolerance.plus_pct}%/-{tolerance.minus_pct}%)" if tolerance.plus_pct or tolerance.minus_pct else ""
    out.print(f"  {terms.applicant.name} ({terms.applicant.country}) -> {terms.beneficiary.name} "
              f"({terms.beneficiary.country}): {money_text(terms.amount)}{band}, at most {amount(position.max_amount)}")
    out.print(f"  drawn {amount(position.drawn)}, reserved {amount(position.reserved)}, "
              f"reimbursed {amount(position.reimbursed)}, transferred {amount(position.transferred)}")


@lc_group.command("history")
@_record_command
def lc_history(ctx: click.Context, record_id: str, bank: str | None, fabric_channel: str | None,
               as_json: bool) -> None:
    """Every version of a credit's or a presentation's public record, newest first: the state it left, the
    event (a credit's) or the discrepancies (a presentation's), the transaction that wrote it and that
    transaction's timestamp."""
    net = _existing(ctx)
    is_credit = ":" in record_id
    for spec, channel in _places(net, bank, fabric_channel, record_id):
        with _desks(net, [spec], channel, "--bank") as desks:
            credits = desks.credits(spec)
            versions = credits.credit_history(record_id) if is_credit else credits.presentation_history(record_id)
        if not versions:
            continue  # not on this channel
        if as_json:
            kind = "credit" if is_credit else "presentation"
            out.print_json(json.dumps([
                {"tx_id": version.tx_id, "timestamp": version.timestamp.isoformat(), kind: _record_json(version.stub)}
                for version in versions
            ]))
        else:
            _show_history(versions, is_credit)
        return
    _not_found(net, bank, fabric_channel, record_id)


def _show_history(versions: list[Any], is_credit: bool) -> None:
    from ..protos import letters_of_credit_pb2 as lc

    table = Table()
    for column in ("version", "state", "event" if is_credit else "discrepancies", "transaction", "tx timestamp (UTC)"):
        table.add_column(column, justify="right" if column == "version" else "left")
    for version in versions:
        stub = version.stub
        if is_credit:
            state = lc.CreditState.Name(stub.state).removeprefix(_CREDIT_PREFIX)
            detail = lc.LcEventType.Name(stub.last_event).removeprefix("LC_EVENT_TYPE_") if stub.last_event else ""
        else:
            state = lc.PresentationState.Name(stub.state).removeprefix(_PRESENTATION_PREFIX)
            detail = _discrepancies(stub.discrepancy_codes)
        when = version.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        table.add_row(str(stub.version), state, detail, version.tx_id[:16], when)
    out.print(table)
