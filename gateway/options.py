"""Options named, defaulted and documented once: per-step timeouts and the resubmit policy."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ResubmitPolicy", "Timeouts", "call_deadline", "step_timeout"]


def _check_seconds(name: str, seconds: float) -> None:
    if not 0 < seconds < math.inf:
        raise ValueError(f"{name} must be a positive, finite number of seconds, got {seconds!r}")


def call_deadline(timeout: float | None, default: float | None) -> float | None:
    """The gRPC deadline of one call: its own ``timeout`` if given, else ``default``. ``math.inf`` (or a
    ``None`` default) means no deadline; grpc itself would take an infinite one as already passed."""
    if timeout is None:
        timeout = default
    if timeout is None or timeout == math.inf:
        return None
    _check_seconds("timeout", timeout)
    return timeout


def step_timeout(seconds: float | None) -> float:
    """A :class:`Timeouts` field given as a call's ``timeout=``, where ``None`` means "the default":
    no deadline becomes ``math.inf``."""
    return math.inf if seconds is None else seconds


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Deadlines (seconds) of each gateway call. Set the defaults at connect time; override per call.
    ``None`` (or ``math.inf``) means no deadline, the official clients' default, for a step that may
    legitimately take long, e.g. the first endorsement by a chaincode that is still starting; a single
    call's ``timeout=math.inf`` does the same.

    Attributes:
        evaluate: a query on one peer.
        endorse: running the transaction on the endorsing peers.
        submit: handing the endorsed transaction to the ordering service.
        commit_status: waiting for the transaction to be committed (the call blocks until then).
    """

    evaluate: float | None = 5.0
    endorse: float | None = 15.0
    submit: float | None = 5.0
    commit_status: float | None = 60.0

    def __post_init__(self) -> None:
        for name in ("evaluate", "endorse", "submit", "commit_status"):
            seconds = getattr(self, name)
            if seconds is not None and seconds != math.inf:
                _check_seconds(f"timeout {name}", seconds)


@dataclass(frozen=True, slots=True)
class ResubmitPolicy:
    """How a submit makes sure no transaction is left in doubt.

    A Submit the orderer acknowledged can still be lost (a Raft leader dies with the transaction in its
    unfinished block), and a CommitStatus call can be refused although the transaction committed. So:

    * CommitStatus is awaited for ``commit_status_timeout``; when that deadline passes, the *same*
      signed envelope is submitted again (same transaction id: if the first copy did commit, Fabric
      marks the second one ``DUPLICATE_TXID`` and the status of the first is what is reported);
    * after a failed Submit (which may hide a commit, e.g. with BFT ordering), the status is probed for
      ``probe_timeout`` before resubmitting;
    * a refused CommitStatus call is repeated after ``pause`` without resubmitting;
    * the envelope is submitted at most ``max_submits`` times; once those are spent the status is
      still asked for, and after ``max_status_queries`` status queries the answer is UNKNOWN (never
      "failed": a transaction is reported invalid only with the code the ledger recorded);
    * the whole resolution ends within ``deadline`` seconds: every call's and pause's deadline is cut to
      what is left, and when nothing is left the answer is UNKNOWN (the transaction may still commit:
      ask later with its id). Without it, a hung orderer could hold a submit for the counts' worst case
      (3 submits with their probes, then 60 s status waits up to 10 queries: about 7.5 minutes).

    Attributes:
        commit_status_timeout: deadline of each CommitStatus wait; it takes precedence over
            ``Timeouts.commit_status`` (the gateway's or a call's ``timeouts=``), which is used when
            this is ``None``.
        probe_timeout: CommitStatus deadline after a failed Submit.
        max_submits: how many times the envelope may be submitted in total.
        max_status_queries: how many CommitStatus calls may be made in total.
        pause: seconds to wait before repeating a refused call (doubled each time, capped at 8 x).
        deadline: seconds the whole resolution may take, from its first call (``None``: bounded only by
            the counts above). The default, 180 s, leaves room for a lost transaction's resubmit after a
            full 60 s commit-status wait and a second wait.
    """

    commit_status_timeout: float | None = None
    probe_timeout: float = 5.0
    max_submits: int = 3
    max_status_queries: int = 10
    pause: float = 0.5
    deadline: float | None = 180.0

    def __post_init__(self) -> None:
        if self.max_submits < 1 or self.max_status_queries < 1:
            raise ValueError("max_submits and max_status_queries must be at least 1")
        if self.commit_status_timeout is not None:
            _check_seconds("commit_status_timeout", self.commit_status_timeout)
        _check_seconds("probe_timeout", self.probe_timeout)
        if self.deadline is not None:
            _check_seconds("deadline", self.deadline)
            if self.deadline < 1:
                raise ValueError(f"deadline must leave at least 1 s for the resolution, got {self.deadline!r}")
        if not 0 <= self.pause < math.inf:
            raise ValueError(f"pause must be a finite number of seconds, not negative, got {self.pause!r}")
