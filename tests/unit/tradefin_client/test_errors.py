"""Chaincode refusals become one exception class per catalogue code, with field, reason, tx id and details."""

from __future__ import annotations

import pytest

from tradefin.gateway import EndorseError, ErrorDetail, EvaluateError, GatewayError, GrpcCode
from tradefin.gateway.tradefin import (
    ChaincodeInternalError,
    ExpiredError,
    InvalidInputError,
    TradeFinanceError,
    UnauthorizedError,
    chaincode_error,
    error_class,
)
from tradefin.protos import errors_pb2

TX = "ab" * 32


def endorse_error(*messages: str) -> EndorseError:
    details = [ErrorDetail(f"peer{index}:7051", f"Bank{index}MSP", message) for index, message in enumerate(messages)]
    return EndorseError(GrpcCode.ABORTED, "failed to endorse transaction", details, transaction_id=TX)


def test_every_catalogue_code_has_its_own_class() -> None:
    codes = [name for name in errors_pb2.ErrorCode.keys() if name.startswith("ERR_")]  # noqa: SIM118
    classes = {error_class(code) for code in codes}
    assert len(classes) == len(codes) == 15
    for code in codes:
        assert issubclass(error_class(code), TradeFinanceError)
        assert error_class(code).catalogue_code == code
    assert error_class("ERR_INTERNAL") is ChaincodeInternalError


def test_an_endorsement_refusal_names_the_field_and_keeps_tx_id_and_details() -> None:
    gateway_error = endorse_error(
        "chaincode response 500, ERR_INVALID_INPUT: terms.documents_required[0].doc_type: is required",
        "chaincode response 500, ERR_INVALID_INPUT: terms.documents_required[0].doc_type: is required",
    )
    error = chaincode_error(gateway_error)
    assert isinstance(error, InvalidInputError)
    assert (error.code, error.field, error.reason) == (
        "ERR_INVALID_INPUT",
        "terms.documents_required[0].doc_type",
        "is required",
    )
    assert error.transaction_id == TX
    assert error.details == gateway_error.details and error.gateway_error is gateway_error
    assert str(error) == "ERR_INVALID_INPUT: terms.documents_required[0].doc_type: is required"


def test_a_message_without_a_field_path_keeps_all_its_text_as_the_reason() -> None:
    text = "ERR_EXPIRED: credit ASTBHKHH:LC-1 has expired: no presentation"
    error = chaincode_error(endorse_error(f"chaincode response 500, {text}"))
    assert isinstance(error, ExpiredError)
    assert error.field == "" and error.reason == "credit ASTBHKHH:LC-1 has expired: no presentation"
    assert error.text == text


def test_a_reason_whose_first_line_is_one_word_is_not_a_field_path() -> None:
    """The field path is matched whole: 'expired' + newline before ': ' is reason text, not a field."""
    text = "ERR_EXPIRED: expired\n: no presentation after 2025-12-31"
    error = chaincode_error(endorse_error(f"chaincode response 500, {text}"))
    assert isinstance(error, ExpiredError)
    assert error.field == "" and error.reason == "expired\n: no presentation after 2025-12-31"


def test_an_evaluate_refusal_without_details_is_read_from_the_message() -> None:
    gateway_error = EvaluateError(
        GrpcCode.UNKNOWN,
        "evaluate call to endorser returned error: chaincode response 500, ERR_UNAUTHORIZED: Bank3MSP is not a bank",
        transaction_id=TX,
    )
    error = chaincode_error(gateway_error)
    assert isinstance(error, UnauthorizedError) and error.reason == "Bank3MSP is not a bank"


def test_the_first_coded_detail_wins_and_uncoded_failures_stay_gateway_errors() -> None:
    mixed = endorse_error("connection refused", "chaincode response 500, ERR_UNAUTHORIZED: not the issuing bank")
    assert isinstance(chaincode_error(mixed), UnauthorizedError)
    two_codes = endorse_error(
        "chaincode response 500, ERR_UNAUTHORIZED: not the issuing bank", "chaincode response 500, ERR_NOT_FOUND: x"
    )
    assert isinstance(chaincode_error(two_codes), UnauthorizedError)  # the first peer's, not the last's
    assert chaincode_error(endorse_error("connection refused")) is None
    assert chaincode_error(GatewayError(GrpcCode.UNAVAILABLE, "no peers")) is None


def test_an_unknown_code_keeps_its_name_on_the_base_class() -> None:
    error = chaincode_error(endorse_error("chaincode response 500, ERR_SOMETHING_NEW: later"))
    assert type(error) is TradeFinanceError and error.code == "ERR_SOMETHING_NEW"


@pytest.mark.parametrize("cls", [InvalidInputError, ExpiredError])
def test_an_early_check_has_no_transaction(cls: type[TradeFinanceError]) -> None:
    error = cls("is required", field="terms.amount")
    assert error.transaction_id is None and error.gateway_error is None
    assert str(error) == f"{cls.catalogue_code}: terms.amount: is required"
