"""file_sd scrape targets for the local Prometheus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.settings import Settings
from pipeline.stack import register_scrape_target, unregister_scrape_target


def test_register_writes_a_file_sd_document_the_job_glob_matches(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    path = register_scrape_target(settings, "narrmon-worker", "worker/1", "127.0.0.1:29100")
    assert path.parent == tmp_path / "state" / "prometheus" / "targets"
    assert path.match("narrmon-worker--*.json")
    assert json.loads(path.read_text(encoding="utf-8")) == [
        {"targets": ["127.0.0.1:29100"], "labels": {"instance_name": "worker/1"}}
    ]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    unregister_scrape_target(path)
    assert not path.exists()
    unregister_scrape_target(path)  # idempotent


def test_unknown_job_is_rejected(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")
    with pytest.raises(ValueError, match="unknown scrape job"):
        register_scrape_target(settings, "nobody-scrapes-this", "x", "127.0.0.1:1")
