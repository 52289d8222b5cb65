"""No transaction left in doubt: commit-status deadline, resubmit of the same envelope, a final answer.

Facts this rests on (measured on Fabric v3.1, see the project's network notes):

* With Raft, a Submit the orderer acknowledged can be lost when the leader dies with the transaction
  in its unfinished block. Resubmitting the *same signed envelope* is safe: it keeps the tx id, so if
  both copies get ordered the peers validate the first and mark the second ``DUPLICATE_TXID``.
* CommitStatus answers from the peer's ledger, where a tx id lookup returns the *first* copy. So a
  status of ``DUPLICATE_TXID`` only means "ask again"; the first copy's code is the answer.
* Under load a CommitStatus call can be refused (concurrency limit) although the transaction
  committed, and with BFT a Submit error can hide a commit: so a refusal is retried, and a failed
  Submit is followed by a status probe before any resubmit.

The final answer is VALID, INVALID (with the validation code the ledger recorded) or UNKNOWN.
A transaction is never reported invalid without a validation code from the ledger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum
from time import monotonic
from typing import TYPE_CHECKING

from tradefin.gateway._flow import CallAborted, Flow, Pause
from tradefin.gateway.errors import (
    CommitError,
    CommitStatusError,
    GatewayError,
    GrpcCode,
    SubmitError,
    TransactionInDoubtError,
)
from tradefin.gateway.options import ResubmitPolicy, Timeouts, step_timeout
from tradefin.gateway.status import Status, ValidationCode

if TYPE_CHECKING:  # transaction and commit import this module for their resolve flows
    from tradefin.gateway.commit import CommitBase
    from tradefin.gateway.transaction import TransactionBase

__all__ = ["Outcome", "Resolution", "never_sent", "resolve_flow", "submit_once"]

_logger = logging.getLogger(__name__)

# Submit failures that mean the gateway never handed the envelope to an orderer.
_NEVER_SENT = frozenset(
    {
        GrpcCode.INVALID_ARGUMENT,
        GrpcCode.FAILED_PRECONDITION,
        GrpcCode.NOT_FOUND,
        GrpcCode.PERMISSION_DENIED,
        GrpcCode.UNAUTHENTICATED,
    }
)


# A CommitStatus wait that ended without an answer: the deadline passed (a peer racing its own deadline
# may answer CANCELLED). A call this client aborted (gateway closed, call cancelled) is told apart.
_WAIT_ENDED = frozenset({GrpcCode.DEADLINE_EXCEEDED, GrpcCode.CANCELLED})

# A CommitStatus request the gateway refuses as such (malformed, or its signer not allowed to ask on the
# channel): asking again gets the same answer, so the outcome is unknown at once.
_STATUS_REFUSED = frozenset({GrpcCode.INVALID_ARGUMENT, GrpcCode.PERMISSION_DENIED, GrpcCode.UNAUTHENTICATED})


def _aborted(error: GatewayError) -> CallAborted | None:
    """Whether this client aborted the call (gateway closed, call cancelled), and whether in flight."""
    cause = error.__cause__
    return cause if isinstance(cause, CallAborted) else None


# What Fabric's gateway (v2.5, v3) says, with ABORTED, when an orderer answered with a 4xx status: it
# refused the envelope itself (bad request, forbidden, too large), the gateway tries no other orderer,
# and a resubmit of the same envelope meets the same answer. Older gateways (v2.4) also answered ABORTED
# when every orderer failed -- a broken stream after the send among them, which may hide a commit --,
# and a BFT quorum failure is UNAVAILABLE: those are probed.
_ORDERER_REFUSED = "received unsuccessful response from orderer"


def _refused(error: GatewayError) -> bool:
    """Whether the envelope was refused as it is -- by the gateway, or outright by an orderer -- so that
    sending it again gets the same answer."""
    return error.code in _NEVER_SENT or (error.code is GrpcCode.ABORTED and _ORDERER_REFUSED in error.message)


def never_sent(error: GatewayError) -> bool:
    """Whether a Submit that failed with ``error`` left the envelope with no orderer: it was refused
    (:func:`_refused`), or the peer's concurrency limiter turned the Submit away (a plain UNKNOWN error,
    before the gateway runs)."""
    return _refused(error) or "exceeding concurrency limit" in error.message


def _backoff(policy: ResubmitPolicy, refusals: int) -> float:
    return policy.pause * (1 << min(refusals - 1, 3))


class Outcome(Enum):
    """Where a transaction ended."""

    VALID = "VALID"
    """Committed valid: its writes are on the ledger."""
    INVALID = "INVALID"
    """Committed invalid (the status says why): its writes were discarded."""
    UNKNOWN = "UNKNOWN"
    """Not known after every allowed attempt; it may still commit. Ask again later by tx id."""


@dataclass(frozen=True, slots=True)
class Resolution:
    """The final answer about a submitted transaction.

    Attributes:
        transaction_id: the transaction id.
        outcome: VALID, INVALID or UNKNOWN.
        status: the commit status from the ledger (``None`` when UNKNOWN).
        submit_attempts: how many times the envelope was submitted.
        status_queries: how many CommitStatus calls were made.
        error: the last error met on the way (``None`` if every call succeeded).
    """

    transaction_id: str
    outcome: Outcome
    status: Status | None
    submit_attempts: int
    status_queries: int
    error: GatewayError | None = None

    def raise_for_outcome(self) -> None:
        """Raise :class:`CommitError` if INVALID, :class:`TransactionInDoubtError` if UNKNOWN."""
        if self.outcome is Outcome.INVALID and self.status is not None:
            raise CommitError(self.status)
        if self.outcome is Outcome.UNKNOWN:
            error = self.error
            raise TransactionInDoubtError(
                error.code if error else GrpcCode.UNKNOWN,
                f"outcome unknown after {self.submit_attempts} submit(s) and {self.status_queries} status "
                f"queries; it may still commit (last error: {error.message if error else 'none'})",
                error.details if error else (),
                transaction_id=self.transaction_id,
                resolution=self,
            ) from error


#: Below this, what is left of a resolution's deadline is spent: a call given less would fail before
#: reaching the peer, and could make a transaction never sent look in doubt.
_LEAST_CALL_SECONDS = 0.05


def _spent(ends: float | None) -> bool:
    """Whether the resolution's deadline (a ``monotonic()`` instant; ``None``: none) leaves too little
    for another call."""
    return ends is not None and ends - monotonic() < _LEAST_CALL_SECONDS


def _within(timeout: float | None, ends: float | None) -> float | None:
    """A call's deadline cut to what is left of the resolution's (``None``: no deadline, on either side),
    measured now."""
    if ends is None:
        return timeout
    left = ends - monotonic()
    return left if timeout is None else min(timeout, left)


def _pause_within(seconds: float, ends: float | None) -> float:
    """A pause cut to what is left of the resolution's deadline, measured now."""
    return seconds if ends is None else max(min(seconds, ends - monotonic()), 0.0)


def _answer(status: Status, submits: int, queries: int, error: GatewayError | None) -> Resolution:
    outcome = Outcome.VALID if status.successful else Outcome.INVALID
    return Resolution(status.transaction_id, outcome, status, submits, queries, error)


def _single_attempt(
    transaction: TransactionBase,
    commit: CommitBase,
    *,
    submitted: bool,
    submit_timeout: float | None,
    status_timeout: float | None,
) -> Flow[Resolution]:
    """The official clients' behaviour: one Submit, one CommitStatus, errors raised as they come
    (except that a Submit this client cut short in flight is in doubt, not failed)."""
    if not submitted:
        yield from submit_once(transaction, submit_timeout)
    status = yield from commit._status_flow(status_timeout)
    return _answer(status, 1, 1, None)


def submit_once(transaction: TransactionBase, timeout: float | None) -> Flow[None]:
    """One Submit. If this client aborted it in flight (gateway closed, call cancelled), the envelope may
    have reached an orderer: raise :class:`TransactionInDoubtError`, never a plain SubmitError."""
    try:
        yield from transaction._submit_call(timeout)
    except SubmitError as error:
        aborted = _aborted(error)
        if aborted is None or not aborted.during_call:
            raise
        resolution = Resolution(transaction.transaction_id, Outcome.UNKNOWN, None, 1, 0, error)
        resolution.raise_for_outcome()


def resolve_flow(
    transaction: TransactionBase,
    commit: CommitBase,
    policy: ResubmitPolicy | None,
    *,
    submitted: bool,
    timeouts: Timeouts | None = None,
) -> Flow[Resolution]:
    """Drive a transaction to a final answer (see the module doc).

    ``submitted`` says whether the envelope was already accepted by Submit once. Without a policy this
    is one Submit and one CommitStatus, raising SubmitError / CommitStatusError like the official clients.
    ``timeouts`` (the call's, else the gateway's) gives the Submit deadline and the CommitStatus deadline;
    a policy's ``commit_status_timeout``, when set, is the CommitStatus deadline instead.
    Closing the gateway or cancelling the call ends the resolution at once: UNKNOWN if the envelope may
    have reached an orderer, else the SubmitError.
    """
    timeouts = timeouts or transaction._context.timeouts
    submit_timeout, status_timeout = step_timeout(timeouts.submit), step_timeout(timeouts.commit_status)
    if policy is None:
        return (
            yield from _single_attempt(
                transaction,
                commit,
                submitted=submitted,
                submit_timeout=submit_timeout,
                status_timeout=status_timeout,
            )
        )
    transaction_id = transaction.transaction_id
    wait = policy.commit_status_timeout or status_timeout
    ends = None if policy.deadline is None else monotonic() + policy.deadline
    submits = 1 if submitted else 0
    possibly_sent = submitted  # could any copy of the envelope have reached an orderer?
    queries = 0
    refusals = 0
    last_error: GatewayError | None = None
    need_submit = not submitted
    timeout = wait
    while queries < policy.max_status_queries:
        if _spent(ends):
            break
        if need_submit and submits >= policy.max_submits:
            if not possibly_sent:
                break
            # No submit left, but a copy may be on its way: keep asking until the queries run out.
            need_submit = False
        if need_submit:
            submits += 1
            need_submit = False
            if submits > 1:
                _logger.info("transaction %s: submitting the same envelope again (attempt %d)", transaction_id, submits)
            try:
                yield from transaction._submit_call(_within(submit_timeout, ends))
                possibly_sent = True
                timeout = wait
            except SubmitError as error:
                last_error = error
                aborted = _aborted(error)
                if aborted is not None:
                    possibly_sent = possibly_sent or aborted.during_call
                    break
                if not never_sent(error):
                    _logger.info(
                        "transaction %s: submit failed (%s); probing its status", transaction_id, error.code.name
                    )
                    possibly_sent = True
                    timeout = policy.probe_timeout
                elif not possibly_sent:
                    if _refused(error) or submits >= policy.max_submits:
                        raise
                    refusals += 1
                    yield Pause(_pause_within(_backoff(policy, refusals), ends))
                    need_submit = True
                    continue
        if _spent(ends):  # the Submit took what was left
            break
        queries += 1
        try:
            status = yield from commit._status_flow(_within(timeout, ends))
        except CommitStatusError as error:
            last_error = error
            if _aborted(error) is not None or error.code in _STATUS_REFUSED:
                break
            timeout = wait
            if error.code in _WAIT_ENDED:
                need_submit = True
            else:
                refusals += 1
                yield Pause(_pause_within(_backoff(policy, refusals), ends))
            continue
        if status.code == ValidationCode.DUPLICATE_TXID:
            timeout = wait
            continue
        return _answer(status, submits, queries, last_error)
    if not possibly_sent and isinstance(last_error, SubmitError):
        raise last_error
    _logger.warning("transaction %s: outcome unknown after %d submit(s)", transaction_id, submits)
    return Resolution(transaction_id, Outcome.UNKNOWN, None, submits, queries, last_error)
