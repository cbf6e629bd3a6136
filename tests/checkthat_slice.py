"""A small CheckThat! 2022 2A catalog for slow and integration tests: the first queries of a
split, their gold claims and the first verified claims of the full catalog as distractors (so
one runs in seconds once the exemplars are in the embedding cache)."""

from __future__ import annotations

import json
from collections.abc import Set
from pathlib import Path

from models.evaluation.metrics import read_qrels

DATA = Path(__file__).parents[1].parent / "shared" / "datasets" / "checkthat-2022-2a-en"


def first_qrels(split: str, queries: int) -> dict[str, set[str]]:
    """The qrels of the first `queries` query ids (sorted) of `split` ("train", "dev")."""
    return dict(sorted(read_qrels(DATA / f"{split}.qrels.tsv").items())[:queries])


def write_slice(
    path: Path, qrels: dict[str, set[str]], distractors: int, removed: Set[str] = frozenset()
) -> Path:
    """Write to `path` the first `distractors` verified claims plus every claim `qrels` names,
    without the `removed` ones (vclaims JSONL, as the full catalog); returns `path`."""
    wanted = set().union(*qrels.values())
    lines = (DATA / "vclaims.jsonl").read_text(encoding="utf-8").splitlines()
    kept = []
    for i, line in enumerate(lines):
        claim = json.loads(line)["vclaim_id"]
        if (i < distractors or claim in wanted) and claim not in removed:
            kept.append(line)
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path
