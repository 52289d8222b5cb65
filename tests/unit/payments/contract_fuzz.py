"""Fuzzing support for the ``pay`` and ``compliance`` contracts, driven as the shim routes real
transactions: function name, arguments and transient map reach the :class:`ContractRouter`, whose
stub works on a :class:`Desk`'s in-memory ledger (Fabric's transaction semantics: a refused
transaction writes nothing, a committed one is validated like Fabric's MVCC check).

Besides the stub: mutations of valid requests derived from their protobuf descriptors (every field,
nested ones included, gets values of its type that a careless or hostile client could send), an
oracle for what an accepted request may leave on the ledger (records that every validator accepts),
and the checks both contracts' fuzz tests run (:class:`ContractFuzz`).
"""

from __future__ import annotations

import asyncio
import copy
import datetime
import hashlib
import unicodedata
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar, cast

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

from tradefin.chaincode.contract import ContractRouter
from tradefin.chaincode.contracts.compliance.contract import ComplianceContract
from tradefin.chaincode.contracts.compliance.errors import RuleError
from tradefin.chaincode.contracts.letters_of_credit.access import Caller
from tradefin.chaincode.contracts.letters_of_credit.money import exponent
from tradefin.chaincode.contracts.letters_of_credit.records import RecordKey
from tradefin.chaincode.contracts.letters_of_credit.validation import (
    check_bic,
    check_country,
    check_iban,
    check_lei,
    check_uuid4,
)
from tradefin.chaincode.contracts.payments.contract import PaymentsContract
from tradefin.chaincode.contracts.rule_contract import REQUEST_FIELD
from tradefin.chaincode.shim import ChaincodeResponse, ChaincodeStub, KeyEndorsementPolicy, KeyModification, StateRecord
from tradefin.chaincode.shim.keys import create_composite_key, split_composite_key
from tradefin.protos import common_pb2, compliance_pb2, payments_pb2

from ..compliance.memory_ledger import MemoryTransaction
from ..contract_fuzzing import (
    CATALOGUE,
    INTEGERS,
    TEXTS,
    derived_texts,
    framings,
    int_range,
    malformed_framing,
    misnamed_field,
)
from .support import NOW, Desk, snapshot

#: Endorsers of the fuzzed contracts accept any proposal time (the tests move the clock).
_ANY_SKEW: Final = datetime.timedelta(days=36500)
ROUTER: Final = ContractRouter(
    [PaymentsContract(max_timestamp_skew=_ANY_SKEW), ComplianceContract(max_timestamp_skew=_ANY_SKEW)]
)


# ------------------------------------------------------------------------------------------------
# The stub


@dataclass(frozen=True)
class Officer:
    """The creator identity the contract reads: MSP id, Fabric id and the CA attributes."""

    caller: Caller

    @property
    def msp_id(self) -> str:
        return self.caller.msp_id

    @property
    def id(self) -> str:
        return self.caller.identity

    def attribute(self, name: str) -> str | None:
        return {"role": self.caller.role, "bic": self.caller.bic}.get(name) or None


class _Results:
    """The async iterator a range or history query returns, filled when entered."""

    def __init__(self, fetch: Callable[[], Coroutine[Any, Any, list[Any]]]) -> None:
        self._fetch = fetch
        self._items: list[Any] = []

    async def __aenter__(self) -> _Results:
        self._items = await self._fetch()
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._walk()

    async def _walk(self) -> AsyncIterator[Any]:
        for item in self._items:
            yield item


def _record_key(key: str) -> RecordKey:
    object_type, attributes = split_composite_key(key)
    return RecordKey(object_type, tuple(attributes))


class LedgerStub:
    """What :class:`StubLedger` uses of the chaincode stub, over one transaction of a memory ledger.

    Composite keys are built by the shim's own function (its key rules refuse U+0000 and U+10FFFF,
    which the router answers with ERR_INVALID_INPUT); the event name must not be empty, as in the shim.
    """

    def __init__(
        self,
        view: MemoryTransaction,
        who: Caller,
        function: str,
        args: Sequence[bytes],
        transient: Mapping[str, bytes],
    ) -> None:
        self._view = view
        self.client_identity = Officer(who)
        self.function = function
        self.parameters = list(args)
        self.transient = dict(transient)
        self.channel_id = "asia-europe"
        self.tx_id = view.tx_id
        self.tx_timestamp = view.timestamp

    create_composite_key = staticmethod(create_composite_key)

    async def get_state(self, key: str) -> bytes | None:
        return await self._view.read(_record_key(key))

    async def get_multiple_states(self, keys: Sequence[str]) -> list[bytes | None]:
        return [await self._view.read(_record_key(key)) for key in keys]

    async def put_state(self, key: str, value: bytes) -> None:
        await self._view.write(_record_key(key), bytes(value))

    async def get_private_data(self, collection: str, key: str) -> bytes | None:
        return await self._view.read(_record_key(key), collection)

    async def get_multiple_private_data(self, collection: str, keys: Sequence[str]) -> list[bytes | None]:
        return [await self._view.read(_record_key(key), collection) for key in keys]

    async def get_private_data_hash(self, collection: str, key: str) -> bytes | None:
        return await self._view.read_hash(_record_key(key), collection)

    async def put_private_data(self, collection: str, key: str, value: bytes) -> None:
        await self._view.write(_record_key(key), bytes(value), collection)

    async def set_state_validation_parameter(self, key: str, policy: bytes) -> None:
        msp_ids = tuple(KeyEndorsementPolicy.from_bytes(policy).msp_ids)
        await self._view.require_endorsers(_record_key(key), msp_ids)

    async def set_private_data_validation_parameter(self, collection: str, key: str, policy: bytes) -> None:
        msp_ids = tuple(KeyEndorsementPolicy.from_bytes(policy).msp_ids)
        await self._view.require_endorsers(_record_key(key), msp_ids, collection)

    def set_event(self, name: str, payload: bytes = b"") -> None:
        if not name:
            raise ValueError("event name must not be empty")
        self._view.event = (name, bytes(payload))

    def _scan(self, collection: str, object_type: str, attributes: Sequence[str]) -> _Results:
        async def fetch() -> list[Any]:
            found = await self._view.scan(object_type, tuple(attributes), collection)
            return [StateRecord(create_composite_key(key.object_type, key.attributes), value) for key, value in found]

        return _Results(fetch)

    def get_state_by_partial_composite_key(self, object_type: str, attributes: Sequence[str] = ()) -> _Results:
        return self._scan("", object_type, attributes)

    def get_private_data_by_partial_composite_key(
        self, collection: str, object_type: str, attributes: Sequence[str] = ()
    ) -> _Results:
        return self._scan(collection, object_type, attributes)

    def get_history_for_key(self, key: str) -> _Results:
        async def fetch() -> list[Any]:
            entries = await self._view.history(_record_key(key))
            return [KeyModification(item.tx_id, item.value, item.timestamp, item.is_delete) for item in entries]

        return _Results(fetch)


class ContractDesk(Desk):
    """A :class:`Desk` whose transactions can also go through the contracts, as the shim routes them."""

    def __init__(self) -> None:
        super().__init__()
        self.last_writes: tuple[tuple[str, RecordKey], ...] = ()

    def invoke(
        self,
        who: Caller,
        function: str,
        args: Sequence[bytes] = (),
        transient: Mapping[str, bytes] | None = None,
        at: datetime.datetime | None = None,
    ) -> ChaincodeResponse:
        """One transaction through the router; committed when the answer is 200, dropped otherwise."""
        view = self.ledger.transaction(uuid.uuid4().hex, at or self.now)
        stub = LedgerStub(view, who, function, args, transient or {})
        response = asyncio.run(ROUTER.invoke(cast(ChaincodeStub, stub)))
        self.last_writes = ()
        if response.status == 200:
            view.commit()
            self.last_writes = tuple(view.writes)
        return response

    def submit(
        self, who: Caller, function: str, request: Message, at: datetime.datetime | None = None
    ) -> ChaincodeResponse:
        """A submit transaction: the request in the transient map."""
        return self.invoke(who, function, transient={REQUEST_FIELD: request.SerializeToString()}, at=at)

    def evaluate(self, who: Caller, function: str, request: Message) -> ChaincodeResponse:
        """An evaluate transaction: the request as the only argument."""
        return self.invoke(who, function, args=[request.SerializeToString()])

    def fork(self) -> ContractDesk:
        """An independent copy of this desk (its ledger and clock)."""
        twin = ContractDesk()
        twin.ledger = copy.deepcopy(self.ledger)
        twin.now = self.now
        return twin


def transactions(contract_name: str) -> dict[str, str]:
    """Every transaction the contract exposes (routed name -> ``submit`` or ``evaluate``)."""
    contract = ROUTER.contracts[contract_name]
    return {f"{contract_name}:{name}": str(item.kind) for name, item in contract.transactions.items()}


def is_submit(function: str) -> bool:
    """Whether the routed function is a submit transaction."""
    route = ROUTER.route(function)
    assert route is not None, function
    return str(route.kind) == "submit"


def refusal_code(response: ChaincodeResponse) -> str | None:
    """The error code of a refused transaction (None when it succeeded)."""
    if response.status == 200:
        return None
    return response.message.partition(": ")[0]


def check_answer(desk: Desk, before: object, response: ChaincodeResponse, what: str) -> bool:
    """The project rule: success, or a refusal with a catalogue code (not ERR_INTERNAL) that left the
    ledger exactly as it was. Returns whether the transaction succeeded."""
    code = refusal_code(response)
    if code is None:
        return True
    assert response.status == 500, f"{what}: status {response.status} {response.message!r}"
    assert code in CATALOGUE, f"{what}: {response.message!r}"
    assert snapshot(desk) == before, f"{what}: refused ({response.message!r}) but the ledger changed"
    return False


@dataclass(frozen=True)
class Call:
    """A valid call of a transaction on a scene: who, what, and how long after the scene's clock."""

    who: Caller
    request: Message
    later: datetime.timedelta = datetime.timedelta(0)


def send(
    desk: ContractDesk, function: str, who: Caller, request: Message, later: datetime.timedelta
) -> ChaincodeResponse:
    """Send a request as a client would: in the transient map for a submit, as the argument of an
    evaluate."""
    if is_submit(function):
        return desk.submit(who, function, request, at=desk.now + later)
    return desk.evaluate(who, function, request)


def attempt(
    scene: ContractDesk,
    function: str,
    who: Caller,
    request: Message,
    later: datetime.timedelta,
    what: str,
    invariants: Callable[[ContractDesk], list[str]],
) -> bool:
    """One call on a copy of the scene, held to the rule: a clean refusal that changed nothing, or an
    acceptance that wrote well-formed records and kept ``invariants``. Returns whether it was accepted."""
    desk = scene.fork()
    before = snapshot(desk)
    response = send(desk, function, who, request, later)
    accepted = check_answer(desk, before, response, what)
    misnamed = None if accepted else misnamed_field(request.DESCRIPTOR, response.message)
    assert misnamed is None, f"{what}: {response.message!r}: {misnamed}"
    if accepted and is_submit(function):
        problems = written_problems(desk) + invariants(desk)
        assert not problems, f"{what}: accepted, leaving {problems}"
    return accepted


def defect(function: str, index: int, mutation: Mutation, code: str) -> Any:
    """A found defect as a test case: the mutation of the function's ``index``-th valid call, and the
    code it is refused with now."""
    name = ".".join(str(part) for part in mutation.path)
    return pytest.param(function, index, mutation, code, id=f"{function}#{index}:{name}:{mutation.kind}")


def check_refused(scene: ContractDesk, function: str, base: Call, mutation: Mutation, code: str) -> None:
    """The mutated call is refused with ``code`` (``"ERR_X"``, or ``"ERR_X: field"`` to check the field
    named too) and changes nothing (a found defect's regression check)."""
    desk = scene.fork()
    before = snapshot(desk)
    response = send(desk, function, base.who, mutation.apply(base.request), base.later)
    refused = response.message if ": " in code else refusal_code(response)
    assert refused is not None and (refused == code or refused.startswith(f"{code}: ")), (
        f"{function} [{mutation}]: {response.status} {response.message!r}"
    )
    assert snapshot(desk) == before


HOUR: Final = datetime.timedelta(hours=1)
#: Proposal times after a scene's clock: now (most often), quotes expired, approval windows elapsed,
#: attestations expired, before the scene's last records.
LATER: Final = (datetime.timedelta(0),) * 4 + (2 * HOUR, 25 * HOUR, datetime.timedelta(days=400), -2 * HOUR)


def fixed_uuid(label: str) -> str:
    """A lower-case UUID v4 that ``label`` always gives: the ids a scene and its valid calls choose
    are the same in every run, so a derandomized example is the same request in every run."""
    return str(uuid.UUID(bytes=hashlib.sha256(f"contract-fuzz:{label}".encode()).digest()[:16], version=4))


def stranger(msp_id: str, role: str, bic: str, name: str = "stranger") -> Caller:
    """A certificate with these attributes."""
    return Caller(msp_id=msp_id, identity=f"x509::CN={name}@{msp_id},OU={role}::CN=ca", role=role, bic=bic)


# ------------------------------------------------------------------------------------------------
# Mutations

Path = tuple[str | int, ...]

_NOW_SECONDS: Final = int(NOW.timestamp())

#: Strings any text field gets, by kind of damage: the shared :data:`TEXTS`, and identifiers of the
#: payments and compliance schemas that are wrong in a way their validators must see.
STRINGS: Final[tuple[tuple[str, str], ...]] = (
    *TEXTS,
    ("bic", "ASTBHKH"),
    ("bic", "ASTB1KHH"),
    ("bic", "ASTBZZHH"),
    ("bic", "astbhkhh"),
    ("bic", "ASTBHKHHXX"),
    ("bic", "AEXBUS33"),
    ("country", "ZZ"),
    ("country", "de"),
    ("country", "IR"),
    ("iban", "DE89370400440532013001"),
    ("iban", "DE89 3704 0044 0532 0130 00"),
    ("iban", "XX89370400440532013000"),
    ("lei", "5493001KJTIIGC8Y1R13"),
    ("lei", "5493001KJTIIGC8Y1R1"),
    ("uuid", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
    ("uuid", "6BA7B810-9DAD-41D1-80B4-00C04FD430C8"),
    ("uuid", "6ba7b8109dad41d180b400c04fd430c8"),
    ("msp", "Bank3MSP"),
    ("msp", "not an msp!"),
)


_BYTES: Final[tuple[tuple[str, bytes], ...]] = (
    ("empty", b""),
    ("short", bytes(31)),
    ("long", bytes(33)),
    ("huge", b"\xff" * 10_000),
)


def _ints(field: FieldDescriptor) -> list[tuple[str, int]]:
    """The shared :data:`INTEGERS`, timestamps' limits and the field type's extremes, in its range."""
    low, high = int_range(field) or (-(2**31), 2**31 - 1)
    candidates = [
        *INTEGERS,
        ("timestamp", 253_402_300_799),
        ("timestamp", 253_402_300_800),
        ("timestamp", -62_135_596_801),
        ("timestamp", _NOW_SECONDS - 86_400),
        ("timestamp", _NOW_SECONDS + 3_600),
        ("extreme", low),
        ("extreme", high),
        ("extreme", high // 2 + 1),
    ]
    kinds: dict[int, str] = {}
    for kind, value in candidates:
        if low <= value <= high:
            kinds.setdefault(value, kind)
    return [(kind, value) for value, kind in kinds.items()]


@dataclass(frozen=True)
class Mutation:
    """Set (or clear, or reshape) the field at ``path`` of a request."""

    path: Path
    kind: str
    value: object = None

    def __str__(self) -> str:
        shown = repr(self.value)
        shown = shown if len(shown) <= 48 else shown[:45] + "..."
        return f"{'.'.join(str(part) for part in self.path)} <- {self.kind} {shown}"

    def apply(self, request: Message) -> Message:
        """A mutated copy of ``request``."""
        mutated = type(request)()
        mutated.CopyFrom(request)
        parent: Any = mutated
        for part in self.path[:-1]:
            parent = parent[part] if isinstance(part, int) else getattr(parent, part)
        name = self.path[-1]
        assert isinstance(name, str)
        field = parent.DESCRIPTOR.fields_by_name[name]
        if self.kind == "cleared":
            parent.ClearField(name)
        elif self.kind.startswith(("repeated:", "repeated-item:")):
            _reshape(getattr(parent, name), field, self.kind, self.value)
        else:
            setattr(parent, name, self.value)
        return mutated


def _reshape(container: Any, field: FieldDescriptor, kind: str, filler: object) -> None:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        items: list[object] = [_copied(item) for item in container] or [_copied(container.add())]
    else:
        items = list(container) or [filler]
    del container[:]
    if kind == "repeated:duplicated":
        container.extend([items[0], *items])
    elif kind == "repeated:many":
        container.extend(items * (1000 // len(items) + 1))
    elif kind.startswith("repeated-item:"):
        container.extend(cast(list[object], filler))
    else:
        assert kind == "repeated:empty", kind


def _copied(message: Message) -> Message:
    twin = type(message)()
    twin.CopyFrom(message)
    return twin


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.label == FieldDescriptor.LABEL_REPEATED)


def _scalar_values(field: FieldDescriptor, current: object, pool: Sequence[str]) -> list[tuple[str, object]]:
    if field.type == FieldDescriptor.TYPE_STRING:
        values: list[tuple[str, object]] = [*STRINGS, *derived_texts(str(current))]
        values += [("other-id", item) for item in pool if item != current]
        return values
    if field.type == FieldDescriptor.TYPE_BYTES:
        return list(_BYTES)
    if field.type == FieldDescriptor.TYPE_BOOL:
        return [("toggled", not current)]
    if field.type == FieldDescriptor.TYPE_ENUM:
        known = [("enum-defined", item.number) for item in field.enum_type.values]
        return [*known, ("enum-unknown", -1), ("enum-unknown", len(known) + 3), ("enum-unknown", 2**31 - 1)]
    return list(_ints(field))


def mutations(request: Message, pool: Sequence[str] = ()) -> list[Mutation]:
    """Every mutation of every field of ``request`` (nested messages, the first element of repeated
    ones and unset message fields included), each scalar getting the values of its type in
    :data:`STRINGS`, :data:`_BYTES`, the integer extremes or unknown enum numbers, plus ``pool`` (ids
    of the scene's records, for "another channel's id")."""
    found: list[Mutation] = []

    def walk(message: Message, prefix: Path, depth: int) -> None:
        for field in message.DESCRIPTOR.fields:
            path = (*prefix, field.name)
            value = getattr(message, field.name)
            if _is_repeated(field):
                first = value[0] if len(value) else None
                for kind in ("repeated:empty", "repeated:duplicated", "repeated:many"):
                    filler: object = first
                    if filler is None and field.type != FieldDescriptor.TYPE_MESSAGE:
                        filler = (pool[0] if pool else "") if _is_string(field) else 0
                    found.append(Mutation(path, kind, filler))
                if first is not None:
                    if field.type == FieldDescriptor.TYPE_MESSAGE and depth < 3:
                        walk(first, (*path, 0), depth + 1)
                    elif field.type != FieldDescriptor.TYPE_MESSAGE:
                        found.extend(
                            Mutation(path, "repeated-item:" + kind, [new, *value[1:]])
                            for kind, new in _scalar_values(field, first, pool)
                        )
                continue
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                found.append(Mutation(path, "cleared"))
                if depth < 3:
                    walk(value, path, depth + 1)
                continue
            found.extend(Mutation(path, kind, new) for kind, new in _scalar_values(field, value, pool))

    walk(request, (), 0)
    return [item for item in found if _appliable(item, request)]


def _is_string(field: FieldDescriptor) -> bool:
    return bool(field.type == FieldDescriptor.TYPE_STRING)


def _appliable(mutation: Mutation, request: Message) -> bool:
    try:
        mutation.apply(request)
    except (TypeError, ValueError):  # e.g. a value out of the field's range
        return False
    return True


def mutation_strategy(request: Message, pool: Sequence[str] = ()) -> st.SearchStrategy[Mutation]:
    """A mutation of ``request``: one of :func:`mutations`, or a random value of a random scalar field."""
    listed = mutations(request, pool)
    scalars = sorted(
        {item.path for item in listed if not item.kind.startswith(("repeated", "cleared"))},
        key=lambda path: tuple(str(part) for part in path),
    )

    def random_value(path: Path) -> st.SearchStrategy[Mutation]:
        parent: Any = request
        for part in path[:-1]:
            parent = parent[part] if isinstance(part, int) else getattr(parent, part)
        field = parent.DESCRIPTOR.fields_by_name[str(path[-1])]
        if _is_repeated(field):
            return st.nothing()
        if field.type == FieldDescriptor.TYPE_STRING:
            text = st.text(st.characters(exclude_categories=["Cs"]), max_size=64)
            return text.map(lambda value: Mutation(path, "random-text", value))
        if field.type == FieldDescriptor.TYPE_BYTES:
            return st.binary(max_size=64).map(lambda value: Mutation(path, "random-bytes", value))
        limits = int_range(field)
        if limits is not None:
            low, high = limits
            return st.integers(low, high).map(lambda value: Mutation(path, "random-int", value))
        if field.type == FieldDescriptor.TYPE_ENUM:
            return st.integers(-(2**31), 2**31 - 1).map(lambda value: Mutation(path, "random-enum", value))
        return st.nothing()

    random = st.sampled_from(scalars).flatmap(random_value) if scalars else st.nothing()
    return st.one_of(st.sampled_from(listed), random)


# ------------------------------------------------------------------------------------------------
# Oracle: what an accepted request may leave on the ledger

#: Message type of every record the payments and compliance contracts write, by object type.
RECORD_TYPES: Final[Mapping[str, type[Message]]] = {
    "tradefin.pay.channel": payments_pb2.PaymentChannelStub,
    "tradefin.pay.pending": payments_pb2.PendingApproval,
    "tradefin.pay.position": payments_pb2.ChannelPosition,
    "tradefin.pay.slot": payments_pb2.CapacitySlot,
    "tradefin.pay.tally": payments_pb2.CycleTally,
    "tradefin.pay.batch": payments_pb2.NettingBatchStub,
    "tradefin.pay.batch.record": payments_pb2.NettingBatch,
    "tradefin.pay.deposit": payments_pb2.Deposit,
    "tradefin.pay.payment": payments_pb2.PaymentStub,
    "tradefin.pay.payment.record": payments_pb2.PaymentRecord,
    "tradefin.pay.e2e": payments_pb2.EndToEndReference,
    "tradefin.pay.quote": payments_pb2.QuoteStub,
    "tradefin.pay.quote.record": payments_pb2.FxQuote,
    "tradefin.pay.settlement": payments_pb2.SettlementReference,
    "tradefin.pay.funding": payments_pb2.FundingReference,
    "tradefin.compliance.governance": compliance_pb2.ComplianceGovernance,
    "tradefin.compliance.proposal": compliance_pb2.GovernanceProposal,
    "tradefin.compliance.kyc": compliance_pb2.KycAttestation,
    "tradefin.compliance.screening": compliance_pb2.ScreeningResult,
    "tradefin.compliance.limit": compliance_pb2.Limit,
    "tradefin.compliance.reservation": compliance_pb2.LimitReservation,
    "tradefin.compliance.clearance": compliance_pb2.LimitClearance,
    "tradefin.compliance.limit-policy": compliance_pb2.LimitPolicy,
    "tradefin.compliance.financing": compliance_pb2.FinancingEntry,
    "tradefin.compliance.financing-details": compliance_pb2.FinancingDetails,
}

_UUID_FIELDS: Final = frozenset(
    {"uetr", "return_of_uetr", "return_uetrs", "used_by_uetr", "funding_uetr", "settlement_uetr", "payment_uetrs"}
    | {"quote_id", "deposit_id"}
)
_CURRENCY_FIELDS: Final = frozenset({"currency", "sell_currency", "buy_currency", "reference_currency"})
_COUNTRY_FIELDS: Final = frozenset({"country", "embargoed_countries", "high_risk_countries", "reportable_in"})
#: Amounts a payment moves or credits: positive.
_POSITIVE_AMOUNTS: Final = frozenset(
    {"instructed_amount", "converted_amount", "settlement_amount", "credited_amount", "max_sell_amount", "max"}
)
_LONGEST_TEXT: Final = 256


def _check_currency(value: str, field: str) -> None:
    exponent(value, field)


def _check_string(name: str, value: str, where: str) -> list[str]:
    problems = []
    if any(unicodedata.category(char) == "Cc" for char in value):
        problems.append(f"{where}: control character in {value[:40]!r}")
    if len(value) > _LONGEST_TEXT:
        problems.append(f"{where}: {len(value)} characters")
    if not value:
        return problems
    checks: list[Callable[[str, str], None]] = []
    if name == "bic" or name.endswith("_bic"):
        checks.append(check_bic)
    if name in _UUID_FIELDS:
        checks.append(check_uuid4)
    if name in _CURRENCY_FIELDS:
        checks.append(_check_currency)
    if name in _COUNTRY_FIELDS:
        checks.append(check_country)
    if name == "iban":
        checks.append(check_iban)
    if name == "lei":
        checks.append(check_lei)
    for check in checks:
        try:
            check(value, where)
        except RuleError as error:
            problems.append(f"{where}: {error.text}")
    return problems


def malformed(record: Message, where: str = "") -> list[str]:
    """What in a stored record no validator would accept: undefined enum numbers, invalid timestamps
    or dates, negative or currency-less money, ill-formed BICs, UETRs, currencies, countries, IBANs
    and LEIs, control characters or oversized text."""
    problems: list[str] = []
    full_name = record.DESCRIPTOR.full_name
    if full_name == "google.protobuf.Timestamp":
        seconds, nanos = getattr(record, "seconds"), getattr(record, "nanos")  # noqa: B009
        if not -62_135_596_800 <= seconds <= 253_402_300_799 or not 0 <= nanos < 10**9:
            problems.append(f"{where}: invalid timestamp {seconds}s {nanos}ns")
        return problems
    if full_name == "tradefin.v1.Date" and record.ByteSize():
        assert isinstance(record, common_pb2.Date)
        try:
            datetime.date(record.year, record.month, record.day)
        except ValueError:
            problems.append(f"{where}: invalid date {record.year}-{record.month}-{record.day}")
    if full_name == "tradefin.v1.Money" and record.ByteSize():
        assert isinstance(record, common_pb2.Money)
        if record.minor_units < 0 or (record.minor_units == 0 and where.rsplit(".", 1)[-1] in _POSITIVE_AMOUNTS):
            problems.append(f"{where}: amount {record.minor_units}")
    for field, value in record.ListFields():
        path = f"{where}.{field.name}" if where else field.name
        values = list(value) if _is_repeated(field) else [value]
        for index, item in enumerate(values):
            at = f"{path}[{index}]" if _is_repeated(field) else path
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                problems += malformed(item, at)
            elif field.type == FieldDescriptor.TYPE_ENUM and item not in field.enum_type.values_by_number:
                problems.append(f"{at}: undefined {field.enum_type.name} {item}")
            elif field.type == FieldDescriptor.TYPE_STRING:
                problems += _check_string(field.name, item, at)
    return problems


def written_problems(desk: ContractDesk) -> list[str]:
    """What is malformed in the records the last transaction wrote."""
    problems = []
    for collection, key in desk.last_writes:
        value = desk.ledger.value(key, collection)
        message_type = RECORD_TYPES.get(key.object_type)
        if value is None or message_type is None:
            continue
        problems += malformed(message_type.FromString(value), f"{key.object_type}{list(key.attributes)}")
    return problems


def sample(values: Iterable[str]) -> list[str]:
    """Distinct values in their order."""
    return list(dict.fromkeys(values))


# ------------------------------------------------------------------------------------------------
# The checks every contract's fuzz tests run (each test file parametrizes them over its transactions)


class Scene(Protocol):
    """A ledger reached by valid flows, and the ids of what is on it."""

    @property
    def desk(self) -> ContractDesk: ...

    @property
    def ids(self) -> list[str]:
        """Ids of the scene's records (a mutated request may name another record's id)."""
        ...


SceneT = TypeVar("SceneT", bound=Scene)

#: The name of a valid call's own caller, among :attr:`ContractFuzz.strangers`.
VALID: Final = "the valid caller"


@dataclass(frozen=True)
class ContractFuzz(Generic[SceneT]):
    """One contract's fuzzing: its scene, the valid calls of each transaction, the callers that are
    wrong for them and the invariants an accepted call must keep."""

    scene: Callable[[], SceneT]
    #: Valid calls of every transaction (several for the richest ones), built on the scene.
    bases: Mapping[str, Sequence[Callable[[SceneT], Call]]]
    #: Callers other than a valid call's own, by what is wrong with them.
    strangers: Mapping[str, Caller]
    #: The strangers that never write through the contract.
    never_writes: frozenset[str]
    #: Stands in for a stranger who happens to be the valid call's own caller.
    substitute: Caller
    #: What an accepted call may never leave on the ledger (beyond :func:`written_problems`).
    invariants: Callable[[ContractDesk], list[str]]

    def attempt(self, function: str, who: Caller, request: Message, later: datetime.timedelta, what: str) -> bool:
        """One call on a copy of the scene, held to the rule (:func:`attempt`)."""
        return attempt(self.scene().desk, function, who, request, later, what, self.invariants)

    def caller_named(self, base: Call, name: str) -> Caller:
        """The valid call's caller (:data:`VALID`), or a stranger that differs from it."""
        if name == VALID:
            return base.who
        return self.strangers[name] if self.strangers[name] != base.who else self.substitute

    def check_valid_calls(self, function: str) -> None:
        """Every valid call of the transaction is accepted (and keeps the invariants)."""
        scene = self.scene()
        assert not self.invariants(scene.desk)
        for build in self.bases[function]:
            base = build(scene)
            assert self.attempt(function, base.who, base.request, base.later, f"{function} {base.request}")

    def check_framing(self, function: str) -> None:
        """A request framed wrongly (:func:`framings`) is refused cleanly or read as a request; the
        malformed framings as ERR_INVALID_INPUT."""
        scene = self.scene()
        base = self.bases[function][0](scene)
        submit = is_submit(function)
        cases = framings(
            submit, base.request.SerializeToString(), self.other_request(function), base.request.DESCRIPTOR
        )
        for what, call in cases.items():
            desk = scene.desk.fork()
            before = snapshot(desk)
            response = desk.invoke(base.who, function, call.args, call.transient, at=desk.now + base.later)
            check_answer(desk, before, response, f"{function}: {what}")
            if malformed_framing(submit, what):
                assert refusal_code(response) == "ERR_INVALID_INPUT", (what, response.message)

    def other_request(self, function: str) -> bytes:
        """Another transaction's request: the valid one of the next transaction (by name)."""
        names = sorted(self.bases)
        other = names[(names.index(function) + 1) % len(names)]
        return self.bases[other][0](self.scene()).request.SerializeToString()

    def check_unknown_function(self, who: Caller, function: str) -> None:
        """A function no contract exposes is ERR_INVALID_INPUT."""
        response = self.scene().desk.fork().invoke(who, function, [b""], {REQUEST_FIELD: b""})
        assert refusal_code(response) == "ERR_INVALID_INPUT", response.message

    def check_random_bytes(self, function: str, raw: bytes) -> None:
        """Random bytes as the request are refused cleanly, or read as a request."""
        scene = self.scene()
        desk = scene.desk.fork()
        before = snapshot(desk)
        base = self.bases[function][0](scene)
        args, transient = ([], {REQUEST_FIELD: raw}) if is_submit(function) else ([raw], {})
        check_answer(desk, before, desk.invoke(base.who, function, args, transient), f"{function}: {raw!r}")

    def check_mutated(self, function: str, data: st.DataObject) -> None:
        """A valid call with one field mutated, sent by its caller (mostly) or a stranger, now or later."""
        scene = self.scene()
        base = data.draw(st.sampled_from(self.bases[function]))(scene)
        mutation = data.draw(mutation_strategy(base.request, sample(scene.ids)), label="mutation")
        name = data.draw(st.sampled_from([VALID] * 4 + sorted(self.strangers)), label="caller")
        later = base.later + data.draw(st.sampled_from(LATER), label="later")
        what = f"{function} [{mutation}] by {name} +{later}"
        accepted = self.attempt(function, self.caller_named(base, name), mutation.apply(base.request), later, what)
        assert not (accepted and is_submit(function) and name in self.never_writes), f"{what}: accepted"

    def check_wrong_caller(self, function: str, name: str) -> None:
        """Every valid call, sent by the stranger ``name``."""
        scene = self.scene()
        for build in self.bases[function]:
            base = build(scene)
            what = f"{function} by {name}"
            accepted = self.attempt(function, self.caller_named(base, name), base.request, base.later, what)
            assert not (accepted and is_submit(function) and name in self.never_writes), f"{what}: accepted"

    def check_replay(self, function: str, *, idempotent: bool) -> None:
        """Every valid call sent twice: the replay is answered cleanly and keeps the invariants; when the
        transaction is ``idempotent``, an accepted replay writes nothing (no event either) and gets the
        first answer."""
        scene = self.scene()
        for build in self.bases[function]:
            base = build(scene)
            desk = scene.desk.fork()
            first = send(desk, function, base.who, base.request, base.later)
            assert first.status == 200, first.message
            before = snapshot(desk)
            again = send(desk, function, base.who, base.request, base.later)
            if check_answer(desk, before, again, f"{function} replayed") and idempotent:
                assert snapshot(desk) == before, f"{function}: the replay changed the ledger"
                assert again.payload == first.payload, f"{function}: the replay got another answer"
            assert not self.invariants(desk), f"{function} replayed: {self.invariants(desk)}"

    def check_late(self, function: str, later: datetime.timedelta) -> None:
        """Every valid call, sent ``later`` than meant (earlier when negative)."""
        scene = self.scene()
        for build in self.bases[function]:
            base = build(scene)
            self.attempt(function, base.who, base.request, base.later + later, f"{function} +{later}")

    def check_found(self, function: str, index: int, mutation: Mutation, code: str) -> None:
        """A found defect's regression check (:func:`check_refused`) on the scene."""
        scene = self.scene()
        check_refused(scene.desk, function, self.bases[function][index](scene), mutation, code)


def trailing_newline(path: Path, value: str) -> Mutation:
    """``value`` with a trailing newline at ``path`` (a pattern ending in ``$`` took it)."""
    return Mutation(path, "trailing-newline", value + "\n")
