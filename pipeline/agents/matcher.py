"""Load the worker's one matcher from settings and warm it up (blocking; before consuming)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from models.matching import Matcher
from pipeline.metrics import Metrics
from pipeline.settings import Settings

if TYPE_CHECKING:
    from models.matching import MatcherConfig

logger = logging.getLogger(__name__)


def load_matcher(settings: Settings) -> Matcher:
    """The matcher for ``settings.catalog.path`` / ``settings.model`` (not warmed up). Raises
    ValueError without a catalog, OSError / ValueError for missing or mismatched files."""
    from models.matching.matcher import load_matcher as load
    from pipeline.embedding import embedder_from_settings

    if settings.catalog.path is None:
        raise ValueError("no catalog: set NARRMON_CATALOG__PATH or pass --catalog")
    # The embedder picks its backend (ONNX int8 by default on CPU, no torch import) and caps its
    # threads at the cores; a torch fallback gets the same thread cap.
    return load(
        settings.catalog.path,
        cache_dir=settings.cache_dir,
        config=matcher_config(settings),
        embedder=embedder_from_settings(settings),
    )


def matcher_config(settings: Settings) -> MatcherConfig:
    """`models.matching.MatcherConfig` from ``settings.matcher``: the live default is
    `models.matching.matcher.live_config` (shipped re-ranker, calibrated decision). Loads weight
    files; raises OSError / ValueError for a missing or mismatched file."""
    from models.matching.calibration import Calibrator
    from models.matching.matcher import MatcherConfig
    from models.matching.rerank import SHIPPED_CHECKTHAT, Reranker
    from models.matching.stance_model import StanceModel

    m = settings.matcher
    reranker = None
    if m.ranking == "rerank":
        reranker = Reranker.load(m.reranker or SHIPPED_CHECKTHAT)
    return MatcherConfig(
        threshold=m.threshold if m.threshold is not None else 0.50,
        top_k=m.top_k,
        reranker=reranker,
        decision=m.decision,
        calibrator=Calibrator.load(m.calibrator) if m.calibrator is not None else None,
        probability_threshold=m.threshold,
        hit_margin=m.hit_margin,
        claim_dates=m.claim_dates,
        stance_model=StanceModel.load(m.stance_model) if m.stance_model else None,
        stance_model_no_counter=(
            StanceModel.load(m.stance_model_no_counter) if m.stance_model_no_counter else None
        ),
    )


def warm_up(matcher: Matcher, metrics: Metrics) -> Matcher:
    """Warm `matcher` up and publish the model and catalog info metrics; returns it. Blocking."""
    matcher.warm_up()
    publish_matcher_info(matcher, metrics)
    return matcher


def publish_matcher_info(matcher: Matcher, metrics: Metrics) -> None:
    """Set ``narrmon_model_info``, ``narrmon_catalog_info`` and the narrative gauges for the
    matcher in use (at start and after every catalog switch)."""
    narratives = matcher.narratives()
    metrics.model.info({"id": matcher.model_id, "dims": str(matcher.dims)})
    metrics.catalog.info({"version": matcher.catalog_version, "narratives": str(len(narratives))})
    metrics.catalog_narratives.set(len(narratives))
    for narrative in narratives:
        metrics.prime_narrative(narrative.id, narrative.severity)
    logger.info(
        "matcher ready: model %s (%d dims), catalog %s (%d narratives)",
        matcher.model_id,
        matcher.dims,
        matcher.catalog_version,
        len(narratives),
    )
