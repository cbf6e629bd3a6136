"""The live catalog: every running worker and API process switches to an edited catalog without
a restart.

- `topic`: the compacted catalog topic (``topics.catalog``: one partition, ``cleanup.policy=
  compact``, one key, so Kafka keeps the latest catalog forever) and `publish_catalog`, behind
  ``narrmon catalog publish`` (which validates first: an invalid catalog is never published).
- `follower`: `CatalogFollower`, a background thread that reads that topic from the start, hands
  the latest catalog to a callback once it has caught up, then every catalog published later;
  `FileWatch` re-reads ``catalog.path`` when it changes (``catalog.watch``).
- `holder`: `MatcherHolder`, the swappable matcher the match step reads once per batch, and
  `CatalogSwitch`, which builds the new matcher on the model thread (sharing the loaded model) and
  swaps it in.
- `extension`: the worker `Extension` that wires these into a worker.

Once a catalog is published, the topic is the source of truth: a worker that starts later reads
the file at ``catalog.path`` first (so it can warm up before joining), then switches to the
published catalog as soon as its follower has read the topic.
"""
