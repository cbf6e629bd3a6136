"""How to start one service: the value each service module's ``prepare()`` returns (pure data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Launch:
    """A ready-to-run command line.

    `marker` must appear in the running process's command line (see `process.py`); it is the path
    of the service's rendered config under the state dir, which no unrelated process carries.
    `env` None means "inherit narrmon's environment".
    """

    argv: tuple[str, ...]
    marker: str
    cwd: Path
    env: Mapping[str, str] | None = field(default=None)
