"""aiohttp, the one client library of the live sources: WebSocket frames, HTTP line streams, and
the translation of its errors into `SourceDisconnected` / `RateLimited` / `SourceRejected`.

Every read has a timeout (`idle_timeout_s`: a silent connection counts as dropped), every message
a size cap (`max_message_bytes`), so a stuck or hostile server cannot hang a source or grow its
memory without bound.
"""

from __future__ import annotations

import asyncio
import email.utils
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from connectors.live.source import RateLimited, SourceDisconnected, SourceRejected

if TYPE_CHECKING:
    import aiohttp

_REJECTED = frozenset({400, 401, 403, 404, 410, 422})
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (delta-seconds or an HTTP date) in seconds from `now`, or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def reset_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """``Retry-After``, else ``x-rate-limit-reset`` (unix seconds, as X sends), in seconds."""
    retry = retry_after_seconds(headers.get("Retry-After"), now)
    if retry is not None:
        return retry
    reset = headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit():
        current = (now or datetime.now(UTC)).timestamp()
        return max(0.0, int(reset) - current)
    return None


def http_failure(status: int, headers: Mapping[str, str], url: str, body: str = "") -> Exception:
    """The source error for an HTTP failure `status` from `url`."""
    detail = f"HTTP {status} from {url}" + (f": {body[:300]}" if body else "")
    if status == 429:
        return RateLimited(detail, retry_after_s=reset_seconds(headers))
    if status in _REJECTED:
        return SourceRejected(detail)
    return SourceDisconnected(detail, backoff="http", retry_after_s=reset_seconds(headers))


def client_error(exc: Exception, url: str) -> Exception:
    """The source error for an aiohttp (or timeout) exception raised while talking to `url`."""
    import aiohttp

    if isinstance(exc, aiohttp.WSServerHandshakeError):
        return http_failure(exc.status, exc.headers or {}, url, exc.message)
    if isinstance(exc, aiohttp.ClientResponseError):
        return http_failure(exc.status, exc.headers or {}, url, exc.message)
    if isinstance(exc, TimeoutError):
        return SourceDisconnected(f"no data from {url} in time")
    return SourceDisconnected(f"{type(exc).__name__} on {url}: {exc}")


@asynccontextmanager
async def session(
    headers: Mapping[str, str] | None = None, connect_timeout_s: float = 15.0
) -> AsyncIterator[aiohttp.ClientSession]:
    """One aiohttp session with a connect timeout (no total timeout: streams are endless)."""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout_s)
    async with aiohttp.ClientSession(headers=dict(headers or {}), timeout=timeout) as client:
        yield client


async def websocket_messages(
    url: str,
    *,
    params: Any = None,
    headers: Mapping[str, str] | None = None,
    idle_timeout_s: float = 60.0,
    max_message_bytes: int = MAX_MESSAGE_BYTES,
) -> AsyncIterator[bytes]:
    """Yield the payload of every text/binary message of one WebSocket connection to `url`.

    Raises `SourceDisconnected` when the connection closes or fails (the server closing it
    included: a live stream never ends by itself), `RateLimited` for a 429 handshake,
    `SourceRejected` for 4xx refusals. Pings are answered; a connection silent for
    `idle_timeout_s` is dropped.
    """
    import aiohttp

    try:
        async with (
            session(headers) as client,
            client.ws_connect(
                url, params=params, heartbeat=idle_timeout_s / 2, max_msg_size=max_message_bytes
            ) as ws,
        ):
            while True:
                message = await ws.receive(timeout=idle_timeout_s)
                if message.type == aiohttp.WSMsgType.TEXT:
                    yield str(message.data).encode("utf-8", "surrogatepass")
                elif message.type == aiohttp.WSMsgType.BINARY:
                    yield bytes(message.data)
                elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING):
                    raise SourceDisconnected(f"{url} closed the connection ({ws.close_code})")
                elif message.type == aiohttp.WSMsgType.CLOSED:
                    raise SourceDisconnected(f"{url} connection closed")
                elif message.type == aiohttp.WSMsgType.ERROR:
                    raise SourceDisconnected(f"{url}: {ws.exception()!r}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise client_error(exc, url) from exc


async def http_lines(
    url: str,
    *,
    params: Any = None,
    headers: Mapping[str, str] | None = None,
    idle_timeout_s: float = 30.0,
    max_line_bytes: int = MAX_MESSAGE_BYTES,
) -> AsyncIterator[bytes]:
    """Yield the lines (without line endings) of one streaming HTTP GET response.

    Same error contract as `websocket_messages`; the body ending counts as a disconnect. A line
    longer than `max_line_bytes` drops the connection.
    """
    import aiohttp
    from aiohttp.http_exceptions import LineTooLong

    try:
        async with session(headers) as client, client.get(url, params=params) as response:
            if response.status != 200:
                body = await response.text(errors="replace")
                raise http_failure(response.status, response.headers, url, body)
            while True:
                line = await asyncio.wait_for(
                    response.content.readuntil(b"\n", max_size=max_line_bytes),
                    timeout=idle_timeout_s,
                )
                if not line:
                    raise SourceDisconnected(f"{url} ended the stream")
                yield line.rstrip(b"\r\n")
    except LineTooLong as exc:
        raise SourceDisconnected(f"{url}: {exc}") from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise client_error(exc, url) from exc
