"""The index step: created hits counted, rejected ones refused as index_rejected, anything to
retry raised as a TransientError for the runner; parse_hit refuses what is not a hit."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry

from models.dead_letters import RecordOrigin
from models.errors import InvalidRecord
from models.records import Hit
from pipeline.agents.hits import parse_hit
from pipeline.agents.indexer import IndexStep
from pipeline.elastic.errors import ElasticUnavailable
from pipeline.elastic.hits import BulkResult
from pipeline.errors import TransientError
from pipeline.metrics import Metrics
from pipeline.runner import Record
from tests.factories import make_hit


class ScriptedSink:
    """Answers each write with the next scripted result (or raises it)."""

    def __init__(self, *answers: BulkResult | Exception) -> None:
        self.answers = list(answers)
        self.writes: list[list[str]] = []

    async def write(self, hits: Sequence[Hit]) -> BulkResult:
        self.writes.append([h.id for h in hits])
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _records(hits: list[Hit]) -> list[Record[Hit]]:
    return [
        Record(h, h.model_dump_json().encode(), RecordOrigin(topic="hits", offset=i, key=h.id))
        for i, h in enumerate(hits)
    ]


def _step(sink: ScriptedSink, first: Hit) -> tuple[IndexStep, Metrics]:
    """The step, its clock 2 s after `first` was ingested."""
    metrics = Metrics(CollectorRegistry())
    ingested = first.post.ingested_at
    step = IndexStep(sink, metrics, clock=lambda: ingested + timedelta(seconds=2))  # type: ignore[arg-type]
    return step, metrics


def test_created_are_counted_and_rejected_are_refused_with_the_posts_source() -> None:
    hits = [make_hit(1), make_hit(2), make_hit(3)]
    sink = ScriptedSink(
        BulkResult(
            created=[hits[0]],
            duplicates=[hits[1]],
            rejected=[(hits[2], "mapper_parsing_exception: x")],
        )
    )
    step, metrics = _step(sink, hits[0])
    result = asyncio.run(step(_records(hits)))
    assert result.outputs == ()
    ((record, error),) = result.refused
    assert record.origin.offset == 2
    assert (error.reason, error.detail, error.source) == (
        "index_rejected",
        "mapper_parsing_exception: x",
        "t",
    )
    get = metrics.registry.get_sample_value
    assert get("narrmon_hits_indexed_total") == 1
    assert get("narrmon_end_to_end_seconds_sum") == 2.0
    assert get("narrmon_index_errors_total", {"kind": "permanent"}) == 1
    # IndexingStalled reads when Elasticsearch last answered a bulk request
    assert get("narrmon_index_last_success_timestamp_seconds") > 0


def test_transient_failures_are_raised_for_the_runner_to_retry() -> None:
    hits = [make_hit(1), make_hit(2)]
    sink = ScriptedSink(
        ElasticUnavailable("connection refused"),
        BulkResult(created=[hits[0]], retry=[(hits[1], "es_rejected_execution_exception: busy")]),
    )
    step, metrics = _step(sink, hits[0])
    for _ in range(2):
        with pytest.raises(TransientError):
            asyncio.run(step(_records(hits)))
    assert (
        metrics.registry.get_sample_value("narrmon_index_errors_total", {"kind": "transient"}) == 2
    )
    assert metrics.registry.get_sample_value("narrmon_hits_indexed_total") == 1


def test_parse_hit_refuses_what_is_not_a_hit() -> None:
    hit = make_hit()
    assert parse_hit(hit.model_dump_json().encode()) == hit
    for raw in (b"{not json", b'{"id": "x"}', b"\xff"):
        with pytest.raises(InvalidRecord) as caught:
            parse_hit(raw)
        assert caught.value.reason == "schema_error"
        assert caught.value.detail.startswith("not a hit")
