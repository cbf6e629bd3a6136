"""file_sd scrape targets for the local Prometheus: registered, refreshed by a heartbeat,
removed on a clean stop, kept for a TTL after their process dies (so WorkerDown fires), then
dropped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.file_sd import (
    HEARTBEAT,
    Owner,
    is_expired,
    owner_alive,
    process_start_ticks,
    target_file_content,
)
from pipeline.settings import Settings
from pipeline.stack import register_scrape_target, unregister_scrape_target
from pipeline.stack.targets import list_scrape_targets, sweep_expired_targets

TTL = 600.0


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        state_dir=tmp_path / "state",
        cache_dir=tmp_path / "cache",
        prometheus={"dead_target_ttl_s": TTL},
    )


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def _write(settings: Settings, name: str, owner: Owner | None, age_s: float) -> Path:
    directory = settings.state_dir / "prometheus" / "targets"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"narrmon-worker--{name}.json"
    path.write_text(json.dumps(target_file_content(name, "127.0.0.1:1", owner)))
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def test_register_writes_a_file_sd_document_naming_its_owner(settings: Settings) -> None:
    path = register_scrape_target(settings, "narrmon-worker", "worker/1", "127.0.0.1:29100")
    try:
        assert path.parent == settings.state_dir / "prometheus" / "targets"
        assert path.match("narrmon-worker--*.json")
        (group,) = json.loads(path.read_text(encoding="utf-8"))
        assert group["targets"] == ["127.0.0.1:29100"]
        assert group["labels"]["instance_name"] == "worker/1"
        # discovery-only labels (Prometheus drops `__` labels before scraping)
        assert group["labels"]["__meta_narrmon_pid"] == str(os.getpid())
        assert Owner.from_labels(group["labels"]) == Owner.current()
        assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    finally:
        unregister_scrape_target(path)
    assert not path.exists()
    unregister_scrape_target(path)  # idempotent


def test_heartbeat_refreshes_registered_files_only(settings: Settings) -> None:
    path = register_scrape_target(settings, "narrmon-worker", "w", "127.0.0.1:1")
    old = time.time() - 300
    os.utime(path, (old, old))
    HEARTBEAT.beat()
    assert time.time() - path.stat().st_mtime < 60
    path.unlink()  # swept by mistake while alive: the heartbeat re-creates it
    HEARTBEAT.beat()
    assert path.exists()
    unregister_scrape_target(path)
    HEARTBEAT.beat()  # a heartbeat after a clean stop never brings the file back
    assert not path.exists()


@pytest.mark.parametrize(
    ("age", "alive", "expired"),
    [
        (TTL + 1, True, False),  # a live process keeps its target whatever its heartbeat
        (TTL - 1, False, False),  # dead, but kept until the TTL so WorkerDown can fire
        (TTL + 1, False, True),
        (TTL - 1, None, False),  # another host's process: its heartbeat decides
        (TTL + 1, None, True),
    ],
)
def test_is_expired(age: float, alive: bool | None, expired: bool) -> None:
    assert is_expired(age, TTL, alive) is expired


def test_owner_alive_detects_dead_and_reused_pids_and_other_hosts() -> None:
    me = Owner.current()
    assert owner_alive(me) is True
    assert owner_alive(Owner(me.host, _dead_pid(), "")) is False
    if process_start_ticks(me.pid):  # Linux: a reused pid has another start time
        assert owner_alive(Owner(me.host, me.pid, "1")) is False
    assert owner_alive(Owner("another-host", me.pid, me.started)) is None


def test_sweep_drops_only_expired_targets(settings: Settings) -> None:
    me = Owner.current()
    dead = Owner(me.host, _dead_pid(), "")
    remote = Owner("another-host", 1, "")
    keep = [
        _write(settings, "alive-stale-heartbeat", me, TTL * 2),
        _write(settings, "dead-recently", dead, TTL / 2),
        _write(settings, "remote-fresh", remote, 10),
    ]
    drop = [
        _write(settings, "dead-long-ago", dead, TTL + 5),
        _write(settings, "remote-stale", remote, TTL + 5),
        _write(settings, "no-owner-stale", None, TTL + 5),
    ]
    assert sorted(sweep_expired_targets(settings)) == sorted(drop)
    assert all(p.exists() for p in keep)
    assert not any(p.exists() for p in drop)


def test_registering_sweeps_dead_targets(settings: Settings) -> None:
    stale = _write(settings, "crashed-hour-ago", Owner(Owner.current().host, _dead_pid()), 3600)
    path = register_scrape_target(settings, "narrmon-worker", "new", "127.0.0.1:2")
    try:
        assert not stale.exists()
    finally:
        unregister_scrape_target(path)


def test_unknown_job_is_rejected(settings: Settings) -> None:
    with pytest.raises(ValueError, match="unknown scrape job"):
        register_scrape_target(settings, "nobody-scrapes-this", "x", "127.0.0.1:1")


def test_list_and_cli_show_state_and_expiry(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = Owner.current()
    _write(settings, "alive", me, 5)
    _write(settings, "dead", Owner(me.host, _dead_pid()), 100)
    by_name = {t.name: t for t in list_scrape_targets(settings)}
    assert by_name["alive"].alive is True and by_name["alive"].expires_in_s is None
    assert by_name["dead"].alive is False
    assert by_name["dead"].expires_in_s == pytest.approx(TTL - 100, abs=5)

    monkeypatch.setenv("NARRMON_STATE_DIR", str(settings.state_dir))
    monkeypatch.setenv("NARRMON_PROMETHEUS__DEAD_TARGET_TTL_S", str(TTL))
    result = CliRunner().invoke(main, ["stack", "targets", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["alive"]["state"] == "alive" and rows["alive"]["pid"] == me.pid
    assert rows["dead"]["state"] == "dead" and rows["dead"]["job"] == "narrmon-worker"
    text = CliRunner().invoke(main, ["stack", "targets"]).output
    assert "dead   narrmon-worker" in text and "expires in" in text
    assert max(len(line) for line in text.splitlines()) <= 80
