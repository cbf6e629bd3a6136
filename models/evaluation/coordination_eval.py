"""Coordination evaluation: group-membership precision and recall on a labelled stream
(``coordination-{split}.jsonl``: posts with ``label: {campaign: id | null, kind}``).

A predicted group is named after the campaign most of its posts belong to (none when most are
unrelated). Precision = posts in predicted groups whose campaign is their group's campaign /
posts in predicted groups; recall = campaign posts inside a group named after their campaign /
campaign posts. Also counted: groups holding a platform repost (must be 0), groups per campaign
(fragmentation), campaigns found at all.

Methods: ``minhash`` (the shipped `CoordinationDetector`) and ``embedding`` (exact cosine between
packaged-model embeddings within the same window, same union-find), for the comparison.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from models.records import Post
from models.signals.coordination import CoordinationConfig, CoordinationDetector


@dataclass(frozen=True)
class LabelledStreamPost:
    post: Post
    campaign: str | None
    kind: str


def read_stream(path: Path) -> list[LabelledStreamPost]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            label = data.pop("label")
            rows.append(LabelledStreamPost(Post.model_validate(data), label.get("campaign"),
                                           label.get("kind", "")))  # fmt: skip
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled stream post: {exc}") from exc
    return sorted(rows, key=lambda r: (r.post.created_at, r.post.id))


def minhash_groups(
    rows: Sequence[LabelledStreamPost], config: CoordinationConfig
) -> dict[str, str]:
    """post id -> group id for every post that ended in a group of `min_accounts`+ accounts."""
    detector = CoordinationDetector(config)
    membership: dict[str, str] = {}
    for row in rows:
        group = detector.observe(row.post)
        if group is not None:
            for post_id in group.post_ids:
                membership[post_id] = group.group_id
    return membership


def embedding_groups(
    rows: Sequence[LabelledStreamPost], config: CoordinationConfig, model_path: str | None = None
) -> dict[str, str]:
    import numpy as np

    from models.matching.embedder import Embedder

    vectors = Embedder(model_path).encode([r.post.text for r in rows])
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    times = np.array([r.post.created_at.timestamp() for r in rows])
    accounts = [r.post.author.id for r in rows]
    for i, row in enumerate(rows):
        if row.post.references.repost_of is not None:
            continue
        lo = int(np.searchsorted(times, times[i] - config.window.total_seconds()))
        sims = vectors[lo:i] @ vectors[i]
        for j in np.nonzero(sims >= config.threshold)[0]:
            k = lo + int(j)
            if accounts[k] != accounts[i] and rows[k].post.references.repost_of is None:
                parent[find(k)] = find(i)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(rows)):
        members[find(i)].append(i)
    membership = {}
    for root, items in members.items():
        if len({accounts[i] for i in items}) >= config.min_accounts:
            for i in items:
                membership[rows[i].post.id] = f"emb-{root}"
    return membership


def score(rows: Sequence[LabelledStreamPost], membership: dict[str, str]) -> dict[str, Any]:
    by_id = {r.post.id: r for r in rows}
    groups: dict[str, list[LabelledStreamPost]] = defaultdict(list)
    for post_id, group_id in membership.items():
        groups[group_id].append(by_id[post_id])
    grouped = correct = 0
    with_reposts = 0
    per_campaign: Counter[str] = Counter()
    for members in groups.values():
        majority, _ = Counter(m.campaign for m in members).most_common(1)[0]
        grouped += len(members)
        if majority is not None:
            per_campaign[majority] += 1
            correct += sum(m.campaign == majority for m in members)
        with_reposts += any(m.kind == "repost" for m in members)
    campaign_posts = sum(r.campaign is not None for r in rows)
    found = sum(
        by_id[p].campaign is not None
        and Counter(m.campaign for m in groups[g]).most_common(1)[0][0] == by_id[p].campaign
        for p, g in membership.items()
    )
    campaigns = {r.campaign for r in rows if r.campaign is not None}
    return {
        "posts": len(rows),
        "campaign_posts": campaign_posts,
        "campaigns": len(campaigns),
        "groups": len(groups),
        "precision": round(correct / grouped, 4) if grouped else 0.0,
        "recall": round(found / campaign_posts, 4) if campaign_posts else 0.0,
        "campaigns_found": len(per_campaign),
        "groups_per_campaign": dict(sorted(per_campaign.items())),
        "groups_without_campaign": sum(
            Counter(m.campaign for m in ms).most_common(1)[0][0] is None for ms in groups.values()
        ),
        "groups_with_platform_reposts": with_reposts,
    }


def evaluate(
    rows: Sequence[LabelledStreamPost], method: str = "minhash", threshold: float | None = None,
    config: CoordinationConfig | None = None,
) -> dict[str, Any]:  # fmt: skip
    config = config or CoordinationConfig()
    if threshold is not None:
        config = replace(config, threshold=threshold)
    if method == "embedding":
        membership = embedding_groups(rows, config)
    else:
        membership = minhash_groups(rows, config)
    return {"method": method, "threshold": config.threshold, **score(rows, membership)}
