"""The payments and compliance schema keeps the project's promises: integer money, no floats, the
request of every operation, and one collection per pair of channel banks."""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor

from tradefin.chaincode.contracts import collection_definitions, default_contracts
from tradefin.protos import compliance_pb2, payments_pb2


def test_no_floating_point_field() -> None:
    floating = {FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE}
    for module in (payments_pb2, compliance_pb2):
        for message in module.DESCRIPTOR.message_types_by_name.values():
            for field in message.fields:
                assert field.type not in floating, f"{message.full_name}.{field.name}"


#: Request message of each transaction whose name differs from "<Function>Request".
RENAMED = {"ReportStatus": "ReportPaymentStatusRequest"}


def test_every_transaction_has_its_request_message() -> None:
    names = set(payments_pb2.DESCRIPTOR.message_types_by_name) | set(compliance_pb2.DESCRIPTOR.message_types_by_name)
    contracts = {contract.name: contract for contract in default_contracts()}
    for contract_name in ("pay", "compliance"):
        for function in contracts[contract_name].transactions:
            assert RENAMED.get(function, f"{function}Request") in names, function


def test_payment_channels_have_a_collection_per_pair_of_banks() -> None:
    names = {definition.name: definition.members for definition in collection_definitions(["B3", "B1", "B2"])}
    assert (
        names["pay-B1-B2"] == ("B1", "B2") and names["pay-B1-B3"] == ("B1", "B3") and names["pay-B2-B3"] == ("B2", "B3")
    )
    assert "lc-B1-B2-B3" in names
