"""Telegram public channels through Telethon (MTProto as a logged-in user).

Telegram's bot API cannot read channels a bot is not admin of, so this source needs a user
session file made once interactively (see the README: Telethon asks for the phone number and
the login code) plus the ``api_id``/``api_hash`` of an app registered at my.telegram.org. It
resolves the channels, listens for new messages, edits and deletions, and before listening
replays what each channel posted after the last message id in the checkpoint
(``iter_messages(min_id=...)``, at most `backfill_limit` per channel), so a restart leaves no gap.
FloodWaits up to `flood_sleep_threshold_s` (60 s by default, ``--flood-sleep-threshold``) are
slept inside Telethon; a longer one ends the connection as `RateLimited` and the runner waits it
out. Telethon reconnects a dropped TCP connection by itself (and fills the gap with
getChannelDifference); when it gives the connection up (a transport-level error, retries
exhausted) the source raises `SourceDisconnected` and the runner reconnects with a new client,
which catches up from the last message id published, as after a restart (a channel seen for
the first time starts at its newest message, so a catch-up covers it too). Frames are normalised by
`connectors.live.telegram_frames`.

Tested over the wire (``tests/integration/test_live_telegram.py``): real Telethon against a local
MTProto 2.0 server (``tests/telegram_server.py``: a known auth key instead of the key exchange,
one channel) and the real Kafka, through ``narrmon connect telegram``: the session check (signed
in; not signed in: exit 1), channel lookup (unknown: exit 1), new messages, edits and deletions
from pushed updates, a dropped TCP connection (gap filled by getChannelDifference), a
transport-level 429 (a new client, backfill by getHistory from the last id), a restart from the
checkpoint, FloodWaits under and over the threshold, a message without text (dead letter). Not
tested: the key exchange and login (the session file is made by Telethon itself, see the
README), DC migration, several channels in one source, and the real Telegram servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import OversizePolicy
from connectors.live.mastodon import read_token
from connectors.live.source import (
    Frame,
    Normalised,
    RateLimited,
    SourceDisconnected,
    SourceRejected,
)
from connectors.live.telegram_frames import PLATFORM, encode_frame, normalise_frame
from models.records import utc_now


class TelegramOptions(BaseModel):
    """Options of ``narrmon connect telegram`` and of ``kind: telegram`` in a connectors file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: tuple[str, ...] = Field(min_length=1)
    session_file: Path
    api_id: int = Field(gt=0)
    api_hash_file: Path
    backfill_limit: int = Field(default=200, ge=0, le=5_000)
    flood_sleep_threshold_s: int = Field(default=60, ge=0, le=86_400)
    queue_size: int = Field(default=1_000, ge=1)


class TelegramSource:
    """A `LiveSource` for public channels (checkpoint: ``{"channels": {id: last message id}}``)."""

    platform = PLATFORM
    oversize: OversizePolicy = "reject"

    def __init__(
        self,
        options: TelegramOptions,
        *,
        source: str,
        accounts: Sequence[str] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.options = options
        self.source = source
        self._api_hash = read_token(options.api_hash_file) or ""
        self._clock = clock
        self._last: dict[str, int] = {}

    async def stream(self) -> AsyncIterator[Frame]:
        from telethon import TelegramClient, errors

        client = TelegramClient(
            str(self.options.session_file),
            self.options.api_id,
            self._api_hash,
            flood_sleep_threshold=self.options.flood_sleep_threshold_s,
        )
        try:
            await client.connect()
            if not await client.is_user_authorized():
                raise SourceRejected(
                    f"{self.options.session_file} is not a logged-in session (see the README)"
                )
            async for frame in self._run(client):
                yield frame
        except errors.FloodWaitError as exc:
            raise RateLimited(
                f"Telegram FloodWait {exc.seconds}s", retry_after_s=exc.seconds
            ) from exc
        except (errors.AuthKeyError, errors.UnauthorizedError, errors.ChannelPrivateError) as exc:
            raise SourceRejected(f"Telegram refused: {exc}") from exc
        except (OSError, ConnectionError, errors.RPCError) as exc:
            raise SourceDisconnected(f"Telegram: {type(exc).__name__}: {exc}") from exc
        finally:
            await client.disconnect()

    async def _run(self, client: Any) -> AsyncIterator[Frame]:
        from telethon import events, utils

        channels: dict[int, dict[str, Any]] = {}
        entities = []
        for name in self.options.channels:
            try:
                entity = await client.get_entity(name)
            except ValueError as exc:
                raise SourceRejected(f"unknown Telegram channel {name!r}: {exc}") from exc
            entities.append(entity)
            channels[entity.id] = {
                "id": entity.id,
                "username": getattr(entity, "username", None),
                "title": getattr(entity, "title", None),
            }
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=self.options.queue_size)

        async def on_message(event: Any, kind: str) -> None:
            channel_id: int = getattr(event.message.peer_id, "channel_id", 0)
            channel = channels.get(channel_id)
            if channel is not None:
                await queue.put(encode_frame(kind, channel, {"message": event.message.to_dict()}))

        async def on_new(event: Any) -> None:
            await on_message(event, "new")

        async def on_edit(event: Any) -> None:
            await on_message(event, "edited")

        async def on_delete(event: Any) -> None:
            if event.chat_id is None:
                return
            channel = channels.get(utils.resolve_id(event.chat_id)[0])
            if channel is not None:
                await queue.put(
                    encode_frame("deleted", channel, {"deleted_ids": event.deleted_ids})
                )

        client.add_event_handler(on_new, events.NewMessage(chats=entities))
        client.add_event_handler(on_edit, events.MessageEdited(chats=entities))
        client.add_event_handler(on_delete, events.MessageDeleted(chats=entities))
        started = await self.start_positions(client, entities)
        for entity in entities:
            last = self._last.get(str(entity.id))
            if last is None or entity.id in started or not self.options.backfill_limit:
                continue
            async for message in client.iter_messages(
                entity, min_id=last, reverse=True, limit=self.options.backfill_limit
            ):
                data = encode_frame("new", channels[entity.id], {"message": message.to_dict()})
                yield self._frame(data, entity.id)
        lost = client.disconnected
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, lost}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                cause = None if lost.cancelled() else lost.exception()
                raise SourceDisconnected(f"Telegram connection lost: {cause!r}")
            yield self._frame(getter.result(), None)

    async def start_positions(self, client: Any, entities: Sequence[Any]) -> set[int]:
        """A channel seen for the first time starts at its newest message (0 when empty): a
        later reconnect or restart then catches up everything posted after it, even when the
        connection is lost before the channel's first message is published. Returns the ids of
        the channels started now (nothing to catch up for them)."""
        started: set[int] = set()
        for entity in entities:
            key = str(entity.id)
            if key not in self._last:
                newest = await client.get_messages(entity, limit=1)
                self._last[key] = int(newest[0].id) if newest else 0
                started.add(entity.id)
        return started

    def _frame(self, data: bytes, channel_id: int | None) -> Frame:
        origin = f"telegram:{channel_id}" if channel_id is not None else "telegram:updates"
        return Frame(data=data, origin=origin, received_at=self._clock())

    def normalise(self, frame: Frame) -> Normalised:
        return normalise_frame(frame.data, source=self.source, received_at=frame.received_at)

    def advance(self, position: Any) -> None:
        if isinstance(position, Mapping) and isinstance(position.get("id"), int):
            key = str(position.get("channel"))
            self._last[key] = max(self._last.get(key, 0), position["id"])

    def checkpoint(self) -> dict[str, Any]:
        return {"channels": dict(self._last)}

    def restore(self, state: Mapping[str, Any]) -> None:
        saved = state.get("channels")
        if isinstance(saved, Mapping):
            self._last = {str(k): int(v) for k, v in saved.items() if isinstance(v, int)}
