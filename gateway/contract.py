"""Contracts: a chaincode (and optionally one named contract in it) on a channel.

The whole evaluate and submit sequences are single flows here, so each front end runs them with one
driver loop: build and sign the proposal, endorse, sign and submit the envelope (the commit status
request is built and signed before Submit), then wait for the commit through the resubmit policy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from tradefin.gateway._flow import Admit, Context, Flow
from tradefin.gateway.commit import SubmittedTransactionBase
from tradefin.gateway.options import ResubmitPolicy, Timeouts, step_timeout
from tradefin.gateway.proposal import Argument, ProposalBase, ProposalData, new_proposal_data
from tradefin.gateway.transaction import TransactionBase

__all__ = ["ContractBase"]

SubmittedT = TypeVar("SubmittedT", bound=SubmittedTransactionBase)


class ContractBase:
    """A chaincode on a channel; transaction names are qualified ``contract:fn`` with a contract name."""

    __slots__ = ("_chaincode", "_channel", "_client", "_context", "_contract_name")

    def __init__(
        self, client: object, context: Context, channel: str, chaincode: str, contract_name: str | None = None
    ) -> None:
        if not chaincode:
            raise ValueError("a contract needs a chaincode name")
        self._client = client
        self._context = context
        self._channel = channel
        self._chaincode = chaincode
        self._contract_name = contract_name or None

    @property
    def chaincode_name(self) -> str:
        """The chaincode name."""
        return self._chaincode

    @property
    def contract_name(self) -> str | None:
        """The contract within the chaincode, or ``None`` for the default contract."""
        return self._contract_name

    def _qualified(self, transaction_name: str) -> str:
        return f"{self._contract_name}:{transaction_name}" if self._contract_name else transaction_name

    def _proposal_data(
        self,
        transaction_name: str,
        args: Sequence[Argument],
        transient: Mapping[str, bytes] | None,
        organizations: Sequence[str] | None,
    ) -> ProposalData:
        return new_proposal_data(
            self._context,
            self._channel,
            self._chaincode,
            self._qualified(transaction_name),
            args,
            transient,
            organizations or (),
        )

    def _policy(self, resubmit: ResubmitPolicy | bool) -> ResubmitPolicy | None:
        if isinstance(resubmit, ResubmitPolicy):
            return resubmit
        return self._context.resubmit if resubmit else None

    def _evaluate_flow(
        self,
        transaction_name: str,
        args: Sequence[Argument],
        transient: Mapping[str, bytes] | None,
        target_orgs: Sequence[str] | None,
        timeout: float | None,
    ) -> Flow[bytes]:
        data = self._proposal_data(transaction_name, args, transient, target_orgs)
        return (yield from ProposalBase(self._client, self._context, data)._evaluate_flow(timeout))

    def _endorse_flow(
        self,
        transaction_name: str,
        args: Sequence[Argument],
        transient: Mapping[str, bytes] | None,
        endorsing_orgs: Sequence[str] | None,
        timeouts: Timeouts,
    ) -> Flow[TransactionBase]:
        yield Admit()  # a burst's first transactions are built, signed and endorsed before the others
        data = self._proposal_data(transaction_name, args, transient, endorsing_orgs)
        proposal = ProposalBase(self._client, self._context, data)
        return (yield from proposal._endorse_flow(TransactionBase, step_timeout(timeouts.endorse)))

    def _submit_flow(
        self,
        transaction_name: str,
        args: Sequence[Argument],
        transient: Mapping[str, bytes] | None,
        endorsing_orgs: Sequence[str] | None,
        timeouts: Timeouts | None,
        resubmit: ResubmitPolicy | bool,
    ) -> Flow[bytes]:
        timeouts = timeouts or self._context.timeouts
        transaction = yield from self._endorse_flow(transaction_name, args, transient, endorsing_orgs, timeouts)
        resolution = yield from transaction._resolve_flow(self._policy(resubmit), timeouts)
        resolution.raise_for_outcome()
        return transaction.result

    def _submit_async_flow(
        self,
        submitted_class: type[SubmittedT],
        transaction_name: str,
        args: Sequence[Argument],
        transient: Mapping[str, bytes] | None,
        endorsing_orgs: Sequence[str] | None,
        timeouts: Timeouts | None,
    ) -> Flow[SubmittedT]:
        timeouts = timeouts or self._context.timeouts
        transaction = yield from self._endorse_flow(transaction_name, args, transient, endorsing_orgs, timeouts)
        return (yield from transaction._submit_flow(submitted_class, step_timeout(timeouts.submit)))
