"""Dead letters for operators: `narrmon dlq list | show | replay`.

`letters` decodes, filters and formats dead letters, `replay` decides what a replay publishes
(both pure); `store` reads the dead-letter and posts topics and publishes replayed posts through
the connectors' Kafka boundary (`connectors.topic_reader`, `connectors.publisher`).
"""
