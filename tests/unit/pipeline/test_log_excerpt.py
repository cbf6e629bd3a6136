"""The errors that explain a dead worker are shown before its shutdown noise."""

from __future__ import annotations

from pipeline.log_excerpt import death_report, problems

NOISE = "".join(
    f"[2026-11-30 11:24:1{i % 10},000] [14332] [ERROR] Unable connect to node with id 1\n"
    for i in range(50)
)
LOG = (
    "[2026-11-30 11:24:10,001] [14332] [INFO] [^Worker]: Ready\n"
    + NOISE
    + """\
[2026-11-30 11:24:20,500] [14332] [WARNING] Heartbeat failed: coordinator dead
[2026-11-30 11:24:21,002] [14332] [ERROR] [^---AIOKafkaConsumerThread]: Crashed reason=X()
Traceback (most recent call last):
  File "aiokafka.py", line 3, in _commit
    await consumer.commit(offsets)
X: the cause
[2026-11-30 11:24:21,003] [14332] [INFO] [^Worker]: Stopping...
[2026-11-30 11:24:40,000] [14332] [ERROR] Unable to update metadata from [1]
[2026-11-30 11:24:42,274] [14332] [ERROR] [^--Consumer]: Error while stopping child
RuntimeError: Event loop is closed
[2026-11-30 11:24:43,278] [14332] [CRITICAL] [^Worker]: We experienced a crash!
"""
)


def test_problems_keeps_critical_records_and_errors_with_tracebacks_in_order() -> None:
    found = problems(LOG)
    assert len(found) == 3
    assert found[0].startswith("[2026-11-30 11:24:21,002] [14332] [ERROR]")
    assert found[0].endswith("X: the cause")
    assert "Event loop is closed" in found[1]
    assert "[CRITICAL]" in found[2]


def test_problems_leaves_out_one_line_errors_info_and_warnings() -> None:
    joined = "\n".join(problems(LOG))
    for left_out in ("Unable connect", "Unable to update", "Heartbeat failed", "Ready"):
        assert left_out not in joined


def test_problems_caps_records_and_traceback_lines() -> None:
    many = "".join(
        f"[t] [1] [ERROR] boom {i}\n" + "".join(f"  line {j}\n" for j in range(100))
        for i in range(20)
    )
    found = problems(many, max_records=3, max_lines=5)
    assert [block.splitlines()[0] for block in found] == [
        "[t] [1] [ERROR] boom 0",
        "[t] [1] [ERROR] boom 1",
        "[t] [1] [ERROR] boom 2",
    ]
    assert all(len(block.splitlines()) == 5 for block in found)


def test_death_report_puts_the_cause_before_the_tail_even_when_the_tail_drops_it() -> None:
    report = death_report(LOG, tail_chars=80)
    assert report.index("X: the cause") < report.index("--- log end ---")
    assert report.endswith(LOG[-80:])


def test_death_report_counts_one_line_errors_by_message() -> None:
    report = death_report(LOG)
    assert "one-line errors: 51" in report
    assert "50 x Unable connect to node with id 1" in report
    assert "1 x Unable to update metadata from [1]" in report


def test_death_report_says_when_nothing_explains_the_exit() -> None:
    report = death_report("[t] [1] [INFO] fine\n[t] [1] [ERROR] one line\n")
    assert "(no CRITICAL record and no error with a traceback)" in report
    assert "one-line errors: 1" in report
