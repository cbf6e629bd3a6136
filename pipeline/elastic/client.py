"""The one place an Elasticsearch client is built: endpoint, API key, TLS, timeouts and retries.

Every caller (worker, analyst API, CLI, demo, spike alerts) gets its client here and closes it
when it stops. A `Timeouts` profile says how long one request may take and how often the client
itself retries it:

- `INTERACTIVE` (analyst API, ``narrmon search``/``hits``): a person is waiting; fail fast and
  let the API answer 503.
- `BACKGROUND` (start-up index checks, ``narrmon index``, the demo, spike alerts): patient.
- `SINK` (the worker's bulk hit writes): the client never retries, because the batch runner owns
  retrying with backoff and must see every failure.

Building a client contacts nothing. TLS settings (``verify_certs``, ``ca_certs``) apply to
``https`` endpoints only (the client refuses them for ``http``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.settings import Settings

if TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch, Elasticsearch

    Client = Elasticsearch
    AsyncClient = AsyncElasticsearch


@dataclass(frozen=True)
class Timeouts:
    request_timeout_s: float
    max_retries: int
    retry_on_timeout: bool = False


INTERACTIVE = Timeouts(request_timeout_s=15, max_retries=1)
BACKGROUND = Timeouts(request_timeout_s=30, max_retries=3)
SINK = Timeouts(request_timeout_s=30, max_retries=0)


def client_options(settings: Settings, timeouts: Timeouts) -> dict[str, Any]:
    """Keyword arguments for the client constructors (pure; holds the API key in clear, so
    never log it)."""
    es = settings.elasticsearch
    options: dict[str, Any] = {
        "hosts": es.endpoint,
        "api_key": es.api_key.get_secret_value() if es.api_key else None,
        "request_timeout": timeouts.request_timeout_s,
        "max_retries": timeouts.max_retries,
        "retry_on_timeout": timeouts.retry_on_timeout,
    }
    if es.endpoint.startswith("https:"):
        options["verify_certs"] = es.verify_certs
        if es.ca_certs is not None:
            options["ca_certs"] = str(es.ca_certs)
    return options


def make_client(settings: Settings, timeouts: Timeouts = INTERACTIVE) -> Client:
    """A blocking client for ``settings.elasticsearch``. The caller closes it."""
    from elasticsearch import Elasticsearch

    return Elasticsearch(**client_options(settings, timeouts))


def make_async_client(settings: Settings, timeouts: Timeouts = SINK) -> AsyncClient:
    """An asyncio client for ``settings.elasticsearch``. Create it inside the event loop that
    will use it (its aiohttp session binds to that loop) and ``await client.close()`` on stop."""
    from elasticsearch import AsyncElasticsearch

    return AsyncElasticsearch(**client_options(settings, timeouts))
