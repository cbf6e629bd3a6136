"""Spike detection: is a narrative suddenly, broadly, significantly more present than usual?

`detector` holds the pure rule (documented there), `records` the `Spike` event, `processor` the
effects (publish, index through `pipeline.elastic.alerts`), and `agent` the thin Faust glue
that the worker app registers.
"""
