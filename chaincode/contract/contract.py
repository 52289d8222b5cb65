"""``Contract`` and the ``@submit`` / ``@evaluate`` decorators.

A transaction function is an ``async`` method ``f(self, ctx, *args) -> bytes | str | Message | None``.
Invocation arguments arrive from the peer as bytes and are converted by the parameter's annotation,
decided once when the contract is registered:

* ``bytes``: passed unchanged;
* ``str``: decoded as strict UTF-8 (invalid UTF-8 is refused with ``ERR_INVALID_INPUT``);
* a protobuf message class: parsed from the bytes (undecodable input is ``ERR_INVALID_INPUT``).

A ``*args`` parameter takes the remaining arguments with the same rules. The result becomes the
response payload: bytes unchanged, ``str`` UTF-8 encoded, a protobuf message serialized
(deterministically), ``None`` an empty payload.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar, overload

from google.protobuf.message import DecodeError, Message

from tradefin.chaincode.contract.context import Context
from tradefin.chaincode.contract.errors import ChaincodeError, ErrorCode

__all__ = ["Contract", "Transaction", "TransactionKind", "evaluate", "submit"]

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

_MARKER = "__tradefin_transaction__"


class TransactionKind(StrEnum):
    """How clients should call a transaction: submitted to the ledger, or only evaluated."""

    SUBMIT = "submit"
    EVALUATE = "evaluate"


@dataclass(frozen=True)
class _Marker:
    kind: TransactionKind
    name: str | None


def _mark(kind: TransactionKind, function: F | None, name: str | None) -> Any:
    def decorate(target: F) -> F:
        is_coroutine_function = inspect.iscoroutinefunction(target)  # kept apart: no type narrowing
        if not is_coroutine_function:
            raise TypeError(f"transaction function {target.__qualname__} must be 'async def'")
        setattr(target, _MARKER, _Marker(kind, name))
        return target

    return decorate(function) if function is not None else decorate


@overload
def submit(function: F) -> F: ...
@overload
def submit(*, name: str | None = None) -> Callable[[F], F]: ...
def submit(function: F | None = None, *, name: str | None = None) -> Any:
    """Mark an async method as a transaction that changes the ledger (tag ``submit``)."""
    return _mark(TransactionKind.SUBMIT, function, name)


@overload
def evaluate(function: F) -> F: ...
@overload
def evaluate(*, name: str | None = None) -> Callable[[F], F]: ...
def evaluate(function: F | None = None, *, name: str | None = None) -> Any:
    """Mark an async method as a read-only transaction (tag ``evaluate``)."""
    return _mark(TransactionKind.EVALUATE, function, name)


Converter = Callable[[bytes, str], Any]


def _keep_bytes(raw: bytes, parameter: str) -> bytes:
    return raw


def _decode_text(raw: bytes, parameter: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ChaincodeError(ErrorCode.INVALID_INPUT, f"argument {parameter!r} is not valid UTF-8") from None


def _message_converter(message_type: type[Message]) -> Converter:
    def parse(raw: bytes, parameter: str) -> Message:
        try:
            return message_type.FromString(raw)
        except DecodeError:
            raise ChaincodeError(
                ErrorCode.INVALID_INPUT,
                f"argument {parameter!r} is not a {message_type.DESCRIPTOR.full_name} message",
            ) from None

    return parse


def _parameter_schema(annotation: Any) -> dict[str, Any]:
    if annotation is str:
        return {"type": "string"}
    if annotation is bytes:
        return {"type": "string", "format": "byte"}
    return {"type": "string", "format": "byte", "title": annotation.DESCRIPTOR.full_name}


def _converter(annotation: Any, where: str) -> Converter:
    if annotation is str:
        return _decode_text
    if annotation is bytes:
        return _keep_bytes
    if isinstance(annotation, type) and issubclass(annotation, Message):
        return _message_converter(annotation)
    raise TypeError(f"{where}: parameters must be annotated str, bytes or a protobuf message class")


def encode_result(result: object) -> bytes:
    """Turn a transaction function's return value into the response payload."""
    if result is None:
        return b""
    if isinstance(result, bytes):
        return result
    if isinstance(result, str):
        return result.encode("utf-8")
    if isinstance(result, Message):
        payload: bytes = result.SerializeToString(deterministic=True)
        return payload
    if isinstance(result, bytearray | memoryview):
        return bytes(result)
    raise TypeError(f"a transaction function returned {type(result).__name__}")


class Transaction:
    """One registered transaction function: its name, kind, argument converters and metadata."""

    __slots__ = ("_converters", "_rest", "contract", "function", "kind", "metadata", "name")

    def __init__(self, contract: Contract, attribute: str, marker: _Marker) -> None:
        function = getattr(contract, attribute)
        where = f"{type(contract).__name__}.{attribute}"
        self.contract = contract
        """The contract instance the function belongs to."""
        self.function: Callable[..., Awaitable[Any]] = function
        """The bound method."""
        self.kind = marker.kind
        """submit or evaluate."""
        self.name = marker.name or attribute
        """The transaction name clients use (after ``<contract>:``)."""
        hints = typing.get_type_hints(function)
        parameters = list(inspect.signature(function).parameters.values())
        if not parameters or parameters[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            raise TypeError(f"{where}: the first parameter must be the transaction context")
        converters: list[tuple[str, Converter]] = []
        rest: tuple[str, Converter] | None = None
        schemas: list[dict[str, Any]] = []
        for parameter in parameters[1:]:
            annotation = hints.get(parameter.name)
            converter = _converter(annotation, f"{where}({parameter.name})")
            if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                rest = (parameter.name, converter)
            elif parameter.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD):
                raise TypeError(f"{where}: keyword-only parameters cannot receive chaincode arguments")
            elif parameter.default is not inspect.Parameter.empty:
                raise TypeError(f"{where}: chaincode arguments have no defaults")
            else:
                converters.append((parameter.name, converter))
            schemas.append({"name": parameter.name, "schema": _parameter_schema(annotation)})
        self._converters = tuple(converters)
        self._rest = rest
        self.metadata: dict[str, Any] = {"name": self.name, "tag": [self.kind.value]}
        """This transaction's entry in the contract metadata."""
        if schemas:
            self.metadata["parameters"] = schemas
        if hints.get("return", type(None)) is not type(None):
            self.metadata["returns"] = {"type": "string"}

    def convert(self, arguments: Sequence[bytes]) -> list[Any]:
        """Convert raw invocation arguments by the parameter annotations.

        Raises:
            ChaincodeError: ERR_INVALID_INPUT for a wrong argument count or undecodable argument.
        """
        expected = len(self._converters)
        if len(arguments) != expected and (self._rest is None or len(arguments) < expected):
            wanted = f"at least {expected}" if self._rest is not None else str(expected)
            raise ChaincodeError(
                ErrorCode.INVALID_INPUT,
                f"{self.name} takes {wanted} argument(s), {len(arguments)} given",
            )
        values = [convert(raw, name) for (name, convert), raw in zip(self._converters, arguments, strict=False)]
        if self._rest is not None:
            name, convert = self._rest
            values.extend(convert(raw, name) for raw in arguments[expected:])
        return values


class Contract:
    """Base class of a contract: a named group of transaction functions.

    Set ``name`` (what clients put before ``:``), optionally ``version``, and decorate ``async``
    methods with :func:`submit` or :func:`evaluate`. Override :meth:`before_transaction` for checks
    every transaction of the contract shares.
    """

    name: ClassVar[str] = ""
    version: ClassVar[str] = "latest"
    context_class: ClassVar[type[Context]] = Context

    def __init__(self) -> None:
        if not self.name or ":" in self.name:
            raise TypeError(f"{type(self).__name__}.name must be set and must not contain ':'")
        seen: dict[str, Transaction] = {}
        for cls in reversed(type(self).__mro__):
            for attribute, member in vars(cls).items():
                marker = getattr(member, _MARKER, None)
                if isinstance(marker, _Marker):
                    transaction = Transaction(self, attribute, marker)
                    seen[transaction.name] = transaction
        if not seen:
            raise TypeError(f"{type(self).__name__} declares no @submit / @evaluate transaction")
        self._transactions = MappingProxyType(seen)

    @property
    def transactions(self) -> Mapping[str, Transaction]:
        """The contract's transactions by name (read-only; consulted on every transaction, never copied)."""
        return self._transactions

    def create_context(self, stub: Any, transaction: Transaction) -> Context:
        """Build the context of one transaction (override to use a richer context)."""
        return self.context_class(stub, self.name, transaction.name)

    async def before_transaction(self, ctx: Context) -> None:
        """Runs before every transaction of this contract; raise ChaincodeError to refuse it."""

    def metadata(self, *, default: bool) -> dict[str, Any]:
        """This contract's entry in the chaincode metadata."""
        info: dict[str, Any] = {"title": self.name, "version": self.version}
        description = inspect.getdoc(type(self))
        if description and type(self).__doc__ is not None:
            info["description"] = description.split("\n\n", 1)[0]
        return {
            "name": self.name,
            "info": info,
            "transactions": [t.metadata for t in self._transactions.values()],
            "default": default,
        }
