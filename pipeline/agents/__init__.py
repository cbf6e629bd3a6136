"""The Faust agents, as declarations run by `pipeline.runner.BatchRunner`:

- `matching`: ``posts`` -> `intake.parse_post` -> `matching.MatchStep` -> ``hits`` (+ dead letters)
- `indexer`: ``hits`` -> `hits.parse_hit` -> `indexer.IndexStep` -> Elasticsearch (+ dead letters)
- `post_events`: ``post.events`` -> `models.post_events.parse_post_event` ->
  `post_events.WithdrawStep` -> Elasticsearch: deleted posts' hits marked deleted, edited posts'
  stale hits superseded (+ dead letters)

Parsers and steps are callable from a REPL without a broker; `deps.WorkerDeps` is what the agents
share (built once by `pipeline.worker.run_worker`); `matcher` loads and warms up the matcher.
"""
