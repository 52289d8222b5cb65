"""The error the rules raise: a stable catalogue code (DOMAIN.md section 4.8), the field at fault, a message.

The contract layer maps it onto the shim's chaincode error, so a failed transaction answers
``"<CODE>: <field>: <message>"`` and writes nothing.
"""

from __future__ import annotations

from tradefin.protos import errors_pb2

ErrorCode = errors_pb2.ErrorCode


class LcRuleError(Exception):
    """A rule of the letters-of-credit contract refused the request."""

    def __init__(self, code: errors_pb2.ErrorCode.ValueType, field: str, message: str) -> None:
        self.code = code
        self.field = field
        self.message = message
        super().__init__(self.text)

    @property
    def code_name(self) -> str:
        """The catalogue code, e.g. ``"ERR_INVALID_INPUT"``."""
        return ErrorCode.Name(self.code)

    @property
    def text(self) -> str:
        """The human text without the code: ``"<field>: <message>"`` (or just the message)."""
        return f"{self.field}: {self.message}" if self.field else self.message

    def __str__(self) -> str:
        return f"{self.code_name}: {self.text}"

    def detail(self) -> errors_pb2.ErrorDetail:
        """The error as the schema's ErrorDetail message."""
        return errors_pb2.ErrorDetail(code=self.code, field=self.field, message=self.message)


def invalid_input(field: str, message: str) -> LcRuleError:
    """ERR_INVALID_INPUT naming the field."""
    return LcRuleError(errors_pb2.ERR_INVALID_INPUT, field, message)


def unauthorized(message: str) -> LcRuleError:
    """ERR_UNAUTHORIZED: wrong organisation or role for the operation."""
    return LcRuleError(errors_pb2.ERR_UNAUTHORIZED, "", message)


def not_found(field: str, message: str) -> LcRuleError:
    """ERR_NOT_FOUND: a record the request names does not exist."""
    return LcRuleError(errors_pb2.ERR_NOT_FOUND, field, message)


def invalid_state(message: str, field: str = "") -> LcRuleError:
    """ERR_INVALID_STATE: the transition is not allowed from the record's current state."""
    return LcRuleError(errors_pb2.ERR_INVALID_STATE, field, message)


def duplicate(field: str, message: str) -> LcRuleError:
    """ERR_DUPLICATE: a unique key is already taken."""
    return LcRuleError(errors_pb2.ERR_DUPLICATE, field, message)


def expired(message: str) -> LcRuleError:
    """ERR_EXPIRED: the credit (or transferred credit) expired for this act."""
    return LcRuleError(errors_pb2.ERR_EXPIRED, "", message)


def deadline_passed(message: str) -> LcRuleError:
    """ERR_DEADLINE_PASSED: a time limit of the rules (e.g. art. 14b/16d) has passed."""
    return LcRuleError(errors_pb2.ERR_DEADLINE_PASSED, "", message)


def insufficient_funds(field: str, message: str) -> LcRuleError:
    """ERR_INSUFFICIENT_FUNDS: the credit's available balance does not cover the amount."""
    return LcRuleError(errors_pb2.ERR_INSUFFICIENT_FUNDS, field, message)

