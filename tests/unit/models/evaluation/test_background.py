"""Background posts: reading them, keeping out possible on-topic ones, and the two parts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from models.catalog.loading import load_catalog
from models.catalog.schema import Catalog
from models.evaluation.background import (
    background_part,
    catalog_exclusion,
    in_part,
    read_texts,
)


def test_reads_queries_tsv_and_jsonl(tmp_path: Path) -> None:
    tsv = tmp_path / "q.tsv"
    tsv.write_text("tweet_id\ttweet\n1\tA  hawk\tdrops a snake\n2\t \n3\tA hawk\tdrops a snake\n")
    assert read_texts(tsv) == ["A hawk drops a snake"]
    jsonl = tmp_path / "c.jsonl"
    rows = [{"vclaim": "Wine has arsenic."}, {"text": "Cats steal jewels"}, {"vclaim": " "}]
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    assert read_texts(jsonl) == ["Wine has arsenic.", "Cats steal jewels"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"title": 3}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: text"):
        read_texts(bad)


def test_catalog_keywords_and_the_extra_pattern_keep_possible_claims_out(
    catalog_path: Path,
) -> None:
    catalog = load_catalog(catalog_path)
    keyword = next(k for n in catalog.active for k in n.keywords)
    pattern = catalog_exclusion(catalog, r"\bvot\w*")
    assert pattern.search(f"something about {keyword.upper()} here")
    assert pattern.search("Voters lined up")
    assert not pattern.search("A hawk drops a snake at a barbecue")
    assert not catalog_exclusion(Catalog(name="empty", narratives=())).search("x")


def test_parts_are_disjoint_stable_and_seeded() -> None:
    texts = [f"post number {i} about nothing" for i in range(400)] + ["votes were counted"]
    none = re.compile(r"(?!)")
    fit = background_part(texts, none, "fit", 1000)
    ev = background_part(texts, none, "eval", 1000)
    assert not set(fit) & set(ev) and len(fit) + len(ev) == len(texts)
    assert all(in_part(t, "fit") for t in fit) and all(in_part(t, "eval") for t in ev)
    # the same text is in the same part whatever the order of the input
    assert set(background_part(list(reversed(texts)), none, "fit", 1000)) == set(fit)
    first = background_part(texts, none, "fit", 50)
    assert first == fit[:50] and background_part(texts, none, "fit", 50, skip=50) == fit[50:100]
    assert background_part(texts, none, "fit", 50, seed=1) != first
    kept = background_part(texts, re.compile(r"\bvotes\b"), "fit", 1000)
    kept += background_part(texts, re.compile(r"\bvotes\b"), "eval", 1000)
    assert "votes were counted" not in kept and len(kept) == 400
