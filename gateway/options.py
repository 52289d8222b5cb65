"""Options named, defaulted and documented once: per-step timeouts and the resubmit policy."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ResubmitPolicy", "Timeouts"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Deadlines (seconds) of each gateway call. Set the defaults at connect time; override per call.

    Attributes:
        evaluate: a query on one peer.
        endorse: running the transaction on the endorsing peers.
        submit: handing the endorsed transaction to the ordering service.
        commit_status: waiting for the transaction to be committed (the call blocks until then).
    """

    evaluate: float = 5.0
    endorse: float = 15.0
    submit: float = 5.0
    commit_status: float = 60.0

    def __post_init__(self) -> None:
        for name in ("evaluate", "endorse", "submit", "commit_status"):
            if not getattr(self, name) > 0:
                raise ValueError(f"timeout {name} must be a positive number of seconds")


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
      "failed": a transaction is reported invalid only with the code the ledger recorded).

    Attributes:
        commit_status_timeout: deadline of each CommitStatus wait; it takes precedence over
            ``Timeouts.commit_status`` (the gateway's or a call's ``timeouts=``), which is used when
            this is ``None``.
        probe_timeout: CommitStatus deadline after a failed Submit.
        max_submits: how many times the envelope may be submitted in total.
        max_status_queries: how many CommitStatus calls may be made in total.
        pause: seconds to wait before repeating a refused call (doubled each time, capped at 8 x).
    """

    commit_status_timeout: float | None = None
    probe_timeout: float = 5.0
    max_submits: int = 3
    max_status_queries: int = 10
    pause: float = 0.5

    def __post_init__(self) -> None:
        if self.max_submits < 1 or self.max_status_queries < 1:
            raise ValueError("max_submits and max_status_queries must be at least 1")
        if self.commit_status_timeout is not None and not self.commit_status_timeout > 0:
            raise ValueError("commit_status_timeout must be a positive number of seconds")
        if not self.probe_timeout > 0 or self.pause < 0:
            raise ValueError("probe_timeout must be positive and pause not negative")
