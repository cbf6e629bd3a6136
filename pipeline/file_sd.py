"""Announce a ``/metrics`` endpoint to Prometheus through file-based service discovery (file_sd).

`write_target_file(directory, job, name, host_port)` writes ``<directory>/<job>--<name>.json``; a
Prometheus whose ``file_sd_configs`` for `job` read `directory` picks it up within its refresh
interval (no restart, no reload). Each target carries the label ``instance_name=<name>``.
`remove_target_file(path)` removes it (idempotent).

Runtime code (`narrmon worker`, `narrmon ingest --metrics-port`) only writes here when given a
directory (``--register-with DIR``, an opt-in `ScrapeHook`); it never knows where a local
Prometheus keeps its files. `narrmon stack` / `narrmon demo` know that directory (the dev stack's
layout) and pass it.
"""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

JOBS: tuple[str, ...] = ("narrmon-worker", "narrmon-connector", "narrmon-test")
"""The jobs narrmon's Prometheus configuration reads file_sd files for."""

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")

ScrapeHook = Callable[[str, int], Callable[[], None]]
"""``hook(host, port)``: called once a ``/metrics`` endpoint answers; returns the function that
undoes it (called when the process exits). Never raises."""


def target_file_content(name: str, host_port: str) -> list[dict[str, object]]:
    """The file_sd JSON document for one target (pure)."""
    return [{"targets": [host_port], "labels": {"instance_name": name}}]


def write_target_file(directory: Path, job: str, name: str, host_port: str) -> Path:
    """Ask Prometheus to scrape ``http://<host_port>/metrics`` under `job`; return the file written.

    `job` must be one of `JOBS`; raises `ValueError` otherwise, OSError when the directory cannot
    be written. Writing is atomic; registering the same job/name again replaces it."""
    if job not in JOBS:
        raise ValueError(f"unknown scrape job {job!r}; Prometheus only reads {', '.join(JOBS)}")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{job}--{_SAFE_NAME.sub('_', name)}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(target_file_content(name, host_port)), encoding="utf-8")
    tmp.replace(path)
    logger.info("registered scrape target %s (%s) for job %s at %s", name, host_port, job, path)
    return path


def remove_target_file(path: Path) -> None:
    """Remove a file written by `write_target_file`; a missing file is fine."""
    path.unlink(missing_ok=True)


def scrape_target_hook(directory: Path, job: str, name: str) -> ScrapeHook:
    """A `ScrapeHook` registering the endpoint as ``<name>-<hostname>-<port>`` under `job` in
    `directory`, best effort: a failure is logged and the process runs on unregistered."""

    def register(host: str, port: int) -> Callable[[], None]:
        instance = f"{name}-{socket.gethostname()}-{port}"
        try:
            path = write_target_file(directory, job, instance, f"{host}:{port}")
        except (OSError, ValueError) as exc:
            logger.warning("could not register %s with Prometheus: %r", instance, exc)
            return lambda: None
        return lambda: remove_target_file(path)

    return register
