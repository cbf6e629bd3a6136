"""The Faust agents: `matching` (posts -> hits) and `indexer` (hits -> Elasticsearch).

Their logic lives in pure modules (`intake`, `hits`) that the agents call; the agents only loop,
call, emit and acknowledge.
"""
