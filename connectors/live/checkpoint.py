"""Checkpoints of live sources: one JSON file per source name under a state folder.

Written atomically (a temporary file in the same folder, fsync, rename), so a crash leaves either
the old or the new checkpoint, never half of one. The runner saves only after the producer has
acknowledged every record queued before the checkpoint's position.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class CheckpointError(RuntimeError):
    """A checkpoint file exists but cannot be read as a JSON object (the message names it)."""


def checkpoint_path(directory: Path, source: str) -> Path:
    """``{directory}/{source with unsafe characters replaced}.json``."""
    name = _UNSAFE.sub("_", source).strip("._") or "source"
    return directory / f"{name}.json"


class CheckpointStore:
    """Load and save the checkpoint of one source. Blocking (small file I/O)."""

    def __init__(self, directory: Path, source: str) -> None:
        self.path = checkpoint_path(directory, source)

    def load(self) -> dict[str, Any] | None:
        """The saved state, or None when there is none. Raises `CheckpointError`."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CheckpointError(f"{self.path}: {exc}") from exc
        try:
            state = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CheckpointError(
                f"{self.path}: line {exc.lineno}: not JSON ({exc.msg}); "
                "delete it to start from the live edge"
            ) from exc
        if not isinstance(state, dict):
            raise CheckpointError(f"{self.path}: a checkpoint must be a JSON object")
        return state

    def save(self, state: Mapping[str, Any]) -> None:
        """Replace the checkpoint with `state` atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(state, ensure_ascii=False, sort_keys=True).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
