"""The contract API: routing, argument conversion, error mapping, GetMetadata, logging."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fabric_protos.peer import chaincode_pb2

from tests.unit.chaincode.peer_fakes import FakeLedgerPeer, Msg, completed_response, run
from tradefin.chaincode.contract import (
    ChaincodeError,
    Context,
    Contract,
    ContractRouter,
    ErrorCode,
    TransactionLogger,
    evaluate,
    submit,
)
from tradefin.protos import errors_pb2


class Ledger(Contract):
    """Test ledger contract.

    Longer description that stays out of the metadata title line.
    """

    name = "ledger"
    version = "1.2.3"

    @submit
    async def Record(self, ctx: Context, key: str, value: bytes) -> str:
        await ctx.stub.put_state(key, value)
        return f"recorded {key}"

    @evaluate
    async def Echo(self, ctx: Context, *parts: str) -> str:
        return "|".join(parts)

    @evaluate(name="Spec")
    async def chaincode_id(self, ctx: Context, spec: chaincode_pb2.ChaincodeID) -> chaincode_pb2.ChaincodeID:
        return chaincode_pb2.ChaincodeID(name=spec.name.upper())

    @submit
    async def Refuse(self, ctx: Context) -> None:
        raise ChaincodeError(ErrorCode.INSUFFICIENT_FUNDS, "balance too low")

    @submit
    async def Crash(self, ctx: Context, secret: bytes) -> None:
        ctx.logger.info("about to crash with %s", secret)
        raise RuntimeError(f"leaking {secret!r}")

    @evaluate
    async def RichQuery(self, ctx: Context) -> bytes:
        async for _ in ctx.stub.get_query_result('{"selector":{}}'):  # a goleveldb peer refuses this
            pass
        return b""

    @submit
    async def Nothing(self, ctx: Context) -> None:
        return None

    @evaluate
    async def BadReturn(self, ctx: Context) -> bytes:
        return 42  # type: ignore[return-value]

    @evaluate
    async def Caller(self, ctx: Context) -> str:
        ctx.client_identity.assert_attribute("role", "auditor")
        return "ok"

    @submit
    async def BadKey(self, ctx: Context) -> None:
        await ctx.stub.put_state("", b"x")


class Second(Contract):
    name = "second"

    @evaluate
    async def Record(self, ctx: Context) -> str:
        return "second"


class Gated(Contract):
    name = "gated"

    async def before_transaction(self, ctx: Context) -> None:
        if ctx.function_name != "Open":
            raise ChaincodeError(ErrorCode.UNAUTHORIZED, "closed")

    @evaluate
    async def Open(self, ctx: Context) -> str:
        return "open"

    @evaluate
    async def Closed(self, ctx: Context) -> str:
        return "never"


def router() -> ContractRouter:
    return ContractRouter([Ledger(), Second(), Gated()], title="test", version="9")


async def call(peer: FakeLedgerPeer, *args: bytes | str) -> Any:
    return completed_response(await peer.invoke(f"tx-{args[0]!s}-{len(peer.requests)}", *args))


def test_routing_prefixed_and_default_contract() -> None:
    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(router())
        assert (await call(peer, "ledger:Echo", "a", "b")).payload == b"a|b"
        assert (await call(peer, "Echo", "x")).payload == b"x"  # bare name: default contract
        assert (await call(peer, "second:Record")).payload == b"second"
        assert (await call(peer, "ledger:Echo")).payload == b""
        unknown = await call(peer, "nope:Echo")
        assert (unknown.status, unknown.message) == (500, "ERR_INVALID_INPUT: unknown transaction function 'nope:Echo'")
        assert (await call(peer, "ledger:Missing")).message.startswith("ERR_INVALID_INPUT")
        empty = completed_response(await peer.invoke("tx-empty"))
        assert empty.message.startswith("ERR_INVALID_INPUT")
        await peer.stop(task)

    run(scenario())


def test_argument_conversion_and_results() -> None:
    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(router())
        recorded = await call(peer, "ledger:Record", "k1", b"\x00\xff raw")
        assert (recorded.status, recorded.payload) == (200, b"recorded k1")
        assert peer.writes[next(t for t in peer.writes if t.startswith("tx-ledger:Record"))] == [
            ("PUT_STATE", "", "k1", b"\x00\xff raw")
        ]
        bad_utf8 = await call(peer, "ledger:Record", b"\xff", b"v")
        assert bad_utf8.message == "ERR_INVALID_INPUT: argument 'key' is not valid UTF-8"
        count = await call(peer, "ledger:Record", "only-one")
        assert count.message == "ERR_INVALID_INPUT: Record takes 2 argument(s), 1 given"
        spec = chaincode_pb2.ChaincodeID(name="abc").SerializeToString()
        answer = await call(peer, "ledger:Spec", spec)
        assert chaincode_pb2.ChaincodeID.FromString(answer.payload).name == "ABC"
        assert (await call(peer, "ledger:Spec", b"\xff\xff")).message.startswith(
            "ERR_INVALID_INPUT: argument 'spec' is not a protos.ChaincodeID"
        )
        nothing = await call(peer, "ledger:Nothing")
        assert (nothing.status, nothing.payload) == (200, b"")
        await peer.stop(task)

    run(scenario())


def test_error_mapping(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(router())
        refused = await call(peer, "ledger:Refuse")
        assert (refused.status, refused.message, refused.payload) == (
            500,
            "ERR_INSUFFICIENT_FUNDS: balance too low",
            b"",
        )
        crashed = await call(peer, "ledger:Crash", b"TOPSECRET")
        assert (crashed.status, crashed.message) == (500, "ERR_INTERNAL: RuntimeError")
        peer_refusal = await call(peer, "ledger:RichQuery")
        assert peer_refusal.message == (
            "ERR_INTERNAL: PeerError: GET_QUERY_RESULT refused: "
            "fake peer refused: ExecuteQuery not supported for leveldb"
        )
        assert (await call(peer, "ledger:BadReturn")).message == "ERR_INTERNAL: TypeError"
        assert (await call(peer, "ledger:BadKey")).message == "ERR_INVALID_INPUT: key must not be an empty string"
        gated = await call(peer, "gated:Closed")
        assert gated.message == "ERR_UNAUTHORIZED: closed"
        assert (await call(peer, "gated:Open")).payload == b"open"
        await peer.stop(task)

    with caplog.at_level(logging.DEBUG):
        run(scenario())
    crash_lines = [r.getMessage() for r in caplog.records if "Crash" in r.getMessage()]
    assert any("unexpected RuntimeError at test_contract.py:" in line for line in crash_lines)
    assert any("about to crash with <9 bytes>" in line for line in crash_lines)
    assert "TOPSECRET" not in caplog.text


def test_failed_attribute_assertion_is_unauthorized() -> None:
    from tests.unit.chaincode.certificates import NameOID, issue, name
    from tests.unit.chaincode.peer_fakes import serialized_identity

    user = issue(name((NameOID.COMMON_NAME, "u")), attributes={"role": "issuer"})

    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(router())
        result = completed_response(
            await peer.invoke("tx-who", "ledger:Caller", creator=serialized_identity("Org1MSP", user.certificate_pem))
        )
        assert result.message == "ERR_UNAUTHORIZED: attribute 'role' does not have the required value"
        await peer.stop(task)

    run(scenario())


def test_get_metadata() -> None:
    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(router())
        answer = await call(peer, "org.hyperledger.fabric:GetMetadata")
        metadata = json.loads(answer.payload)
        assert metadata["info"] == {"title": "test", "version": "9"}
        contracts = metadata["contracts"]
        assert set(contracts) == {"ledger", "second", "gated", "org.hyperledger.fabric"}
        ledger = contracts["ledger"]
        assert ledger["default"] is True
        assert contracts["second"]["default"] is False
        assert ledger["info"] == {"title": "ledger", "version": "1.2.3", "description": "Test ledger contract."}
        transactions = {t["name"]: t for t in ledger["transactions"]}
        assert transactions["Record"] == {
            "name": "Record",
            "tag": ["submit"],
            "parameters": [
                {"name": "key", "schema": {"type": "string"}},
                {"name": "value", "schema": {"type": "string", "format": "byte"}},
            ],
            "returns": {"type": "string"},
        }
        assert transactions["Echo"]["tag"] == ["evaluate"]
        assert transactions["Spec"]["parameters"][0]["schema"]["title"] == "protos.ChaincodeID"
        assert "returns" not in transactions["Refuse"]
        system = {t["name"]: t for t in contracts["org.hyperledger.fabric"]["transactions"]}
        assert system["GetMetadata"]["tag"] == ["evaluate"]
        assert (await call(peer, "GetMetadata")).message.startswith("ERR_INVALID_INPUT")  # not the default
        await peer.stop(task)

    run(scenario())


def test_contract_definitions_are_checked() -> None:
    with pytest.raises(TypeError, match="async def"):

        class NotAsync(Contract):
            name = "x"

            @submit  # type: ignore[type-var]
            def Do(self, ctx: Context) -> None: ...

    class Unannotated(Contract):
        name = "u"

        @submit
        async def Do(self, ctx: Context, value) -> None: ...  # type: ignore[no-untyped-def]

    with pytest.raises(TypeError, match="annotated str, bytes or a protobuf"):
        Unannotated()

    class Colon(Contract):
        name = "a:b"

        @submit
        async def Do(self, ctx: Context) -> None: ...

    with pytest.raises(TypeError, match="must not contain ':'"):
        Colon()

    class Empty(Contract):
        name = "empty"

    with pytest.raises(TypeError, match="declares no"):
        Empty()

    with pytest.raises(ValueError, match="two contracts"):
        ContractRouter([Second(), Second()])


def test_error_codes_match_the_schema_catalogue() -> None:
    catalogue = {name for name in errors_pb2.ErrorCode.DESCRIPTOR.values_by_name if name.startswith("ERR_")}
    assert {code.value for code in ErrorCode} == catalogue | {"ERR_INTERNAL"}
    assert str(ChaincodeError("ERR_KYC", "pending")) == "ERR_KYC: pending"
    with pytest.raises(ValueError):
        ChaincodeError("ERR_NOPE", "x")


def test_route_lookup() -> None:
    routes = router()
    transaction = routes.route("ledger:Spec")
    assert transaction is not None
    assert transaction.name == "Spec"
    assert routes.route("Spec") is transaction
    assert routes.route("second:Nope") is None
    assert Msg.COMPLETED == 6


def test_the_transaction_logger_keeps_payloads_out_of_the_log(caplog: pytest.LogCaptureFixture) -> None:
    # Contract code may hand the logger the transient map, a request message or a list of values read
    # from the ledger by mistake: none of their contents reaches the log, only their shape.
    logger = TransactionLogger(logging.getLogger("tradefin.chaincode.contracts"), {"prefix": "[ch tx] c:f"})
    request = chaincode_pb2.ChaincodeID(name="TOPSECRET-NAME")
    with caplog.at_level(logging.DEBUG, logger="tradefin.chaincode.contracts"):
        logger.info("transient %s request %s values %s raw %s", {"terms": b"TOPSECRET-1"}, request,
                    [b"TOPSECRET-2", "x"], b"TOPSECRET-3")
        logger.debug("nested %s", ({"k": [b"TOPSECRET-4"]},))
    assert "TOPSECRET" not in caplog.text
    assert "transient <mapping of 1 entries> request <ChaincodeID message> values [<11 bytes>, 'x'] raw <11 bytes>" \
        in caplog.text
