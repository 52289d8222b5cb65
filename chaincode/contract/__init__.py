"""The contract API: ``Contract``, ``@submit`` / ``@evaluate``, ``Context``, ``ChaincodeError`` and
the ``ContractRouter`` that the shim runs.

Example::

    class Greeter(Contract):
        name = "greeter"

        @evaluate
        async def Hello(self, ctx: Context, who: str) -> str:
            return f"hello {who}"
"""

from tradefin.chaincode.contract.context import Context, TransactionLogger
from tradefin.chaincode.contract.contract import (
    Contract,
    Transaction,
    TransactionKind,
    encode_result,
    evaluate,
    submit,
)
from tradefin.chaincode.contract.errors import ChaincodeError, ErrorCode
from tradefin.chaincode.contract.router import SYSTEM_CONTRACT_NAME, ContractRouter, SystemContract

__all__ = [
    "SYSTEM_CONTRACT_NAME",
    "ChaincodeError",
    "Context",
    "Contract",
    "ContractRouter",
    "ErrorCode",
    "SystemContract",
    "Transaction",
    "TransactionKind",
    "TransactionLogger",
    "encode_result",
    "evaluate",
    "submit",
]
