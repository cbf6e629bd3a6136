"""HTTP hardening: CSV formula cells, security headers, body limits, reads protected by default
when the API binds a non-loopback address. The app runs on an unreachable cluster: these are
about what happens before and around Elasticsearch."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from pydantic import SecretStr

from pipeline.api import export
from pipeline.api.app import STATIC_DIR, create_app
from pipeline.api.hardening import DOCS_CSP, UI_CSP, UI_INLINE_HANDLERS
from pipeline.api.service import HitService
from pipeline.api.startup import check_token
from pipeline.cli import main
from pipeline.settings import ApiSettings, Settings

UNREACHABLE = "http://127.0.0.1:1"


def client_for(**api: object) -> TestClient:
    base = Settings()
    settings = base.model_copy(
        update={
            "elasticsearch": base.elasticsearch.model_copy(update={"url": UNREACHABLE}),
            "api": base.api.model_copy(update=api),
        }
    )
    service = HitService(Elasticsearch(UNREACHABLE, max_retries=0), settings)
    return TestClient(create_app(settings, service), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def api() -> TestClient:
    return client_for(max_body_bytes=2048)


def test_csv_export_neutralises_formula_cells() -> None:
    hostile = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]
    rows = [
        {
            "id": f"h{i}",
            "post": {"text": text, "author": {"handle": text}},
            "scores": {"combined": -0.5},
        }
        for i, text in enumerate(hostile)
    ]
    rows.append({"id": "ok", "post": {"text": "a = b, @here", "author": {"handle": "ana"}}})
    _, lines = export.render(rows, "csv")
    parsed = list(csv.DictReader(io.StringIO("".join(lines))))
    for row, text in zip(parsed, hostile, strict=False):
        assert row["post.text"] == "'" + text
        assert row["post.author.handle"] == "'" + text
        assert row["scores.combined"] == "-0.5"  # a number, not text: left alone
    assert parsed[-1]["post.text"] == "a = b, @here"
    assert parsed[-1]["post.author.handle"] == "ana"


@pytest.mark.parametrize(
    "path", ["/", "/static/app.js", "/openapi.json", "/api/search", "/api/nope", "/docs"]
)
def test_every_response_carries_the_security_headers(api: TestClient, path: str) -> None:
    response = api.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    expected = DOCS_CSP if path == "/docs" else UI_CSP
    assert response.headers["Content-Security-Policy"] == expected


def test_the_ui_policy_allows_no_inline_code_nor_foreign_origins() -> None:
    directives = dict(d.split(" ", 1) for d in UI_CSP.split("; "))
    assert "'unsafe-inline'" not in UI_CSP and "'unsafe-eval'" not in UI_CSP
    assert "http" not in UI_CSP and "*" not in UI_CSP
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["style-src"] == "'self'"


class _InlineCode(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.handlers: list[str] = []
        self.inline: list[str] = []
        self._tag: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.handlers += [v or "" for k, v in attrs if k.startswith("on")]
        if "style" in values or tag == "style" or (tag == "script" and "src" not in values):
            self.inline.append(tag)
        if any(
            k in {"href", "src", "action"} and (v or "").startswith("javascript:") for k, v in attrs
        ):
            self.inline.append(f"{tag} javascript: URL")


def test_the_page_has_no_inline_code_the_policy_forbids() -> None:
    page = _InlineCode()
    page.feed((STATIC_DIR / "index.html").read_text(encoding="utf-8"))
    assert page.inline == []
    assert set(page.handlers) <= set(UI_INLINE_HANDLERS), "allow a new inline handler in UI_CSP"


def test_oversized_bodies_are_refused_with_413(api: TestClient) -> None:
    big = {"text": "x" * 4096}
    response = api.post("/api/similar", json=big)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert response.headers["Content-Security-Policy"] == UI_CSP

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        yield b'{"text": "'
        for _ in range(8):
            yield b"y" * 512
        yield b'"}'

    chunked = api.post(
        "/api/similar", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert chunked.status_code == 413
    assert chunked.json()["error"] == "payload_too_large"
    review = api.post("/api/hits/h/review", json={"label": "confirmed", "note": "n" * 4096})
    assert review.status_code == 413
    small = api.post("/api/similar", json={"text": "ballots", "size": 500})
    assert small.status_code == 400 and small.json()["parameter"] == "size"


@pytest.mark.parametrize(
    ("path", "param"),
    [("/api/search?size=101", "size"), ("/api/aggregations?top=101", "top")],
)
def test_batch_sizes_are_capped(api: TestClient, path: str, param: str) -> None:
    response = api.get(path)
    assert response.status_code == 400 and response.json()["parameter"] == param


def test_reads_are_protected_by_default_on_a_non_loopback_address() -> None:
    assert ApiSettings(host="0.0.0.0").reads_protected
    assert ApiSettings(host="::").reads_protected
    assert ApiSettings(host="api.example.org").reads_protected
    assert not ApiSettings(host="127.0.0.1").reads_protected
    assert not ApiSettings(host="localhost").reads_protected
    assert not ApiSettings(host="::1").reads_protected
    assert not ApiSettings(host="0.0.0.0", protect_reads=False).reads_protected
    assert ApiSettings(host="127.0.0.1", protect_reads=True).reads_protected

    public = client_for(host="0.0.0.0", token=SecretStr("t0ken"))
    assert public.get("/api/narratives").status_code == 401
    assert public.get("/api/search", headers={"Authorization": "Bearer no"}).status_code == 403
    local = client_for(host="127.0.0.1")
    assert local.get("/api/narratives").status_code not in (401, 403)


def test_a_public_api_without_a_token_refuses_to_start() -> None:
    def finding(**api: object) -> tuple[str, str]:
        settings = Settings()
        result = check_token(
            settings.model_copy(update={"api": settings.api.model_copy(update=api)})
        )
        return result.level, result.message

    level, message = finding(host="0.0.0.0")
    assert level == "error" and "0.0.0.0" in message and "NARRMON_API__TOKEN" in message
    assert finding(host="0.0.0.0", protect_reads=False)[0] == "warning"
    assert finding(host="0.0.0.0", token=SecretStr("t"))[0] == "info"
    assert finding(host="127.0.0.1")[0] == "warning"  # reviews disabled, reads open: as before

    env = {
        "NARRMON_ELASTICSEARCH__URL": UNREACHABLE,
        "NARRMON_API__TOKEN": None,
        "NARRMON_API__PROTECT_READS": None,
    }
    result = CliRunner().invoke(main, ["api", "--host", "0.0.0.0", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert "reads need a bearer token" in result.output and "not serving" in result.output
