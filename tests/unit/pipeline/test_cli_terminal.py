"""The analyst's terminal output: plain text, full ids, 80 columns, JSON on read commands, the
bundled catalog by default, and help without markup."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from pipeline.cli import main
from pipeline.cli.hit_text import highlighted, hit_block, hit_detail, render_lines

LONG_ID = "bluesky:at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.feed.post/3lapzcjf7u6ne:n-rigged"


def render(block: tuple[str, Any], width: int) -> list[str]:
    """What the CLI prints for `block` at `width` columns (not a terminal: no styles)."""
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    return render_lines(console, block)


def api_hit() -> dict[str, Any]:
    return {
        "id": LONG_ID,
        "fields": {
            "post.created_at": "2024-11-06T00:00:27Z",
            "post.platform": "bluesky",
            "post.author.handle": "northern-heron76.bsky.social",
            "post.author.followers": 1954,
            "post.engagement.likes": 10,
            "post.engagement.views": 6391,
            "post.text": "unused when highlighted",
            "narrative.id": "n-rigged",
            "narrative.severity": "high",
            "stance": "promotes",
            "scores.combined": 0.9123,
            "review.state": None,
        },
        "highlight": {
            "post.text": [
                "That&#x27;s why the <mark>machines</mark> &lt;b&gt;flipped&lt;/b&gt; votes, "
                "everyone in my precinct says so and nobody is listening to any of us at all"
            ]
        },
    }


def test_highlights_are_plain_text_with_bold_marks() -> None:
    text = highlighted(["That&#x27;s <mark>rigged</mark> &amp; <mark>&lt;b&gt;</mark>", "two"])
    assert text.plain == "That's rigged & <b> … two"
    bold = [text.plain[span.start : span.end] for span in text.spans if span.style == "bold"]
    assert bold == ["rigged", "<b>"]


@pytest.mark.parametrize("width", [80, 60, 200])
def test_search_result_fits_the_width_with_the_full_id(width: int) -> None:
    lines = render(hit_block(api_hit()), width)
    assert lines[0] == LONG_ID  # whole, on its own line, pasteable into `hits show`
    assert all(len(line) <= width for line in lines[1:]), lines
    body = " ".join(line.strip() for line in lines)
    assert "That's why the machines <b>flipped</b> votes" in body
    assert "&#x27;" not in body and "&lt;" not in body
    assert "1,954 followers · 10 likes · 6,391 views" in body
    assert "n-rigged · high · promotes · score 0.91 · unreviewed" in body
    assert all(line == line.rstrip() for line in lines), "no trailing blanks"
    # words are never split one per line: most lines carry several words
    text_lines = [line for line in lines[4:] if line.strip()]
    assert all(len(line.split()) > 2 for line in text_lines[:-1]), text_lines


def test_hit_detail_is_plain_and_wraps() -> None:
    detail = {
        "id": LONG_ID,
        "index": "narrmon-hits-2024.11",
        "hit": {
            "post": {
                "platform": "bluesky",
                "created_at": "2024-11-06T00:00:27Z",
                "author": {"handle": "a", "followers": 3},
                "url": "https://example.org/" + "x" * 120,
                "text": "Dead voters [bold]decided[/] it " * 10,
            },
            "narrative": {"id": "n-rigged", "title": "Machines", "severity": "high"},
            "stance": "debunks",
            "explanation": {"summary": "close", "fused_score": 0.7, "threshold": 0.6},
        },
        "review": {"state": "correct_no_action", "reviewer": "ana"},
        "history": [
            {
                "at": "2024-11-07T10:00:00Z",
                "reviewer": "ana",
                "before": {"state": "unreviewed"},
                "after": {"state": "correct_no_action"},
                "note": "debunks it",
            }
        ],
    }
    lines = render(hit_detail(detail), 80)
    text = "\n".join(lines)
    assert lines[0] == LONG_ID
    assert "[bold]decided[/]" in text  # post text is never read as markup
    assert "score 0.700 (threshold 0.6; dense ?, lexical ?)" in text
    assert "unreviewed -> correct_no_action (debunks it)" in text
    assert all(len(line) <= 80 for line in lines[1:]), lines  # long URLs fold, never overflow


def _commands(group: click.Group, ctx: click.Context, prefix: str = "") -> list[str]:
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        path = f"{prefix} {name}".strip()
        found.append(path)
        if isinstance(command, click.Group):
            found += _commands(command, click.Context(command, parent=ctx), path)
    return found


def test_help_has_no_raw_markup() -> None:
    ctx = click.Context(main)
    for path in _commands(main, ctx):
        result = CliRunner().invoke(main, [*path.split(), "--help"], terminal_width=80)
        assert result.exit_code == 0, path
        assert "`" not in result.output, f"narrmon {path} --help:\n{result.output}"


@pytest.mark.parametrize(
    "args",
    [
        ["search", "--json", "--help"],
        ["hits", "show", "--json", "--help"],
        ["catalog", "list", "--json", "--help"],
        ["catalog", "show", "x", "--json", "--help"],
        ["index", "info", "--json", "--help"],
    ],
)
def test_every_read_command_takes_json(args: list[str]) -> None:
    assert CliRunner().invoke(main, args).exit_code == 0


@pytest.fixture
def no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in (
        "NARRMON_ENV_FILE",
        "NARRMON_CATALOG__PATH",
        "NARRMON_ELASTICSEARCH__INDEX_PREFIX",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NARRMON_STATE_DIR", str(tmp_path))
    return tmp_path


def test_catalog_commands_default_to_the_bundled_catalog_and_say_so(no_config: Path) -> None:
    listed = CliRunner().invoke(main, ["catalog", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.stdout)
    assert body["catalog"] == "election-2024"
    ids = [n["id"] for n in body["narratives"]]
    assert "ballot-mules-mass-fraud" in ids
    assert "election-2024.yaml" in listed.stderr

    plain = CliRunner().invoke(main, ["catalog", "list"])
    assert plain.stdout.splitlines()[0].split("\t")[0] == ids[0]

    shown = CliRunner().invoke(main, ["catalog", "show", "ballot-mules-mass-fraud"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("ballot-mules-mass-fraud\n")
    assert "exemplars" in shown.stdout
    as_json = CliRunner().invoke(main, ["catalog", "show", "ballot-mules-mass-fraud", "--json"])
    assert json.loads(as_json.stdout)["id"] == "ballot-mules-mass-fraud"


def test_catalog_path_is_taken_the_same_way_by_every_command(
    no_config: Path, tmp_path: Path
) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        "catalog: one\nnarratives:\n  - id: only-one\n    title: Only\n    exemplars: [x]\n"
    )
    for args in (
        ["catalog", "list", str(path)],
        ["catalog", "list", "--catalog", str(path)],
        ["catalog", "show", "only-one", str(path)],
        ["catalog", "show", "only-one", "--catalog", str(path)],
        ["catalog", "validate", "--catalog", str(path)],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
        assert "only-one" in result.stdout or "ok: one" in result.stdout
    other = tmp_path / "other.yaml"
    other.write_text(path.read_text())
    both = CliRunner().invoke(main, ["catalog", "list", str(path), "--catalog", str(other)])
    assert both.exit_code == 2
    assert "not both" in both.output


def test_review_labels_agree_with_the_index_mapping() -> None:
    from pipeline.api.reviews import REVIEW_LABELS
    from pipeline.elastic.schema.mapping import REVIEW_LABELS as MAPPED

    assert REVIEW_LABELS == MAPPED
    assert "correct_no_action" in REVIEW_LABELS
