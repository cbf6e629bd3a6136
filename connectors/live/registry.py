"""The kinds of live source, by name: their options model and how to build one.

Imported lazily so a source's client library (Telethon, feedparser) loads only when used.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from connectors.live.source import LiveSource

# kind: (module, options class, source class)
_KINDS: dict[str, tuple[str, str, str]] = {
    "bluesky": ("connectors.live.bluesky", "BlueskyOptions", "JetstreamSource"),
    "mastodon": ("connectors.live.mastodon", "MastodonOptions", "MastodonSource"),
    "rss": ("connectors.live.rss", "RssOptions", "RssSource"),
    "telegram": ("connectors.live.telegram", "TelegramOptions", "TelegramSource"),
    "x": ("connectors.live.x", "XOptions", "XSource"),
}

SOURCE_KINDS = tuple(sorted(_KINDS))


def options_model(kind: str) -> type[BaseModel]:
    """The pydantic model of `kind`'s options. Raises KeyError for an unknown kind."""
    module, options, _ = _KINDS[kind]
    model = getattr(importlib.import_module(module), options)
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


def build_source(
    kind: str, options: BaseModel | Mapping[str, Any], *, source: str, accounts: Sequence[str] = ()
) -> LiveSource:
    """A `kind` source named `source`; `options` validated by `options_model` (raises
    `pydantic.ValidationError`). `accounts` are the ``--account`` filters, pushed to the platform
    where its protocol allows."""
    module, _, cls = _KINDS[kind]
    model = options_model(kind)
    validated = options if isinstance(options, model) else model.model_validate(options)
    factory = getattr(importlib.import_module(module), cls)
    built: LiveSource = factory(validated, source=source, accounts=accounts)
    return built
