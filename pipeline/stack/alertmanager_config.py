"""Alertmanager config: leave out receivers whose secret files do not exist (pure logic + YAML).

The template names Slack webhook URLs and PagerDuty routing keys as ``*_file`` paths. Alertmanager
0.25 accepts a config whose files are missing but then logs an error on every notification it
tries; the local stack usually has no such secrets. `prune_missing_secrets` drops every receiver
with a ``*_file`` entry that does not exist, and every route that sends to a dropped receiver, so
only deliverable receivers remain (``amtool check-config`` passes either way).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from typing import Any

import yaml

HEADER = (
    "# Rendered by `narrmon stack up` from deploy/alertmanager/alertmanager.yml; receivers whose\n"
    "# secret files are missing were left out: {dropped}.\n"
)


def secret_files(receiver: dict[str, Any]) -> list[str]:
    """Every ``*_file`` value in a receiver's integrations (pure)."""
    files: list[str] = []
    for kind, entries in receiver.items():
        if kind == "name" or not isinstance(entries, list):
            continue
        for entry in entries:
            if isinstance(entry, dict):
                files += [str(v) for k, v in entry.items() if k.endswith("_file") and v]
    return files


def _prune_routes(route: dict[str, Any], dropped: set[str]) -> None:
    children = route.get("routes")
    if not children:
        return
    kept = [child for child in children if child.get("receiver") not in dropped]
    for child in kept:
        _prune_routes(child, dropped)
    route["routes"] = kept


def prune_missing_secrets(
    config: dict[str, Any], exists: Callable[[str], bool] = os.path.exists
) -> tuple[dict[str, Any], list[str]]:
    """A copy of `config` without receivers whose secret files are missing (and routes to them),
    plus the names of the dropped receivers. Raises `ValueError` when the root route's receiver
    would be dropped (nothing could be delivered at all)."""
    pruned = copy.deepcopy(config)
    receivers = pruned.get("receivers") or []
    dropped = [r["name"] for r in receivers if any(not exists(path) for path in secret_files(r))]
    if not dropped:
        return pruned, []
    route = pruned.get("route") or {}
    if route.get("receiver") in dropped:
        raise ValueError(f"the default receiver {route['receiver']!r} has a missing secret file")
    pruned["receivers"] = [r for r in receivers if r["name"] not in dropped]
    _prune_routes(route, set(dropped))
    return pruned, dropped


def render_alertmanager_config(text: str, exists: Callable[[str], bool] = os.path.exists) -> str:
    """The rendered template `text` with undeliverable receivers left out (see module doc)."""
    config = yaml.safe_load(text)
    pruned, dropped = prune_missing_secrets(config, exists)
    if not dropped:
        return text
    body = yaml.safe_dump(pruned, sort_keys=False, allow_unicode=True, width=1000)
    return HEADER.format(dropped=", ".join(dropped)) + body
