"""The per-transaction context handed to every transaction function."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

from google.protobuf.message import Message

from tradefin.chaincode.shim import ChaincodeStub, ClientIdentity

__all__ = ["Context", "TransactionLogger"]

_contract_logger = logging.getLogger("tradefin.chaincode.contracts")


def _redact(argument: object) -> object:
    """What the log may show of an argument: bytes by their length, a mapping (the transient map) and a
    protobuf message (a request) by their shape, the items of a list, tuple or set each redacted."""
    if isinstance(argument, bytes | bytearray | memoryview):
        return _Shown(f"<{len(argument)} bytes>")
    if isinstance(argument, Mapping):
        return _Shown(f"<mapping of {len(argument)} entries>")
    if isinstance(argument, Message):
        return _Shown(f"<{type(argument).__name__} message>")
    if isinstance(argument, list | tuple):
        items = [_redact(item) for item in argument]
        return items if isinstance(argument, list) else tuple(items)
    if isinstance(argument, set | frozenset):
        return {_redact(item) for item in argument}
    return argument


class _Shown(str):
    """A redaction placeholder: shown as itself by both %s and %r."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class TransactionLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Logger for contract code: prefixes ``[channel txid] contract:function`` to every record.

    Byte arguments are replaced by their length, mappings (the transient map) and protobuf messages (a
    request) by their shape, inside lists, tuples and sets too, so a value read from the ledger or the
    transient map cannot end up in a log by accident. Never pass decoded payloads (text) either.
    """

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        """Add the transaction prefix."""
        return f"{self.extra['prefix'] if self.extra else ''} {msg}", kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        """Log with byte arguments redacted."""
        super().log(level, msg, *(_redact(a) for a in args), **kwargs)


class Context:
    """What a transaction function gets: the stub, the caller's identity and a logger.

    Subclass it (and set ``Contract.context_class``) to add contract-specific helpers.
    """

    __slots__ = ("_logger", "contract_name", "function_name", "stub")

    def __init__(self, stub: ChaincodeStub, contract_name: str, function_name: str) -> None:
        self.stub = stub
        """The transaction's stub: state, queries, private data, events, proposal facts."""
        self.contract_name = contract_name
        """The contract that runs the transaction."""
        self.function_name = function_name
        """The transaction function's name."""
        self._logger: TransactionLogger | None = None

    @property
    def client_identity(self) -> ClientIdentity:
        """The submitter's identity (MSP id, certificate, Fabric id, CA attributes)."""
        return self.stub.client_identity

    @property
    def transient(self) -> Mapping[str, bytes]:
        """The proposal's transient map."""
        return self.stub.transient

    @property
    def logger(self) -> TransactionLogger:
        """A logger tagged with this transaction (created on first use)."""
        if self._logger is None:
            prefix = f"[{self.stub.channel_id} {self.stub.tx_id[:8]}] {self.contract_name}:{self.function_name}"
            self._logger = TransactionLogger(_contract_logger, {"prefix": prefix})
        return self._logger
