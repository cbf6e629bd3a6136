"""The live-source interface: frames in, `Post`s and post events out.

A live source has two halves, kept apart so the logic can be tested without a network:

- `stream()` does the I/O: it opens ONE connection (a WebSocket, an HTTP stream, a feed poll
  round) and yields `Frame`s as they arrive, resuming from the source's own checkpoint. It ends
  when the connection ends and signals trouble with `SourceDisconnected` (retry with backoff),
  `RateLimited` (retry after the time the platform asked for) or `SourceRejected` (bad token,
  unknown feed: retrying cannot help). The runner (`connectors.live.runner`) reconnects.
- `normalise(frame)` is pure (no I/O, no clock: the frame carries its receive time): it returns a
  `Normalised` (posts, post events, the checkpoint position the frame moves to, a dedupe key) or
  raises `models.errors.InvalidRecord`, the one bad-record signal, and the runner dead-letters it.

`advance(position)` is called by the runner once a frame's outputs are queued to Kafka, so
`checkpoint()` (saved only after the producer acknowledged everything queued before it) never
runs ahead of delivery. `restore(state)` loads a saved checkpoint before the first `stream()`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from connectors.base import OversizePolicy
from models.post_events import PostDeleted, PostEdited
from models.records import Post

Output = Post | PostDeleted | PostEdited
"""What one frame becomes: posts go to the posts topic, events to the post-events topic."""


@dataclass(frozen=True)
class Frame:
    """One message as received. `data` is the raw bytes (kept in a dead letter); `origin` names
    the position in the source for an operator (the dead letter's key); `received_at` is the
    wall-clock receive time; `context` carries what the reader knows that the bytes do not (the
    feed a feed item came from). ``kind="marker"`` frames carry no record, only a position (a feed
    fetched completely) and are not counted as read."""

    data: bytes
    origin: str
    received_at: datetime
    context: Mapping[str, Any] = field(default_factory=dict)
    kind: Literal["record", "marker"] = "record"


@dataclass(frozen=True)
class Normalised:
    """The result of a frame: `outputs` (empty for frames that carry nothing to publish, e.g.
    Jetstream identity frames), `position` (passed to `advance` once outputs are queued; None
    leaves the checkpoint as it is), `dedupe_key` (the same key twice within the runner's recent
    window is published once: overlaps after a reconnect), `event_time` (the platform's own time,
    for the lag metric)."""

    outputs: tuple[Output, ...] = ()
    position: Any = None
    dedupe_key: str | None = None
    event_time: datetime | None = None


class SourceError(Exception):
    """Root of the errors a live source's `stream()` raises on purpose."""


class SourceDisconnected(SourceError):  # noqa: N818 - it names the event, like ConnectionReset
    """The connection failed or ended; reconnect after the backoff of `backoff` (a key of the
    source's `backoff_policies`; ``"network"`` by default). `retry_after_s` when the server said."""

    def __init__(
        self, detail: str, *, backoff: str = "network", retry_after_s: float | None = None
    ) -> None:
        super().__init__(detail)
        self.backoff = backoff
        self.retry_after_s = retry_after_s


class RateLimited(SourceDisconnected):
    """HTTP 429 (or the platform's equivalent): wait at least `retry_after_s`, then reconnect."""

    def __init__(self, detail: str, *, retry_after_s: float | None, backoff: str = "rate") -> None:
        super().__init__(detail, backoff=backoff, retry_after_s=retry_after_s)


class SourceRejected(SourceError):  # noqa: N818 - it names the event
    """The platform refused us for a reason retrying cannot fix (401, 403, 404, bad rules)."""


class LiveSource(Protocol):
    """A continuously running source of posts (see the module docstring for the contract)."""

    platform: str
    source: str
    oversize: OversizePolicy

    def stream(self) -> AsyncIterator[Frame]: ...

    def normalise(self, frame: Frame) -> Normalised: ...

    def advance(self, position: Any) -> None: ...

    def checkpoint(self) -> dict[str, Any]: ...

    def restore(self, state: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class Filters:
    """Local post filters (sources push what their protocol allows to the platform as well).

    A post passes when every non-empty group matches: some keyword occurs in its text or title
    (case-insensitive), its language is one of `languages`, its author id or handle is one of
    `accounts` (case-insensitive, a leading ``@`` ignored). Post events always pass.
    """

    keywords: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        keywords: Iterable[str] = (),
        languages: Iterable[str] = (),
        accounts: Iterable[str] = (),
    ) -> Filters:
        return cls(
            keywords=tuple(k.casefold() for k in keywords if k.strip()),
            languages=tuple(lang.lower() for lang in languages if lang.strip()),
            accounts=tuple(a.casefold().lstrip("@") for a in accounts if a.strip()),
        )

    def admits(self, output: Output) -> bool:
        if not isinstance(output, Post):
            return True
        if self.keywords:
            haystack = f"{output.title or ''}\n{output.text}".casefold()
            if not any(keyword in haystack for keyword in self.keywords):
                return False
        if self.languages and (output.language or "").lower() not in self.languages:
            return False
        if self.accounts:
            names = {
                (output.author.id or "").casefold(),
                (output.author.handle or "").casefold().lstrip("@"),
            }
            if not names & set(self.accounts):
                return False
        return True
