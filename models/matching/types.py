"""The matcher's types: what the worker relies on (`Matcher`, `MatchResult`), its configuration
(`MatcherConfig`), one post's result (`PostMatches`) and one scored candidate (`Candidate`).

`Matcher` and `MatchResult` are Protocols naming only what the pipeline uses, so a test about the
pipeline's own logic can pass a small fake; `models.matching.matcher.NarrativeMatcher` and its
`PostMatches` satisfy them. Cheap to import: no numpy, no model. `models.matching` re-exports
all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal, Protocol

from models.records import Match, NarrativeRef

if TYPE_CHECKING:
    from models.matching.calibration import Calibrator
    from models.matching.rerank import Reranker
    from models.matching.stance_model import StanceModel

Decision = Literal["fused", "calibrated"]

# the linear fusion's lexical weight `w` (`models.matching.fusion`), tuned on CheckThat! train
DEFAULT_LEXICAL_WEIGHT = 0.3


class MatchResult(Protocol):
    """What `Matcher.match` returns for one text. The timings are the batch's cost divided by its
    size (seconds per post), so summing them over a batch gives the batch's cost."""

    @property
    def embedding(self) -> list[float]: ...

    @property
    def matches(self) -> Sequence[Match]: ...

    @property
    def embed_seconds(self) -> float: ...

    @property
    def match_seconds(self) -> float: ...


class Matcher(Protocol):
    """The narrative matcher as the worker uses it. `match` is blocking and CPU-bound: call it
    from the worker's single model thread, never on the event loop. `dates` holds each post's
    date (its `created_at`), which the optional re-ranker's date features use."""

    @property
    def model_id(self) -> str: ...

    @property
    def catalog_version(self) -> str: ...

    @property
    def dims(self) -> int: ...

    def warm_up(self) -> None: ...

    def narratives(self) -> list[NarrativeRef]: ...

    def match(
        self, texts: Sequence[str], dates: Sequence[dt.date | None] | None = None
    ) -> Sequence[MatchResult]: ...


@dataclass(frozen=True)
class MatcherConfig:
    """Tuning knobs. `lexical_weight` and `candidates` were chosen on the CheckThat! train split;
    `threshold`, `stance_margin` and `lexical_unknown_terms` on the labelled election tuning set
    (`models/evalsets/election-2024-tuning.jsonl`, by F0.5: false positives cost reviewers more
    than misses). See the README.

    `decision` says how hit / no hit is decided: ``fused`` (this class's default, a raw score
    against `threshold`) or ``calibrated`` (what the live worker runs, see
    `models.matching.matcher.live_config`): a calibrated probability of match
    (`models.matching.calibration`) against `probability_threshold`, with the margin rule against
    the best competing narrative; `calibrator` None means the shipped one for the catalog,
    `probability_threshold` / `hit_margin` None mean the calibrator's documented values.
    `top_k` caps the hits per post in both modes."""

    threshold: float = 0.50
    top_k: int = 5
    lexical_weight: float = DEFAULT_LEXICAL_WEIGHT
    candidates: int = 50
    # a counter-exemplar within 0.02 BELOW the best exemplar already means "debunks": refutations
    # share the narrative's words, so they land about as close to both
    stance_margin: float = -0.02
    keyword_repeats: int = 3
    reranker: Reranker | None = None
    decision: Decision = "fused"
    calibrator: Calibrator | None = None
    probability_threshold: float | None = None
    hit_margin: float | None = None
    # count words no narrative uses in the lexical normalisation (`models.matching.lexical`):
    # without it chatter sharing one word with a small catalog scored lexical 1.0 (CheckThat! dev:
    # re-ranked MAP@5 unchanged at 0.968, linear 0.9502 -> 0.9506)
    lexical_unknown_terms: bool = True
    # dense relevance is the max cosine over a narrative's exemplars AND counter-exemplars, so a
    # post refuting the narrative reaches it (stance still compares the two separately)
    counter_relevance: bool = True
    # stance of a hit: the learned models (`models.matching.stance_model`: one for narratives
    # with counter-exemplars, one without) or the cue rules alone (`models.matching.stance`);
    # `stance_model` / `stance_model_no_counter` None mean the shipped files
    stance: Literal["model", "rules"] = "model"
    stance_model: StanceModel | None = None
    stance_model_no_counter: StanceModel | None = None
    # claim dates the hit decision reads (the re-ranker's probability it is given, and the
    # calibrator's own date features): ``all`` (training: CheckThat!'s tweets and their later fact
    # checks), ``recent`` (a claim dated more than a few days before the post counts as undated,
    # `models.matching.rerank.recent_claims_only`: in a monitor old claims resurface) or ``auto``
    # (the live default, `models.matching.matcher.live_config`: ``all`` for a post older than
    # the catalog, `models.matching.rerank.after_the_fact`, else ``recent``). The ranking reads
    # every date either way.
    claim_dates: Literal["all", "recent", "auto"] = "all"
    # added to `threshold` for narratives of that severity (absent: 0); a narrative's own
    # `threshold` wins over both. High and critical narratives (fraud claims, threats against
    # workers) trade a little precision for recall: on the tuning set -0.025 for both moved recall
    # 0.546 -> 0.583 at the same F0.5; larger offsets (or critical alone) let poll-worker chatter in
    severity_threshold_offsets: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({"high": -0.025, "critical": -0.025})
    )

    def threshold_for(
        self, severity: str, own: float | None = None, base: float | None = None
    ) -> float:
        """The threshold a narrative must reach: its `own` if set, else the default (`base`, or
        `threshold` when None) plus the severity offset."""
        if own is not None:
            return own
        default = self.threshold if base is None else base
        return default + self.severity_threshold_offsets.get(severity, 0.0)


@dataclass(frozen=True)
class PostMatches:
    """Matches for one post (a `MatchResult`). Timings are the batch's cost divided by its size
    (per post)."""

    embedding: list[float]
    matches: list[Match]
    embed_seconds: float
    match_seconds: float


@dataclass(frozen=True)
class Candidate:
    """One scored (post, narrative) pair before thresholds and rules."""

    narrative: int
    dense: float
    lexical: float
    fused: float
    exemplar_row: int
    # the ranking score the hit decision reads, where it differs from `fused` (the re-ranker's
    # probability with only recent claim dates read, `MatcherConfig.claim_dates`); None: `fused`
    decision_score: float | None = None

    @property
    def for_decision(self) -> float:
        """The score the calibrator reads for this candidate."""
        return self.fused if self.decision_score is None else self.decision_score
