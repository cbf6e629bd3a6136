"""Which data and which catalog a read command uses, and saying so.

Settings come from the environment (and ``NARRMON_ENV_FILE``) as everywhere. When neither that
file nor an index prefix is given and a demo kept running by ``narrmon demo --keep-running`` is
alive, the read commands (``search``, ``hits``, ``index info``, ``catalog``, ``api``) use that
demo's handoff file, so the demo's hits are what you see first. The catalog defaults to the
configured one, else the bundled example catalog (``election-2024.yaml``).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from pipeline.settings import Settings

_EXPLICIT = ("NARRMON_ENV_FILE", "NARRMON_ELASTICSEARCH__INDEX_PREFIX")


def load_settings(announce: bool = True) -> Settings:
    """`Settings.load()`, or the running demo's settings when nothing names other data. With
    `announce`, says on stderr that the demo's data is used and how to choose other data."""
    settings = Settings.load()
    if any(os.environ.get(name) for name in _EXPLICIT):
        return settings
    from pipeline.demo_session import running_demo

    demo = running_demo(settings.state_dir)
    if demo is None:
        return settings
    if announce:
        click.echo(
            f"using the running demo's data ({demo.env_file}); "
            "set NARRMON_ENV_FILE or NARRMON_ELASTICSEARCH__INDEX_PREFIX for other data",
            err=True,
        )
    return Settings(_env_file=demo.env_file)


def bundled_catalog() -> Path:
    """The example catalog shipped with narrmon (what ``narrmon demo`` matches against)."""
    from pipeline.demo import example_catalog

    return example_catalog()


def catalog_path(settings: Settings) -> Path:
    """``catalog.path`` when configured, else the bundled example catalog."""
    return settings.catalog.path or bundled_catalog()
