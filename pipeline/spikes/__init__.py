"""Spike detection: is a narrative suddenly, broadly, significantly more present than usual?

`detector` holds the rule (documented there) and counting, `closing` the verdict on a closed
window, `state` one narrative's JSON-able state, `records` the `Spike` and `Tick` events,
`processor` the spike agent's step (publish, index through `pipeline.elastic.alerts`),
`repartition` the step that re-keys hits by narrative, `table` the Faust table adapter, and
`agent` the thin Faust glue that the worker app registers (`extension`).
"""
