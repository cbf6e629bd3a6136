"""Recorded frames of the live sources, in each platform's documented format (one per line)."""

from __future__ import annotations

from pathlib import Path

FRAMES = Path(__file__).parent


def lines(name: str) -> list[bytes]:
    """The frames of `name` (a file in this folder), one per non-empty line, as bytes."""
    return [line for line in (FRAMES / name).read_bytes().split(b"\n") if line.strip()]
