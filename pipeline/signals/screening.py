"""`PostScreen`: what the match step does beyond the catalog, per batch.

- `screen_texts` runs the targeting screen (`pipeline.signals.targeting.screen`) on the batch's
  texts, with the classifier's probabilities over the embeddings the matcher computed when a
  `TargetingClassifier` is given (else the patterns alone). Blocking; the match step calls it on
  the model thread in the same call as the matcher, so neither touches the event loop.
- `apply` (on the event loop) puts each post's targeting block on its hits, adds the synthetic
  ``targeting`` hit for a flagged post that matched no catalog narrative, counts
  ``narrmon_targeting_posts`` (each post id once among the recent ids: a redelivered post is
  not counted again), and keeps every post that matched no catalog narrative, with its
  embedding, in the emerging-narrative store (`models.signals.emerging.UnmatchedStore`: sampled,
  bounded, expiring). The store is per worker process: with several workers each keeps the
  unmatched posts of its own partitions (see `pipeline.signals.emerging`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.matching import MatchResult
from models.records import Targeting
from models.signals.emerging import StoredPost, UnmatchedStore
from models.signals.targeting_classifier import TargetingClassifier
from pipeline.agents.hits import MatchedPost
from pipeline.agents.recent_ids import RecentIds
from pipeline.metrics import Metrics
from pipeline.signals.targeting import FLAG_THRESHOLD, screen, targeting_hit


class PostScreen:
    """Targeting and unmatched-post keeping for the match step (see the module docstring).
    `targeting` False skips the screen; `unmatched` None keeps no posts. Not thread-safe:
    `apply` runs on the event loop only."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        targeting: bool = True,
        max_evidence: int = 20,
        unmatched: UnmatchedStore | None = None,
        counted: RecentIds | None = None,
        classifier: TargetingClassifier | None = None,
    ) -> None:
        self.metrics = metrics
        self.targeting = targeting
        self.max_evidence = max_evidence
        self.unmatched = unmatched
        self.counted = counted if counted is not None else RecentIds()
        self.classifier = classifier

    @property
    def threshold(self) -> float:
        return self.classifier.threshold if self.classifier is not None else FLAG_THRESHOLD

    def screen_texts(
        self,
        texts: Sequence[str],
        embeddings: Sequence[Sequence[float]] | None = None,
        with_hits: Sequence[bool] | None = None,
    ) -> list[Targeting | None]:
        """One targeting block per text (None each when the screen is off). Blocking.

        With the classifier, a post below its threshold cannot be flagged (the flag needs the
        probability AND a named role), so its evidence is only looked for when the post has
        catalog hits (`with_hits`, default: all), whose blocks carry it; the others get an
        unflagged block without evidence, which `apply` drops. The pattern scan is the
        costliest per-post step after the encoder (README, "Throughput")."""
        if not self.targeting:
            return [None] * len(texts)
        if (
            self.classifier is None
            or embeddings is None
            or not texts
            or any(len(e) != self.classifier.dims for e in embeddings)
        ):
            return [screen(text, self.max_evidence) for text in texts]
        threshold = self.classifier.threshold
        probabilities = self.classifier.probabilities(np.asarray(embeddings, dtype=np.float64))
        wanted = with_hits if with_hits is not None else [True] * len(texts)
        return [
            screen(text, self.max_evidence, float(q), threshold)
            if q >= threshold or hit
            else Targeting(flag=False, score=round(float(q), 4), evidence=())
            for text, q, hit in zip(texts, probabilities, wanted, strict=True)
        ]

    def apply(
        self,
        matched: Sequence[MatchedPost],
        results: Sequence[MatchResult],
        screens: Sequence[Targeting | None],
        *,
        model_id: str,
        catalog_version: str,
    ) -> list[MatchedPost]:
        """`matched` with targeting blocks and synthetic hits, in order; keeps unmatched posts."""
        out: list[MatchedPost] = []
        for item, result, targeting in zip(matched, results, screens, strict=True):
            post = item.post
            hits = tuple(h.model_copy(update={"targeting": targeting}) for h in item.hits)
            if not hits and self.unmatched is not None:
                self.unmatched.add(
                    StoredPost(
                        post_id=post.id,
                        created_at=post.created_at,
                        author=post.author.id or post.author.handle or post.id,
                        platform=post.platform,
                        text=post.text,
                        embedding=np.asarray(result.embedding, dtype=np.float32),
                    )
                )
            if targeting is not None and targeting.flag:
                if self.counted.first_time(f"targeting:{post.id}"):
                    self.metrics.targeting_posts.inc()
                if not hits:
                    synthetic = targeting_hit(
                        post,
                        targeting,
                        model_id=model_id,
                        catalog_version=catalog_version,
                        embedding=list(result.embedding),
                        threshold=self.threshold,
                    )
                    hits = (synthetic,)
            out.append(MatchedPost(post, "hit" if hits else "no_hit", hits))
        return out
