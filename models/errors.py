"""The errors of the `models` package: one root, and the one way a record is refused.

- `ModelError`: root of everything `models` raises on purpose.
- `InvalidRecord`: a record (a platform frame, a `posts` or `hits` message, a CSV row) that can
  never become what its parser builds. Raised by every pure parser in narrmon: connector
  normalisers, post intake, hit parsing, spike parsing. A parser never decides where the record
  goes: the caller that knows the record's origin (the batch runner in `pipeline.runner`, the
  connector replay loop in `connectors.replay`) turns it into a `DeadLetter` with
  `models.records.DeadLetter.of_invalid`. Never retried.
- `models.catalog.CatalogError` (a catalog file that does not validate) is a `ModelError` too
  (and a `ValueError`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.dead_letters import DeadLetterReason


class ModelError(Exception):
    """Root of the errors raised by `models` on purpose."""


class InvalidRecord(ModelError):  # noqa: N818 - the name is the contract every parser shares
    """A record that cannot be parsed into what its parser builds; it goes to the dead-letter
    topic with `reason` and `detail`. `source` names the record's declared source when the
    parser could read one (a short string, used as a metric label), else None."""

    def __init__(self, reason: DeadLetterReason, detail: str, *, source: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason: DeadLetterReason = reason
        self.detail = detail
        self.source = source
