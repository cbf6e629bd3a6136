"""Spike detection: is a narrative suddenly, broadly, significantly more present than usual?

`detector` holds the pure rule (documented there), `records` the `Spike` event, `alerts_index` the
Elasticsearch write, and `agent` the thin Faust glue that the worker app registers.
"""
