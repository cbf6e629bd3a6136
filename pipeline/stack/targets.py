"""Make the local Prometheus scrape an endpoint: file_sd target files (no restart, no reload).

`register_scrape_target(settings, job, name, host_port)` writes
``<state_dir>/prometheus/targets/<job>--<name>.json`` (`pipeline.file_sd.write_target_file` in the
local stack's targets directory); Prometheus' ``file_sd_configs`` for that job (see
``deploy/prometheus/prometheus.yml``) picks it up within its refresh interval (5 s) and scrapes it
every ``settings.prometheus.scrape_interval_s``. Each target carries the label
``instance_name=<name>``. `unregister_scrape_target(path)` removes the file (idempotent).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.file_sd import JOBS, remove_target_file, target_file_content, write_target_file
from pipeline.settings import Settings
from pipeline.stack.layout import StackLayout

__all__ = ["JOBS", "register_scrape_target", "target_file_content", "unregister_scrape_target"]


def register_scrape_target(settings: Settings, job: str, name: str, host_port: str) -> Path:
    """Ask the local Prometheus to scrape ``http://<host_port>/metrics`` under `job`; return the
    file written. `job` must be one of `JOBS` (raises `ValueError` otherwise)."""
    return write_target_file(StackLayout.of(settings).scrape_targets_dir, job, name, host_port)


def unregister_scrape_target(path: Path) -> None:
    """Remove a file written by `register_scrape_target`; a missing file is fine."""
    remove_target_file(path)
