"""The stall detector: records waiting and nothing read for `stall_s` is a stall; progress,
back-pressure, nothing waiting or an unobservable broker are not."""

from __future__ import annotations

from pipeline.stall.detector import OrphanDetector, Snapshot, StallDetector, waiting

P0, P1 = ("posts", 0), ("posts", 1)


def snap(
    read: dict[tuple[str, int], int | None],
    log_end: dict[tuple[str, int], int],
    *,
    fetchable: frozenset[tuple[str, int]] | None = None,
    committed: dict[tuple[str, int], int | None] | None = None,
    held_back: bool = False,
    log_start: dict[tuple[str, int], int] | None = None,
) -> Snapshot:
    return Snapshot(
        read=read,
        committed=committed or {},
        log_end=log_end,
        fetchable=frozenset(read) if fetchable is None else fetchable,
        held_back=held_back,
        log_start=log_start or {},
    )


def test_waiting_counts_records_past_the_last_read_or_the_committed_offset() -> None:
    s = snap({P0: 9, P1: None}, {P0: 15, P1: 4}, committed={P1: 1})
    assert waiting(s) == {P0: 5, P1: 3}
    assert waiting(snap({P0: 14}, {P0: 15})) == {}
    # no read offset and no committed offset: from the log start when it is known
    assert waiting(snap({P0: None}, {P0: 15})) == {}
    assert waiting(snap({P0: None}, {P0: 15}, log_start={P0: 3})) == {P0: 12}
    assert waiting(snap({P0: None}, {P0: 3}, log_start={P0: 3})) == {}
    # a partition it may not fetch (paused for table recovery) is not late
    assert waiting(snap({P0: 1}, {P0: 15}, fetchable=frozenset())) == {}


def test_records_waiting_with_no_progress_for_stall_s_is_a_stall() -> None:
    d = StallDetector(stall_s=30)
    s = snap({P0: 9}, {P0: 20})
    assert d.observe(0, s) == 0.0  # first look: nothing to compare with
    assert d.observe(5, s) == 0.0 and d.healthy is False  # the clock starts
    assert not d.stalled(30, s)
    assert d.stalled(35, s)


def test_progress_restarts_the_clock() -> None:
    d = StallDetector(stall_s=30)
    d.observe(0, snap({P0: 9}, {P0: 20}))
    d.observe(5, snap({P0: 9}, {P0: 20}))
    assert d.observe(30, snap({P0: 10}, {P0: 20})) == 0.0 and d.healthy is True
    assert d.observe(35, snap({P0: 10}, {P0: 20})) == 0.0
    assert d.observe(60, snap({P0: 10}, {P0: 20})) == 25.0


def test_back_pressure_and_an_idle_topic_are_not_stalls() -> None:
    d = StallDetector(stall_s=10)
    for t in range(0, 100, 5):
        assert d.observe(t, snap({P0: 9}, {P0: 20}, held_back=True)) == 0.0
    for t in range(100, 200, 5):
        assert d.observe(t, snap({P0: 19}, {P0: 20})) == 0.0
    assert d.healthy is True


def test_an_unobservable_consumer_restarts_the_clock() -> None:
    d = StallDetector(stall_s=10)
    s = snap({P0: 9}, {P0: 20})
    d.observe(0, s)
    d.observe(5, s)
    assert d.observe(14, None) == 0.0 and d.healthy is None  # broker down: log ends unknown
    assert d.observe(16, s) == 0.0
    assert d.observe(25, s) == 9.0
    assert d.stalled(26, s)


def test_records_waiting_at_a_stopped_flow_with_no_batch_in_flight_become_orphans() -> None:
    d = OrphanDetector(stall_s=20)
    waiting_for = frozenset({("posts", 0, 5), ("hits", 2, 0)})
    assert d.observe(0, flow_stopped=True, unacked=waiting_for, busy=False) == 0.0
    assert d.observe(10, flow_stopped=True, unacked=waiting_for, busy=False) == 10.0
    assert d.observe(25, flow_stopped=True, unacked=waiting_for, busy=False) == 25.0


def test_a_busy_runner_an_ack_or_a_running_flow_restarts_the_orphan_clock() -> None:
    d = OrphanDetector(stall_s=20)
    two = frozenset({("posts", 0, 5), ("posts", 0, 6)})
    one = frozenset({("posts", 0, 6)})
    d.observe(0, flow_stopped=True, unacked=two, busy=False)
    # a runner processing a batch may still ack them (back-pressure): not orphans
    assert d.observe(15, flow_stopped=True, unacked=two, busy=True) == 0.0
    assert d.observe(30, flow_stopped=True, unacked=two, busy=False) == 0.0
    assert d.observe(45, flow_stopped=True, unacked=two, busy=False) == 15.0
    # one was acked: progress, the clock starts again for what still waits
    assert d.observe(50, flow_stopped=True, unacked=one, busy=False) == 0.0
    assert d.observe(60, flow_stopped=True, unacked=one, busy=False) == 10.0
    # the flow runs again (the rebalance ended): records in processing are not waited for
    assert d.observe(70, flow_stopped=False, unacked=one, busy=False) == 0.0
    assert d.observe(200, flow_stopped=True, unacked=frozenset(), busy=False) == 0.0
    assert d.observe(300, flow_stopped=True, unacked=one, busy=False) == 0.0
    d.reset()
    assert d.observe(310, flow_stopped=True, unacked=one, busy=False) == 0.0
