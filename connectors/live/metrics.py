"""The Prometheus metrics of live sources, in one place (connectors never import `pipeline`).

All labelled by ``source`` (the ``--source`` name). Posts published and records dead-lettered
are the producer's acknowledgements, counted by `connectors.publisher` on the metrics named in
`pipeline.metrics` (``narrmon_producer_sent``, ``narrmon_dead_lettered``,
``narrmon_connector_last_post_timestamp_seconds``, which ``ConnectorSilent`` watches); this module
adds what only a live source knows. Registry injectable; tests read values with
``registry.get_sample_value``.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

FRAMES_READ = "narrmon_connector_frames_read"  # counter, by source
RECONNECTS = "narrmon_connector_reconnects"  # counter, by source, cause
LAST_EVENT = "narrmon_connector_last_event_timestamp_seconds"  # gauge, by source (event's own time)
SOURCE_LAG = "narrmon_connector_source_lag_seconds"  # gauge, by source (now - event time)
POST_EVENTS = "narrmon_connector_post_events"  # counter, by source, type (post_deleted|post_edited)
FILTERED = "narrmon_connector_filtered"  # counter, by source (posts dropped by local filters)
DUPLICATES = "narrmon_connector_duplicates"  # counter, by source (overlap after a reconnect)
CHECKPOINT_SAVED = "narrmon_connector_checkpoint_timestamp_seconds"  # gauge, by source
SOURCE_RESTARTS = "narrmon_connector_restarts"  # counter, by source (supervisor restarts)

LIVE_METRIC_NAMES = frozenset(
    value
    for key, value in dict(globals()).items()
    if key.isupper() and isinstance(value, str) and value.startswith("narrmon_")
)


class LiveMetrics:
    """The metric objects, registered on `registry` (a fresh one by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.frames_read = Counter(
            FRAMES_READ, "Frames read from a live source.", ["source"], registry=r
        )
        self.reconnects = Counter(
            RECONNECTS, "Reconnections of a live source.", ["source", "cause"], registry=r
        )
        self.last_event = Gauge(
            LAST_EVENT, "Platform time of the newest event a source read.", ["source"], registry=r
        )
        self.source_lag = Gauge(
            SOURCE_LAG,
            "Seconds between an event's platform time and its reading.",
            ["source"],
            registry=r,
        )
        self.post_events = Counter(
            POST_EVENTS, "Deletes and edits published.", ["source", "type"], registry=r
        )
        self.filtered = Counter(FILTERED, "Posts dropped by local filters.", ["source"], registry=r)
        self.duplicates = Counter(
            DUPLICATES,
            "Frames seen twice (reconnect overlap) and published once.",
            ["source"],
            registry=r,
        )
        self.checkpoint_saved = Gauge(
            CHECKPOINT_SAVED, "Unix time of a source's last checkpoint.", ["source"], registry=r
        )
        self.restarts = Counter(
            SOURCE_RESTARTS,
            "Sources restarted by the supervisor after a crash.",
            ["source"],
            registry=r,
        )
