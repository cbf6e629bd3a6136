"""The server side of MTProto 2.0's wire format, for the local Telegram test server.

Mirror of what Telethon does as a client: the TCP "full" transport (``length, seq, payload,
crc32``, all little-endian) and the encrypted message envelope (``auth_key_id, msg_key,
AES-256-IGE(salt, session_id, msg_id, seq_no, length, body, padding)``). The client encrypts with
``x = 0`` and the server with ``x = 8``: ``msg_key`` is the middle 16 bytes of
``sha256(auth_key[88 + x : 120 + x] + plaintext + padding)`` and the AES key and IV come from
``msg_key`` and ``auth_key`` as MTProto 2.0 defines. There is no key exchange: the test writes a
session file holding a known auth key (`write_session`), so both sides start with it.
"""

from __future__ import annotations

import asyncio
import os
import struct
import time
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from zlib import crc32

from telethon.crypto import AES, AuthKey

AUTH_KEY = AuthKey(bytes(range(256)))
"""The auth key the test session and the server share (any 256 bytes)."""

RPC_RESULT = 0xF35C6D01
VECTOR = 0x1CB5C415


def write_session(path: Path, port: int, dc_id: int = 2) -> Path:
    """A Telethon SQLite session at `path` (must end in ``.session``) pointing at
    ``127.0.0.1:port`` and holding `AUTH_KEY`, as a logged-in user's session would."""
    from telethon.sessions import SQLiteSession

    session = SQLiteSession(str(path))
    session.set_dc(dc_id, "127.0.0.1", port)
    session.auth_key = AUTH_KEY
    session.save()
    session.close()
    return path


def _aes_key_iv(msg_key: bytes, x: int) -> tuple[bytes, bytes]:
    key = AUTH_KEY.key
    a = sha256(msg_key + key[x : x + 36]).digest()
    b = sha256(key[x + 40 : x + 76] + msg_key).digest()
    return a[:8] + b[8:24] + a[24:32], b[:8] + a[8:24] + b[24:32]


@dataclass(frozen=True)
class ClientMessage:
    """One decrypted client message: its envelope and its (still serialised) body."""

    salt: int
    session_id: int
    msg_id: int
    seq_no: int
    body: bytes


class MTProtoViolationError(ValueError):
    """A packet that was not encrypted with `AUTH_KEY` the way MTProto 2.0 says."""


def decrypt(packet: bytes) -> ClientMessage:
    """A client packet -> `ClientMessage`. Raises `MTProtoViolationError`."""
    if len(packet) < 24 or struct.unpack("<Q", packet[:8])[0] != AUTH_KEY.key_id:
        raise MTProtoViolationError("unknown auth key id")
    msg_key = packet[8:24]
    aes_key, aes_iv = _aes_key_iv(msg_key, 0)
    plain = AES.decrypt_ige(packet[24:], aes_key, aes_iv)
    if sha256(AUTH_KEY.key[88:120] + plain).digest()[8:24] != msg_key:
        raise MTProtoViolationError("msg_key does not match the plaintext")
    salt, session_id, msg_id, seq_no, length = struct.unpack("<qqqii", plain[:32])
    return ClientMessage(salt, session_id, msg_id, seq_no, plain[32 : 32 + length])


def encrypt(salt: int, session_id: int, msg_id: int, seq_no: int, body: bytes) -> bytes:
    """A server message -> the encrypted packet the client decrypts with ``x = 8``."""
    plain = struct.pack("<qqqii", salt, session_id, msg_id, seq_no, len(body)) + body
    plain += os.urandom(-(len(plain) + 12) % 16 + 12)
    msg_key = sha256(AUTH_KEY.key[96:128] + plain).digest()[8:24]
    aes_key, aes_iv = _aes_key_iv(msg_key, 8)
    cipher: bytes = AES.encrypt_ige(plain, aes_key, aes_iv)
    return struct.pack("<Q", AUTH_KEY.key_id) + msg_key + cipher


class MessageIds:
    """Server msg_ids: unix time in the high 32 bits, strictly increasing, ``1 mod 4`` for
    answers to the client and ``3 mod 4`` for messages the server sends on its own."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, *, response: bool) -> int:
        now = time.time()
        candidate = (int(now) << 32) | (int((now % 1) * 2**30) << 2)
        candidate = max(candidate, self._last + 4) & ~3
        self._last = candidate
        return candidate | (1 if response else 3)


async def read_packet(reader: asyncio.StreamReader) -> bytes:
    """One TCP-full packet's payload. Raises `asyncio.IncompleteReadError` at EOF and
    `MTProtoViolationError` for a bad checksum."""
    header = await reader.readexactly(8)
    length = struct.unpack("<i", header[:4])[0]
    rest = await reader.readexactly(length - 8)
    payload, crc = rest[:-4], struct.unpack("<I", rest[-4:])[0]
    if crc32(header + payload) != crc:
        raise MTProtoViolationError("bad transport checksum")
    return payload


def frame_packet(payload: bytes, counter: int) -> bytes:
    """`payload` as the `counter`-th TCP-full packet of a connection."""
    data = struct.pack("<ii", len(payload) + 12, counter) + payload
    return data + struct.pack("<I", crc32(data))


def rpc_result(req_msg_id: int, result: bytes) -> bytes:
    """``rpc_result#f35c6d01 req_msg_id:long result:Object``."""
    return struct.pack("<Iq", RPC_RESULT, req_msg_id) + result


def vector(items: list[bytes]) -> bytes:
    """A bare TL ``Vector<T>`` of already-serialised boxed items."""
    return struct.pack("<Ii", VECTOR, len(items)) + b"".join(items)
