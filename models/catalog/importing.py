"""Importing narratives into a catalog (`narrmon catalog import`): ClaimReview JSON-LD or
CheckThat! ``vclaims.jsonl`` in, a YAML collection file out."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from models.catalog.loading import load_jsonl
from models.catalog.schema import FactCheck, Narrative, is_http_url
from models.records import Verdict

_RATING_VERDICTS: dict[str, Verdict] = {
    "false": "false",
    "pants on fire": "false",
    "fake": "false",
    "incorrect": "false",
    "mostly false": "misleading",
    "misleading": "misleading",
    "half true": "misleading",
    "mixture": "misleading",
    "missing context": "misleading",
    "out of context": "misleading",
    "unproven": "unproven",
    "unverified": "unproven",
    "unsupported": "unproven",
}


def _claim_reviews(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _claim_reviews(item)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _claim_reviews(data["@graph"])
        elif data.get("@type") == "ClaimReview" or "claimReviewed" in data:
            yield data


def slugify(text: str, max_length: int = 80) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "narrative"


def claimreview_narratives(data: Any) -> list[Narrative]:
    """Narratives from ClaimReview JSON-LD (an object, a list, or an ``@graph``)."""
    out: list[Narrative] = []
    seen: set[str] = set()
    for review in _claim_reviews(data):
        claim = str(review.get("claimReviewed") or "").strip()
        if not claim:
            continue
        rating = review.get("reviewRating") or {}
        rating_text = str(rating.get("alternateName") or rating.get("name") or "").strip()
        author = review.get("author") or {}
        publisher = author.get("name") if isinstance(author, dict) else None
        url = str(review.get("url") or "")
        base = slugify(url.rstrip("/").rsplit("/", 1)[-1] if url else claim)
        slug, n = base, 1
        while slug in seen:
            n += 1
            slug = f"{base}-{n}"
        seen.add(slug)
        fact_checks = (
            (FactCheck(url=url, publisher=publisher, rating=rating_text or None,
                       date=str(review.get("datePublished") or "")[:10] or None),)
            if is_http_url(url) else ()
        )  # fmt: skip
        out.append(
            Narrative(
                id=slug,
                title=claim[:200],
                summary=claim,
                why_tracked=f"Rated '{rating_text or 'unrated'}' by {publisher or 'a checker'}",
                verdict=_RATING_VERDICTS.get(rating_text.lower(), "false"),
                exemplars=(claim,),
                fact_checks=fact_checks,
            )
        )
    return out


def read_import_source(path: Path) -> list[Narrative]:
    """Narratives from a ClaimReview JSON/JSON-LD file or a CheckThat! vclaims JSONL file."""
    if path.suffix == ".jsonl":
        return list(load_jsonl(path, path.read_bytes()).narratives)
    return claimreview_narratives(json.loads(path.read_text(encoding="utf-8")))


def dump_catalog_yaml(name: str, narratives: list[Narrative], description: str = "") -> str:
    """A collection file for `narratives` that `load_catalog` reads back to the same content."""
    body = {
        "catalog": name,
        "description": description,
        "narratives": [n.model_dump(mode="json", exclude_defaults=True) for n in narratives],
    }
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(body, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)


__all__ = ["claimreview_narratives", "dump_catalog_yaml", "read_import_source", "slugify"]
