"""The committed OpenAPI document is exactly what the app generates."""

from __future__ import annotations

import json

from pipeline.api.openapi import SPEC_PATH, generate


def test_committed_spec_is_current() -> None:
    assert SPEC_PATH.read_text() == generate(), (
        "deploy/openapi.json is stale: run `narrmon api --write-openapi`"
    )


def test_spec_documents_400_not_422() -> None:
    spec = json.loads(generate())
    for path in spec["paths"].values():
        for operation in path.values():
            assert "422" not in operation["responses"]
    search = spec["paths"]["/api/search"]["get"]
    assert "400" in search["responses"]
    assert {p["name"] for p in search["parameters"]} >= {"q", "narrative", "since", "cursor"}
    review = spec["paths"]["/api/hits/{hit_id}/review"]["post"]
    assert {"401", "403", "404"} <= set(review["responses"])


def test_spec_documents_the_intake_routes() -> None:
    spec = json.loads(generate())
    for path in ("/api/ingest", "/api/reports"):
        operation = spec["paths"][path]["post"]
        assert {"202", "400", "401", "403", "413", "503"} <= set(operation["responses"])
        assert "200" not in operation["responses"]
