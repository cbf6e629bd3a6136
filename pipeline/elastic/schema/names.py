"""Names of everything narrmon keeps in Elasticsearch, derived from `index_prefix` alone.

Layout (``P`` is ``settings.elasticsearch.index_prefix``):

- ``P-hits``: the write alias. Exactly one backing index has ``is_write_index: true``; the older
  backing indices stay in the alias too, so a search through it sees every hit.
- ``P-hits-read``: the read alias, attached by the index template to every backing index (also to
  indices created by a reindexing migration before they join the write alias).
- ``P-hits-000001``, ``-000002``…: backing indices when the cluster has ILM (rollover by policy).
- ``P-hits-YYYY.MM``: backing indices when it has not (the integ-test-zip build): one per month,
  switched by `ensure_hits_index`.
- ``P-audit``: the append-only review audit trail.
- ``P-alerts``: spike alerts (`pipeline.elastic.alerts`).
- ``P-coordination``, ``P-emerging``: coordination groups and emerging-narrative candidates
  (`pipeline.elastic.signals`).
- ``P-escalations``: escalations to platforms (`pipeline.elastic.escalations`).
"""

from __future__ import annotations

from datetime import datetime

from pipeline.settings import Settings


def prefix(settings: Settings) -> str:
    return settings.elasticsearch.index_prefix


def hits_alias(settings: Settings) -> str:
    """The write alias hits are indexed through (also readable: it spans every backing index)."""
    return f"{prefix(settings)}-hits"


def hits_read_alias(settings: Settings) -> str:
    """The alias every search reads through."""
    return f"{prefix(settings)}-hits-read"


def hits_pattern(settings: Settings) -> str:
    """Index pattern of the hits backing indices (the template's ``index_patterns``)."""
    return f"{prefix(settings)}-hits-*"


def hits_template_name(settings: Settings) -> str:
    return f"{prefix(settings)}-hits"


def hits_policy_name(settings: Settings) -> str:
    return f"{prefix(settings)}-hits"


def audit_index(settings: Settings) -> str:
    return f"{prefix(settings)}-audit"


def alerts_index(settings: Settings) -> str:
    return f"{prefix(settings)}-alerts"


def escalations_index(settings: Settings) -> str:
    return f"{prefix(settings)}-escalations"


def monthly_index(settings: Settings, when: datetime) -> str:
    """The fallback backing index for the month of `when` (UTC), e.g. ``narrmon-hits-2025.03``."""
    return f"{prefix(settings)}-hits-{when:%Y.%m}"


def first_rollover_index(settings: Settings) -> str:
    return f"{prefix(settings)}-hits-000001"


def coordination_index(settings: Settings) -> str:
    """Coordination groups (`pipeline.elastic.signals`), one document per group id."""
    return f"{prefix(settings)}-coordination"


def emerging_index(settings: Settings) -> str:
    """Emerging-narrative candidates (`pipeline.elastic.signals`), one document per candidate."""
    return f"{prefix(settings)}-emerging"
