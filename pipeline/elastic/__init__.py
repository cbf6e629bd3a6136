"""narrmon's boundary to Elasticsearch: the schema (`schema`), hit documents and bulk writes
(`document`, `hits`), failure classification (`errors`), spike alerts (`alerts`) and the analyst
reads (`search`)."""
