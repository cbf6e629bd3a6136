"""A local Telegram (MTProto 2.0) server with one public channel, for the Telegram source's tests.

Real Telethon talks to it over TCP with its default transport (`tests.mtproto_wire`). Requests
are parsed with Telethon's own TL reader and answered with Telethon's TL types, so every byte
crosses the wire as it would with Telegram. It answers what a logged-in user's client asks
(initConnection + help.getConfig, users.getUsers, updates.getState/getDifference,
contacts.resolveUsername, channels.getChannels, messages.getHistory with Telegram's
offset_id/add_offset/limit/min_id/max_id semantics, updates.getChannelDifference, ping) and
pushes channel updates (new message, edit, deletion) with consecutive ``pts`` as Telegram does.

The test drives it from its own thread: `post`, `edit`, `delete` (pushed to connected clients
unless `hold` is set, which models updates a client misses while it is away: it finds them
through the pts gap and getChannelDifference), `drop` (abort every TCP connection), and
`flood_waits` (answer the next request of a kind with ``FLOOD_WAIT_X``). `requests` records
every request (name, monotonic time, the TL object).
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl import functions, types
from telethon.tl.core import GzipPacked, MessageContainer

from tests.mtproto_wire import (
    ClientMessage,
    MessageIds,
    SecurityViolation,
    decrypt,
    encrypt,
    frame_packet,
    read_packet,
    rpc_result,
    vector,
)

_WRAPPERS = (
    functions.InvokeWithLayerRequest,
    functions.InitConnectionRequest,
    functions.InvokeWithoutUpdatesRequest,
)


@dataclass(eq=False)
class _Connection:
    writer: asyncio.StreamWriter
    session_id: int | None = None
    salt: int = 0
    sent: int = 0


@dataclass
class Recorded:
    name: str
    at: float
    request: Any


@dataclass
class ChannelState:
    """The channel's history (current versions), its pts and the updates that made it."""

    id: int = 1_234_567_890
    access_hash: int = 987_654_321
    username: str = "county_elections"
    title: str = "County Elections"
    messages: dict[int, Any] = field(default_factory=dict)
    log: list[tuple[int, Any]] = field(default_factory=list)  # (pts after, update)
    pts: int = 100

    def entity(self) -> Any:
        return types.Channel(
            id=self.id,
            title=self.title,
            photo=types.ChatPhotoEmpty(),
            date=datetime(2020, 1, 1, tzinfo=UTC),
            broadcast=True,
            access_hash=self.access_hash,
            username=self.username,
        )


class TelegramServer:
    """`with TelegramServer() as server:` serves on 127.0.0.1:``server.port`` in a thread."""

    def __init__(self) -> None:
        self.channel = ChannelState()
        self.me = types.User(id=777_000, is_self=True, access_hash=1, first_name="Analyst")
        self.hold = False
        self.flood_waits: dict[str, int] = {}
        self.requests: list[Recorded] = []
        self.port = 0
        self._ids = MessageIds()
        self._connections: set[_Connection] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    # -- driving it from the test's thread -------------------------------------------------

    def __enter__(self) -> TelegramServer:
        self._thread.start()
        self._call(self._start())
        return self

    def __exit__(self, *_exc: object) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def post(self, text: str, **fields: Any) -> int:
        """Publish a channel message (`fields`: more `types.Message` fields); its id."""
        number = max(self.channel.messages, default=500) + 1
        message = types.Message(
            id=number,
            peer_id=types.PeerChannel(self.channel.id),
            date=datetime.now(UTC).replace(microsecond=0),
            message=text,
            post=True,
            **fields,
        )
        self.channel.messages[number] = message
        self._update(lambda pts: types.UpdateNewChannelMessage(message, pts, 1), 1)
        return number

    def edit(self, number: int, text: str) -> None:
        message = self.channel.messages[number]
        message.message, message.edit_date = text, datetime.now(UTC).replace(microsecond=0)
        self._update(lambda pts: types.UpdateEditChannelMessage(message, pts, 1), 1)

    def delete(self, *numbers: int) -> None:
        for number in numbers:
            del self.channel.messages[number]
        ids, channel = list(numbers), self.channel.id
        self._update(lambda pts: types.UpdateDeleteChannelMessages(channel, ids, pts, len(ids)), len(ids))

    def drop(self) -> None:
        """Abort every open TCP connection (as a network failure would)."""
        self._call(self._drop())

    def names(self) -> list[str]:
        return [r.name for r in self.requests]

    def _update(self, make: Any, count: int) -> None:
        self._call(self._apply(make, count))

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    # -- the server ------------------------------------------------------------------------

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        await self._drop()
        if self._server is not None:
            self._server.close()

    async def _drop(self) -> None:
        for connection in list(self._connections):
            connection.writer.transport.abort()
        self._connections.clear()

    async def _apply(self, make: Any, count: int) -> None:
        self.channel.pts += count
        update = make(self.channel.pts)
        self.channel.log.append((self.channel.pts, update))
        if self.hold:
            return
        now = datetime.now(UTC)
        pushed = bytes(types.Updates([update], [], [self.channel.entity()], now, 0))
        for connection in list(self._connections):
            if connection.session_id is not None:
                self._send(connection, pushed, response=False)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(writer)
        self._connections.add(connection)
        try:
            while True:
                message = decrypt(await read_packet(reader))
                connection.session_id, connection.salt = message.session_id, message.salt
                await self._handle(connection, message.msg_id, _read(message))
        except (asyncio.IncompleteReadError, ConnectionError, SecurityViolation):
            pass
        finally:
            self._connections.discard(connection)
            writer.transport.abort()

    async def _handle(self, connection: _Connection, msg_id: int, request: Any) -> None:
        if isinstance(request, MessageContainer):
            for inner in request.messages:
                await self._handle(connection, inner.msg_id, inner.obj)
            return
        if isinstance(request, GzipPacked):
            await self._handle(connection, msg_id, BinaryReader(request.data).tgread_object())
            return
        if isinstance(request, types.MsgsAck):
            return
        if isinstance(request, functions.PingRequest | functions.PingDelayDisconnectRequest):
            self._send(connection, bytes(types.Pong(msg_id, request.ping_id)), response=True)
            return
        while isinstance(request, _WRAPPERS):
            request = request.query
        name = type(request).__name__
        self.requests.append(Recorded(name, time.monotonic(), request))
        seconds = self.flood_waits.pop(name, None)
        if seconds is not None:
            answer = bytes(types.RpcError(420, f"FLOOD_WAIT_{seconds}"))
        else:
            answer = self._answer(request)
        self._send(connection, rpc_result(msg_id, answer), response=True)

    def _send(self, connection: _Connection, body: bytes, *, response: bool) -> None:
        assert connection.session_id is not None
        msg_id = self._ids.next(response=response)
        packet = encrypt(connection.salt, connection.session_id, msg_id, 1, body)
        connection.writer.write(frame_packet(packet, connection.sent))
        connection.sent += 1

    def _answer(self, request: Any) -> bytes:  # noqa: PLR0911 - one branch per method
        now = datetime.now(UTC).replace(microsecond=0)
        channel = self.channel
        if isinstance(request, functions.help.GetConfigRequest):
            return bytes(_config(now, self.port))
        if isinstance(request, functions.users.GetUsersRequest):
            return vector([bytes(self.me)])
        if isinstance(request, functions.updates.GetStateRequest):
            return bytes(types.updates.State(pts=1, qts=0, date=now, seq=0, unread_count=0))
        if isinstance(request, functions.updates.GetDifferenceRequest):
            return bytes(types.updates.DifferenceEmpty(date=now, seq=0))
        if isinstance(request, functions.contacts.ResolveUsernameRequest):
            if request.username.lower() != channel.username:
                return bytes(types.RpcError(400, "USERNAME_NOT_OCCUPIED"))
            peer = types.PeerChannel(channel.id)
            return bytes(types.contacts.ResolvedPeer(peer, [channel.entity()], []))
        if isinstance(request, functions.channels.GetChannelsRequest):
            return bytes(types.messages.Chats([channel.entity()]))
        if isinstance(request, functions.messages.GetHistoryRequest):
            page = history_page(list(channel.messages.values()), request)
            return bytes(
                types.messages.ChannelMessages(
                    channel.pts, len(channel.messages), page, [], [channel.entity()], []
                )
            )
        if isinstance(request, functions.updates.GetChannelDifferenceRequest):
            return bytes(self._channel_difference(request.pts))
        return bytes(types.RpcError(400, f"METHOD_NOT_SERVED_{type(request).__name__}"))

    def _channel_difference(self, pts: int) -> Any:
        channel = self.channel
        missed = [update for after, update in channel.log if after > pts]
        if not missed:
            return types.updates.ChannelDifferenceEmpty(pts=channel.pts, final=True)
        new = [u.message for u in missed if isinstance(u, types.UpdateNewChannelMessage)]
        other = [u for u in missed if not isinstance(u, types.UpdateNewChannelMessage)]
        return types.updates.ChannelDifference(
            channel.pts, new, other, [channel.entity()], [], final=True
        )


def history_page(messages: list[Any], request: Any) -> list[Any]:
    """messages.getHistory: newest first; start at the first message older than ``offset_id``
    (the newest when 0), shifted by ``add_offset`` (negative: newer ones), ``limit`` of them,
    keeping ``min_id < id < max_id`` (no upper bound when max_id is 0)."""
    ordered = sorted(messages, key=lambda m: m.id, reverse=True)
    start = 0
    if request.offset_id:
        start = next((i for i, m in enumerate(ordered) if m.id < request.offset_id), len(ordered))
    start += request.add_offset
    window = ordered[max(start, 0) : max(start + request.limit, 0)]
    return [
        m
        for m in window
        if m.id > request.min_id and (not request.max_id or m.id < request.max_id)
    ]


def _read(message: ClientMessage) -> Any:
    return BinaryReader(message.body).tgread_object()


def _config(now: datetime, port: int) -> Any:
    limits = dict.fromkeys(
        (
            "chat_size_max megagroup_size_max forwarded_count_max online_update_period_ms "
            "offline_blur_timeout_ms offline_idle_timeout_ms online_cloud_timeout_ms "
            "notify_cloud_delay_ms notify_default_delay_ms push_chat_period_ms push_chat_limit "
            "edit_time_limit revoke_time_limit revoke_pm_time_limit rating_e_decay "
            "stickers_recent_limit channels_read_media_period call_receive_timeout_ms "
            "call_ring_timeout_ms call_connect_timeout_ms call_packet_timeout_ms"
        ).split(),
        1_000,
    )
    return types.Config(
        date=now,
        expires=now + timedelta(hours=1),
        test_mode=False,
        this_dc=2,
        dc_options=[types.DcOption(2, "127.0.0.1", port)],
        dc_txt_domain_name="",
        me_url_prefix="https://t.me/",
        caption_length_max=1024,
        message_length_max=4096,
        webfile_dc_id=2,
        **limits,
    )

