"""The committed generated modules match the .proto files, and the schema keeps its promises."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from tradefin.protos import build, common_pb2, errors_pb2, letters_of_credit_api_pb2, letters_of_credit_pb2

CATALOGUE = [
    "ERR_UNAUTHORIZED",
    "ERR_INVALID_INPUT",
    "ERR_NOT_FOUND",
    "ERR_DUPLICATE",
    "ERR_INVALID_STATE",
    "ERR_EXPIRED",
    "ERR_DEADLINE_PASSED",
    "ERR_LIMIT_EXCEEDED",
    "ERR_INSUFFICIENT_FUNDS",
    "ERR_KYC",
    "ERR_SANCTIONS",
    "ERR_APPROVAL_REQUIRED",
    "ERR_DUPLICATE_FINANCING",
    "ERR_QUOTE_EXPIRED",
    "ERR_TIMESTAMP_SKEW",
]


def test_committed_modules_are_not_stale() -> None:
    assert build.stale_files() == []


def test_every_proto_file_has_committed_modules() -> None:
    names = build.committed().keys()
    for proto in build.proto_files():
        stem = proto.removesuffix(".proto")
        assert f"{stem}_pb2.py" in names
        assert f"{stem}_pb2.pyi" in names


def test_error_catalogue_is_the_domain_catalogue() -> None:
    names = [value.name for value in errors_pb2.ErrorCode.DESCRIPTOR.values if value.number != 0]
    assert names == CATALOGUE


def test_no_floating_point_field_anywhere() -> None:
    floating = {FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE}

    def messages(message: Descriptor) -> Iterator[Descriptor]:
        yield message
        for nested in message.nested_types:
            yield from messages(nested)

    checked = 0
    for proto in build.proto_files():  # every schema file, and every message nested in each
        module = importlib.import_module(f"tradefin.protos.{Path(proto).stem}_pb2")
        for top in module.DESCRIPTOR.message_types_by_name.values():
            for message in messages(top):
                checked += 1
                for field in message.fields:
                    assert field.type not in floating, f"{message.full_name}.{field.name}"
    assert checked > 100


def test_money_is_integer_minor_units() -> None:
    field = common_pb2.Money.DESCRIPTOR.fields_by_name["minor_units"]
    assert field.type == FieldDescriptor.TYPE_INT64


def test_every_lifecycle_operation_has_a_request() -> None:
    requests = set(letters_of_credit_api_pb2.DESCRIPTOR.message_types_by_name)
    for operation in (
        "Apply", "Issue", "Advise", "AddConfirmation", "DeclineConfirmation", "ProposeAmendment",
        "AdviseAmendment", "DecideAmendmentConfirmation", "AcceptAmendment", "RejectAmendment",
        "Present", "NotifyCompleteness", "Examine", "Refuse", "RequestWaiver", "GrantWaiver",
        "AcceptWaiver", "ReturnDocuments", "Preclude", "Honour", "PayAtMaturity", "Reimburse",
        "Expire", "Close", "Transfer", "PublishCalendar",
    ):
        assert f"{operation}Request" in requests


def test_mt734_disposal_codes() -> None:
    names = [v.name for v in letters_of_credit_pb2.RefusalDisposal.DESCRIPTOR.values if v.number]
    assert names == [
        "REFUSAL_DISPOSAL_HOLD", "REFUSAL_DISPOSAL_NOTIFY", "REFUSAL_DISPOSAL_RETURN",
        "REFUSAL_DISPOSAL_PREVINST",
    ]


def test_generated_imports_use_the_package_path() -> None:
    source = (build.PROTO_DIR / "letters_of_credit_api_pb2.py").read_text()
    assert "from tradefin.protos import common_pb2" in source
