"""What to show of a worker log when the worker died: its errors first, then its end.

The end of a Faust worker's log after a crash is its shutdown (every service "Stopping...", then
"We experienced a crash! Reraising original exception..."); the exception that started it was
logged earlier, and during a broker outage among thousands of one-line client errors ("Unable
connect to node ..."). `problems` picks, from a log in the worker's format (``[time] [pid] [LEVEL]
message``, `pipeline.worker`), the CRITICAL records and the ERROR records that carry a traceback
(a crash is logged with one: mode's "Crashed reason=..."), each with its traceback; `death_report`
adds how many one-line errors there were and their distinct messages, then the log's end."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_RECORD = re.compile(r"^\[[^\]]*\] \[\d+\] \[(?P<level>[A-Z]+)\] (?P<message>.*)$")
SERIOUS = frozenset({"ERROR", "CRITICAL"})
MAX_RECORDS = 8
MAX_LINES = 40


@dataclass(frozen=True)
class Problem:
    level: str
    message: str
    text: str  # the record's first line and the lines that continue it
    continued: bool  # it has continuation lines (a traceback)

    @property
    def telling(self) -> bool:
        """CRITICAL, or an error with a traceback: what explains a crash."""
        return self.level == "CRITICAL" or self.continued


def _records(text: str, max_lines: int) -> list[Problem]:
    found: list[Problem] = []
    head: re.Match[str] | None = None
    lines: list[str] = []

    def close() -> None:
        if head is not None:
            found.append(
                Problem(head["level"], head["message"].strip(), "\n".join(lines), len(lines) > 1)
            )

    for line in text.splitlines():
        match = _RECORD.match(line)
        if match is None:
            if head is not None and len(lines) < max_lines:
                lines.append(line)
            continue
        close()
        head, lines = (match, [line]) if match["level"] in SERIOUS else (None, [])
    close()
    return found


def problems(text: str, max_records: int = MAX_RECORDS, max_lines: int = MAX_LINES) -> list[str]:
    """The first ``max_records`` telling records of ``text`` (CRITICAL, or ERROR with a
    traceback), each up to ``max_lines`` lines, in log order."""
    return _telling(_records(text, max_lines), max_records)


def _telling(records: list[Problem], max_records: int) -> list[str]:
    return [p.text for p in records if p.telling][:max_records]


def death_report(text: str, tail_chars: int = 3000, distinct: int = 5) -> str:
    """The log's telling errors (`problems`), a count of its one-line errors with up to
    ``distinct`` of their most frequent messages, then its last ``tail_chars`` characters."""
    records = _records(text, MAX_LINES)
    found = _telling(records, MAX_RECORDS)
    head = "\n".join(found) if found else "(no CRITICAL record and no error with a traceback)"
    plain = Counter(p.message for p in records if not p.telling)
    common = "".join(f"\n  {n} x {message}" for message, n in plain.most_common(distinct))
    return (
        f"first errors:\n{head}\n"
        f"one-line errors: {sum(plain.values())}{common}\n"
        f"--- log end ---\n{text[-tail_chars:]}"
    )
