"""Reviews feed back into the catalog.

- `stats`: per-narrative review counts and precision (pure).
- `consumer`: the worker agent on the ``reviews`` topic that keeps one review-stats document per
  narrative in Elasticsearch (`pipeline.elastic.review_stats`), read by the API's narrative panel.
- `suggest` and `yaml_edit`: ``narrmon catalog suggest``: exemplars from confirmed hits,
  near-misses from false positives and threshold changes backed by the review counts, as a
  YAML diff for an analyst to apply (never applied by narrmon).

Design: the consumer does not count events; for every narrative a batch of review events
touches it recomputes the counts from the hits index (each hit's current ``review.state``, which
the review service writes before it publishes the event) and overwrites that narrative's document.
Counting events would double-count a redelivered event (delivery is at least once) and would need
events in order to undo a changed label; recomputing is idempotent and order-free, and reviews are
rare enough that one aggregation per touched narrative costs nothing.
"""
