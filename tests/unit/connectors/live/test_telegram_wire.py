"""The local Telegram server's wire format against Telethon's own client-side MTProto state, and
its getHistory paging against the requests Telethon's `iter_messages` makes."""

from __future__ import annotations

import io
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from telethon.network.mtprotostate import MTProtoState
from telethon.tl import functions, types

from tests.mtproto_wire import AUTH_KEY, MessageIds, MTProtoViolationError, decrypt, encrypt
from tests.telegram_channel import ChannelState


def client_state() -> Any:
    loggers: Any = defaultdict(lambda: logging.getLogger("telethon"))
    return MTProtoState(AUTH_KEY, loggers)


def test_a_client_request_decrypts_and_a_server_answer_reaches_the_client() -> None:
    state = client_state()
    buffer = io.BytesIO()
    request = bytes(functions.updates.GetStateRequest())
    msg_id = state.write_data_as_message(buffer, request, content_related=True)
    message = decrypt(state.encrypt_message_data(buffer.getvalue()))
    assert (message.session_id, message.msg_id, message.body) == (state.id, msg_id, request)

    pong = bytes(types.Pong(msg_id, 42))
    server_id = MessageIds().next(response=True)
    received = state.decrypt_message_data(encrypt(0, state.id, server_id, 1, pong))
    assert isinstance(received.obj, types.Pong) and received.obj.ping_id == 42
    assert received.msg_id == server_id and server_id % 4 == 1


def test_a_tampered_packet_is_refused() -> None:
    state = client_state()
    packet = bytearray(state.encrypt_message_data(b"\0" * 16))
    packet[-1] ^= 1
    with pytest.raises(MTProtoViolationError):
        decrypt(bytes(packet))


def test_history_pages_like_telegram_for_a_reverse_iteration() -> None:
    channel = ChannelState()
    date = datetime(2024, 11, 6, tzinfo=UTC)
    for number in range(501, 511):
        channel.messages[number] = types.Message(number, types.PeerChannel(channel.id), date, "x")

    def page(**kw: int) -> list[int]:
        fields = {"offset_id": 0, "add_offset": 0, "limit": 100, "min_id": 0, "max_id": 0, **kw}
        request = functions.messages.GetHistoryRequest(
            peer=types.InputPeerEmpty(), offset_date=None, hash=0, **fields
        )
        return [m.id for m in channel.history(request)]

    # iter_messages(min_id=506, reverse=True, limit=3): offset_id=507, add_offset=-3, limit=3
    assert page(offset_id=507, add_offset=-3, limit=3) == [509, 508, 507]
    assert page(limit=2) == [510, 509]  # the newest first
    assert page(offset_id=505) == [504, 503, 502, 501]  # older than offset_id
    assert page(min_id=508) == [510, 509]
