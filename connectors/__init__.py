"""Sources -> normalised `Post` records -> Kafka. Never imports Faust."""
