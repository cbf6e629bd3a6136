"""Every Prometheus metric narrmon exports, in one place.

Names are module constants so alert rules, dashboards and tests refer to the same strings
(`tests/deploy` checks that every metric a rule or dashboard uses is defined here). The registry is
injectable: tests build `Metrics(CollectorRegistry())` and read values with
``registry.get_sample_value(name, labels)``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

NAMESPACE = "narrmon"

POSTS_CONSUMED = "narrmon_posts_consumed"  # counter, by platform
POSTS_PROCESSED = "narrmon_posts_processed"  # counter, by platform, outcome (hit|no_hit)
HITS = "narrmon_hits"  # counter, by narrative, severity, platform, stance
HITS_INDEXED = "narrmon_hits_indexed"  # counter
BATCH_SIZE = "narrmon_batch_size"  # histogram, posts per agent batch
EMBED_SECONDS = "narrmon_embed_seconds"  # histogram, per batch
MATCH_SECONDS = "narrmon_match_seconds"  # histogram, per batch
END_TO_END_SECONDS = "narrmon_end_to_end_seconds"  # histogram, ingested_at -> indexed
INDEX_ERRORS = "narrmon_index_errors"  # counter, by kind (transient|permanent)
DEAD_LETTERED = "narrmon_dead_lettered"  # counter, by reason, source
PRODUCER_SENT = "narrmon_producer_sent"  # counter, by source (connector deliveries acknowledged)
PRODUCER_DELIVERY_FAILURES = "narrmon_producer_delivery_failures"  # counter, by source
CONSUMER_LAG = "narrmon_consumer_lag"  # gauge, by topic, partition
CONSUMER_STALLS = "narrmon_consumer_stalls"  # counter, by action (nudged|exited|released)
CONNECTOR_LAST_POST = "narrmon_connector_last_post_timestamp_seconds"  # gauge, by source
CATALOG_INFO = "narrmon_catalog"  # info: version, narratives, exemplars
MODEL_INFO = "narrmon_model"  # info: id, dims
WORKER_INFO = "narrmon_worker"  # info: app_id, pid (who answers on this /metrics port)
CATALOG_NARRATIVES = "narrmon_catalog_narratives"  # gauge
CATALOG_UPDATES = "narrmon_catalog_updates"  # counter, by outcome (switched|unchanged|refused|...)
NARRATIVE_RATE = "narrmon_narrative_rate_per_minute"  # gauge, by narrative, severity
NARRATIVE_BASELINE = "narrmon_narrative_baseline_per_minute"  # gauge, by narrative, severity
NARRATIVE_ZSCORE = "narrmon_narrative_spike_zscore"  # gauge, by narrative, severity
SPIKES = "narrmon_narrative_spikes"  # counter, by narrative, severity
SPIKE_HITS = "narrmon_spike_hits"  # counter, by outcome (counted | duplicate)
HIT_SCORE = "narrmon_hit_score"  # histogram, by narrative, severity, stance (fused score of a hit)
INDEX_LAST_SUCCESS = "narrmon_index_last_success_timestamp_seconds"  # gauge
PRODUCER_CONNECTED = "narrmon_producer_connected"  # gauge, by source (1 connected, 0 not)
POST_EVENTS = "narrmon_post_events"  # counter, by type (post_deleted|post_edited)
HITS_WITHDRAWN = "narrmon_hits_withdrawn"  # counter, by reason (deleted|superseded)
TARGETING_POSTS = "narrmon_targeting_posts"  # counter, posts flagged as targeting election workers
COORDINATION_GROUPS = "narrmon_coordination_groups"  # counter, coordination groups formed
EMERGING_CANDIDATES = "narrmon_emerging_candidates"  # gauge, candidates of the last round
THREAT_HITS = "narrmon_threat_hits"  # counter, by narrative, level (low|moderate|high|severe)

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)
_MODEL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
# Fused-score boundaries. Alert rules count hits above one of them (CriticalNarrativeHit uses
# 0.65: unrelated poll-worker chatter scores up to about 0.6 on the example catalog), so a rule can
# move its threshold to another boundary without a worker change.
HIT_SCORE_BUCKETS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0)
STANCES = ("promotes", "debunks", "discusses")
THREAT_LEVELS = ("low", "moderate", "high", "severe")  # `models.threat.THREAT_LEVELS`


class Metrics:
    """The metric objects, registered on `registry` (a fresh one by default, never the global)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.posts_consumed = Counter(
            POSTS_CONSUMED, "Posts read from the posts topic.", ["platform"], registry=r
        )
        self.posts_processed = Counter(
            POSTS_PROCESSED, "Posts embedded and matched.", ["platform", "outcome"], registry=r
        )
        self.hits = Counter(
            HITS,
            "Narrative hits produced.",
            ["narrative", "severity", "platform", "stance"],
            registry=r,
        )
        self.hits_indexed = Counter(HITS_INDEXED, "Hits written to Elasticsearch.", registry=r)
        self.batch_size = Histogram(
            BATCH_SIZE, "Posts per matching batch.", buckets=_BATCH_BUCKETS, registry=r
        )
        self.embed_seconds = Histogram(
            EMBED_SECONDS, "Seconds to embed one batch.", buckets=_MODEL_BUCKETS, registry=r
        )
        self.match_seconds = Histogram(
            MATCH_SECONDS, "Seconds to match one batch.", buckets=_MODEL_BUCKETS, registry=r
        )
        self.end_to_end_seconds = Histogram(
            END_TO_END_SECONDS,
            "Seconds from a post's ingestion to its hit being indexed.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.index_errors = Counter(
            INDEX_ERRORS, "Elasticsearch write errors.", ["kind"], registry=r
        )
        self.dead_lettered = Counter(
            DEAD_LETTERED,
            "Records sent to the dead-letter topic.",
            ["reason", "source"],
            registry=r,
        )
        self.producer_sent = Counter(
            PRODUCER_SENT, "Posts acknowledged by Kafka for a connector.", ["source"], registry=r
        )
        self.producer_delivery_failures = Counter(
            PRODUCER_DELIVERY_FAILURES, "Posts Kafka failed to accept.", ["source"], registry=r
        )
        self.consumer_lag = Gauge(
            CONSUMER_LAG, "Messages behind the log end.", ["topic", "partition"], registry=r
        )
        self.consumer_stalls = Counter(
            CONSUMER_STALLS,
            "Times the consumer watchdog found records waiting and nothing read for "
            "worker.stall_s, by what it did: nudged (kicked in process), exited (gave up), "
            "released (a rebalance waited for records no agent held; read again after it).",
            ["action"],
            registry=r,
        )
        self.connector_last_post = Gauge(
            CONNECTOR_LAST_POST,
            "Unix time of the last post a source published.",
            ["source"],
            registry=r,
        )
        self.catalog = Info(CATALOG_INFO, "The narrative catalog in use.", registry=r)
        self.model = Info(MODEL_INFO, "The embedding model in use.", registry=r)
        self.worker = Info(WORKER_INFO, "The worker process serving these metrics.", registry=r)
        self.catalog_narratives = Gauge(
            CATALOG_NARRATIVES, "Active narratives in the catalog.", registry=r
        )
        self.catalog_updates = Counter(
            CATALOG_UPDATES,
            "Catalogs received while running (live catalog), by outcome.",
            ["outcome"],
            registry=r,
        )
        self.narrative_rate = Gauge(
            NARRATIVE_RATE,
            "Hits per minute, last full minute.",
            ["narrative", "severity"],
            registry=r,
        )
        self.narrative_baseline = Gauge(
            NARRATIVE_BASELINE, "Baseline hits per minute.", ["narrative", "severity"], registry=r
        )
        self.narrative_zscore = Gauge(
            NARRATIVE_ZSCORE,
            "Spike z-score over the baseline.",
            ["narrative", "severity"],
            registry=r,
        )
        self.spikes = Counter(
            SPIKES, "Narrative spikes detected.", ["narrative", "severity"], registry=r
        )
        self.spike_hits = Counter(
            SPIKE_HITS,
            "Hits read by the spike agent: counted, or skipped as already counted.",
            ["outcome"],
            registry=r,
        )
        self.hit_score = Histogram(
            HIT_SCORE,
            "Fused score of each hit. The matching agent observes scores.combined of every hit it "
            "produces (next to narrmon_hits) and primes the series of every narrative at start "
            "(prime_narrative), so the first hit counts in increase().",
            ["narrative", "severity", "stance"],
            buckets=HIT_SCORE_BUCKETS,
            registry=r,
        )
        self.index_last_success = Gauge(
            INDEX_LAST_SUCCESS,
            "Unix time of the indexer's last successful bulk write to Elasticsearch. The indexer "
            "sets it to the process start time when it starts and to the current time after "
            "every successful bulk write (IndexingStalled).",
            registry=r,
        )
        self.producer_connected = Gauge(
            PRODUCER_CONNECTED,
            "1 while the connector's Kafka producer reaches the brokers, else 0: the publisher "
            "sets 1 once it has bootstrapped and after every acknowledged record, 0 after a record "
            "failed for good (brokers unreachable for the whole delivery timeout).",
            ["source"],
            registry=r,
        )
        self.threat_hits = Counter(
            THREAT_HITS,
            "Hits by threat level (models.threat: severity, velocity, reach, targeting, stance). "
            "The matching agent counts every hit it produces.",
            ["narrative", "level"],
            registry=r,
        )

        self.post_events = Counter(
            POST_EVENTS, "Post deletions and edits read from post.events.", ["type"], registry=r
        )
        self.hits_withdrawn = Counter(
            HITS_WITHDRAWN,
            "Hits marked deleted (their post was deleted) or superseded (an edit no longer "
            "matches their narrative); kept in the index, hidden from default searches.",
            ["reason"],
            registry=r,
        )
        self.targeting_posts = Counter(
            TARGETING_POSTS,
            "Posts the match step flagged as targeting election workers (each post id once "
            "among the recent ones; ElectionWorkerTargeted).",
            registry=r,
        )
        self.coordination_groups = Counter(
            COORDINATION_GROUPS,
            "Coordination groups that reached signals.coordination.min_accounts accounts "
            "(each group id once; CoordinatedPosting).",
            registry=r,
        )
        self.emerging_candidates = Gauge(
            EMERGING_CANDIDATES,
            "Emerging-narrative candidates found by the last clustering round of this worker "
            "(EmergingNarrative).",
            registry=r,
        )

    def prime_narrative(self, narrative: str, severity: str) -> None:
        """Create the zero-valued hit-score series of `narrative` for every stance, so that the
        first hit shows as an increase (a series born at 1 has no increase()). Call once per
        catalog narrative when the matcher loads."""
        for stance in STANCES:
            self.hit_score.labels(narrative=narrative, severity=severity, stance=stance)
        for level in THREAT_LEVELS:
            self.threat_hits.labels(narrative=narrative, level=level)


ALL_METRIC_NAMES = frozenset(
    value
    for key, value in dict(globals()).items()
    if key.isupper() and isinstance(value, str) and value.startswith("narrmon_")
)
