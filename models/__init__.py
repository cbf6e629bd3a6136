"""Everything that knows about meaning: records, embedder, narrative catalog, matcher, scoring.

Imports nothing from `pipeline` or `connectors`.
"""
