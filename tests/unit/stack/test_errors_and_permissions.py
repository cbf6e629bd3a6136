"""Operator-facing failures and the Elasticsearch-as-root permission fix, without services."""

from __future__ import annotations

import pwd
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.stack import MissingToolError
from pipeline.stack.elasticsearch import grant_traversal
from pipeline.stack.provision import require_tool


def test_missing_tool_names_it_and_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MissingToolError, match=r"^mvn is missing: install Apache Maven"):
        require_tool("mvn")


def test_cli_turns_a_missing_java_into_one_sentence_and_exit_code_1(tmp_path: Path) -> None:
    env = {
        "PATH": "/nonexistent",
        "NARRMON_STATE_DIR": str(tmp_path / "state"),
        "NARRMON_CACHE_DIR": str(tmp_path / "cache"),
    }
    result = CliRunner().invoke(main, ["stack", "up"], env=env)
    assert result.exit_code == 1
    assert result.output.strip().startswith("narrmon: java is missing: install a Java 17+")
    assert "Traceback" not in result.output


def test_grant_traversal_adds_only_the_search_bit_where_missing(tmp_path: Path) -> None:
    locked = tmp_path / "home"
    target = locked / "cache" / "elasticsearch"
    target.mkdir(parents=True)
    locked.chmod(0o700)
    stranger = pwd.struct_passwd(("es", "x", 54321, 54321, "", "/nonexistent", "/bin/false"))

    lacking = [
        folder
        for folder in reversed(target.resolve().parents)
        if not folder.stat().st_mode & stat.S_IXOTH
    ]
    modes_before = {folder: stat.S_IMODE(folder.stat().st_mode) for folder in lacking}

    changed = grant_traversal(target, stranger)

    assert locked in changed
    assert changed == lacking
    for folder in changed:
        assert stat.S_IMODE(folder.stat().st_mode) == modes_before[folder] | stat.S_IXOTH
    assert stat.S_IMODE(locked.stat().st_mode) == 0o701
    assert grant_traversal(target, stranger) == []
