"""Demo run leases: a run in progress is listed, a finished or dead one is not (and its stale
lease is removed)."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.demo_leases import active_runs, hold_run, lease_dir, pid_alive


def test_a_held_run_is_active_until_its_block_ends(tmp_path: Path) -> None:
    assert active_runs(tmp_path) == set()
    with hold_run(tmp_path, "aaaa1111") as path:
        assert path.read_text(encoding="utf-8") == str(os.getpid())
        assert active_runs(tmp_path) == {"aaaa1111"}
    assert active_runs(tmp_path) == set()
    assert not path.exists()


def test_leases_of_dead_processes_are_stale_and_removed(tmp_path: Path) -> None:
    folder = lease_dir(tmp_path)
    folder.mkdir(parents=True)
    (folder / "dead0001.pid").write_text("4242", encoding="utf-8")
    (folder / "live0002.pid").write_text("4343", encoding="utf-8")
    (folder / "junk0003.pid").write_text("not a pid", encoding="utf-8")
    assert active_runs(tmp_path, alive=lambda pid: pid == 4343) == {"live0002"}
    assert sorted(p.name for p in folder.iterdir()) == ["live0002.pid"]


def test_pid_alive_sees_this_process_and_not_an_unused_pid() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(2**22 + 12345)  # above Linux's pid_max limit
