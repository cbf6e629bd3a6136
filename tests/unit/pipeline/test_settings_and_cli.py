"""Settings and CLI promises: env overrides, frozen, secrets hidden, lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from pipeline.cli import _COMMANDS, LazyGroup, main
from pipeline.settings import Settings


def test_env_prefix_and_nested_groups_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARRMON_KAFKA__PORT", "39092")
    monkeypatch.setenv("NARRMON_MATCHER__THRESHOLD", "0.7")
    monkeypatch.setenv("NARRMON_TOPICS__PARTITIONS", "3")
    settings = Settings.load()
    assert settings.kafka.bootstrap == "127.0.0.1:39092"
    assert settings.matcher.threshold == 0.7
    assert settings.topics.partitions == 3


def test_env_file_named_by_narrmon_env_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = tmp_path / "narrmon.env"
    env.write_text("NARRMON_ELASTICSEARCH__PORT=39200\n")
    monkeypatch.setenv("NARRMON_ENV_FILE", str(env))
    assert Settings.load().elasticsearch.endpoint == "http://127.0.0.1:39200"


def test_invalid_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARRMON_MATCHER__THRESHOLD", "2.5")
    with pytest.raises(ValidationError) as info:
        Settings.load()
    assert "matcher.threshold" in str(info.value)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.cache_dir = settings.state_dir  # type: ignore[misc]


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARRMON_API__TOKEN", "s3cret-token")
    settings = Settings.load()
    assert settings.api.token is not None
    assert settings.api.token.get_secret_value() == "s3cret-token"
    assert "s3cret-token" not in repr(settings)
    assert "s3cret-token" not in str(settings.model_dump())


def test_every_registered_command_resolves_to_a_click_command() -> None:
    group = main
    assert isinstance(group, LazyGroup)
    ctx = click.Context(group)
    for name in _COMMANDS:
        command = group.get_command(ctx, name)
        assert isinstance(command, click.Command), name
    assert set(group.list_commands(ctx)) == set(_COMMANDS)


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in ("stack", "demo", "worker", "ingest", "catalog", "eval", "api", "search"):
        assert name in result.output


def test_help_imports_no_heavy_library() -> None:
    """`narrmon --help` must be instant: no torch, Faust, sentence-transformers or ES client."""
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from pipeline.cli import main\n"
        "for args in (['--help'], ['demo', '--help'], ['worker', '--help'], ['eval', '--help']):\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0, args\n"
        "heavy = {'torch', 'faust', 'sentence_transformers', 'elasticsearch', 'kafka'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
