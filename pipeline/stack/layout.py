"""Where the local stack keeps things on disk, derived from `Settings` (pure, no I/O).

- Cache (`settings.cache_dir`, default ``~/.cache/narrmon``): what is downloaded once and reused:
  ``m2/`` (the Maven local repository), ``kafka-<v>/libs/`` (broker jars),
  ``downloads/`` (the Elasticsearch zip) and ``elasticsearch-<v>/`` (the unpacked distribution).
- State (`settings.state_dir`, default ``~/.local/state/narrmon``): what a running stack writes:
  ``run/<service>.pid``, ``run/background/`` (demo workers and other processes narrmon left
  running, see `background.py`), ``logs/<service>.log``, and one folder per service with its
  rendered configuration and data (``kafka/``, ``elasticsearch/``, ``prometheus/``,
  ``alertmanager/``).
- Templates live in the repository's ``deploy/`` folder (`DEPLOY_DIR`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.settings import Settings

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy"

SERVICES: tuple[str, ...] = (
    "kafka",
    "elasticsearch",
    "prometheus",
    "alertmanager",
    "alert-receiver",
)


@dataclass(frozen=True)
class StackLayout:
    """Paths of the local stack. Build with `StackLayout.of(settings)`."""

    cache_dir: Path
    state_dir: Path
    deploy_dir: Path

    @classmethod
    def of(cls, settings: Settings, deploy_dir: Path = DEPLOY_DIR) -> StackLayout:
        return cls(
            cache_dir=settings.cache_dir, state_dir=settings.state_dir, deploy_dir=deploy_dir
        )

    @property
    def m2_repo(self) -> Path:
        return self.cache_dir / "m2"

    @property
    def downloads(self) -> Path:
        return self.cache_dir / "downloads"

    @property
    def log_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def background_dir(self) -> Path:
        return self.run_dir / "background"

    def log_file(self, service: str) -> Path:
        return self.log_dir / f"{service}.log"

    def pid_file(self, service: str) -> Path:
        return self.run_dir / f"{service}.pid"

    def service_dir(self, service: str) -> Path:
        return self.state_dir / service

    @property
    def scrape_targets_dir(self) -> Path:
        """Prometheus reads file_sd target files ``*.json`` from here (see `targets.py`)."""
        return self.service_dir("prometheus") / "targets"
