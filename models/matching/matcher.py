"""The matcher the pipeline calls: post texts in, narrative matches with explanations out.

Contracts:
- `load_matcher(...)` and `NarrativeMatcher(...)` are cheap: nothing heavy is imported or loaded
  until `warm_up()` (idempotent; also called by `match`), which loads the model and embeds the
  catalog's exemplars (cached on disk under `cache_dir`, keyed by model and text).
- `match(texts)` is blocking and CPU-bound (call it from a thread/executor in async code). It
  returns one `PostMatches` per text, in order: the post's normalised embedding and its matches over
  threshold, best first, at most `top_k`.
- Candidates: the dense top `candidates` (`models.matching.dense_index`, all posts of a call in
  one batch) and the lexical top `candidates` (from BM25's inverted index, exact, no scan of
  every narrative), each scored exactly on both sides.
- Scoring: dense (max cosine over a narrative's exemplars and, with
  `MatcherConfig.counter_relevance` (default), its counter-exemplars: a post refuting a narrative
  is about it) and lexical (normalised BM25) are fused
  linearly (`models.matching.fusion`). With `MatcherConfig.reranker` set, the top
  `reranker.depth` linear candidates are re-scored by the logistic re-ranker
  (`models.matching.rerank`: per-field cosines, gaps to the best candidate, post/claim date
  proximity) and only those are kept, ordered by its probability. Post dates come from the caller
  (`dates`) or else from a tweet attribution in the text (`models.matching.query.post_date`).
- Hit or no hit: `models.matching.decision` (raw fused threshold, or the live default: a
  calibrated probability of match with a margin rule, `models.matching.calibration`, which also
  reads the post's best cosine to the catalog's near-misses, `background_scores`, and, when the
  calibrator names them, how much of each candidate's claim the post says, `coverage_rows`); every
  `required_terms` entry must be in the post. Stance: `models.matching.stance`; the `Match` and
  its explanation are built by `models.matching.explain`.
- Never raises for odd input: empty or whitespace texts get no matches.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.catalog.loading import load_catalog
from models.catalog.schema import Catalog
from models.matching.calibration import Calibrator, calibrator_for
from models.matching.catalog_index import CatalogIndex, build_catalog_index, candidate_evidence
from models.matching.coverage import Weighed, coverage_rows, weigh
from models.matching.decision import HitDecision, candidate_classes, candidate_days, decide_hits
from models.matching.embedder import Embedder
from models.matching.explain import (
    MatchEvidence,
    build_match,
    claim_date_note,
    narrative_document,
)
from models.matching.fusion import linear_fusion
from models.matching.lexical import tokenize
from models.matching.query import clean_post_text, post_date
from models.matching.rerank import (
    SHIPPED_CHECKTHAT,
    Evidence,
    Reranker,
    after_the_fact,
    feature_matrix,
    recent_claims_only,
)
from models.matching.stance import StanceResult
from models.matching.stance_model import SHIPPED_STANCE, SHIPPED_STANCE_NO_COUNTER, StanceModel
from models.matching.types import Candidate, MatcherConfig, PostMatches
from models.records import Match, NarrativeRef

logger = logging.getLogger(__name__)

__all__ = [
    "Candidate", "MatcherConfig", "NarrativeMatcher", "PostMatches", "live_config", "load_matcher",
]  # fmt: skip


def live_config(**overrides: object) -> MatcherConfig:
    """What the live worker runs by default: the shipped re-ranker (the best ranking on
    CheckThat! dev), the calibrated decision with the catalog's shipped calibrator, and claim
    dates read as `MatcherConfig.claim_dates` ``auto`` says."""
    base = MatcherConfig(
        reranker=Reranker.load(SHIPPED_CHECKTHAT), decision="calibrated", claim_dates="auto"
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def load_matcher(
    catalog_path: Path,
    model_path: str | None = None,
    cache_dir: Path | None = None,
    device: str = "cpu",
    config: MatcherConfig | None = None,
    *,
    embedder: Embedder | None = None,
) -> NarrativeMatcher:
    """A matcher for the catalog at `catalog_path` (file or folder), `live_config()` unless
    `config` is given. `embedder` (backend, batch size, threads...) replaces the default one built
    from `model_path`, `device` and `cache_dir`. Raises `CatalogError`."""
    catalog = load_catalog(catalog_path, cache_dir)
    if embedder is None:
        embedder = Embedder(model_path, device=device, cache_dir=cache_dir)
    return NarrativeMatcher(catalog, embedder, config or live_config())


class NarrativeMatcher:
    """Matches posts against the active narratives of one catalog with one embedding model."""

    def __init__(self, catalog: Catalog, embedder: Embedder, config: MatcherConfig) -> None:
        self.catalog = catalog
        self.embedder = embedder
        self.config = config
        self.model_id = embedder.model_id
        self.catalog_version = catalog.version
        self._active = catalog.active
        self._refs = [n.ref() for n in self._active]
        self._exemplars = [e for n in self._active for e in n.exemplars]
        self._counter_texts = [c for n in self._active for c in n.counter_exemplars]
        self._index: CatalogIndex | None = None  # built by warm_up
        self._titles: np.ndarray | None = None
        self._claim_days = np.asarray(
            [n.claim_date.toordinal() if n.claim_date else np.nan for n in self._active],
            dtype=np.float64,
        )
        dated = self._claim_days[~np.isnan(self._claim_days)]
        self._newest_claim_day = float(dated.max()) if dated.size else float("nan")
        self.calibrator: Calibrator | None = None
        if config.decision == "calibrated":
            self.calibrator = config.calibrator or calibrator_for(catalog.name)
            if (self.calibrator.score == "rerank") != (config.reranker is not None):
                raise ValueError(f"calibrator expects ranking {self.calibrator.score!r}")
        classifier = self.calibrator.classifier if self.calibrator else None
        self._class_columns: np.ndarray | None = None
        if classifier is not None:
            if classifier.model_id != self.model_id:
                raise ValueError(
                    f"the calibrator's post classifier reads {classifier.model_id} embeddings, "
                    f"not {self.model_id}: fit a calibrator for this model or use "
                    "NARRMON_MATCHER__DECISION=fused"
                )
            self._class_columns = classifier.column_of([n.id for n in self._active])
        # the learned stance: one model for narratives with counter-exemplars, one without
        self.stance_model: StanceModel | None = None
        self.stance_model_no_counter: StanceModel | None = None
        if config.stance == "model":
            self.stance_model = config.stance_model or StanceModel.load(SHIPPED_STANCE)
            self.stance_model_no_counter = config.stance_model_no_counter or StanceModel.load(
                SHIPPED_STANCE_NO_COUNTER
            )
            if not self.stance_model.uses_counter or self.stance_model_no_counter.uses_counter:
                raise ValueError(
                    "stance models swapped: the one for narratives with counter-exemplars must "
                    "read them (stance_train without --no-counter), the other must not"
                )
        self._lock = threading.Lock()
        # each narrative's exemplars' weighed lexical tokens, filled as coverage_rows meets them
        self._exemplar_tokens: dict[int, list[Weighed]] = {}

    @property
    def dims(self) -> int:
        return self.embedder.dims

    def narratives(self) -> list[NarrativeRef]:
        return list(self._refs)

    def with_catalog(self, catalog: Catalog) -> NarrativeMatcher:
        """A new matcher for `catalog` sharing this one's model (for catalog hot reload)."""
        return NarrativeMatcher(catalog, self.embedder, self.config)

    def warm_up(self) -> None:
        if self._index is not None:
            return
        with self._lock:
            if self._index is not None:
                return
            started = time.perf_counter()
            self.embedder.warm_up()
            index = build_catalog_index(self._active, self.embedder, self.config)
            self._titles = index.titles
            self._index = index
            logger.info(
                "matcher ready: %d narratives, %d exemplars, catalog %s, model %s, %.1fs",
                len(self._active), len(self._exemplars), self.catalog_version, self.model_id,
                time.perf_counter() - started,
            )  # fmt: skip

    @property
    def _ix(self) -> CatalogIndex:
        index = self._index
        assert index is not None, "warm_up() first"
        return index

    def rank(
        self, texts: Sequence[str], k: int | None = None,
        dates: Sequence[dt.date | None] | None = None, vectors: np.ndarray | None = None,
    ) -> list[list[Candidate]]:  # fmt: skip
        """Every candidate narrative per text, best fused score first (no thresholds or rules).
        `dates`: each post's date (default: parsed from a tweet attribution in the text);
        `vectors`: the cleaned texts' embeddings when the caller already has them."""
        if dates is None:
            dates = [post_date(t) for t in texts]
        if vectors is None:
            vectors = self._embed([clean_post_text(t) for t in texts])
        self.warm_up()
        return self._rank(texts, vectors, k, dates)

    def with_reranker(self, reranker: Reranker | None) -> NarrativeMatcher:
        """A matcher like this one (same model and catalog) that re-ranks with `reranker`
        (None: linear ranking, and then the raw fused decision)."""
        decision = self.config.decision if reranker is not None else "fused"
        config = dataclasses.replace(self.config, reranker=reranker, decision=decision)
        return NarrativeMatcher(self.catalog, self.embedder, config)

    def evidence(
        self, vector: np.ndarray, date: dt.date | None, candidates: Sequence[Candidate]
    ) -> Evidence:
        """The re-ranker's raw evidence for `candidates` of a post embedded as `vector`."""
        if self._titles is None:
            self._titles = self.embedder.encode_cached([n.title for n in self._active])
        return candidate_evidence(
            self._ix.dense,
            self._titles,
            self._claim_days,
            vector=vector,
            date=date,
            candidates=candidates,
        )

    def _rerank(
        self, vector: np.ndarray, date: dt.date | None, candidates: list[Candidate]
    ) -> list[Candidate]:
        reranker = self.config.reranker
        assert reranker is not None
        top = candidates[: reranker.depth]
        evidence = self.evidence(vector, date, top)
        probs = reranker.score(feature_matrix(evidence)).tolist()
        decision: list[float | None] = [None] * len(top)
        if self.recent_dates_only(date):
            recent = dataclasses.replace(evidence, days=recent_claims_only(evidence.days))
            decision = reranker.score(feature_matrix(recent)).tolist()
        rescored = [
            Candidate(c.narrative, c.dense, c.lexical, p, c.exemplar_row, d)
            for c, p, d in zip(top, probs, decision, strict=True)
        ]
        return sorted(rescored, key=lambda c: -c.fused)

    def recent_dates_only(self, date: dt.date | None) -> bool:
        """Whether the hit decision for a post dated `date` reads only recent claim dates
        (`MatcherConfig.claim_dates`)."""
        mode = self.config.claim_dates
        if mode == "auto" and date is not None:
            return not after_the_fact(self._newest_claim_day, float(date.toordinal()))
        return mode == "recent" and date is not None

    def decision_days(self, candidates: Sequence[Candidate], date: dt.date | None) -> np.ndarray:
        """``claim_date - post_date`` per candidate as the hit decision reads it for a post
        dated `date` (NaN: unknown, or an old claim when only recent dates are read)."""
        days = candidate_days(candidates, self._claim_days, date)
        return recent_claims_only(days) if self.recent_dates_only(date) else days

    def calibrator_for_post(self, date: dt.date | None) -> Calibrator | None:
        """The calibrator that decides a post dated `date`: its `Calibrator.recent` part when
        the post reads only recent claim dates and the catalog has dated claims (a catalog
        without any keeps the calibrator it always had: nothing was undated)."""
        if self.calibrator is None:
            return None
        dated = not np.isnan(self._newest_claim_day)
        return self.calibrator.for_post(dated and self.recent_dates_only(date))

    def _embed(self, cleaned: Sequence[str]) -> np.ndarray:
        self.warm_up()
        return self.embedder.encode(cleaned)

    def _rank(
        self, texts: Sequence[str], vectors: np.ndarray, k: int | None,
        dates: Sequence[dt.date | None],
    ) -> list[list[Candidate]]:  # fmt: skip
        ix = self._ix
        if not self._active:
            return [[] for _ in texts]
        n_cand = self.config.candidates
        relevance = ix.relevance or ix.dense
        dense_ids, _ = relevance.search(vectors, n_cand)
        out: list[list[Candidate]] = []
        for q, text in enumerate(texts):
            query = ix.lexical.prepare(clean_post_text(text))
            lex_top, _ = ix.lexical.top_k(query, n_cand)  # from the postings, no full scan
            ids = np.unique(np.concatenate([dense_ids[q][dense_ids[q] >= 0], lex_top]))
            lexical = ix.lexical.scores_of(query, ids)
            dense, rows = relevance.narrative_scores(vectors[q], ids)
            if ix.relevance is not None:  # rows of the best exemplar proper, for explanations
                rows = ix.dense.narrative_scores(vectors[q], ids)[1]
            fused = linear_fusion(dense, lexical, self.config.lexical_weight)
            order = np.argsort(-fused, kind="stable").tolist()
            cols = ids.tolist(), dense.tolist(), lexical.tolist(), fused.tolist(), rows.tolist()
            ranked = [Candidate(*(col[j] for col in cols)) for j in order]
            if self.config.reranker is not None:
                ranked = self._rerank(vectors[q], dates[q], ranked)
            out.append(ranked[: k or len(ranked)])
        return out

    def match(
        self, texts: Sequence[str], dates: Sequence[dt.date | None] | None = None
    ) -> list[PostMatches]:
        """Matches over threshold for each text (see module docstring). Blocking.
        `dates`: each post's date (default: parsed from a tweet attribution in the text)."""
        if not texts:
            return []
        if dates is None:
            dates = [post_date(t) for t in texts]
        started = time.perf_counter()
        cleaned = [clean_post_text(t) if t.strip() else "" for t in texts]
        vectors = self._embed([c or " " for c in cleaned])
        embedded = time.perf_counter()
        ranked = self._rank(cleaned, vectors, None, dates)
        results = []
        backgrounds = self.background_scores(vectors)
        class_probs = self.class_probabilities(vectors, cleaned)
        for q, candidates in enumerate(ranked):
            hits = (
                self.decide(cleaned[q], candidates, dates[q], background=backgrounds[q],
                            class_probs=None if class_probs is None else class_probs[q])
                if cleaned[q]
                else []
            )  # fmt: skip
            matches = [self._explain(cleaned[q], vectors[q], h, dates[q]) for h in hits]
            results.append((vectors[q], matches))
        done = time.perf_counter()
        per_embed = (embedded - started) / len(texts)
        per_match = (done - embedded) / len(texts)
        return [
            PostMatches(vec.tolist(), matches, per_embed, per_match) for vec, matches in results
        ]

    def background_scores(self, vectors: np.ndarray) -> list[float | None]:
        """Each post's best cosine to any near-miss of the catalog (None without near-misses)."""
        self.warm_up()
        near_misses = self._ix.near_misses
        if near_misses is None:
            return [None] * len(vectors)
        return [float(x) for x in (vectors @ near_misses.T).max(axis=1)]

    def class_probabilities(self, vectors: np.ndarray, cleaned: Sequence[str]) -> np.ndarray | None:
        """Each post's class probabilities from the calibrator's post classifier (None without
        one; `models.matching.post_classes`); `cleaned`: the posts' `clean_post_text`."""
        classifier = self.calibrator.classifier if self.calibrator else None
        if classifier is None:
            return None
        return classifier.probabilities(np.asarray(vectors, dtype=np.float64), cleaned)

    def decide(
        self, text: str, candidates: Sequence[Candidate], date: dt.date | None,
        config: MatcherConfig | None = None, *, background: float | None = None,
        class_probs: np.ndarray | None = None,
    ) -> list[HitDecision]:  # fmt: skip
        """The hits among `candidates` (this matcher's ranking of `text`), under this matcher's
        config or `config` (e.g. another threshold, same ranking and calibrator); `background`:
        the post's `background_scores` entry; `class_probs`: its `class_probabilities` row."""
        days = self.decision_days(candidates, date) if candidates else None
        calibrator = self.calibrator_for_post(date)
        depth = calibrator.depth if calibrator else 0
        classes = candidate_classes(candidates, depth, class_probs, self._class_columns)
        coverage = (
            self.coverage_rows(text, candidates[:depth])
            if calibrator is not None and calibrator.coverage
            else None
        )
        return decide_hits(
            candidates, self._active, config or self.config, text.lower(),
            calibrator=calibrator, days=days, background=background, classes=classes,
            coverage=coverage,
        )  # fmt: skip

    def coverage_rows(self, text: str, candidates: Sequence[Candidate]) -> np.ndarray:
        """`models.matching.coverage` rows of `candidates` for the post `text` (cleaned), with
        this catalog's lexical IDF."""
        self.warm_up()
        idf = self._ix.lexical.idf
        cache = self._exemplar_tokens
        sets = []
        for cand in candidates:
            weighed = cache.get(cand.narrative)
            if weighed is None:
                ex = self._active[cand.narrative].exemplars
                weighed = cache.setdefault(cand.narrative, [weigh(tokenize(e), idf) for e in ex])
            sets.append(weighed)
        return coverage_rows(weigh(tokenize(text), idf), sets, idf)

    def stance_scores(
        self, vector: np.ndarray, narrative: int
    ) -> tuple[np.ndarray, np.ndarray | None, int | None]:
        """Cosines of a post embedded as `vector` to the exemplars and the counter-exemplars
        (None without any) of `narrative` (an index into the active narratives), and the row of
        the best counter-exemplar."""
        self.warm_up()
        dense, counter = self._ix.dense, self._ix.counter
        ex = dense.vectors[dense.starts[narrative] : dense.ends[narrative]] @ vector
        if counter is None or not self._active[narrative].counter_exemplars:
            return ex, None, None
        lo, hi = counter.starts[narrative], counter.ends[narrative]
        co = counter.vectors[lo:hi] @ vector
        return ex, co, int(lo + np.argmax(co))

    def _stance(self, text: str, vector: np.ndarray, cand: Candidate) -> StanceResult | None:
        """The learned stance (None: the rules decide, in `build_match`): the model with
        counter-exemplar features where the narrative has counter-exemplars, the one without
        otherwise."""
        ex, co, _ = self.stance_scores(vector, cand.narrative)
        attr = "stance_model" if co is not None else "stance_model_no_counter"
        model: StanceModel | None = getattr(self, attr)
        if model is None:
            return None
        if not model.fits(self.model_id, len(vector)):
            logger.warning("stance model was fit on %s embeddings, not %s: using the rules",
                           model.meta.get("model_id"), self.model_id)  # fmt: skip
            setattr(self, attr, None)
            return None
        return model.classify(text, self._exemplars[cand.exemplar_row], ex, co, vector)

    def _explain(
        self, text: str, vector: np.ndarray, hit: HitDecision, date: dt.date | None = None
    ) -> Match:
        cand, threshold = hit.candidate, hit.threshold
        narrative = self._active[cand.narrative]
        ex, co, counter_row = self.stance_scores(vector, cand.narrative)
        exemplar_row = cand.exemplar_row - self._dense_start(cand.narrative)
        evidence = MatchEvidence(
            dense=cand.dense,
            exemplar_score=float(ex[exemplar_row]),
            lexical=cand.lexical,
            fused=cand.fused,
            threshold=threshold,
            exemplar=self._exemplars[cand.exemplar_row],
            exemplar_index=exemplar_row,
            counter_exemplar=self._counter_texts[counter_row] if counter_row is not None else None,
            counter_score=float(co.max()) if co is not None else None,
            shared_terms=tuple(
                self._ix.lexical.matched_terms(text, narrative_document(narrative, 1))
            ),
            score_name="match probability" if self.calibrator else "fused score",
            claim_date=claim_date_note(
                narrative.claim_date, date, counted=not self.recent_dates_only(date)
            ),
        )
        return build_match(
            text, narrative, self._refs[cand.narrative], evidence,
            stance_margin=self.config.stance_margin, model_id=self.model_id,
            catalog_version=self.catalog_version, stance=self._stance(text, vector, cand),
        )  # fmt: skip

    def _dense_start(self, narrative: int) -> int:
        return int(self._ix.dense.starts[narrative])
