"""Runbooks a stranger can follow: one per alert, the same four parts, commands for the local
stack and for Kubernetes, and every `narrmon` command, option and `narrmon_*` metric they name
exists (commands are resolved through the real click group, metrics through `pipeline.metrics`)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
import yaml

from pipeline.cli import main
from tests.unit.deploy.promql_names import is_defined

ROOT = Path(__file__).resolve().parents[3]
RUNBOOKS = ROOT / "docs" / "runbooks"
RULES = ROOT / "deploy" / "prometheus" / "rules"
SECTIONS = (
    "## What it means",
    "## How to confirm",
    "## How to mitigate",
    "## How to tell it is resolved",
)
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.S)
_COMMAND = re.compile(r"(?:^|[\s(;|&])(narrmon(?:(?= )[^`;|&)\n]+)?)(?=[\s`;|&)]|$)")
_NAMESPACE = re.compile(r"(?:-n|--namespace)[ =]narrmon\b")
_METRIC = re.compile(r"\bnarrmon_[A-Za-z0-9_]*[A-Za-z0-9]")


def _alerts() -> list[str]:
    groups = [
        g for p in sorted(RULES.glob("*.yml")) for g in yaml.safe_load(p.read_text())["groups"]
    ]
    return [r["alert"] for g in groups for r in g["rules"] if "alert" in r]


def _runbooks() -> list[Path]:
    return sorted(p for p in RUNBOOKS.glob("*.md") if p.name != "README.md")


def commands_in(text: str) -> list[list[str]]:
    """`narrmon ...` command lines inside code spans and blocks, split like a shell would."""
    found = []
    for code in _CODE.findall(text):
        for match in _COMMAND.finditer(_NAMESPACE.sub(" ", code.strip("`"))):
            try:
                found.append(shlex.split(match.group(1)))
            except ValueError:
                found.append(match.group(1).split())
    return found


def check_command(words: list[str]) -> str | None:
    """None when `words` (starting with "narrmon") names an existing command path and only
    options that command declares; otherwise what is wrong."""
    command: click.Command = main
    ctx = click.Context(main, info_name="narrmon")
    path = ["narrmon"]
    for word in words[1:]:
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            options = {opt for p in command.params for opt in p.opts + p.secondary_opts}
            if name not in options | {"--help"}:
                return f"{' '.join(path)} has no option {name}"
            continue
        if isinstance(command, click.Group):
            sub = command.get_command(ctx, word)
            if sub is None:
                return f"{' '.join(path)} has no command {word!r}"
            command = sub
            path.append(word)
            ctx = click.Context(command, info_name=word, parent=ctx)
    return None


def test_every_alert_has_a_runbook_and_every_runbook_an_alert() -> None:
    alerts = set(_alerts())
    runbooks = {p.stem for p in _runbooks()}
    assert alerts == runbooks


@pytest.mark.parametrize("path", _runbooks(), ids=lambda p: p.stem)
def test_runbook_has_the_four_parts_for_both_platforms(path: Path) -> None:
    text = path.read_text()
    assert text.startswith(f"# {path.stem}\n")
    positions = [text.find(section) for section in SECTIONS]
    assert -1 not in positions, f"missing {SECTIONS[positions.index(-1)]}"
    assert positions == sorted(positions), "sections out of order"
    confirm = text[positions[1] : positions[2]]
    assert "kubectl -n narrmon" in confirm or "Kubernetes" in confirm, "no Kubernetes check"
    assert "narrmon " in confirm or "127.0.0.1" in confirm, "no local-stack check"
    for line in text.splitlines():
        assert "`$NARRMON_STATE_DIR" not in line  # name real paths or commands


def test_runbooks_name_commands_at_all() -> None:
    named = {" ".join(w[:3]) for p in _runbooks() for w in commands_in(p.read_text())}
    assert {"narrmon stack targets", "narrmon hits review", "narrmon index info"} <= named


@pytest.mark.parametrize("path", [*_runbooks(), RUNBOOKS / "README.md"], ids=lambda p: p.stem)
def test_every_narrmon_command_named_exists(path: Path) -> None:
    commands = commands_in(path.read_text())
    for words in commands:
        problem = check_command(words)
        assert problem is None, f"{path.name}: `{' '.join(words)}`: {problem}"


@pytest.mark.parametrize("path", [*_runbooks(), RUNBOOKS / "README.md"], ids=lambda p: p.stem)
def test_every_metric_named_exists(path: Path) -> None:
    undefined = {m for m in _METRIC.findall(path.read_text()) if not is_defined(m)}
    assert not undefined, f"{path.name}: {undefined}"


@pytest.mark.parametrize("path", _runbooks(), ids=lambda p: p.stem)
def test_kubectl_commands_use_the_real_names(path: Path) -> None:
    for code in _CODE.findall(path.read_text()):
        for line in code.strip("`").splitlines():
            if "kubectl" not in line:
                continue
            assert "-n narrmon" in line, line
            for name in re.findall(r"(?:deployment[ /]|deploy/)([a-z-]+)", line):
                assert name in {"narrmon-worker", "narrmon-api"}, line


@pytest.mark.parametrize("path", [*_runbooks(), RUNBOOKS / "README.md"], ids=lambda p: p.stem)
def test_links_between_runbooks_resolve(path: Path) -> None:
    for target in re.findall(r"\]\(([^)#]+\.md)\)", path.read_text()):
        assert (RUNBOOKS / target).is_file(), f"{path.name} links to missing {target}"


def test_the_checker_catches_mistakes() -> None:
    assert check_command(["narrmon", "stack", "targets", "--prune"]) is None
    assert check_command(["narrmon", "hits", "show", "HIT_ID"]) is None
    assert (
        check_command(["narrmon", "stack", "restart"]) == "narrmon stack has no command 'restart'"
    )
    assert check_command(["narrmon", "search", "--frobnicate"]) is not None
    assert check_command(["narrmon", "no-such-command"]) is not None
    assert commands_in(
        "run `narrmon stack status` and\n```\nnarrmon worker --catalog X\n```"
        " `kubectl -n narrmon get pods | grep narrmon-worker`"
    ) == [["narrmon", "stack", "status"], ["narrmon", "worker", "--catalog", "X"]]
    assert not is_defined("narrmon_no_such_metric_total")
