"""Live sources: platforms' streams -> `Post`s, post events and dead letters -> Kafka.

- `source`: the interface (`LiveSource`: `stream()` does the I/O, `normalise()` is pure and
  raises `models.errors.InvalidRecord`), `Frame`, `Normalised`, `Filters`, the source errors.
- `runner`: one source's loop (bounded queue, batches, dedupe, checkpoints after delivery,
  reconnects with `backoff`); `service.run_live` wires it to the kafka-python `Publisher`.
- `supervisor` + `config`: several sources from one YAML file (``narrmon connectors run``).
- `transport`: aiohttp WebSocket / HTTP streams and error translation; `metrics`: the metrics.
- One module per platform: `bluesky` (+ `bluesky_frames`), and the others as they are added.

Never imports Faust or `pipeline`.
"""
