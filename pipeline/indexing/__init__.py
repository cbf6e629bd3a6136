"""Writing hits to Elasticsearch: idempotent bulk writes (`bulk`) and retry policy (`retry`)."""
