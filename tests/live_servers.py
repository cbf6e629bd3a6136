"""Local servers that speak the platforms' protocols, for the live-source integration tests.

`LocalServer` runs an aiohttp application on 127.0.0.1 (a free port) in a background thread with
its own event loop. The protocol apps (`jetstream_app`, ...) serve recorded frames the way the
platform does and can be told to answer 429 with Retry-After, or to drop a connection abruptly
after some frames; they record every connection's query and time.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


class LocalServer:
    """`with LocalServer(app) as server:` serves `app` on ``server.url`` until the block ends."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def __exit__(self, *_exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


@dataclass
class Script:
    """What the server does: `frames` to serve, how many connections to refuse with 429 first
    (`rate_limited`, with `retry_after`), after how many frames to drop each following connection
    (`drops`: one entry per connection; then connections stay open), and what it saw."""

    frames: list[tuple[int, bytes]] = field(default_factory=list)
    rate_limited: int = 0
    retry_after: str = "1"
    drops: list[int] = field(default_factory=list)
    connections: list[dict[str, Any]] = field(default_factory=list)
    limit: int | None = None  # serve only the first N frames (the "live edge" of the test)


ABORT_AFTER_S = 0.5
"""How long a scripted connection that drops waits after its last frame before it drops."""


async def _drop(request: web.Request) -> None:
    """Cut the connection after `ABORT_AFTER_S`, so the client has read what was sent: once
    aiohttp's client sees the cut it raises on the next read and drops lines still in its
    buffer (a client slowed by a loaded machine lost a tweet after a 0.05 s pause, seen once in
    CI)."""
    await asyncio.sleep(ABORT_AFTER_S)
    _abort(request)


def _abort(request: web.Request) -> None:
    transport = request.transport
    if transport is not None:
        transport.abort()


async def _send(ws: web.WebSocketResponse, data: bytes) -> None:
    try:
        await ws.send_str(data.decode("utf-8"))
    except UnicodeDecodeError:
        await ws.send_bytes(data)  # a recorded frame that is not UTF-8 (a bad-frame test)


def jetstream_app(script: Script) -> web.Application:
    """Jetstream ``/subscribe``: ``wantedCollections``/``wantedDids`` recorded, ``cursor`` (unix
    µs) honoured: frames with ``time_us >= cursor`` are replayed, then the connection stays open
    (live) unless a drop is scheduled."""

    async def subscribe(request: web.Request) -> web.StreamResponse:
        script.connections.append({"at": time.monotonic(), "query": list(request.query.items())})
        if script.rate_limited > 0:
            script.rate_limited -= 1
            return web.Response(status=429, headers={"Retry-After": script.retry_after})
        cursor = int(request.query.get("cursor", "0"))
        drop = script.drops.pop(0) if script.drops else None
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        frames = script.frames if script.limit is None else script.frames[: script.limit]
        sent = 0
        for time_us, data in frames:
            if time_us < cursor:
                continue
            if drop is not None and sent >= drop:
                await _drop(request)
                return ws
            await _send(ws, data)
            sent += 1
        async for _message in ws:  # live: stay open until the client leaves
            pass
        return ws

    app = web.Application()
    app.router.add_get("/subscribe", subscribe)
    return app


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.05)


@dataclass
class MastodonScript:
    """Mastodon: `token` required as Bearer; `rate_limited` first connections get 429; each
    streaming connection sends the next entry of `batches` (frames, then abort the connection
    when the flag is set; afterwards it stays open and silent); the REST timeline serves
    `statuses` (newest first, ``min_id`` honoured, ``limit``)."""

    token: str
    batches: list[tuple[list[bytes], bool]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    rate_limited: int = 0
    retry_after: str = "1"
    connections: list[dict[str, Any]] = field(default_factory=list)
    timeline_requests: list[dict[str, str]] = field(default_factory=list)


def mastodon_app(script: MastodonScript) -> web.Application:
    def authorised(request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {script.token}"

    async def streaming(request: web.Request) -> web.StreamResponse:
        script.connections.append({"at": time.monotonic(), "query": list(request.query.items())})
        if not authorised(request):
            return web.json_response({"error": "Invalid access token"}, status=401)
        if script.rate_limited > 0:
            script.rate_limited -= 1
            return web.Response(status=429, headers={"Retry-After": script.retry_after})
        frames, abort = script.batches.pop(0) if script.batches else ([], False)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for data in frames:
            await _send(ws, data)
        if abort:
            await _drop(request)
            return ws
        async for _message in ws:
            pass
        return ws

    async def timeline(request: web.Request) -> web.StreamResponse:
        script.timeline_requests.append(dict(request.query))
        if not authorised(request):
            return web.json_response({"error": "Invalid access token"}, status=401)
        min_id = int(request.query.get("min_id", "0"))
        limit = int(request.query.get("limit", "20"))
        newer = [s for s in script.statuses if int(s["id"]) > min_id]
        page = sorted(newer, key=lambda s: int(s["id"]))[:limit]
        return web.json_response(list(reversed(page)))

    app = web.Application()
    app.router.add_get("/api/v1/streaming", streaming)
    app.router.add_get("/api/v1/timelines/public", timeline)
    return app


@dataclass
class FeedScript:
    """Feeds served at ``/{name}`` with an ETag (304 when it matches If-None-Match); the first
    `rate_limited` requests get 429 with `retry_after`; every request is recorded."""

    bodies: dict[str, bytes] = field(default_factory=dict)
    rate_limited: int = 0
    retry_after: str = "1"
    requests: list[dict[str, Any]] = field(default_factory=list)

    def etag(self, name: str) -> str:
        import hashlib

        return '"' + hashlib.sha256(self.bodies[name]).hexdigest()[:12] + '"'


def feed_app(script: FeedScript) -> web.Application:
    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        script.requests.append(
            {
                "at": time.monotonic(),
                "name": name,
                "if_none_match": request.headers.get("If-None-Match"),
            }
        )
        if script.rate_limited > 0:
            script.rate_limited -= 1
            return web.Response(status=429, headers={"Retry-After": script.retry_after})
        if name not in script.bodies:
            return web.Response(status=404)
        etag = script.etag(name)
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=script.bodies[name], headers={"ETag": etag, "Content-Type": "application/xml"}
        )

    app = web.Application()
    app.router.add_get("/{name}", serve)
    return app


@dataclass
class XScript:
    """X API v2: bearer `token`; `rules` the stream's rules (ids as strings); the first
    `rate_limited` stream requests get 429 with ``x-rate-limit-reset`` `reset_in` seconds ahead;
    each stream connection sends the next entry of `batches` (lines, then abort when flagged),
    with a keep-alive ``\\r\\n`` between lines."""

    token: str
    rules: list[dict[str, Any]] = field(default_factory=list)
    batches: list[tuple[list[bytes], bool]] = field(default_factory=list)
    rate_limited: int = 0
    reset_in: int = 2
    connections: list[dict[str, Any]] = field(default_factory=list)
    rule_requests: list[Any] = field(default_factory=list)


def x_app(script: XScript) -> web.Application:
    def authorised(request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {script.token}"

    async def rules(request: web.Request) -> web.StreamResponse:
        if not authorised(request):
            return web.json_response({"title": "Unauthorized", "status": 401}, status=401)
        if request.method == "GET":
            return web.json_response({"data": script.rules, "meta": {"result_count": 0}})
        body = await request.json()
        script.rule_requests.append(body)
        if "delete" in body:
            ids = set(body["delete"]["ids"])
            script.rules = [r for r in script.rules if r["id"] not in ids]
            return web.json_response({"meta": {"summary": {"deleted": len(ids)}}})
        added = []
        for rule in body.get("add", []):
            new = {"id": str(1000 + len(script.rule_requests) * 10 + len(added)), **rule}
            added.append(new)
        script.rules.extend(added)
        summary = {"created": len(added), "not_created": 0, "valid": len(added), "invalid": 0}
        return web.json_response({"data": added, "meta": {"summary": summary}}, status=201)

    async def stream(request: web.Request) -> web.StreamResponse:
        script.connections.append({"at": time.monotonic(), "query": dict(request.query)})
        if not authorised(request):
            return web.json_response({"title": "Unauthorized", "status": 401}, status=401)
        if script.rate_limited > 0:
            script.rate_limited -= 1
            reset = str(int(time.time()) + script.reset_in)
            return web.json_response(
                {"title": "Too Many Requests"}, status=429, headers={"x-rate-limit-reset": reset}
            )
        lines, abort = script.batches.pop(0) if script.batches else ([], False)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for line in lines:
            await response.write(line + b"\r\n")
            await response.write(b"\r\n")  # keep-alive
        if abort:
            await _drop(request)
            return response
        try:
            while True:  # live: keep-alives until the client leaves
                await asyncio.sleep(0.5)
                await response.write(b"\r\n")
        except ConnectionResetError:
            return response

    app = web.Application()
    app.router.add_route("*", "/2/tweets/search/stream/rules", rules)
    app.router.add_get("/2/tweets/search/stream", stream)
    return app


def demo_app(kind: str) -> web.Application:
    """A server for `kind` (bluesky, mastodon, rss, x) serving the recorded frames of
    ``tests/live_frames`` (Mastodon and X tokens: ``demo``)."""
    import json

    from tests.live_frames import FRAMES, lines

    if kind == "bluesky":
        frames = [(json.loads(f)["time_us"], f) for f in lines("jetstream.jsonl")]
        return jetstream_app(Script(frames=frames))
    if kind == "mastodon":
        return mastodon_app(
            MastodonScript(token="demo", batches=[(lines("mastodon.jsonl"), False)])
        )
    if kind == "rss":
        bodies = {name: (FRAMES / name).read_bytes() for name in ("feed.rss", "feed.atom")}
        return feed_app(FeedScript(bodies=bodies))
    if kind == "x":
        return x_app(XScript(token="demo", batches=[(lines("x_stream.jsonl"), False)]))
    raise SystemExit(f"unknown kind {kind!r}: bluesky, mastodon, rss or x")


def main() -> None:
    """``python -m tests.live_servers KIND [PORT]``: serve KIND's recorded frames until Ctrl-C."""
    import sys

    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8765
    print(f"serving recorded {kind} frames on http://127.0.0.1:{port}", flush=True)
    web.run_app(demo_app(kind), host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
