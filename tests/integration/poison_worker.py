"""A real `narrmon worker` whose matcher raises on posts carrying `POISON`: a record that makes
the matching step fail, for the fault tests (run it with `WorkerProcess(entry=ENTRY)`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

POISON = "narrmon-poison-7f3a"
ENTRY = "from tests.integration.poison_worker import main; main()"


class PoisonMatcher:
    """The real matcher, except that a batch holding a poisoned text raises ``ValueError``."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def match(self, texts: Sequence[str], dates: Sequence[dt.date | None] | None = None) -> Any:
        if any(POISON in text for text in texts):
            raise ValueError("the matcher cannot handle this post")
        return self._inner.match(texts, dates=dates)


def main() -> None:
    import logging

    from pipeline.agents.matcher import load_matcher
    from pipeline.settings import Settings
    from pipeline.worker import run_worker

    logging.basicConfig(level=logging.INFO)
    settings = Settings.load()
    run_worker(settings, matcher_factory=lambda: PoisonMatcher(load_matcher(settings)))
