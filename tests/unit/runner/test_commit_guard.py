"""The commit guard against Faust's own ``Consumer._new_offset`` (bound to a bare consumer state):
Faust alone commits past a tracked, unacked record at a partition's head; guarded, the commit
stops before it and goes on once it is acked."""

from __future__ import annotations

import types
from collections import defaultdict
from typing import Any, NamedTuple

from faust.transport.consumer import Consumer
from intervaltree import IntervalTree

from pipeline.runner.commit_guard import first_unacked, guard_commits


class TP(NamedTuple):
    topic: str
    partition: int


class Message:
    def __init__(self, tp: TP, offset: int) -> None:
        self.topic, self.partition, self.offset = tp.topic, tp.partition, offset
        self.acked = False


class ConsumerState:
    """The attributes Faust's ``_new_offset`` reads, with Faust's method bound to them."""

    def __init__(self) -> None:
        self._gap: Any = defaultdict(IntervalTree)
        self._acked: Any = defaultdict(list)
        self._acked_index: Any = defaultdict(set)
        self._committed_offset: Any = defaultdict(lambda: None)
        self._unacked_messages: set[Message] = set()
        self._new_offset = types.MethodType(Consumer._new_offset, self)

    def ack(self, tp: TP, *offsets: int) -> None:
        for offset in offsets:
            self._acked[tp].append(offset)
            self._acked_index[tp].add(offset)


P0 = TP("posts", 0)


def head_gap() -> tuple[ConsumerState, Message]:
    """Committed up to 5; record 5 read by two agents, acked by one only; 6-8 acked by both."""
    state = ConsumerState()
    state._committed_offset[P0] = 5
    dropped = Message(P0, 5)
    state._unacked_messages.add(dropped)
    state.ack(P0, 6, 7, 8)
    return state, dropped


def test_faust_alone_commits_past_an_unacked_record_at_the_head() -> None:
    state, _dropped = head_gap()
    assert state._new_offset(P0) == 9  # the hole the guard closes


def test_guarded_the_commit_stops_before_it_and_resumes_once_it_is_acked() -> None:
    state, dropped = head_gap()
    guard_commits(state)
    assert state._new_offset(P0) is None
    assert state._acked[P0] == [6, 7, 8] and state._acked_index[P0] == {6, 7, 8}  # kept
    dropped.acked = True  # processed after all (read again, acked)
    state._unacked_messages.discard(dropped)
    state.ack(P0, 5)
    assert state._new_offset(P0) == 9


def test_a_partition_without_a_committed_offset_is_guarded_too() -> None:
    state = ConsumerState()
    state._unacked_messages.add(Message(P0, 0))
    state.ack(P0, 1, 2)
    assert state._new_offset(P0) == 3  # Faust: no head check without a committed offset
    guard_commits(state)
    assert state._new_offset(P0) is None


def test_the_run_before_the_first_unacked_record_is_committed() -> None:
    state = ConsumerState()
    state._committed_offset[P0] = 10
    state.ack(P0, 10, 11, 13, 14)
    state._unacked_messages.add(Message(P0, 12))
    state._unacked_messages.add(Message(TP("posts", 1), 0))  # another partition: irrelevant
    guard_commits(state)
    guard_commits(state)  # idempotent
    assert first_unacked(state, P0) == 12
    assert state._new_offset(P0) == 12
    assert state._acked[P0] == [13, 14]


def test_an_offset_never_delivered_is_passed_over_as_faust_does() -> None:
    state = ConsumerState()
    state._committed_offset[P0] = 5
    state.ack(P0, 6, 7)  # 5 was never delivered (nothing tracks it)
    guard_commits(state)
    assert state._new_offset(P0) == 8


def test_the_worker_app_has_its_commits_and_seeks_guarded(tmp_path: Any) -> None:
    from pipeline.app import create_app
    from pipeline.settings import Settings

    app = create_app(Settings(state_dir=tmp_path))
    assert app.consumer._narrmon_commit_guarded and app.consumer._narrmon_seek_guarded
