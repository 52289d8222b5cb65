"""The kv contract, run through the real router and handler against the fake ledger peer."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from tests.unit.chaincode.certificates import NameOID, issue, name, org1_ca
from tests.unit.chaincode.peer_fakes import FakeLedgerPeer, completed_response, run, serialized_identity
from tradefin.chaincode.contract import ContractRouter
from tradefin.chaincode.contracts import default_contracts
from tradefin.chaincode.contracts.kv import KvContract


def kv_router() -> ContractRouter:
    return ContractRouter([KvContract()])


def test_default_contracts_start_with_kv() -> None:
    contracts = default_contracts()
    assert [c.name for c in contracts][:1] == ["kv"]


def test_put_writes_emits_event_and_returns_value() -> None:
    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(kv_router())
        completed = await peer.invoke("tx-put", "kv:Put", "greeting", b"hello")
        result = completed_response(completed)
        assert (result.status, result.payload) == (200, b"hello")
        assert completed.chaincode_event.event_name == "kv.put"
        assert completed.chaincode_event.payload == b"greeting"
        assert peer.writes["tx-put"] == [("PUT_STATE", "", "greeting", b"hello")]
        empty = completed_response(await peer.invoke("tx-put-empty", "kv:Put", "", b"v"))
        assert empty.message == "ERR_INVALID_INPUT: key must not be empty"
        await peer.stop(task)

    run(scenario())


def test_get_and_delete() -> None:
    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(kv_router())
        peer.put("present", b"value")
        assert completed_response(await peer.invoke("tx-get", "kv:Get", "present")).payload == b"value"
        missing = completed_response(await peer.invoke("tx-miss", "kv:Get", "absent"))
        assert (missing.status, missing.message) == (500, "ERR_NOT_FOUND: key 'absent' does not exist")
        deleted = completed_response(await peer.invoke("tx-del", "kv:Delete", "present"))
        assert (deleted.status, deleted.payload) == (200, b"")
        assert peer.writes["tx-del"] == [("DEL_STATE", "", "present", b"")]
        await peer.stop(task)

    run(scenario())


def test_increment_reads_then_writes() -> None:
    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(kv_router())
        assert completed_response(await peer.invoke("tx-i1", "kv:Increment", "counter")).payload == b"1"
        peer.put("counter", b"41")
        assert completed_response(await peer.invoke("tx-i2", "kv:Increment", "counter")).payload == b"42"
        assert peer.request_types("tx-i2") == ["GET_STATE", "PUT_STATE"]
        assert peer.writes["tx-i2"] == [("PUT_STATE", "", "counter", b"42")]
        peer.put("text", b"forty")
        bad = completed_response(await peer.invoke("tx-i3", "kv:Increment", "text"))
        assert bad.message == "ERR_INVALID_STATE: key 'text' does not hold a decimal counter"
        await peer.stop(task)

    run(scenario())


def test_put_transient_stores_only_the_hash() -> None:
    secret = b"confidential invoice number 4711"

    async def scenario() -> tuple[FakeLedgerPeer, Any]:
        peer, task = await FakeLedgerPeer.start(kv_router())
        completed = await peer.invoke("tx-t", "kv:PutTransient", "doc", transient={"value": secret})
        missing = completed_response(await peer.invoke("tx-t2", "kv:PutTransient", "doc"))
        assert missing.message == "ERR_INVALID_INPUT: transient field 'value' is required"
        await peer.stop(task)
        return peer, completed

    async def outer() -> None:
        peer, completed = await scenario()
        digest = hashlib.sha256(secret).hexdigest()
        assert completed_response(completed).payload == digest.encode()
        assert peer.writes["tx-t"] == [("PUT_STATE", "", "doc", digest.encode())]
        sent_by_chaincode = [m.SerializeToString() for m in peer.requests] + [completed.SerializeToString()]
        assert not any(secret in raw for raw in sent_by_chaincode)

    run(outer())


def test_fail_refuses_with_the_message() -> None:
    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(kv_router())
        result = completed_response(await peer.invoke("tx-f", "kv:Fail", "as requested"))
        assert (result.status, result.message) == (500, "ERR_INVALID_INPUT: as requested")
        await peer.stop(task)

    run(scenario())


def test_whoami_reports_the_caller() -> None:
    ca = org1_ca()
    user = issue(
        name((NameOID.ORGANIZATIONAL_UNIT_NAME, "client"), (NameOID.COMMON_NAME, "examiner1")),
        issuer=ca,
        attributes={"role": "examiner", "bic": "BANKDEFF"},
    )

    async def scenario() -> None:
        peer, task = await FakeLedgerPeer.start(kv_router())
        creator = serialized_identity("Bank1MSP", user.certificate_pem)
        result = completed_response(await peer.invoke("tx-w", "kv:Whoami", creator=creator))
        caller = json.loads(result.payload)
        assert caller["msp_id"] == "Bank1MSP"
        assert caller["attributes"] == {"role": "examiner", "bic": "BANKDEFF"}
        assert base64.b64decode(caller["id"]).decode() == (
            "x509::CN=examiner1,OU=client::CN=ca.org1.example.com,O=org1.example.com,L=Durham,ST=North Carolina,C=US"
        )
        await peer.stop(task)

    run(scenario())
