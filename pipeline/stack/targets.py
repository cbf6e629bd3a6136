"""Make the local Prometheus scrape an endpoint: file_sd target files (no restart, no reload).

`register_scrape_target(settings, job, name, host_port)` writes
``<state_dir>/prometheus/targets/<job>--<name>.json``; Prometheus' ``file_sd_configs`` for that job
(see ``deploy/prometheus/prometheus.yml``) picks it up within its refresh interval (5 s) and scrapes
it every ``settings.prometheus.scrape_interval_s``. Each target carries the label
``instance_name=<name>``. `unregister_scrape_target(path)` removes the file (idempotent).
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from pipeline.settings import Settings
from pipeline.stack.layout import StackLayout

logger = logging.getLogger(__name__)

JOBS: tuple[str, ...] = ("narrmon-worker", "narrmon-connector", "narrmon-test")

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def target_file_content(name: str, host_port: str) -> list[dict[str, object]]:
    """The file_sd JSON document for one target (pure)."""
    return [{"targets": [host_port], "labels": {"instance_name": name}}]


def register_scrape_target(settings: Settings, job: str, name: str, host_port: str) -> Path:
    """Ask Prometheus to scrape ``http://<host_port>/metrics`` under `job`; return the file written.

    `job` must be one of `JOBS` (the jobs the Prometheus config reads file_sd files for); raises
    `ValueError` otherwise. Writing is atomic; registering the same job/name again replaces it.
    """
    if job not in JOBS:
        raise ValueError(f"unknown scrape job {job!r}; Prometheus only reads {', '.join(JOBS)}")
    directory = StackLayout.of(settings).scrape_targets_dir
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{job}--{_SAFE_NAME.sub('_', name)}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(target_file_content(name, host_port)), encoding="utf-8")
    tmp.replace(path)
    logger.info("registered scrape target %s (%s) for job %s at %s", name, host_port, job, path)
    return path


def unregister_scrape_target(path: Path) -> None:
    """Remove a file written by `register_scrape_target`; a missing file is fine."""
    path.unlink(missing_ok=True)
