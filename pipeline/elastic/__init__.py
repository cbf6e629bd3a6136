"""narrmon's one boundary to Elasticsearch. Nothing outside this package imports the client
library: it gets a client from `client`, and sees only the exceptions of `errors`.

- `client`: the client factory (endpoint, API key, TLS, timeouts, retries).
- `errors`: the error hierarchy and the one classification of failures (transient or not).
- `schema`: index names, mappings, creation and rolling, mapping migrations.
- `hits`: the hits sink (documents, idempotent bulk writes, per-hit outcomes, review updates).
- `alerts`: the spike alerts sink. `audit`: the review audit trail.
- `search`: the reads behind the analyst API, the CLI and the demo.

Importing the package is cheap; the client library is imported when a client is built or an
error is translated.
"""
