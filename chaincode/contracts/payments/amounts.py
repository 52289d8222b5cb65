"""What a payment converts, moves on the channel and credits (INV-PAY-06, INV-PAY-10).

* converted = instructed x rate, half-even to the channel currency's minor unit (same currency: the
  instructed amount);
* settlement (IntrBkSttlmAmt, what moves on the channel) = converted, less the debtor agent's own
  charges when the creditor bears the charges (CRED);
* credited = settlement, less the creditor agent's charges under CRED and SHAR.

Under DEBT the debtor pays every fee outside the amount. Every agent may charge at most what it
disclosed before acceptance; the disclosure is the quote's fee list, or the request's without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from tradefin.chaincode.contracts.letters_of_credit.money import check_minor_units
from tradefin.chaincode.contracts.letters_of_credit.validation import SWIFT_X, check_at_most, check_bic, check_money
from tradefin.protos import payments_pb2

from ..compliance.errors import invalid_input
from ..compliance.rates import Rate, convert

_DEDUCTED_BY_DEBTOR_AGENT = frozenset({payments_pb2.CHARGE_BEARER_CRED})
_DEDUCTED_BY_CREDITOR_AGENT = frozenset({payments_pb2.CHARGE_BEARER_CRED, payments_pb2.CHARGE_BEARER_SHAR})
#: Fees one list may hold (a quote's, a payment's disclosed or charged fees, a status report's). A
#: channel payment has two agents, each charging a few kinds (commission, FX, ...): ten is ample.
MAX_FEES: Final = 10


def fees_by(fees: Iterable[payments_pb2.Fee], agent_bic: str) -> int:
    """Sum of the fees of one agent (BIC8 compared)."""
    return sum(fee.amount.minor_units for fee in fees if fee.agent_bic[:8] == agent_bic[:8])


def check_fee_shapes(fees: Sequence[payments_pb2.Fee], field: str) -> None:
    """At most MAX_FEES fees, each on its own: a valid amount, a well-formed agent BIC and a short
    SWIFT x kind (what a client can check before it knows the channel)."""
    check_at_most(fees, field, most=MAX_FEES, noun="fees")
    for index, fee in enumerate(fees):
        check_money(fee.amount, f"{field}[{index}].amount")
        check_bic(fee.agent_bic, f"{field}[{index}].agent_bic")
        if len(fee.kind) > 4 or not set(fee.kind) <= SWIFT_X:
            raise invalid_input(f"{field}[{index}].kind", "at most 4 characters of the SWIFT x set")


def check_fees(fees: Sequence[payments_pb2.Fee], currency: str, agent_bics: Sequence[str], field: str) -> None:
    """Fees are well formed, in the channel's currency and charged by one of the payment's agents (by
    its BIC)."""
    check_fee_shapes(fees, field)
    agents = {bic[:8] for bic in agent_bics}
    for index, fee in enumerate(fees):
        if fee.amount.currency != currency:
            raise invalid_input(f"{field}[{index}].amount.currency", f"fees are in the channel's currency {currency}")
        if fee.agent_bic[:8] not in agents:
            raise invalid_input(f"{field}[{index}].agent_bic", "is not an agent of the payment")


def require_within_disclosure(
    charged: Sequence[payments_pb2.Fee], disclosed: Sequence[payments_pb2.Fee], agent_bic: str, field: str
) -> None:
    """An agent charges at most what it disclosed (INV-PAY-06)."""
    if fees_by(charged, agent_bic) > fees_by(disclosed, agent_bic):
        raise invalid_input(field, f"the fees {agent_bic[:8]} charges exceed the fees it disclosed")


@dataclass(frozen=True)
class PaymentAmounts:
    """The payment's amounts in the channel currency's minor units."""

    converted: int
    settlement: int
    expected_credited: int


def converted_amount(instructed: int, sell_currency: str, channel_currency: str, rate: Rate | None) -> int:
    """The instructed amount in the channel's currency (half-even)."""
    if rate is None:
        return instructed
    return convert(instructed, sell_currency, channel_currency, rate)


def settlement_amount(converted: int, bearer: payments_pb2.ChargeBearer.ValueType, debtor_agent_charged: int) -> int:
    """What moves on the channel: the debtor agent deducts its charges only under CRED."""
    return converted - debtor_agent_charged if bearer in _DEDUCTED_BY_DEBTOR_AGENT else converted


def credited_amount(settlement: int, bearer: payments_pb2.ChargeBearer.ValueType, creditor_agent_charged: int) -> int:
    """What the creditor receives: the creditor agent deducts its charges under CRED and SHAR."""
    return settlement - creditor_agent_charged if bearer in _DEDUCTED_BY_CREDITOR_AGENT else settlement


def payment_amounts(
    *,
    instructed: int,
    sell_currency: str,
    channel_currency: str,
    rate: Rate | None,
    bearer: payments_pb2.ChargeBearer.ValueType,
    disclosed: Sequence[payments_pb2.Fee],
    charged: Sequence[payments_pb2.Fee],
    debtor_agent_bic: str,
    creditor_agent_bic: str,
) -> PaymentAmounts:
    """Converted, settlement and expected credited amounts; the creditor agent is expected to charge
    what it disclosed."""
    converted = converted_amount(instructed, sell_currency, channel_currency, rate)
    settlement = settlement_amount(converted, bearer, fees_by(charged, debtor_agent_bic))
    expected = credited_amount(settlement, bearer, fees_by(disclosed, creditor_agent_bic))
    if settlement <= 0 or expected <= 0:
        raise invalid_input("instructed_amount", "leaves nothing to pay once the fees are deducted")
    # Converted at an extreme quote rate, the amount may not fit the channel's amount format (nor an
    # int64); settlement and credited amounts are at most the converted one.
    check_minor_units(converted, "instructed_amount")
    return PaymentAmounts(converted, settlement, expected)
