"""The local stack's scrape targets: `pipeline.file_sd` pointed at the stack's file_sd directory
(``<state_dir>/prometheus/targets``, read by ``deploy/prometheus/prometheus.yml``) with the TTL from
``settings.prometheus.dead_target_ttl_s``. See `pipeline.file_sd` for the target lifecycle."""

from __future__ import annotations

from pathlib import Path

from pipeline.file_sd import (
    TargetInfo,
    list_targets,
    remove_target_file,
    sweep_expired,
    write_target_file,
)
from pipeline.settings import Settings
from pipeline.stack.layout import StackLayout

__all__ = [
    "TargetInfo",
    "list_scrape_targets",
    "register_scrape_target",
    "sweep_expired_targets",
    "unregister_scrape_target",
]


def _directory(settings: Settings) -> Path:
    return StackLayout.of(settings).scrape_targets_dir


def register_scrape_target(settings: Settings, job: str, name: str, host_port: str) -> Path:
    """Ask the local Prometheus to scrape ``http://<host_port>/metrics`` under `job`; return the
    file written (`pipeline.file_sd.write_target_file`). Raises `ValueError` for an unknown job."""
    ttl = settings.prometheus.dead_target_ttl_s
    return write_target_file(_directory(settings), job, name, host_port, ttl_s=ttl)


def unregister_scrape_target(path: Path) -> None:
    """Remove a file written by `register_scrape_target`; a missing file is fine."""
    remove_target_file(path)


def sweep_expired_targets(settings: Settings, now: float | None = None) -> list[Path]:
    """Drop the local stack's targets of dead processes older than the TTL; return them."""
    return sweep_expired(_directory(settings), settings.prometheus.dead_target_ttl_s, now)


def list_scrape_targets(settings: Settings, now: float | None = None) -> list[TargetInfo]:
    """The local stack's targets with owner, liveness and heartbeat age."""
    return list_targets(_directory(settings), settings.prometheus.dead_target_ttl_s, now)
