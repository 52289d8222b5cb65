"""The ``kv`` contract: a plain key/value store used to exercise the shim, the network and clients."""

from __future__ import annotations

import hashlib
import json

from tradefin.chaincode.contract import ChaincodeError, Context, Contract, ErrorCode, evaluate, submit

__all__ = ["KvContract"]

PUT_EVENT = "kv.put"
TRANSIENT_VALUE_FIELD = "value"


def _require_key(key: str) -> None:
    if not key:
        raise ChaincodeError(ErrorCode.INVALID_INPUT, "key must not be empty")


class KvContract(Contract):
    """Key/value store: writes, reads, counters, transient hashing, deliberate failures, caller identity."""

    name = "kv"

    @submit
    async def Put(self, ctx: Context, key: str, value: bytes) -> bytes:
        """Write ``value`` under ``key``; emits event ``kv.put`` with the key as payload; returns the value."""
        _require_key(key)
        await ctx.stub.put_state(key, value)
        ctx.stub.set_event(PUT_EVENT, key.encode())
        return value

    @evaluate
    async def Get(self, ctx: Context, key: str) -> bytes:
        """The value under ``key`` (ERR_NOT_FOUND when missing)."""
        _require_key(key)
        value = await ctx.stub.get_state(key)
        if value is None:
            raise ChaincodeError(ErrorCode.NOT_FOUND, f"key {key!r} does not exist")
        return value

    @submit
    async def Delete(self, ctx: Context, key: str) -> None:
        """Delete ``key`` (deleting a missing key is not an error)."""
        _require_key(key)
        await ctx.stub.del_state(key)

    @submit
    async def Increment(self, ctx: Context, key: str) -> str:
        """Read-modify-write a decimal counter (missing counts as 0); returns the new value.

        Concurrent increments of one key conflict at commit (MVCC_READ_CONFLICT), by design.
        """
        _require_key(key)
        current = await ctx.stub.get_state(key)
        try:
            count = int(current.decode("ascii")) if current is not None else 0
        except (UnicodeDecodeError, ValueError):
            raise ChaincodeError(ErrorCode.INVALID_STATE, f"key {key!r} does not hold a decimal counter") from None
        new_value = str(count + 1)
        await ctx.stub.put_state(key, new_value.encode("ascii"))
        return new_value

    @submit
    async def PutTransient(self, ctx: Context, key: str) -> str:
        """Store only the hex SHA-256 of transient field ``value`` under ``key``; returns the hash.

        The transient value itself never reaches the ledger.
        """
        _require_key(key)
        secret = ctx.transient.get(TRANSIENT_VALUE_FIELD)
        if secret is None:
            raise ChaincodeError(ErrorCode.INVALID_INPUT, f"transient field {TRANSIENT_VALUE_FIELD!r} is required")
        digest = hashlib.sha256(secret).hexdigest()
        await ctx.stub.put_state(key, digest.encode("ascii"))
        return digest

    @submit
    async def Fail(self, ctx: Context, message: str) -> None:
        """Always refuse with ERR_INVALID_INPUT and ``message`` (to test error paths)."""
        raise ChaincodeError(ErrorCode.INVALID_INPUT, message)

    @evaluate
    async def Whoami(self, ctx: Context) -> str:
        """The caller as JSON: ``{"msp_id", "id", "attributes"}``."""
        identity = ctx.client_identity
        return json.dumps(
            {"msp_id": identity.msp_id, "id": identity.id, "attributes": dict(identity.attributes)},
            sort_keys=True,
        )
