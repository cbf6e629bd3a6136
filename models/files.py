"""Writing a file so that readers, and other processes writing it at the same time, only ever see
a complete version: write a temporary file with a name unique to this call in the same folder,
then rename it over the target (atomic on POSIX). No two writers ever share a temporary file.
`write_json` is the same for a JSON document in the layout every shipped model file uses."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: Path, data: bytes | str) -> None:
    """Replace `path` with `data` (str is written as UTF-8). Creates the parent folder. Raises
    `OSError`; on failure the temporary file is removed and `path` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: Any) -> None:
    """`write_atomic` of `data` as JSON, one-space indent and a final newline (the layout of the
    shipped calibrators, re-ranker, stance model and targeting classifier)."""
    write_atomic(path, json.dumps(data, indent=1) + "\n")
