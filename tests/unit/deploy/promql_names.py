"""Which metric names a PromQL expression uses, and whether narrmon defines them.

Offline: a regex over the expression (after removing string literals), not a full PromQL parser;
`promtool` is what checks the syntax.
"""

from __future__ import annotations

import re

from pipeline.metrics import ALL_METRIC_NAMES

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_NARRMON = re.compile(r"\bnarrmon_[A-Za-z0-9_]+")
_RECORDED = re.compile(r"\b[a-z_]+:narrmon_[A-Za-z0-9_]+:[A-Za-z0-9_]+")
SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_info", "_created")


def used_metrics(expr: str) -> set[str]:
    """Raw narrmon metric names (not recording-rule names) that `expr` selects."""
    code = _STRING.sub('""', expr)
    code = _RECORDED.sub(" ", code)
    return set(_NARRMON.findall(code))


def used_recorded(expr: str) -> set[str]:
    """Recording-rule names (``level:metric:ops``) that `expr` reads."""
    return set(_RECORDED.findall(_STRING.sub('""', expr)))


def is_defined(name: str) -> bool:
    """True if `name` is a metric of `pipeline.metrics`, with or without an exposition suffix."""
    if name in ALL_METRIC_NAMES:
        return True
    return any(name.endswith(s) and name[: -len(s)] in ALL_METRIC_NAMES for s in SUFFIXES)
