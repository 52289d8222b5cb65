"""``ContractRouter``: the chaincode the shim runs, dispatching ``<contract>:<fn>`` to contracts."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Sequence
from typing import Any

from tradefin.chaincode.contract.context import Context
from tradefin.chaincode.contract.contract import Contract, Transaction, encode_result, evaluate
from tradefin.chaincode.contract.errors import ChaincodeError, ErrorCode
from tradefin.chaincode.shim import (
    AttributeAssertionError,
    ChaincodeResponse,
    ChaincodeStub,
    KeyValidationError,
    PeerError,
)

__all__ = ["SYSTEM_CONTRACT_NAME", "ContractRouter", "SystemContract"]

logger = logging.getLogger(__name__)

SYSTEM_CONTRACT_NAME = "org.hyperledger.fabric"
METADATA_SCHEMA = "https://hyperledger.github.io/fabric-chaincode-node/main/api/contract-schema.json"


def _error(code: ErrorCode, text: str) -> ChaincodeResponse:
    return ChaincodeResponse.error(f"{code.value}: {text}")


def _origin(exc: BaseException) -> str:
    """Where an exception was raised (file:line of the innermost frame): safe to log, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown location"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno}"


class SystemContract(Contract):
    """Fabric's system contract: describes the chaincode's contracts to clients."""

    name = SYSTEM_CONTRACT_NAME

    def __init__(self, router: ContractRouter) -> None:
        self._router = router
        super().__init__()

    @evaluate
    async def GetMetadata(self, ctx: Context) -> bytes:
        """The metadata JSON of every contract (Fabric contract schema)."""
        return self._router.metadata_json


class ContractRouter:
    """Runs contracts for the shim: ``<contract>:<fn>`` goes to that contract, a bare ``<fn>`` to the
    default (first) contract, and ``org.hyperledger.fabric:GetMetadata`` describes them all.

    Failures become responses: :class:`ChaincodeError` -> ``500 "ERR_CODE: text"``; a failed
    ``assert_attribute`` -> ``ERR_UNAUTHORIZED``; a key breaking Fabric's key rules ->
    ``ERR_INVALID_INPUT``; anything unexpected -> ``500 "ERR_INTERNAL:
    <exception type>"`` (for a peer refusal also the peer's message) and one log line without values.
    """

    def __init__(self, contracts: Sequence[Contract], *, title: str = "tradefin", version: str = "latest") -> None:
        if not contracts:
            raise ValueError("at least one contract is needed")
        self._routes: dict[str, Transaction] = {}
        self.contracts: dict[str, Contract] = {}
        """The registered contracts by name (the default one first)."""
        for contract in [*contracts, SystemContract(self)]:
            if contract.name in self.contracts:
                raise ValueError(f"two contracts are named {contract.name!r}")
            self.contracts[contract.name] = contract
            for transaction in contract.transactions.values():
                self._routes[f"{contract.name}:{transaction.name}"] = transaction
        self.default_contract = contracts[0]
        """The contract that serves function names without a ``<contract>:`` prefix."""
        for transaction in self.default_contract.transactions.values():
            self._routes.setdefault(transaction.name, transaction)
        metadata: dict[str, Any] = {
            "$schema": METADATA_SCHEMA,
            "info": {"title": title, "version": version},
            "contracts": {
                name: contract.metadata(default=contract is self.default_contract)
                for name, contract in self.contracts.items()
            },
            "components": {"schemas": {}},
        }
        self.metadata_json = json.dumps(metadata, separators=(",", ":"), sort_keys=True).encode()
        """The metadata document returned by GetMetadata."""

    def route(self, function: str) -> Transaction | None:
        """The transaction a function name selects, or None."""
        return self._routes.get(function)

    async def invoke(self, stub: ChaincodeStub) -> ChaincodeResponse:
        """Run the transaction named by the first argument and map its outcome to a response."""
        function = stub.function
        transaction = self._routes.get(function)
        if transaction is None:
            return _error(ErrorCode.INVALID_INPUT, f"unknown transaction function {function!r}")
        contract = transaction.contract
        ctx = contract.create_context(stub, transaction)
        try:
            arguments = transaction.convert(stub.parameters)
            await contract.before_transaction(ctx)
            result = await transaction.function(ctx, *arguments)
            return ChaincodeResponse.success(encode_result(result))
        except ChaincodeError as exc:
            return ChaincodeResponse.error(exc.response_message)
        except AttributeAssertionError as exc:
            return _error(ErrorCode.UNAUTHORIZED, str(exc))
        except KeyValidationError as exc:
            return _error(ErrorCode.INVALID_INPUT, str(exc))
        except PeerError as exc:
            self._log_unexpected(stub, transaction, exc)
            return _error(ErrorCode.INTERNAL, f"PeerError: {exc.request} refused: {exc.peer_message}")
        except Exception as exc:
            self._log_unexpected(stub, transaction, exc)
            return _error(ErrorCode.INTERNAL, type(exc).__name__)

    @staticmethod
    def _log_unexpected(stub: ChaincodeStub, transaction: Transaction, exc: Exception) -> None:
        logger.error(
            "transaction %s:%s (channel %s, tx %s) failed: unexpected %s at %s",
            transaction.contract.name,
            transaction.name,
            stub.channel_id,
            stub.tx_id[:8],
            type(exc).__name__,
            _origin(exc),
        )
