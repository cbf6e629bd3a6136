"""Everything that knows about meaning. Imports nothing from `pipeline` or `connectors`, and this
package itself exports nothing (importing it loads nothing heavy).

- `models.records`, `models.text`, `models.errors`: the records every package shares (`Post`,
  `Match`, `Hit`, `DeadLetter`), text normalisation, and the error root plus `InvalidRecord`.
- `models.catalog`: the narrative catalog (schema, loading, import, reloadable store).
- `models.matching`: the live matching path (embedder, dense and lexical scoring, fusion,
  re-ranker, stance, explanation) and the `Matcher` Protocol the worker uses.
- `models.evaluation`: offline research code (metrics, evaluations, re-ranker training,
  fine-tuning), never imported by the live path.
"""
