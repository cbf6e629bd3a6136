"""The one classification of Elasticsearch failures: per bulk item and per whole request."""

from __future__ import annotations

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig

from pipeline.elastic.errors import (
    ElasticConflict,
    ElasticError,
    ElasticNotFound,
    ElasticRejected,
    ElasticUnavailable,
    classify_bulk_item,
    classify_status,
    translate,
    translated,
)
from pipeline.errors import TransientError


@pytest.mark.parametrize(
    ("status", "error_type", "result", "expected"),
    [
        (201, None, "created", "created"),
        (200, None, "updated", "duplicate"),
        (200, None, "noop", "duplicate"),
        (409, "version_conflict_engine_exception", None, "duplicate"),
        (429, "es_rejected_execution_exception", None, "transient"),
        (503, None, None, "transient"),
        (404, "index_not_found_exception", None, "transient"),
        (400, "mapper_parsing_exception", None, "permanent"),
        (400, "document_parsing_exception", None, "permanent"),
    ],
)
def test_classify_status(
    status: int, error_type: str | None, result: str | None, expected: str
) -> None:
    assert classify_status(status, error_type, result) == expected


def test_bulk_item_reason_names_the_error_type() -> None:
    item = {"update": {"status": 400, "error": {"type": "mapper_parsing_exception", "reason": "x"}}}
    assert classify_bulk_item(item) == ("permanent", "mapper_parsing_exception: x")
    assert classify_bulk_item({"update": {"status": 201, "result": "created"}}) == ("created", "")


def test_connection_errors_are_transient() -> None:
    from elasticsearch import ConnectionError as EsConnectionError

    assert isinstance(translate(EsConnectionError("refused")), ElasticUnavailable)
    assert isinstance(translate(TimeoutError()), ElasticUnavailable)
    assert translate(ValueError("bug")) is None
    assert issubclass(ElasticUnavailable, TransientError)  # the batch runner retries it


def _api_error(status: int, error_type: str) -> Exception:
    from elasticsearch import ApiError

    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "127.0.0.1", 9200),
    )
    return ApiError(error_type, meta, {"error": {"type": error_type}, "status": status})


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (429, "es_rejected_execution_exception", ElasticUnavailable),
        (500, "internal_server_error", ElasticUnavailable),
        (503, "unavailable_shards_exception", ElasticUnavailable),
        (404, "index_not_found_exception", ElasticUnavailable),
        (404, "not_found", ElasticNotFound),
        (409, "version_conflict_engine_exception", ElasticConflict),
        (400, "mapper_parsing_exception", ElasticRejected),
    ],
)
def test_whole_request_errors_are_translated(
    status: int, error_type: str, expected: type[ElasticError]
) -> None:
    error = translate(_api_error(status, error_type))
    assert type(error) is expected


def test_translated_chains_the_cause_and_passes_other_errors() -> None:
    cause = _api_error(400, "mapper_parsing_exception")
    with pytest.raises(ElasticRejected) as raised, translated():
        raise cause
    assert raised.value.__cause__ is cause
    with pytest.raises(KeyError), translated():
        raise KeyError("a bug stays a bug")
