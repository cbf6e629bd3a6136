"""The records the signals publish: coordination groups on ``narrative.coordination`` and
emerging-narrative candidates on ``narrative.emerging`` (JSON, keyed by their ids), also the
documents of their Elasticsearch indices (`pipeline.elastic.signals`). Pure.

A record is the group's or candidate's state when it was emitted (`detected_at`); a later
record with the same id supersedes it (the index keeps the latest under the same ``_id``). Id
lists are capped (the first ones kept), counts are not.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from pydantic import BaseModel, ConfigDict

from models.records import UtcDatetime
from models.signals.coordination import CoordinationGroup
from models.signals.emerging import Candidate, StoredPost


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CoordinationGroupRecord(_Record):
    group_id: str
    size: int
    """Distinct accounts."""
    posts: int
    accounts: tuple[str, ...]
    post_ids: tuple[str, ...]
    first_at: UtcDatetime
    last_at: UtcDatetime
    span_s: float
    similarity: float
    """Mean estimated Jaccard similarity of the links that formed the group."""
    example_text: str
    """The text of the latest post that joined the group when this record was emitted."""
    detected_at: UtcDatetime

    @classmethod
    def of(
        cls, group: CoordinationGroup, example_text: str, detected_at: datetime, max_ids: int
    ) -> CoordinationGroupRecord:
        assert group.first_at is not None and group.last_at is not None
        return cls(
            group_id=group.group_id,
            size=group.size,
            posts=len(group.post_ids),
            accounts=tuple(sorted(group.accounts))[:max_ids],
            post_ids=tuple(group.post_ids[:max_ids]),
            first_at=group.first_at,
            last_at=group.last_at,
            span_s=group.span_seconds(),
            similarity=round(group.similarity, 4),
            example_text=example_text,
            detected_at=detected_at,
        )


class RepresentativePost(_Record):
    post_id: str
    text: str
    author: str
    platform: str
    created_at: UtcDatetime


class EmergingCandidateRecord(_Record):
    candidate_id: str
    size: int
    authors: int
    platforms: tuple[str, ...]
    recent: int
    growth: float
    top_terms: tuple[str, ...]
    representatives: tuple[RepresentativePost, ...]
    post_ids: tuple[str, ...]
    first_at: UtcDatetime
    last_at: UtcDatetime
    detected_at: UtcDatetime

    @classmethod
    def of(
        cls, candidate: Candidate, detected_at: datetime, max_ids: int
    ) -> EmergingCandidateRecord:
        return cls(
            candidate_id=candidate.candidate_id,
            size=candidate.size,
            authors=candidate.authors,
            platforms=candidate.platforms,
            recent=candidate.recent,
            growth=round(candidate.growth, 3),
            top_terms=candidate.top_terms,
            representatives=tuple(
                RepresentativePost(
                    post_id=p.post_id,
                    text=p.text,
                    author=p.author,
                    platform=p.platform,
                    created_at=p.created_at,
                )
                for p in candidate.representatives
            ),
            post_ids=candidate.post_ids[:max_ids],
            first_at=candidate.first_at,
            last_at=candidate.last_at,
            detected_at=detected_at,
        )

    def candidate(self) -> Candidate:
        """The `models.signals.emerging.Candidate` again (without embeddings or centroid), for
        `models.signals.drafts.to_draft_narrative`."""
        empty = np.zeros(0, dtype=np.float32)
        return Candidate(
            candidate_id=self.candidate_id,
            size=self.size,
            authors=self.authors,
            platforms=self.platforms,
            recent=self.recent,
            growth=self.growth,
            top_terms=self.top_terms,
            representatives=tuple(
                StoredPost(p.post_id, p.created_at, p.author, p.platform, p.text, empty)
                for p in self.representatives
            ),
            post_ids=self.post_ids,
            first_at=self.first_at,
            last_at=self.last_at,
            centroid=empty,
        )
