"""narrmon's streaming application: Faust agents, topics, settings, metrics, indexing, APIs."""
