"""``tradefin channel``, ``tradefin pay`` and ``tradefin quote``: payment channels, payments and FX quotes.

Each command acts with the role-bearing users the launcher issued (treasury, compliance, approver2)
through the typed clients; the consortium channel is the one both banks of a payment channel are on.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.table import Table

from . import _existing, _fail, _user_name, err, friendly_errors, main, out

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_ZERO = re.compile(r"0+(?:[.,]0*)?")
# A netting cycle is a uint64 in payments.proto (GetBatchRequest / SettleBatchRequest.cycle): protobuf refuses a
# larger number with a ValueError when the request is built.
MAX_CYCLE = 2**64 - 1


#: The option of each payment command (by function) that gave each field of its request: the longest
#: matching prefix wins; a field no option gave is named as it is.
_OPTIONS: dict[str, dict[str, str]] = {
    "pay_send": {
        "instructed_amount": "--amount",
        "quote_id": "--quote",
        "debtor": "--debtor",
        "debtor.country": "--debtor-country",
        "debtor.kyc_ref": "--debtor-kyc",
        "debtor_account": "--debtor-account",
        "creditor": "--creditor",
        "creditor.country": "--creditor-country",
        "creditor.kyc_ref": "--creditor-kyc",
        "creditor_account": "--creditor-account",
        "fees_disclosed": "--fee",
        "remittance_information": "--remittance",
        "uetr": "--uetr",
    },
    "quote_create": {
        "quote.sell_currency": "--sell",
        "quote.rate": "--rate",
        "quote.max_sell_amount": "--max",
        "quote.valid_until": "--valid-minutes",
        "quote.margin_bps": "--margin-bps",
        "quote.fees": "--fee",
        "quote.for_bank_bic": "--for",
    },
    "pay_report": {"reason_code": "--reason", "fees_charged": "--fee", "uetr": "UETR"},
    "pay_return": {"reason_code": "--reason", "returned_amount": "--amount", "original_uetr": "UETR"},
    "pay_recall": {"reason_code": "--reason", "uetr": "UETR", "recall_id": "--recall-id"},
    "pay_reject_recall": {"reason_code": "--reason", "uetr": "UETR", "recall_id": "--recall-id"},
}


def refused_before_sending(exc: BaseException) -> bool:
    """Whether the typed client refused the request itself: nothing reached the network."""
    from ..gateway.tradefin import TradeFinanceError

    return isinstance(exc, TradeFinanceError) and exc.gateway_error is None and exc.transaction_id is None


def _option_of(field: str, options: dict[str, str]) -> str:
    """The option that gave ``field`` (``debtor.kyc_ref`` -> ``--debtor-kyc``), or the field itself."""
    parts = field.replace("[", ".[").split(".")
    for end in range(len(parts), 0, -1):
        option = options.get(".".join(parts[:end]))
        if option is not None:
            return option
    return field


def payment_errors(func: F) -> F:
    """A refusal by the chaincode or the gateway becomes one line with its code and a non-zero exit; input
    the typed client refuses before sending is a usage error naming the option that gave it (exit 2)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..gateway import CommitError, GatewayError, SigningError
        from ..gateway.tradefin import TradeFinanceError

        try:
            return func(*args, **kwargs)
        except TradeFinanceError as exc:
            if refused_before_sending(exc) and exc.code == "ERR_INVALID_INPUT":
                options = _OPTIONS.get(func.__name__, {})
                hint = _option_of(exc.field, options) if exc.field else None
                raise click.BadParameter(f"{exc.reason} ({exc.field})" if hint != exc.field else exc.reason,
                                         param_hint=hint) from None
            where = f" ({exc.field})" if exc.field else ""
            _fail(f"refused: {exc.code}{where}: {exc.reason}")
        except (GatewayError, CommitError, SigningError) as exc:  # e.g. committed invalid (MVCC_READ_CONFLICT)
            _fail(f"the gateway failed: {exc}")
        return None

    return wrapper  # type: ignore[return-value]


def _checked(param: str, check: Callable[[], T]) -> T:
    """``check()``; a refusal of the client's own validation names ``param`` (exit 2, before any network
    access)."""
    from ..chaincode.contracts.letters_of_credit.errors import LcRuleError
    from ..gateway.tradefin import TradeFinanceError

    try:
        return check()
    except LcRuleError as exc:
        raise click.BadParameter(exc.message, param_hint=param) from None
    except TradeFinanceError as exc:
        raise click.BadParameter(exc.reason, param_hint=param) from None


def _param_name(param: click.Parameter) -> str:
    return param.human_readable_name if isinstance(param, click.Argument) else (param.opts[-1] if param.opts else "")


def _text(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Callback of text that goes into a request: UTF-8 (argv bytes that are not arrive as lone surrogates, which
    protobuf cannot encode: a UnicodeEncodeError once the request was built). ``value`` may be a tuple (a
    repeated option) or None."""
    del ctx
    for text in value if isinstance(value, tuple) else (value,):
        if isinstance(text, str):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise click.BadParameter(f"{text[:40]!r} is not UTF-8 text (character {exc.start + 1})",
                                         param_hint=_param_name(param)) from None
    return value


def _reason_code(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """An ISO 20022 reason code, refused before any network access (an option left out stays "")."""
    from ..chaincode.contracts.payments.transfers import check_reason_code

    _text(ctx, param, value)
    if value:
        _checked(_param_name(param), lambda: check_reason_code(value))
    return value


def _channel_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """CHANNEL_ID callback: a well-formed payment channel id (BIC8-BIC8-CCY)."""
    from ..chaincode.contracts.payments.records import parse_channel_id

    del ctx
    _checked(_param_name(param), lambda: parse_channel_id(value))
    return value


def _uuid4(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Callback of a UETR or id argument: a lower-case UUID v4 (an option left out stays None or "")."""
    from ..chaincode.contracts.letters_of_credit.validation import check_uuid4

    del ctx
    if value:
        _checked(_param_name(param), lambda: check_uuid4(value, _param_name(param)))
    return value


def _country(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from ..chaincode.contracts.letters_of_credit.validation import check_country

    del ctx
    _checked(_param_name(param), lambda: check_country(value, _param_name(param)))
    return value


def _currency_code(param: str, currency: str) -> None:
    """An ISO 4217 currency, a refusal naming ``param`` (checked before an amount in it, which would
    otherwise be named for the currency's fault)."""
    from ..chaincode.contracts.letters_of_credit.money import exponent

    _checked(param, lambda: exponent(currency, param))


def _chaincode_limit(limit: Callable[[], int]) -> Callable[[click.Context, click.Parameter, int], int]:
    """Callback of an integer option the chaincode bounds: at most ``limit()`` (read from the chaincode's
    own constant when the option is given, so the two cannot drift)."""

    def callback(ctx: click.Context, param: click.Parameter, value: int) -> int:
        del ctx
        maximum = limit()
        if value > maximum:
            raise click.BadParameter(f"{value} is more than the chaincode allows ({maximum})",
                                     param_hint=_param_name(param))
        return value

    return callback


def _max_slots() -> int:
    from ..chaincode.contracts.payments.channels import MAX_SLOTS

    return int(MAX_SLOTS)


def _max_cycle_seconds() -> int:
    from ..chaincode.contracts.payments.channels import MAX_CYCLE_SECONDS

    return int(MAX_CYCLE_SECONDS)


def _max_margin_bps() -> int:
    from ..chaincode.contracts.payments.quotes import MAX_MARGIN_BPS

    return int(MAX_MARGIN_BPS)


def _max_valid_minutes() -> int:
    from ..chaincode.contracts.payments.quotes import MAX_VALIDITY

    return int(MAX_VALIDITY.total_seconds()) // 60


def _fee_item(item: str) -> tuple[str, str]:
    """A ``--fee BANK:AMOUNT`` item split into its bank and its amount text."""
    who, sep, amount = item.partition(":")
    if not sep or not who:
        raise click.BadParameter(f"{item!r} must be BANK:AMOUNT", param_hint="--fee")
    return who, amount


def _check_fees(fees: tuple[str, ...], currency: str) -> None:
    """``--fee BANK:AMOUNT`` items well formed, each amount valid in ``currency`` (the bank is resolved
    against the network later)."""
    for item in fees:
        _, amount = _fee_item(item)
        _checked("--fee", lambda amount=amount: _money(amount, currency))  # type: ignore[misc]


def _bank_spec(net: Any, name: str, param: str) -> Any:
    """The bank named ``name`` by ``param``, or a usage error naming it."""
    try:
        return net.spec.bank(name)
    except KeyError:
        names = ", ".join(b.name for b in net.spec.banks)
        raise click.BadParameter(f"unknown bank {name[:40]!r} (banks: {names})", param_hint=param) from None


def _channel_bank(net: Any, banks: list[Any], name: str, param: str, channel_id: str) -> Any:
    """The bank named ``name`` by ``param``, one of the payment channel's ``banks``, or a usage error naming it."""
    bank = _bank_spec(net, name, param)
    if bank not in banks:
        raise click.BadParameter(f"{bank.name} is not a bank of payment channel {channel_id} (its banks: "
                                 f"{', '.join(b.name for b in banks)})", param_hint=param)
    return bank


def _issued_user(net: Any, bank: Any, user: str, param: str) -> None:
    """``user`` of ``bank`` was issued (by `network up` or `tradefin identity issue`), or a usage error naming
    ``param``; the name itself was checked offline."""
    _user_name(user, bank)
    if not net.has_user(bank, user):
        raise click.BadParameter(f"{bank.name} has no user {user!r}: issue it with `tradefin identity issue --bank "
                                 f"{bank.name} --user {user} --role approver`", param_hint=param)


def _bank_by_bic(net: Any, bic: str, param: str = "CHANNEL_ID") -> Any:
    """The bank whose BIC8 opens ``bic`` (a BIC, or an id that starts with one: a credit id)."""
    for bank in net.spec.banks:
        if bank.bic[:8] == bic[:8]:
            return bank
    raise click.BadParameter(f"no bank of the network has BIC {bic[:8]}", param_hint=param)


def _consortium_channels(net: Any, banks: list[Any], requested: str | None, param: str) -> list[str]:
    """The consortium channels all ``banks`` (given by ``param``) are on, in the spec's order: only the
    requested one (``--on``) when there is one."""
    names = {bank.name for bank in banks}
    candidates: list[str] = [channel.name for channel in net.spec.channels if names <= set(channel.banks)]
    if requested is not None:
        if requested not in candidates:
            who = ", ".join(sorted(names)) if len(names) == 1 else f"all of {', '.join(sorted(names))}"
            raise click.BadParameter(f"channel {requested[:40]!r} does not have {who} (channels that do: "
                                     f"{', '.join(candidates) or 'none'})",
                                     param_hint="--on")
        return [requested]
    if not candidates:
        raise click.BadParameter(f"no consortium channel has all of {', '.join(sorted(names))}", param_hint=param)
    return candidates


def _consortium_channel(net: Any, banks: list[Any], requested: str | None, param: str) -> str:
    """The consortium channel all ``banks`` (given by ``param``) are on (the requested one, or the first)."""
    return _consortium_channels(net, banks, requested, param)[0]


def _refuse_not_found(what: str, places: list[tuple[Any, str]]) -> None:
    """Refuse, as the chaincode would: ``what`` is on none of ``places`` (the bank that asked, the channel)."""
    asked = ", ".join(f"{channel} (as {bank.name})" for bank, channel in places)
    _fail(f"refused: ERR_NOT_FOUND: no {what} on {asked or 'any channel of the bank'}")


@contextmanager
def _way_out(hint: str, unless: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """Print ``hint`` (how to finish, or undo, what the command did so far) when the body fails after
    sending something, unless with one of ``unless``: a failure that leaves nothing to finish."""
    try:
        yield
    except Exception as exc:
        if not refused_before_sending(exc) and not isinstance(exc, unless):
            err.print(hint, highlight=False, soft_wrap=True)
        raise


def _currency(channel_id: str) -> str:
    """The currency of a payment channel, the last part of its id (``BIC8-BIC8-CCY``)."""
    return channel_id.rsplit("-", 1)[1]


def _channel_banks(net: Any, channel_id: str) -> list[Any]:
    from ..chaincode.contracts.payments.records import parse_channel_id

    bic_a, bic_b, _ = parse_channel_id(channel_id)
    return [_bank_by_bic(net, bic_a), _bank_by_bic(net, bic_b)]


def _credit_limit(option: str, amount: str, currency: str) -> Any:
    """A credit limit option as Money, or None for a zero limit however it is written ("0", "0.00")."""
    if _ZERO.fullmatch(amount):
        return None
    return _checked(option, lambda: _money(amount, currency))


def _money(amount: str, currency: str) -> Any:
    from ..gateway.tradefin import money

    return money(currency, amount)


def _record_json(record: Any) -> dict[str, Any]:
    """A record as JSON, without its salt: a private record's salt is what keeps its public hash from
    being guessed, and has no business in a terminal or a log."""
    from google.protobuf.json_format import MessageToDict

    if "salt" in record.DESCRIPTOR.fields_by_name:
        record = type(record).FromString(record.SerializeToString())
        record.ClearField("salt")
    result: dict[str, Any] = MessageToDict(record, preserving_proto_field_name=True)
    return result


def _fees(net: Any, fees: tuple[str, ...], currency: str) -> list[Any]:
    """``--fee bank2:3.00`` (a bank name or BIC, and the amount in the channel's currency)."""
    from ..protos import payments_pb2

    parsed = []
    for item in fees:
        who, amount = _fee_item(item)
        bic = next((b.bic for b in net.spec.banks if who in (b.name, b.bic, b.bic[:8])), who)
        parsed.append(payments_pb2.Fee(agent_bic=bic, amount=_money(amount, currency), kind="COMM"))
    return parsed


#: Where the commands leave what they committed last, for the next command's reads (in the working
#: directory: purged with the network).
_SESSION_FILE = "cli-session.json"
#: How long that stays worth waiting for: peers commit a block milliseconds apart.
_SESSION_FRESH_SECONDS = 30.0


def _load_session(net: Any) -> Any:
    """A session for one command, carrying the last command's writes: a bank's peer that has not yet
    committed what another bank's command just wrote is waited for before it is read (a command
    chained after another's, in a script or a walk-through, would otherwise read the state before it)."""
    from ..gateway.tradefin import Session

    session = Session()
    path = Path(net.workdir) / _SESSION_FILE
    try:
        if time.time() - path.stat().st_mtime <= _SESSION_FRESH_SECONDS:
            snapshot = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(snapshot, dict):
                session.restore(snapshot)
    except (OSError, ValueError):
        pass  # none, unreadable or torn: nothing to wait for
    return session


def _save_session(net: Any, session: Any, loaded: dict[str, Any] | None = None) -> None:
    """Leave the session for the next command, unless it holds nothing or nothing more than ``loaded``
    (what the command took up: writing it again would only keep an old transaction fresh)."""
    snapshot = session.snapshot()
    if not snapshot or snapshot == loaded:
        return
    path = Path(net.workdir) / _SESSION_FILE
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(snapshot), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        with suppress(OSError):
            temporary.unlink()


class _Desks:
    """The typed clients of the network's banks on one consortium channel, sharing a session so each
    bank reads the others' writes (those of the command before too: see ``_load_session``)."""

    def __init__(self, net: Any, channel: str) -> None:
        self.net, self.channel = net, channel
        self.session = _load_session(net)
        self._loaded = self.session.snapshot()
        self._gateways: list[Any] = []

    def _gateway(self, bank: Any, user: str) -> Any:
        gateway = self.net.gateway(bank, user=user)
        self._gateways.append(gateway)
        return gateway

    def payments(self, bank: Any, user: str = "treasury") -> Any:
        from ..gateway.tradefin import Payments

        return Payments(self._gateway(bank, user), self.channel, session=self.session)

    def compliance(self, bank: Any, user: str = "compliance") -> Any:
        from ..gateway.tradefin import Compliance

        return Compliance(self._gateway(bank, user), self.channel, session=self.session)

    def credits(self, bank: Any, user: str = "auditor") -> Any:
        from ..gateway.tradefin import LettersOfCredit

        return LettersOfCredit(self._gateway(bank, user), self.channel, session=self.session)

    def close(self) -> None:
        for gateway in self._gateways:
            gateway.close()
        _save_session(self.net, self.session, self._loaded)


@contextmanager
def _desks(net: Any, banks: list[Any], channel: str | None = None, param: str = "CHANNEL_ID") -> Iterator[_Desks]:
    desks = _Desks(net, _consortium_channel(net, banks, channel, param))
    try:
        yield desks
    finally:
        desks.close()


@contextmanager
def _desks_finding(net: Any, banks: list[Any], channel: str | None, what: str,
                   read: Callable[[_Desks], T], param: str = "--bank") -> Iterator[tuple[_Desks, T]]:
    """The desks of the consortium channel where ``banks`` (the first of them asking; given by ``param``)
    find a record, and what ``read`` answered there: ``read`` raises NotFoundError on a channel without it.
    ``channel`` (--on) is the only one looked on; without it each channel all ``banks`` are on is, in the
    spec's order. Refused ERR_NOT_FOUND, naming ``what`` and the channels looked on, when none has it."""
    from ..gateway.tradefin import NotFoundError

    channels = _consortium_channels(net, banks, channel, param)
    for name in channels:
        with _desks(net, banks, name, param) as desks:
            try:
                found = read(desks)
            except NotFoundError:
                continue  # not on this channel
            yield desks, found
            return
    _refuse_not_found(what, [(banks[0], name) for name in channels])


@contextmanager
def _channel_desks(net: Any, banks: list[Any], channel_id: str) -> Iterator[_Desks]:
    """The desks of the consortium channel that holds payment channel ``channel_id`` (of ``banks``):
    looked for on each channel both banks are on, as a payment is (a channel may have been opened on
    another than the first, with `channel open --on`)."""

    def read(desks: _Desks) -> Any:
        return desks.payments(banks[0]).get_channel(channel_id)

    channels = _consortium_channels(net, banks, None, "CHANNEL_ID")
    if len(channels) == 1:  # nothing to choose: the command reads (or refuses) there itself
        with _desks(net, banks, channels[0], "CHANNEL_ID") as desks:
            yield desks
        return
    with _desks_finding(net, banks, None, f"payment channel {channel_id}", read, "CHANNEL_ID") as (desks, _):
        yield desks


@contextmanager
def _payment_found(net: Any, bank: Any, channel: str | None, uetr: str,
                   user: str = "treasury") -> Iterator[tuple[Any, Any]]:
    """``bank``'s payments client (as ``user``) on the consortium channel of payment ``uetr``, and the payment
    as it reads it (see ``_desks_finding``)."""

    def read(desks: _Desks) -> tuple[Any, Any]:
        payments = desks.payments(bank, user)
        return payments, payments.get_payment(uetr)

    with _desks_finding(net, [bank], channel, f"payment {uetr}", read) as (_, found):
        yield found


#: ``--on`` of a command that acts on a record it finds by its id.
_FOUND_ON = "The consortium channel (default: each channel of --bank in turn, until the {} is found)."


def _json_option(func: F) -> F:
    """``--json``: the records instead of the human summary."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the records as JSON (default: a human summary).")(func)


def _show_channel(view: Any, as_json: bool) -> None:
    from ..chaincode.contracts.letters_of_credit.money import format_amount
    from ..protos import payments_pb2

    if as_json:
        out.print_json(json.dumps({
            "channel": _record_json(view.channel),
            "balances": [_record_json(balance) for balance in view.balances],
            "pending_approvals": view.pending_approvals,
        }))
        return
    stub = view.channel
    state = payments_pb2.PaymentChannelState.Name(stub.state).removeprefix("PAYMENT_CHANNEL_STATE_")
    out.print(f"payment channel [bold]{stub.channel_id}[/bold]: {state}, open cycle {stub.open_cycle}, "
              f"frozen up to {stub.last_frozen_cycle}, settled up to {stub.last_settled_cycle}, "
              f"{view.pending_approvals} pending approval(s)")
    table = Table()
    for column in ("bank", "deposit", "credit limit", "balance", "capacity", "sent (open)", "received (open)"):
        table.add_column(column, justify="left" if column == "bank" else "right")
    for balance in view.balances:
        table.add_row(balance.bic, *(format_amount(value, stub.currency) for value in (
            balance.deposit, balance.credit_limit, balance.balance, balance.capacity, balance.sent_unfrozen,
            balance.received_unfrozen)))
    out.print(table)


def _show_payment(details: Any, as_json: bool) -> None:
    from ..gateway.tradefin import money_text
    from ..gateway.tradefin.payments import status_name

    if as_json:
        record = _record_json(details.record) if details.record is not None else None
        out.print_json(json.dumps({"payment": _record_json(details.payment), "record": record}))
        return
    stub = details.payment
    history = " -> ".join(status_name(change.status) + (f" ({change.reason_code})" if change.reason_code else "")
                          for change in stub.status_history)
    out.print(f"payment [bold]{stub.uetr}[/bold] on {stub.channel_id}, cycle {stub.cycle}: {history}")
    if details.record is not None:
        record = details.record
        out.print(f"  {record.debtor.name} ({record.debtor_agent.bic}) -> {record.creditor.name} "
                  f"({record.creditor_agent.bic}): instructed {money_text(record.instructed_amount)}, "
                  f"settled {money_text(record.settlement_amount)}, credited {money_text(record.credited_amount)}"
                  + (f" at {record.exchange_rate}" if record.exchange_rate else ""))
        for recall in record.recalls:
            _show_recall(recall)


def _show_recall(recall: Any) -> None:
    from ..protos import payments_pb2

    status = payments_pb2.RecallStatus.Name(recall.status).removeprefix("RECALL_STATUS_")
    answer = {
        payments_pb2.RECALL_STATUS_REJECTED: f", rejected ({recall.rejection_reason})",
        payments_pb2.RECALL_STATUS_ACCEPTED: (f", answered by return {recall.return_uetr}" if recall.return_uetr
                                              else ", answered by the payment's rejection"),
    }.get(recall.status, " (waiting for the creditor agent)")
    out.print(f"  recall {recall.recall_id} ({recall.reason_code}): {status}{answer}")


@main.group("channel")
def payment_channel() -> None:
    """Bilateral payment channels between two banks of a consortium channel."""


@payment_channel.command("open")
@click.argument("bank")
@click.argument("other")
@click.option("--currency", required=True, help="The channel's ISO 4217 currency.")
@click.option("--credit-limit", default="0", show_default=True, help="Credit OTHER grants BANK (BANK may go negative).")
@click.option("--other-credit-limit", default="0", show_default=True, help="Credit BANK grants OTHER.")
@click.option("--slots", type=click.IntRange(min=1), default=32, show_default=True,
              callback=_chaincode_limit(_max_slots), help="Capacity shards per bank (payments in flight).")
@click.option("--cycle-seconds", type=click.IntRange(min=1), default=86400, show_default=True,
              callback=_chaincode_limit(_max_cycle_seconds), help="Length of a netting cycle.")
@click.option("--on", "fabric_channel", default=None, help="The consortium channel (default: the first with both).")
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def channel_open(ctx: click.Context, bank: str, other: str, currency: str, credit_limit: str, other_credit_limit: str,
                 slots: int, cycle_seconds: int, fabric_channel: str | None, as_json: bool) -> None:
    """BANK proposes a payment channel and OTHER accepts it (their treasuries).

    Run again, it finishes what a failure left: a channel proposed with the same terms (by either bank) is
    accepted by the other bank, one open with them already is shown; other terms are refused."""
    from ..gateway.tradefin import TradeFinanceError
    from ..gateway.tradefin.payments import channel_id as payment_channel_id

    if other == bank:
        raise click.BadParameter(f"a payment channel is between two banks, not {bank[:40]!r} and itself",
                                 param_hint="OTHER")
    _currency_code("--currency", currency)
    limits = [_credit_limit(option, limit, currency)
              for option, limit in (("--credit-limit", credit_limit), ("--other-credit-limit", other_credit_limit))]
    net = _existing(ctx)
    proposer, counterparty = _bank_spec(net, bank, "BANK"), _bank_spec(net, other, "OTHER")
    channel_id = payment_channel_id(proposer.bank_ref(), counterparty.bank_ref(), currency)
    with _desks(net, [proposer, counterparty], fabric_channel, "OTHER") as desks:
        existing = _channel_if_any(desks.payments(proposer), channel_id)
        if existing is None:
            # the gateway's failure may have proposed it: running again accepts it then
            with _way_out(f"channel {channel_id}: run this command again, it is proposed once",
                          unless=(TradeFinanceError,)):
                desks.payments(proposer).propose_channel(
                    proposer.bank_ref(), counterparty.bank_ref(), currency,
                    proposer_credit_limit=limits[0], counterparty_credit_limit=limits[1],
                    capacity_slots=slots, cycle_seconds=cycle_seconds)
            acceptor: Any = counterparty
        else:
            asked = {"--credit-limit": (proposer, limits[0]), "--other-credit-limit": (counterparty, limits[1])}
            acceptor = _resumed_opening(existing, [proposer, counterparty], asked, slots, cycle_seconds)
        if acceptor is not None:
            proposed_by = next(b for b in (proposer, counterparty) if b is not acceptor)
            with _way_out(f"channel {channel_id} is proposed by {proposed_by.name}, not accepted by {acceptor.name}: "
                          f"run this command again to accept it, or `tradefin channel close {channel_id} --bank "
                          f"{proposed_by.name}` to withdraw it"):
                desks.payments(acceptor).accept_channel(channel_id)
        _show_channel(desks.payments(proposer).get_channel(channel_id), as_json)


def _channel_if_any(payments: Any, channel_id: str) -> Any:
    """The payment channel ``channel_id`` as one of its banks sees it, or None when there is none."""
    from ..gateway.tradefin import NotFoundError

    try:
        return payments.get_channel(channel_id)
    except NotFoundError:
        return None


def _resumed_opening(view: Any, banks: list[Any], limits: dict[str, tuple[Any, Any]], slots: int,
                     cycle_seconds: int) -> Any:
    """`channel open` of a channel that exists (``view``, read by one of its ``banks``): the bank that accepts
    it, when it waits for that bank's acceptance with the terms asked; None when it is open with them
    already. Anything else is refused as the proposal would be (ERR_DUPLICATE), saying why.

    ``limits``: per option, the bank it grants credit to and the limit asked (None: none)."""
    from ..chaincode.contracts.letters_of_credit.money import format_amount
    from ..chaincode.contracts.payments.channels import state_name
    from ..protos import payments_pb2

    stub, position = view.channel, view.position
    state = state_name(stub.state)
    refusal = f"refused: ERR_DUPLICATE (counterparty): channel {stub.channel_id} exists ({state})"
    if stub.state not in (payments_pb2.PAYMENT_CHANNEL_STATE_PROPOSED, payments_pb2.PAYMENT_CHANNEL_STATE_OPEN):
        _fail(refusal)
    proposer = next(bank for bank in banks if bank.msp_id == stub.proposed_by_msp_id)
    agreed = {option: (position.credit_limit_a if bank.bic[:8] == stub.bank_a.bic[:8] else position.credit_limit_b,
                       limit.minor_units if limit is not None else 0)
              for option, (bank, limit) in limits.items()}
    differences = [f"{option} {format_amount(ledger, stub.currency)} (not {format_amount(asked, stub.currency)})"
                   for option, (ledger, asked) in agreed.items() if ledger != asked]
    differences += [f"{option} {ledger} (not {asked})" for option, ledger, asked in (
        ("--slots", stub.capacity_slots, slots), ("--cycle-seconds", stub.cycle_seconds, cycle_seconds)
    ) if ledger != asked]
    if differences:
        withdraw = (f"; `tradefin channel close {stub.channel_id} --bank {proposer.name}` withdraws the proposal"
                    if stub.state == payments_pb2.PAYMENT_CHANNEL_STATE_PROPOSED else "")
        _fail(f"{refusal} with other terms: {', '.join(differences)}{withdraw}")
    if stub.state == payments_pb2.PAYMENT_CHANNEL_STATE_OPEN:
        err.print(f"channel {stub.channel_id} is open already, with these terms", highlight=False, soft_wrap=True)
        return None
    acceptor = next(bank for bank in banks if bank is not proposer)
    err.print(f"channel {stub.channel_id} was proposed by {proposer.name} already: {acceptor.name} accepts it",
              highlight=False, soft_wrap=True)
    return acceptor


def _deposit_id(channel_id: str, bank: Any, funding_uetr: str) -> str:
    """The id of ``bank``'s deposit into ``channel_id`` funded by ``funding_uetr``: the same each time (a UUID v4
    in form, made from the three), so that `channel deposit` run again with the same --funding-uetr finds the
    deposit it recorded instead of recording another."""
    digest = hashlib.sha256(f"{channel_id}|{bank.bic[:8]}|{funding_uetr}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


@payment_channel.command("deposit")
@click.argument("channel_id", callback=_channel_id)
@click.option("--bank", required=True, help="The depositing bank; the other bank confirms the funding.")
@click.option("--amount", required=True, help="Decimal amount in the channel's currency.")
@click.option("--funding-uetr", default=None, callback=_uuid4,
              help="UETR of the funding pacs.009 (default: a new one); the same again finishes its deposit.")
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def channel_deposit(ctx: click.Context, channel_id: str, bank: str, amount: str, funding_uetr: str | None,
                    as_json: bool) -> None:
    """Record a deposit into BANK's side and have the other bank confirm it.

    Run again with the same --funding-uetr (a failure prints it), it confirms the deposit recorded then
    instead of recording another, and shows one confirmed already (it counts once)."""
    from ..chaincode.contracts.payments.channels import RUNNING_STATES
    from ..gateway.tradefin import DuplicateError, InvalidStateError, TradeFinanceError

    _checked("--amount", lambda: _money(amount, _currency(channel_id)))
    net = _existing(ctx)
    banks = _channel_banks(net, channel_id)
    depositor = _channel_bank(net, banks, bank, "--bank", channel_id)
    other = next(b for b in banks if b.name != depositor.name)
    funding = funding_uetr or str(uuid.uuid4())
    deposit_id = _deposit_id(channel_id, depositor, funding)
    again = f"run again with --funding-uetr {funding}"
    with _channel_desks(net, banks, channel_id) as desks:
        # a refusal by a rule leaves nothing recorded; the gateway's failure may have: running again tells
        with _way_out(f"deposit funded by {funding}: {again} (it is recorded once)", unless=(TradeFinanceError,)):
            try:
                desks.payments(depositor).record_deposit(channel_id, _money(amount, _currency(channel_id)), funding,
                                                         deposit_id=deposit_id)
            except DuplicateError as exc:
                if exc.field != "deposit_id":
                    raise
                _fail(f"refused: ERR_DUPLICATE (funding_uetr): {depositor.name} recorded a deposit funded by "
                      f"{funding} of another amount than {amount}: run again with its amount to finish it")
        with _way_out(f"{depositor.name}'s deposit funded by {funding} is recorded, not confirmed by {other.name}: "
                      f"{again} to confirm it", unless=(InvalidStateError,)):
            try:
                desks.payments(other).confirm_deposit(channel_id, deposit_id)
            except InvalidStateError:
                # refused as invalid, the deposit just recorded: confirmed already (it is PENDING or CONFIRMED),
                # or the channel no longer runs -- the refusal stands then
                if desks.payments(depositor).get_channel(channel_id).channel.state not in RUNNING_STATES:
                    raise
                err.print(f"{depositor.name}'s deposit funded by {funding} was confirmed already (it counts once)",
                          highlight=False, soft_wrap=True)
        _show_channel(desks.payments(depositor).get_channel(channel_id), as_json)


@payment_channel.command("show")
@click.argument("channel_id", callback=_channel_id)
@click.option("--bank", default=None, help="Ask as this bank (default: the channel's first bank).")
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def channel_show(ctx: click.Context, channel_id: str, bank: str | None, as_json: bool) -> None:
    """The channel's state and each bank's deposit, balance and capacity."""
    net = _existing(ctx)
    banks = _channel_banks(net, channel_id)
    asking = _bank_spec(net, bank, "--bank") if bank else banks[0]
    with _channel_desks(net, banks, channel_id) as desks:
        _show_channel(desks.payments(asking).get_channel(channel_id), as_json)


def _cycle_to_net(stub: Any, asked: int | None) -> tuple[int, str]:
    """The netting cycle `channel net` nets (``asked``, or by default a cycle cut off but not frozen, else the
    open one) and what is left to do for it: "cut off" and freeze, "freeze" only, or nothing ("frozen")."""
    open_cycle, frozen = stub.open_cycle, stub.last_frozen_cycle
    # the chaincode cuts off no further cycle before that one is frozen: there is one at most
    waiting = frozen + 1 if frozen < open_cycle - 1 else None
    cycle: int = asked if asked is not None else (waiting or open_cycle)
    if 1 <= cycle <= frozen:
        return cycle, "frozen"
    if cycle == waiting:
        return cycle, "freeze"
    if waiting is not None and cycle == open_cycle:
        _fail(f"refused: ERR_INVALID_STATE: freeze cycle {waiting} first: `tradefin channel net {stub.channel_id} "
              f"--cycle {waiting}` does")
    if open_cycle and cycle > open_cycle:
        _fail(f"refused: ERR_INVALID_STATE: cycle {cycle} is not open yet (the open cycle is {open_cycle})")
    return cycle, "cut off"  # the open cycle (on a channel not open, the chaincode says what it is)


@payment_channel.command("net")
@click.argument("channel_id", callback=_channel_id)
@click.option("--bank", default=None, help="The bank that cuts off (default: the channel's first bank).")
@click.option("--cycle", type=click.IntRange(min=1, max=MAX_CYCLE), default=None,
              help="The cycle to net (default: one cut off but not frozen, else the open one); one frozen "
                   "already is shown.")
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def channel_net(ctx: click.Context, channel_id: str, bank: str | None, cycle: int | None, as_json: bool) -> None:
    """Cut off the open cycle and freeze its netting batch.

    Run again after a failure, it freezes a cycle cut off but not frozen instead of cutting off another;
    with the --cycle a failure prints, a cycle frozen meanwhile is shown, not netted again."""
    from ..chaincode.contracts.letters_of_credit.money import format_amount
    from ..gateway.tradefin import TradeFinanceError

    net = _existing(ctx)
    banks = _channel_banks(net, channel_id)
    acting = _channel_bank(net, banks, bank, "--bank", channel_id) if bank else banks[0]
    with _channel_desks(net, banks, channel_id) as desks:
        payments = desks.payments(acting)
        cycle, step = _cycle_to_net(payments.get_channel(channel_id).channel, cycle)
        if step == "cut off":
            # the gateway's failure may have cut it off: with --cycle, running again freezes it then
            with _way_out(f"`tradefin channel net {channel_id} --cycle {cycle}` nets cycle {cycle} once",
                          unless=(TradeFinanceError,)):
                cycle = payments.cut_off(channel_id).record.open_cycle - 1
        elif step == "freeze":
            err.print(f"cycle {cycle} was cut off already: freezing its batch", highlight=False, soft_wrap=True)
        if step == "frozen":
            frozen_in = "already"
        else:
            with _way_out(f"cycle {cycle} is cut off, its batch not frozen: `tradefin channel net {channel_id} "
                          f"--cycle {cycle}` freezes it"):
                frozen_in = f"in block {payments.freeze_batch(channel_id, cycle).block_number}"
        details = payments.get_batch(channel_id, cycle)
        if as_json:
            out.print_json(json.dumps({"batch": _record_json(details.batch), "record": _record_json(details.record)}))
            return
        record, currency = details.record, _currency(channel_id)
        debtor = record.net_debtor_bic or "nobody"
        out.print(f"batch {record.cycle} frozen {frozen_in}: "
                  f"{record.count_a_to_b} + {record.count_b_to_a} payments, gross "
                  f"{format_amount(record.gross_a_to_b, currency)} / {format_amount(record.gross_b_to_a, currency)}, "
                  f"net {currency} {format_amount(record.net_amount, currency)} owed by {debtor}; "
                  f"hash {details.batch.batch_hash[:16]}…")


@payment_channel.command("settle")
@click.argument("channel_id", callback=_channel_id)
@click.option("--cycle", type=click.IntRange(min=1, max=MAX_CYCLE), required=True,
              help="The netting cycle whose frozen batch was paid (required; see `tradefin channel net`).")
@click.option("--reference", default=None, callback=_uuid4,
              help="UETR of the pacs.009 that paid the net (default: a new one).")
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def channel_settle(ctx: click.Context, channel_id: str, cycle: int, reference: str | None, as_json: bool) -> None:
    """The bank owed the net amount confirms its settlement (either bank when the net is zero)."""
    net = _existing(ctx)
    banks = _channel_banks(net, channel_id)
    with _channel_desks(net, banks, channel_id) as desks:
        record = desks.payments(banks[0]).get_batch(channel_id, cycle).record
        creditor = next((b for b in banks if b.bic[:8] != record.net_debtor_bic), banks[0])
        settled = desks.payments(creditor).settle_batch(channel_id, cycle, reference or str(uuid.uuid4()))
        if as_json:
            out.print_json(json.dumps(_record_json(settled.record)))
        else:
            out.print(f"batch {cycle} settled by {creditor.display_name} in block {settled.block_number} "
                      f"(reference {settled.record.settlement_uetr})")


@payment_channel.command("close")
@click.argument("channel_id", callback=_channel_id)
@click.option("--bank", default=None,
              help="The bank that closes (default: the channel's first bank); either may withdraw a proposal.")
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def channel_close(ctx: click.Context, channel_id: str, bank: str | None, as_json: bool) -> None:
    """Close a channel with nothing pending, unfrozen or unsettled."""
    net = _existing(ctx)
    banks = _channel_banks(net, channel_id)
    closing = _channel_bank(net, banks, bank, "--bank", channel_id) if bank else banks[0]
    with _channel_desks(net, banks, channel_id) as desks:
        payments = desks.payments(closing)
        payments.close_channel(channel_id)
        _show_channel(payments.get_channel(channel_id), as_json)


@main.group("pay")
def pay_group() -> None:
    """Cross-border payments on a payment channel (and the pilot's compliance set-up)."""


def _consortium_banks(net: Any, fabric_channel: str) -> list[Any]:
    """The banks of a consortium channel of the network (``--on``)."""
    try:
        return list(net.spec.channel_banks(fabric_channel))
    except KeyError:
        names = ", ".join(c.name for c in net.spec.channels)
        raise click.BadParameter(f"unknown channel {fabric_channel!r} (channels: {names})", param_hint="--on") from None


@pay_group.command("pilot")
@click.option("--on", "fabric_channel", required=True, help="The consortium channel (required: no default).")
@click.option("--check-credits", is_flag=True, help="Also check letters of credit (KYC, sanctions, caps).")
@click.pass_context
@friendly_errors
@payment_errors
def pay_pilot(ctx: click.Context, fabric_channel: str, check_credits: bool) -> None:
    """Adopt the small-value pilot's compliance configuration on a consortium channel: proposed by its
    first bank, approved by every other (their compliance officers)."""
    from ..gateway.tradefin.compliance import pilot_configuration

    net = _existing(ctx)
    banks = _consortium_banks(net, fabric_channel)
    with _desks(net, banks, fabric_channel) as desks:
        first = desks.compliance(banks[0])
        current = first.get_governance().governance
        version = current.version + 1 if current.version else 1
        config = pilot_configuration([b.msp_id for b in banks], version=version, check_credits=check_credits,
                                     directory=[b.bank_ref() for b in banks])
        first.propose_governance(config)
        for bank in banks[1:]:
            desks.compliance(bank).approve_governance(version)
        out.print(f"compliance configuration version {version} adopted on {fabric_channel} by "
                  f"{', '.join(b.display_name for b in banks)}")


@pay_group.command("governance")
@click.option("--on", "fabric_channel", required=True, help="The consortium channel (required: no default).")
@click.option("--bank", default=None, help="Ask as this bank's compliance officer (default: the channel's first).")
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def pay_governance(ctx: click.Context, fabric_channel: str, bank: str | None, as_json: bool) -> None:
    """The compliance configuration in force on a consortium channel (members, sanctions lists, embargo,
    caps, the BIC directory) and the next version's proposal, if any."""
    net = _existing(ctx)
    banks = _consortium_banks(net, fabric_channel)
    spec = _bank_spec(net, bank, "--bank") if bank is not None else banks[0]
    with _desks(net, [spec], fabric_channel, "--bank") as desks:
        answer = desks.compliance(spec).get_governance()
    governance = answer.governance if answer.HasField("governance") else None
    proposal = answer.proposal if answer.HasField("proposal") else None
    if as_json:
        out.print_json(json.dumps({
            "governance": _record_json(governance) if governance is not None else None,
            "proposal": _record_json(proposal) if proposal is not None else None,
        }))
        return
    if governance is None:
        out.print(f"no compliance configuration in force on {fabric_channel} "
                  f"(`tradefin pay pilot --on {fabric_channel}` adopts one)")
    else:
        _show_governance(governance, fabric_channel)
    if proposal is not None:
        from ..protos import compliance_pb2

        status = compliance_pb2.ProposalStatus.Name(proposal.status).removeprefix("PROPOSAL_STATUS_")
        approved = sorted(approval.msp_id for approval in proposal.approvals)
        waiting = sorted(set(proposal.required_msp_ids) - set(approved))
        out.print(f"proposal of version {proposal.config.version}: {status}, approved by {', '.join(approved)}"
                  + (f"; waiting for {', '.join(waiting)}" if waiting else ""))


def _show_governance(config: Any, fabric_channel: str) -> None:
    from ..chaincode.contracts.letters_of_credit.money import format_amount
    from ..protos import compliance_pb2

    def amount(money: Any) -> str:
        return format_amount(money.minor_units, money.currency)

    def listed(values: Any) -> str:
        return ", ".join(values) or "none"

    caps = config.pilot_caps
    policy = compliance_pb2.FinancingPolicy.Name(config.financing_policy).removeprefix("FINANCING_POLICY_")
    out.print(f"compliance configuration version {config.version} in force on {fabric_channel}: members "
              f"{', '.join(config.member_msp_ids)}")
    out.print(f"  sanctions lists: {listed(f'{s.list_id} {s.version}' for s in config.sanctions_lists)} "
              f"(screenings at most {config.screening_max_age_hours} h old)")
    out.print(f"  embargoed: {listed(config.embargoed_countries)}; high risk: {listed(config.high_risk_countries)}")
    out.print(f"  pilot caps ({config.reference_currency}): {amount(caps.max_per_payment)} per payment, "
              f"{amount(caps.max_per_day)} per day, {amount(caps.max_per_credit)} per credit; second approver "
              f"from {amount(config.dual_control_threshold)} within {config.approval_window_hours} h")
    out.print(f"  credits checked: {'yes' if config.check_credits else 'no'}; financing policy: {policy}")
    directory = listed(f"{entry.bic} {entry.msp_id}" for entry in config.directory)
    out.print(f"  BIC directory: {directory}" if config.directory else
              "  BIC directory: none (a request's pairing of BIC and MSP id is not checked)")


@pay_group.command("vouch")
@click.argument("bank")
@click.argument("subject_ref", callback=_text)
@click.option("--risk", type=click.Choice(["LOW", "MEDIUM", "HIGH"]), default="LOW", show_default=True,
              help="The customer's risk rating (HIGH: its payments need a second approver).")
@click.option("--on", "fabric_channel", default=None,
              help="The consortium channel (default: every channel of BANK, one after the other).")
@click.pass_context
@friendly_errors
@payment_errors
def pay_vouch(ctx: click.Context, bank: str, subject_ref: str, risk: str, fabric_channel: str | None) -> None:
    """BANK attests its customer SUBJECT_REF (KYC) and records it CLEAR on every required list, on each of
    its consortium channels (a payment or a credit needs it on the channel it runs on) or on --on's."""
    from ..protos import compliance_pb2

    net = _existing(ctx)
    spec = _bank_spec(net, bank, "BANK")
    rating = compliance_pb2.RiskRating.Value(f"RISK_RATING_{risk}")
    channels = _consortium_channels(net, [spec], fabric_channel, "BANK")
    for index, channel in enumerate(channels):
        done = f" ({spec.name} vouched on {', '.join(channels[:index])} already)" if index else ""
        # several channels: a refusal says on which (`--on` repeats the vouch there alone)
        failing = _way_out(f"vouching on {channel}{done}:") if len(channels) > 1 else nullcontext()
        with _desks(net, [spec], channel, "BANK") as desks, failing:
            attested = desks.compliance(spec).vouch(subject_ref, risk_rating=rating)
        out.print(f"{spec.display_name} vouches for {subject_ref} on {channel} until {attested.expires_on.year:04d}-"
                  f"{attested.expires_on.month:02d}-{attested.expires_on.day:02d}")


def _party(name: str, country: str, kyc_ref: str) -> Any:
    from ..protos import common_pb2

    return common_pb2.PartyRef(name=name, country=country, kyc_ref=kyc_ref)


def _account(value: str) -> Any:
    from ..protos import common_pb2

    if value[:2].isalpha() and value[2:4].isdigit():
        return common_pb2.AccountRef(iban=value)
    return common_pb2.AccountRef(other=value)


@pay_group.command("send")
@click.argument("channel_id", callback=_channel_id)
@click.option("--from", "sender", required=True, help="The debtor agent (a bank of the channel).")
@click.option("--amount", required=True, help="Instructed amount (decimal).")
@click.option("--currency", default=None, help="Instructed currency (default: the channel's; another needs --quote).")
@click.option("--quote", "quote_id", default="", callback=_uuid4, help="FX quote to convert with.")
@click.option("--debtor", callback=_text, required=True, help="Debtor's name.")
@click.option("--debtor-country", required=True, callback=_country,
              help="Debtor's ISO 3166 country code, e.g. HK (required).")
@click.option("--debtor-kyc", callback=_text, required=True, help="Debtor's KYC reference at the debtor agent.")
@click.option("--debtor-account", callback=_text, required=True, help="IBAN or other account id.")
@click.option("--creditor", callback=_text, required=True, help="Creditor's name.")
@click.option("--creditor-country", required=True, callback=_country,
              help="Creditor's ISO 3166 country code, e.g. DE (required).")
@click.option("--creditor-kyc", callback=_text, required=True, help="Creditor's KYC reference at the creditor agent.")
@click.option("--creditor-account", callback=_text, required=True, help="IBAN or other account id.")
@click.option("--bearer", type=click.Choice(["DEBT", "CRED", "SHAR"]), default="SHAR", show_default=True,
              help="Who bears the charges: the debtor, the creditor or both (ISO 20022 ChargeBearer).")
@click.option("--fee", "fees", callback=_text, multiple=True,
              help="Disclosed fee BANK:AMOUNT (repeatable; without a quote).")
@click.option("--remittance", callback=_text, default="", help="Remittance information (up to 140 characters).")
@click.option("--uetr", default=None, callback=_uuid4, help="The payment's UETR (default: a new one).")
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def pay_send(ctx: click.Context, channel_id: str, sender: str, amount: str, currency: str | None, quote_id: str,
             debtor: str, debtor_country: str, debtor_kyc: str, debtor_account: str, creditor: str,
             creditor_country: str, creditor_kyc: str, creditor_account: str, bearer: str, fees: tuple[str, ...],
             remittance: str, uetr: str | None, as_json: bool) -> None:
    """Pay from --from's customer to the other bank's customer over the channel (its treasury)."""
    from ..protos import payments_pb2

    channel_currency = _currency(channel_id)
    if currency is not None:
        _currency_code("--currency", currency)
    _checked("--amount", lambda: _money(amount, currency or channel_currency))
    _check_fees(fees, channel_currency)
    net = _existing(ctx)
    banks = _channel_banks(net, channel_id)
    debtor_agent = _channel_bank(net, banks, sender, "--from", channel_id)
    uetr = uetr or str(uuid.uuid4())  # chosen here, so that a failure can say how to retry without paying twice
    with _channel_desks(net, banks, channel_id) as desks:
        payments = desks.payments(debtor_agent)
        with _way_out(f"payment UETR {uetr}: `tradefin pay status {uetr} --bank {debtor_agent.name} --on "
                      f"{desks.channel}` tells whether it was made; retry with --uetr {uetr} (the same payment is "
                      "never made twice)"):
            paid = payments.pay(
                channel_id, _money(amount, currency or channel_currency), quote_id=quote_id,
                debtor=_party(debtor, debtor_country, debtor_kyc), debtor_account=_account(debtor_account),
                creditor=_party(creditor, creditor_country, creditor_kyc),
                creditor_account=_account(creditor_account),
                charge_bearer=payments_pb2.ChargeBearer.Value(f"CHARGE_BEARER_{bearer}"),
                fees_disclosed=_fees(net, fees, channel_currency), remittance_information=remittance, uetr=uetr)
        _show_payment(payments.get_payment(paid.record.uetr), as_json)


@pay_group.command("status")
@click.argument("uetr", callback=_uuid4)
@click.option("--bank", required=True, help="Ask as this bank.")
@click.option("--on", "fabric_channel", default=None, help=_FOUND_ON.format("payment"))
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def pay_status(ctx: click.Context, uetr: str, bank: str, fabric_channel: str | None, as_json: bool) -> None:
    """A payment's status history (and, for its banks, amounts, parties and fees)."""
    net = _existing(ctx)
    spec = _bank_spec(net, bank, "--bank")
    with _payment_found(net, spec, fabric_channel, uetr) as (_, details):
        _show_payment(details, as_json)


@pay_group.command("report")
@click.argument("uetr", callback=_uuid4)
@click.option("--bank", required=True, help="The creditor agent.")
@click.option("--status", type=click.Choice(["ACSC", "ACCC", "RJCT"]), required=True,
              help="The pacs.002 status: ACSC settled, ACCC credited to the creditor, RJCT rejected (required).")
@click.option("--reason", callback=_reason_code, default="", help="ISO 20022 reason code (required for RJCT).")
@click.option("--fee", callback=_text, default=None,
              help="What the creditor agent deducted (decimal, channel currency).")
@click.option("--on", "fabric_channel", default=None, help=_FOUND_ON.format("payment"))
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def pay_report(ctx: click.Context, uetr: str, bank: str, status: str, reason: str, fee: str | None,
               fabric_channel: str | None, as_json: bool) -> None:
    """The creditor agent reports ACSC, ACCC or RJCT."""
    from ..protos import payments_pb2

    net = _existing(ctx)
    spec = _bank_spec(net, bank, "--bank")
    with _payment_found(net, spec, fabric_channel, uetr) as (payments, details):
        currency = _currency(details.payment.channel_id)
        charged = [payments_pb2.Fee(agent_bic=spec.bic, amount=_checked("--fee", lambda: _money(fee, currency)),
                                    kind="COMM")] if fee else []
        payments.report_status(uetr, payments_pb2.PaymentStatus.Value(f"PAYMENT_STATUS_{status}"), reason_code=reason,
                               fees_charged=charged)
        _show_payment(payments.get_payment(uetr), as_json)


@pay_group.command("approve")
@click.argument("uetr", callback=_uuid4)
@click.option("--bank", required=True, help="The debtor agent.")
@click.option("--user", default="approver2", show_default=True, callback=lambda ctx, param, value: _user_name(value),
              help="The approving officer (role approver).")
@click.option("--on", "fabric_channel", default=None, help=_FOUND_ON.format("payment"))
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def pay_approve(ctx: click.Context, uetr: str, bank: str, user: str, fabric_channel: str | None, as_json: bool) -> None:
    """A second officer approves a payment pending dual control."""
    net = _existing(ctx)
    spec = _bank_spec(net, bank, "--bank")
    _issued_user(net, spec, user, "--user")
    with _payment_found(net, spec, fabric_channel, uetr, user) as (payments, _):
        payments.approve(uetr)
        _show_payment(payments.get_payment(uetr), as_json)


@pay_group.command("return")
@click.argument("uetr", callback=_uuid4)
@click.option("--bank", required=True, help="The creditor agent of the original payment.")
@click.option("--amount", required=True, help="Decimal amount in the channel's currency.")
@click.option("--reason", callback=_reason_code, required=True,
              help="ISO 20022 return reason, e.g. AC04 (FOCR: accepting the payment's recall).")
@click.option("--on", "fabric_channel", default=None, help=_FOUND_ON.format("payment"))
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def pay_return(ctx: click.Context, uetr: str, bank: str, amount: str, reason: str, fabric_channel: str | None,
               as_json: bool) -> None:
    """Return (part of) a payment under a new UETR linked to it (reason FOCR: accepting its recall)."""
    net = _existing(ctx)
    spec = _bank_spec(net, bank, "--bank")
    with _payment_found(net, spec, fabric_channel, uetr) as (payments, details):
        currency = _currency(details.payment.channel_id)
        returned = payments.return_payment(uetr, _checked("--amount", lambda: _money(amount, currency)), reason)
        _show_payment(payments.get_payment(returned.record.uetr), as_json)


def decorated(func: F, *decorators: Callable[[Any], Any]) -> F:
    """``func`` under ``decorators``, the first one outermost (as they would be written above it)."""
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def _recall_command(bank: str, reason: str, recall_id: str) -> Callable[[F], F]:
    """The arguments and options of a recall command (the helps of ``--bank``, ``--reason`` and
    ``--recall-id`` given); its refusals in one line."""

    def decorate(func: F) -> F:
        return decorated(
            func,
            click.argument("uetr", callback=_uuid4),
            click.option("--bank", required=True, help=bank),
            click.option("--reason", callback=_reason_code, required=True, help=reason),
            click.option("--recall-id", callback=_uuid4, default=None, help=recall_id),
            click.option("--on", "fabric_channel", default=None, help=_FOUND_ON.format("payment")),
            _json_option,
            click.pass_context,
            friendly_errors,
            payment_errors,
        )

    return decorate


@pay_group.command("recall")
@_recall_command(
    bank="The debtor agent of the payment.",
    reason="ISO 20022 cancellation reason, e.g. DUPL, FRAD, TECH, CUST.",
    recall_id="The recall's UUID v4 (default: a new one).",
)
def pay_recall(ctx: click.Context, uetr: str, bank: str, reason: str, recall_id: str | None,
               fabric_channel: str | None, as_json: bool) -> None:
    """Ask the creditor agent to cancel a payment that moved (camt.056). It answers with `pay return UETR
    --reason FOCR` or `pay reject-recall`."""
    _recall_step(ctx, uetr, bank, fabric_channel, as_json,
                 lambda payments, _: payments.recall(uetr, reason, recall_id=recall_id))


@pay_group.command("reject-recall")
@_recall_command(
    bank="The creditor agent of the payment.",
    reason="ISO 20022 rejection reason, e.g. ARDT, CUST, LEGL, NOAS, AC04.",
    recall_id="The recall it answers (default: the payment's open one).",
)
def pay_reject_recall(ctx: click.Context, uetr: str, bank: str, reason: str, recall_id: str | None,
                      fabric_channel: str | None, as_json: bool) -> None:
    """Reject a payment's recall (camt.029): the payment stands."""

    def reject(payments: Any, details: Any) -> Any:
        answered = recall_id or _recall_to_reject(details.record, uetr, reason)
        return payments.reject_recall(uetr, answered, reason)

    _recall_step(ctx, uetr, bank, fabric_channel, as_json, reject)


def _recall_to_reject(record: Any, uetr: str, reason: str) -> str:
    """The payment's last recall when it waits for an answer, or was rejected for ``reason`` already
    (run again, the command is a replay)."""
    from ..protos import payments_pb2

    if record is not None and record.recalls:
        last = record.recalls[-1]
        if last.status == payments_pb2.RECALL_STATUS_REQUESTED or (
            last.status == payments_pb2.RECALL_STATUS_REJECTED and last.rejection_reason == reason
        ):
            recall_id: str = last.recall_id
            return recall_id
    _fail(f"refused: no recall of payment {uetr} waits for an answer")
    raise AssertionError("unreachable")


def _recall_step(ctx: click.Context, uetr: str, bank: str, fabric_channel: str | None, as_json: bool,
                 act: Callable[[Any, Any], Any]) -> None:
    """``act`` with the bank's treasury client and the payment as it read it, then the payment as it stands."""
    net = _existing(ctx)
    spec = _bank_spec(net, bank, "--bank")
    with _payment_found(net, spec, fabric_channel, uetr) as (payments, details):
        answer = act(payments, details)
        _show_payment(payments.get_payment(answer.record.uetr), as_json)


@main.group("quote")
def quote_group() -> None:
    """FX quotes into a payment channel's currency."""


@quote_group.command("create")
@click.argument("channel_id", callback=_channel_id)
@click.option("--bank", required=True, help="The quoting bank (a bank of the channel).")
@click.option("--for", "for_bank", required=True, help="The bank that will pay with it.")
@click.option("--sell", "sell_currency", required=True, help="The currency converted into the channel's.")
@click.option("--rate", callback=_text, required=True,
              help="Units of the channel's currency per unit sold (<= 10 decimals).")
@click.option("--max", "max_amount", required=True, help="Largest amount sold under the quote.")
@click.option("--valid-minutes", type=click.IntRange(min=1), default=10, show_default=True,
              callback=_chaincode_limit(_max_valid_minutes),
              help="How long the quote stands, in minutes (at most the chaincode's 24 hours).")
@click.option("--margin-bps", type=click.IntRange(min=0), default=0, show_default=True,
              callback=_chaincode_limit(_max_margin_bps), help="Disclosed margin in basis points.")
@click.option("--fee", "fees", callback=_text, multiple=True,
              help="Disclosed fee BANK:AMOUNT in the channel's currency.")
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def quote_create(ctx: click.Context, channel_id: str, bank: str, for_bank: str, sell_currency: str, rate: str,
                 max_amount: str, valid_minutes: int, margin_bps: int, fees: tuple[str, ...], as_json: bool) -> None:
    """Quote a conversion, every fee disclosed, valid for a few minutes and for one payment."""
    import datetime as _datetime

    _currency_code("--sell", sell_currency)
    _checked("--max", lambda: _money(max_amount, sell_currency))
    _check_fees(fees, _currency(channel_id))
    net = _existing(ctx)
    banks = _channel_banks(net, channel_id)
    quoting, paying = (_channel_bank(net, banks, name, param, channel_id)
                       for name, param in ((bank, "--bank"), (for_bank, "--for")))
    with _channel_desks(net, banks, channel_id) as desks:
        created = desks.payments(quoting).create_quote(
            channel_id, for_bank_bic=paying.bic, sell_currency=sell_currency, rate=rate,
            max_sell_amount=_money(max_amount, sell_currency), valid_for=_datetime.timedelta(minutes=valid_minutes),
            fees=_fees(net, fees, _currency(channel_id)), margin_bps=margin_bps)
        if as_json:
            out.print_json(json.dumps(_record_json(created.record)))
        else:
            out.print(f"quote [bold]{created.record.quote_id}[/bold]: {sell_currency} -> "
                      f"{_currency(channel_id)} at {rate} for {paying.display_name}, "
                      f"valid {valid_minutes} min (block {created.block_number})")


@quote_group.command("show")
@click.argument("quote_id", callback=_uuid4)
@click.option("--bank", required=True, help="Ask as this bank.")
@click.option("--on", "fabric_channel", default=None, help=_FOUND_ON.format("quote"))
@_json_option
@click.pass_context
@friendly_errors
@payment_errors
def quote_show(ctx: click.Context, quote_id: str, bank: str, fabric_channel: str | None, as_json: bool) -> None:
    """A quote's status (OPEN, USED, EXPIRED) and, for the channel's banks, its terms."""
    from ..protos import payments_pb2

    net = _existing(ctx)
    spec = _bank_spec(net, bank, "--bank")
    with _desks_finding(net, [spec], fabric_channel, f"quote {quote_id}",
                        lambda desks: desks.payments(spec).get_quote(quote_id)) as (_, details):
        if as_json:
            record = _record_json(details.record) if details.record is not None else None
            out.print_json(json.dumps({"quote": _record_json(details.quote), "record": record}))
            return
        status = payments_pb2.QuoteStatus.Name(details.quote.status).removeprefix("QUOTE_STATUS_")
        terms = (f" {details.record.sell_currency} -> {details.record.buy_currency} at {details.record.rate}"
                 if details.record is not None else "")
        out.print(f"quote {quote_id}: {status}{terms}" + (f", used by {details.quote.used_by_uetr}"
                                                          if details.quote.used_by_uetr else ""))
