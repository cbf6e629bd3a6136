"""Click parameter types shared by the CLI modules (cheap to import: click and pathlib only)."""

from __future__ import annotations

from pathlib import Path

import click

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
"""An existing regular file, passed to the command as a `Path`."""
