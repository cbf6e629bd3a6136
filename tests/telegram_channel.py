"""The channel of the local Telegram test server (`tests.telegram_server`): its history (current
versions of the messages), its ``pts`` and the updates that moved it, and the TL answers built
from them with Telethon's own types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from telethon.tl import types


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
    last_id: int = 500  # message ids are never reused, even after a deletion

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

    def difference(self, pts: int) -> Any:
        """updates.getChannelDifference from `pts`: every update after it, in one final answer."""
        missed = [update for after, update in self.log if after > pts]
        if not missed:
            return types.updates.ChannelDifferenceEmpty(pts=self.pts, final=True)
        new = [u.message for u in missed if isinstance(u, types.UpdateNewChannelMessage)]
        other = [u for u in missed if not isinstance(u, types.UpdateNewChannelMessage)]
        return types.updates.ChannelDifference(
            self.pts, new, other, [self.entity()], [], final=True
        )

    def history(self, request: Any) -> list[Any]:
        """messages.getHistory: newest first; start at the first message older than ``offset_id``
        (the newest when 0), shifted by ``add_offset`` (negative: newer ones), ``limit`` of them,
        keeping ``min_id < id < max_id`` (no upper bound when max_id is 0)."""
        ordered = sorted(self.messages.values(), key=lambda m: m.id, reverse=True)
        start = 0
        if request.offset_id:
            older = (i for i, m in enumerate(ordered) if m.id < request.offset_id)
            start = next(older, len(ordered))
        start += request.add_offset
        window = ordered[max(start, 0) : max(start + request.limit, 0)]
        return [
            m
            for m in window
            if m.id > request.min_id and (not request.max_id or m.id < request.max_id)
        ]


def config(now: datetime, port: int) -> Any:
    """help.getConfig's answer: one DC (this server), plausible limits (Telethon reads none)."""
    limits = dict.fromkeys(
        [
            "chat_size_max",
            "megagroup_size_max",
            "forwarded_count_max",
            "online_update_period_ms",
            "offline_blur_timeout_ms",
            "offline_idle_timeout_ms",
            "online_cloud_timeout_ms",
            "notify_cloud_delay_ms",
            "notify_default_delay_ms",
            "push_chat_period_ms",
            "push_chat_limit",
            "edit_time_limit",
            "revoke_time_limit",
            "revoke_pm_time_limit",
            "rating_e_decay",
            "stickers_recent_limit",
            "channels_read_media_period",
            "call_receive_timeout_ms",
            "call_ring_timeout_ms",
            "call_connect_timeout_ms",
            "call_packet_timeout_ms",
        ],
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
