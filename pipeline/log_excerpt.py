"""What to show of a worker log when the worker died: its errors first, then its end.

The end of a Faust worker's log after a crash is its shutdown (every service "Stopping...", then
"We experienced a crash! Reraising original exception..."); the exception that started it was
logged earlier, often thousands of lines before. `problems` picks the ERROR and CRITICAL records
of a log in the worker's format (``[time] [pid] [LEVEL] message``, `pipeline.worker`) with the
traceback lines that follow each, so a test that sees the worker exit can say why."""

from __future__ import annotations

import re

_RECORD = re.compile(r"^\[[^\]]*\] \[\d+\] \[(?P<level>[A-Z]+)\] ")
SERIOUS = frozenset({"ERROR", "CRITICAL"})


def problems(text: str, max_records: int = 8, max_lines: int = 40) -> list[str]:
    """The first ``max_records`` ERROR/CRITICAL records of ``text``, each with the lines that
    continue it (a traceback) up to ``max_lines`` lines, as text blocks in log order."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        match = _RECORD.match(line)
        if match is None:
            if current is not None and len(current) < max_lines:
                current.append(line)
            continue
        if current is not None:
            blocks.append("\n".join(current))
            current = None
        if len(blocks) >= max_records:
            break
        if match.group("level") in SERIOUS:
            current = [line]
    if current is not None and len(blocks) < max_records:
        blocks.append("\n".join(current))
    return blocks


def death_report(text: str, tail_chars: int = 3000) -> str:
    """The log's first errors (see `problems`) followed by its last ``tail_chars`` characters."""
    found = problems(text)
    head = "\n".join(found) if found else "(no ERROR or CRITICAL record)"
    return f"first errors:\n{head}\n--- log end ---\n{text[-tail_chars:]}"
