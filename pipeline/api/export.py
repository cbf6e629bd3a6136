"""Pure rendering of exported hits as CSV or JSON lines (one string per row, streamed).

CSV cells are neutralised against formula injection (OWASP "CSV Injection"): a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be evaluated by a
spreadsheet, so it is prefixed with a single quote and shows as the text it is. Post texts,
handles and URLs come from anyone on the internet. Numbers are left as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from pipeline.api.results import LIST_FIELDS, flatten

CSV_COLUMNS = (*LIST_FIELDS, "explanation.summary", "public_explanation.text")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """`value`, with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A header line, then one CSV line per hit ``_source`` (the `CSV_COLUMNS`, flattened)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: Iterable[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield line(CSV_COLUMNS)
    for row in rows:
        flat = flatten(row, CSV_COLUMNS)
        yield line("" if flat[c] is None else neutralise_cell(flat[c]) for c in CSV_COLUMNS)


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def render(rows: Iterable[dict[str, Any]], format: str) -> tuple[str, Iterator[str]]:
    """(media type, lines) for `format` ``csv`` or ``jsonl``."""
    if format == "csv":
        return "text/csv; charset=utf-8", csv_lines(rows)
    if format == "jsonl":
        return "application/x-ndjson", jsonl_lines(rows)
    raise ValueError(f"unknown export format {format!r}")
