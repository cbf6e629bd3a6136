"""Signals beyond the catalog, in the worker (issue 15). The detectors are pure and live in
`models.signals`; this package is their glue:

- `targeting`: the targeting block of a hit and the synthetic ``targeting`` narrative's hit;
  `screening.PostScreen` is what the match step runs on every batch (targeting screen on the
  model thread, unmatched posts into the emerging store).
- `coordination`: the coordination steps (posts re-keyed to one partition, windowed MinHash
  groups) run by `pipeline.runner.BatchRunner`.
- `emerging`: one clustering round over the unmatched store (run by a timer).
- `records`: the group and candidate records on their topics and in Elasticsearch.
- `extension`: the Faust glue the worker installs (`pipeline.worker.EXTENSIONS`).
"""
