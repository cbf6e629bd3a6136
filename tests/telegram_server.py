"""A local Telegram (MTProto 2.0) server with one public channel, for the Telegram source's tests.

Real Telethon talks to it over TCP with its default transport and MTProto 2.0 encryption
(`tests.mtproto_wire`). Requests are parsed with Telethon's own TL reader and answered with
Telethon's TL types. Simplified on purpose: no key exchange (the session file holds a known key),
any salt accepted, no acknowledgements from the server, one DC, one user, one channel. It answers
what a logged-in user's client asks
(initConnection + help.getConfig, users.getUsers, updates.getState/getDifference,
contacts.resolveUsername, channels.getChannels, messages.getHistory with Telegram's
offset_id/add_offset/limit/min_id/max_id semantics, updates.getChannelDifference, ping) and
pushes channel updates (new message, edit, deletion) with consecutive ``pts`` as Telegram does.

The test drives it from its own thread: `post`, `edit`, `delete` (pushed to connected clients
unless `hold` is set, which models updates a client misses while it is away: it finds them
through the pts gap and getChannelDifference), `drop` (abort every TCP connection: Telethon
reconnects by itself), `transport_error` (Telegram's transport-level 429: Telethon gives up and
the source must reconnect) and `flood_waits` (answer the next request of a kind with
``FLOOD_WAIT_X``); `logged_in = False` answers 401 as for a session never signed in.
`requests` records every request (name, monotonic time, the TL object) and `connections`
counts TCP connections.
"""

from __future__ import annotations

import asyncio
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telethon.extensions import BinaryReader
from telethon.tl import functions, types
from telethon.tl.core import GzipPacked, MessageContainer

from tests.mtproto_wire import (
    ClientMessage,
    MessageIds,
    MTProtoViolationError,
    decrypt,
    encrypt,
    frame_packet,
    read_packet,
    rpc_result,
    vector,
)
from tests.telegram_channel import ChannelState, config

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


class TelegramServer:
    """`with TelegramServer() as server:` serves on 127.0.0.1:``server.port`` in a thread."""

    def __init__(self, port: int = 0) -> None:  # 0: any free port
        self.channel = ChannelState()
        self.me = types.User(id=777_000, is_self=True, access_hash=1, first_name="Analyst")
        self.hold = False
        self.logged_in = True  # False: the auth key is known but signed in to no account
        self.flood_waits: dict[str, int] = {}
        self.requests: list[Recorded] = []
        self.connections = 0
        self.port = port
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
        number: int = self._call(self._on_loop(lambda: self._post(text, fields)))
        return number

    def edit(self, number: int, text: str) -> None:
        self._call(self._on_loop(lambda: self._edit(number, text)))

    def delete(self, *numbers: int) -> None:
        self._call(self._on_loop(lambda: self._delete(list(numbers))))

    def drop(self) -> None:
        """Abort every open TCP connection (as a network failure would)."""
        self._call(self._drop())

    def transport_error(self, code: int = 429) -> None:
        """Send every connection Telegram's transport-level error: ``-code`` where a packet's
        length, sequence number and body would be (429: too many connections). Telethon gives
        such a connection up instead of reconnecting by itself."""
        self._call(self._transport_error(struct.pack("<iii", -code, -code, -code)))

    def names(self) -> list[str]:
        return [r.name for r in self.requests]

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _on_loop(self, change: Callable[[], Any]) -> Any:
        return change()  # the channel changes only on the server's loop, between requests

    # -- the server ------------------------------------------------------------------------

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        await self._drop()
        if self._server is not None:
            self._server.close()

    async def _drop(self) -> None:
        for connection in list(self._connections):
            connection.writer.transport.abort()
        self._connections.clear()

    async def _transport_error(self, data: bytes) -> None:
        for connection in list(self._connections):
            connection.writer.write(data)

    # -- the channel's updates (on the loop) --------------------------------------------------

    def _post(self, text: str, fields: dict[str, Any]) -> int:
        channel = self.channel
        channel.last_id += 1
        date = datetime.now(UTC).replace(microsecond=0)
        peer = types.PeerChannel(channel.id)
        message = types.Message(channel.last_id, peer, date, text, post=True, **fields)
        channel.messages[message.id] = message
        self._push(lambda pts: types.UpdateNewChannelMessage(message, pts, 1), 1)
        return channel.last_id

    def _edit(self, number: int, text: str) -> None:
        message = self.channel.messages[number]
        message.message, message.edit_date = text, datetime.now(UTC).replace(microsecond=0)
        self._push(lambda pts: types.UpdateEditChannelMessage(message, pts, 1), 1)

    def _delete(self, numbers: list[int]) -> None:
        for number in numbers:
            del self.channel.messages[number]
        channel, count = self.channel.id, len(numbers)
        self._push(
            lambda pts: types.UpdateDeleteChannelMessages(channel, numbers, pts, count), count
        )

    def _push(self, make: Callable[[int], Any], count: int) -> None:
        """Move pts by `count`, log the update `make(pts)`, push it unless `hold` is set."""
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
        self.connections += 1
        try:
            while True:
                message = decrypt(await read_packet(reader))
                connection.session_id, connection.salt = message.session_id, message.salt
                await self._handle(connection, message.msg_id, _read(message))
        except (asyncio.IncompleteReadError, ConnectionError, MTProtoViolationError):
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

    def _answer(self, request: Any) -> bytes:
        now = datetime.now(UTC).replace(microsecond=0)
        channel = self.channel
        if isinstance(request, functions.help.GetConfigRequest):
            return bytes(config(now, self.port))
        if not self.logged_in:
            return bytes(types.RpcError(401, "AUTH_KEY_UNREGISTERED"))
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
            page = channel.history(request)
            return bytes(
                types.messages.ChannelMessages(
                    channel.pts, len(channel.messages), page, [], [channel.entity()], []
                )
            )
        if isinstance(request, functions.updates.GetChannelDifferenceRequest):
            return bytes(channel.difference(request.pts))
        return bytes(types.RpcError(400, f"METHOD_NOT_SERVED_{type(request).__name__}"))


def _read(message: ClientMessage) -> Any:
    return BinaryReader(message.body).tgread_object()
