"""Coordinated posting: near-duplicate posts from different accounts within a time window.

Contract: `CoordinationDetector(config)` is cheap and pure (no I/O, no model). `observe(post)`
is called once per post in (roughly) time order; it returns the `CoordinationGroup` the post
joined when that group spans at least `min_accounts` accounts, else None. Posts the platform
marks as reposts (`Post.references.repost_of`) and manual retweets (text starting ``RT @x:``) are
skipped (counted in `reposts_skipped`); a quote post is compared on its own text only.

How: each post's text is normalised (case, links, mentions, `RT @x:`, hashtag signs, punctuation
and emoji removed), cut into character 6-gram shingles and sketched with MinHash (datasketch);
a MinHash LSH index proposes candidates whose estimated Jaccard similarity is then checked
against `threshold`. Posts linked across different accounts are merged into groups
(union-find; the older group keeps its id). Boilerplate is not coordination: a post whose
shingles are mostly common in the background (`models.signals.boilerplate`: decayed counts of
the posts that left the window, so templates and stock phrases many accounts have posted for
hours) is counted but never linked (fewer than `min_distinctive` of its shingles seen in fewer
than `boilerplate_count` background posts). Posts that joined a group are not counted, so a
campaign running longer than the window keeps linking. The background is empty for the first
`window` after start: template collisions can still form groups then. Memory is bounded: a post
leaves the index once it is older than `window` (relative to the newest post seen), a group is
forgotten `window` after its last post, at most `max_posts` posts are indexed (the oldest go
first), a post is compared with at most `max_links` candidates (a group keeps the mean link
similarity, not the links) and the background is a fixed array. Posts older than the window on
arrival are ignored. Measured against embedding similarity in `models/README.md`.
"""

from __future__ import annotations

import hashlib
import heapq
import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from datasketch import MinHash, MinHashLSH  # type: ignore[import-untyped]

from models.records import Post
from models.signals.boilerplate import BoilerplateCounts, Ids, bucket_ids

_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"(?:^|\s)(?:rt\s+)?@\w+:?")
_NON_WORD = re.compile(r"[^\w\s]|_")
_MANUAL_RETWEET = re.compile(r"^\s*rt\s+@\w+", re.IGNORECASE)


@dataclass(frozen=True)
class CoordinationConfig:
    window: timedelta = timedelta(minutes=30)
    threshold: float = 0.55
    """Minimum estimated Jaccard similarity of two posts' shingle sets."""
    shingle_chars: int = 6
    num_perm: int = 128
    min_accounts: int = 3
    min_chars: int = 30
    """Shorter normalised texts are not compared ("+1", "this!" are not coordination)."""
    max_posts: int = 200_000
    boilerplate_count: float = 2.0
    """A shingle held by this many (decayed) background posts is boilerplate."""
    min_distinctive: float = 0.4
    """Share of a post's shingles that must not be boilerplate for it to be compared (0: off)."""
    background_half_life: timedelta = timedelta(hours=1)
    background_buckets: int = 2**21
    max_links: int = 64
    """Candidates checked per post. One link is enough to join a group, so a flood of
    near-duplicates from many accounts costs at most this many comparisons per post instead of
    one per similar post held (quadratic time, and memory through the links kept)."""


@dataclass
class CoordinationGroup:
    group_id: str
    accounts: set[str] = field(default_factory=set)
    post_ids: list[str] = field(default_factory=list)
    first_at: datetime | None = None
    last_at: datetime | None = None
    similarity_sum: float = 0.0
    links: int = 0

    @property
    def size(self) -> int:
        """Distinct accounts in the group."""
        return len(self.accounts)

    @property
    def similarity(self) -> float:
        """Mean estimated Jaccard similarity of the links that formed the group."""
        return self.similarity_sum / self.links if self.links else 0.0

    def span_seconds(self) -> float:
        if self.first_at is None or self.last_at is None:
            return 0.0
        return (self.last_at - self.first_at).total_seconds()

    def as_dict(self) -> dict[str, object]:
        return {
            "group_id": self.group_id,
            "size": self.size,
            "accounts": sorted(self.accounts),
            "post_ids": list(self.post_ids),
            "first_at": self.first_at.isoformat() if self.first_at else None,
            "last_at": self.last_at.isoformat() if self.last_at else None,
            "similarity": round(self.similarity, 4),
        }


@dataclass
class _Indexed:
    post_id: str
    account: str
    at: datetime
    sketch: MinHash | None
    """None: held only to count its shingles into the background when it leaves the window."""
    ids: Ids


def normalise_for_similarity(text: str) -> str:
    text = _MENTION.sub(" ", _URL.sub(" ", text.lower()))
    return " ".join(_NON_WORD.sub(" ", text).split())


def shingles(text: str, size: int) -> set[str]:
    if len(text) <= size:
        return {text}
    return {text[i : i + size] for i in range(len(text) - size + 1)}


class CoordinationDetector:
    """Windowed near-duplicate grouping across accounts (see the module docstring)."""

    def __init__(self, config: CoordinationConfig | None = None) -> None:
        self.config = config or CoordinationConfig()
        self._lsh = MinHashLSH(threshold=self.config.threshold, num_perm=self.config.num_perm)
        # MinHash draws its permutations from the seed on every construction, which cost about
        # as much as hashing a post's shingles: draw them once and share them (same sketches).
        first = MinHash(num_perm=self.config.num_perm, seed=1)
        self._permutations, self._scheme = first.permutations, first.scheme
        self._indexed: dict[str, _Indexed] = {}
        self._order: deque[str] = deque()
        self._group_of: dict[str, str] = {}
        self._groups: dict[str, CoordinationGroup] = {}
        self._now: datetime | None = None
        self._background = BoilerplateCounts(
            self.config.background_buckets, self.config.background_half_life
        )
        self.reposts_skipped = 0
        self.boilerplate_skipped = 0

    def observe(self, post: Post) -> CoordinationGroup | None:
        if post.references.repost_of is not None or _MANUAL_RETWEET.match(post.text):
            self.reposts_skipped += 1
            return None
        if self._now is None or post.created_at > self._now:
            self._now = post.created_at
        self._expire()
        if post.created_at < self._now - self.config.window or post.id in self._indexed:
            return None
        text = normalise_for_similarity(post.text)
        if len(text) < self.config.min_chars:
            return None
        grams = shingles(text, self.config.shingle_chars)
        ids = bucket_ids(grams, self.config.background_buckets)
        account = post.author.id or post.author.handle or post.id
        if self._is_boilerplate(ids, post.created_at):
            self.boilerplate_skipped += 1
            self._indexed[post.id] = _Indexed(post.id, account, post.created_at, None, ids)
            self._order.append(post.id)
            return None
        sketch = MinHash(
            num_perm=self.config.num_perm,
            seed=1,
            permutations=self._permutations,
            scheme=self._scheme,
        )
        sketch.update_batch([s.encode("utf-8") for s in grams])
        links = []
        for other_id in heapq.nsmallest(self.config.max_links, self._lsh.query(sketch)):
            other = self._indexed[other_id]
            if other.account == account or other.sketch is None:
                continue
            similarity = float(sketch.jaccard(other.sketch))
            if similarity >= self.config.threshold:
                links.append((other, similarity))
        self._lsh.insert(post.id, sketch)
        self._indexed[post.id] = _Indexed(post.id, account, post.created_at, sketch, ids)
        self._order.append(post.id)
        if not links:
            return None
        group = self._join(post.id, account, post.created_at, links)
        return group if group.size >= self.config.min_accounts else None

    def _is_boilerplate(self, ids: Ids, at: datetime) -> bool:
        if self.config.min_distinctive <= 0 or len(ids) == 0:
            return False
        common = self._background.counts(ids, at) >= self.config.boilerplate_count
        return float(1.0 - common.mean()) < self.config.min_distinctive

    def group_of(self, post_id: str) -> CoordinationGroup | None:
        group_id = self._group_of.get(post_id)
        group = self._groups.get(group_id) if group_id else None
        return group if group and group.size >= self.config.min_accounts else None

    def groups(self) -> list[CoordinationGroup]:
        """Live groups of at least `min_accounts` accounts, oldest first."""
        live = [g for g in self._groups.values() if g.size >= self.config.min_accounts]
        return sorted(live, key=lambda g: (g.first_at or datetime.min, g.group_id))

    def _join(
        self, post_id: str, account: str, at: datetime, links: list[tuple[_Indexed, float]]
    ) -> CoordinationGroup:
        found: dict[str, CoordinationGroup] = {}
        for other, _ in links:
            group_id = self._group_of.get(other.post_id)
            if group_id in self._groups:
                found[group_id] = self._groups[group_id]
        if found:
            target = min(found.values(), key=lambda g: (g.first_at or at, g.group_id))
        else:
            digest = hashlib.sha1(links[0][0].post_id.encode()).hexdigest()[:12]
            target = CoordinationGroup(group_id=f"coord-{digest}")
            self._groups[target.group_id] = target
        for group in found.values():
            if group is not target:
                self._merge(group, target)
        for other, similarity in links:
            self._add(target, other.post_id, other.account, other.at)
            target.similarity_sum += similarity
            target.links += 1
        self._add(target, post_id, account, at)
        return target

    def _add(self, group: CoordinationGroup, post_id: str, account: str, at: datetime) -> None:
        if self._group_of.get(post_id) == group.group_id:
            return
        self._group_of[post_id] = group.group_id
        group.post_ids.append(post_id)
        group.accounts.add(account)
        group.first_at = at if group.first_at is None else min(group.first_at, at)
        group.last_at = at if group.last_at is None else max(group.last_at, at)

    def _merge(self, source: CoordinationGroup, target: CoordinationGroup) -> None:
        for post_id in source.post_ids:
            self._group_of[post_id] = target.group_id
        target.post_ids.extend(source.post_ids)
        target.accounts |= source.accounts
        target.similarity_sum += source.similarity_sum
        target.links += source.links
        for at in (source.first_at, source.last_at):
            if at is not None:
                target.first_at = min(target.first_at or at, at)
                target.last_at = max(target.last_at or at, at)
        del self._groups[source.group_id]

    def _expire(self) -> None:
        assert self._now is not None
        horizon = self._now - self.config.window
        while self._order and (
            len(self._order) > self.config.max_posts or self._indexed[self._order[0]].at < horizon
        ):
            gone = self._indexed.pop(self._order.popleft())
            if gone.sketch is not None:
                self._lsh.remove(gone.post_id)
            if self.group_of(gone.post_id) is None:  # a campaign's text is not boilerplate
                self._background.add(gone.ids, gone.at)
        stale = [
            g
            for g in self._groups.values()
            if g.last_at and g.last_at < horizon - self.config.window
        ]
        for group in stale:
            for post_id in group.post_ids:
                self._group_of.pop(post_id, None)
            del self._groups[group.group_id]
