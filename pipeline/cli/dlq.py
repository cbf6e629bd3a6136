"""`narrmon dlq list | show | replay`: inspect dead letters and replay them to the posts topic.

Dead letters are named by their position on the dead-letter topic, ``PARTITION:OFFSET``. A replay
publishes each selected dead letter's original as it is, or the fixed records of a file
(``--from-file``, one post JSON per line), to the posts topic, after checking each parses as a
post and that its id is not already on the posts topic (see `pipeline.dlq.replay`). Errors from
Kafka become one message on stderr and exit code 1; bad options or a bad fix file exit with 2.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import click

from pipeline.cli.params import EXISTING_FILE

if TYPE_CHECKING:
    from pipeline.dlq.letters import Decoded, LetterFilter
    from pipeline.settings import Settings


def _reasons() -> list[str]:
    from models.dead_letters import DeadLetterReason

    return list(get_args(DeadLetterReason))


def _time(value: str | None, option: str) -> datetime | None:
    from pipeline.api.params import ParamError, parse_time

    if value is None:
        return None
    try:
        return parse_time(value, option)
    except ParamError as exc:
        raise click.BadParameter(exc.message, param_hint=option) from exc


def _filter(
    reason: tuple[str, ...],
    source: tuple[str, ...],
    since: str | None,
    until: str | None,
    refs: tuple[str, ...] = (),
) -> LetterFilter:
    from pipeline.dlq.letters import LetterFilter, parse_ref

    for ref in refs:
        try:
            parse_ref(ref)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="ID") from exc
    return LetterFilter(
        reasons=frozenset(reason),
        sources=frozenset(source),
        since=_time(since, "--since"),
        until=_time(until, "--until"),
        refs=frozenset(r.strip() for r in refs),
    )


def _read(settings: Settings) -> Decoded:
    from connectors.topic_reader import TopicReadError
    from pipeline.dlq.store import read_letters

    try:
        decoded = read_letters(settings)
    except TopicReadError as exc:
        raise click.ClickException(str(exc)) from exc
    if decoded.unreadable:
        shown = ", ".join(decoded.unreadable[:5])
        click.echo(
            f"narrmon dlq: {len(decoded.unreadable)} records on {settings.topics.dead_letter} "
            f"are not dead letters ({shown}{', ...' if len(decoded.unreadable) > 5 else ''})",
            err=True,
        )
    return decoded


def _settings() -> Settings:
    from pipeline.settings import Settings

    return Settings.load()


def _filter_options(command: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--reason", multiple=True, type=click.Choice(_reasons()), help="Repeatable."
            ),
            click.option("--source", multiple=True, help="Exact source name (repeatable)."),
            click.option("--since", help="Dead-lettered at or after: ISO 8601 or 24h, 7d."),
            click.option("--until", help="Dead-lettered before: ISO 8601 or 24h, 7d."),
        ]
    ):
        command = option(command)
    return command


@click.group()
def dlq() -> None:
    """Inspect dead letters and replay them (fixed or not) to the posts topic."""


@dlq.command("list")
@_filter_options
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: totals and letters.")
def list_letters(
    *,
    reason: tuple[str, ...],
    source: tuple[str, ...],
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List dead letters, newest first, with counts by reason and source."""
    from pipeline.dlq.letters import select, summary, summary_line, tally

    wanted = _filter(reason, source, since, until)
    settings = _settings()
    letters = _read(settings).letters
    matching = select(letters, wanted)
    shown = matching[:limit]
    if as_json:
        body = {
            "topic": settings.topics.dead_letter,
            "total": len(letters),
            "matching": len(matching),
            **tally(matching),
            "letters": [summary(s) for s in shown],
        }
        click.echo(json.dumps(body, ensure_ascii=False))
        return
    counts = tally(matching)["by_reason"]
    by_reason = ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"
    click.echo(
        f"{len(matching)} of {len(letters)} dead letters on {settings.topics.dead_letter} "
        f"match ({by_reason}); showing {len(shown)}"
    )
    for stored in shown:
        click.echo(summary_line(stored))


@dlq.command()
@click.argument("ref", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option(
    "--original",
    is_flag=True,
    help="Print only the original record's bytes (to fix it and replay it with --from-file).",
)
def show(ref: str, as_json: bool, original: bool) -> None:
    """Show one dead letter (ID is PARTITION:OFFSET, as list prints it)."""
    from pipeline.dlq.letters import detail, render_detail

    wanted = _filter((), (), None, None, (ref,))
    found = [s for s in _read(_settings()).letters if wanted.matches(s)]
    if not found:
        raise click.ClickException(f"no dead letter {ref}")
    stored = found[0]
    if original:
        sys.stdout.buffer.write(stored.letter.original() + b"\n")
    elif as_json:
        click.echo(json.dumps(detail(stored), ensure_ascii=False))
    else:
        click.echo(render_detail(stored))


@dlq.command()
@click.argument("refs", nargs=-1, metavar="[ID]...")
@_filter_options
@click.option("--limit", type=click.IntRange(1, 1_000_000), help="At most this many letters.")
@click.option("--all", "everything", is_flag=True, help="Replay every dead letter.")
@click.option(
    "--from-file",
    "fix_file",
    type=EXISTING_FILE,
    help="Publish these fixed records (one post JSON per line) instead of dead letters.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be published; publish nothing.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def replay(
    *,
    refs: tuple[str, ...],
    reason: tuple[str, ...],
    source: tuple[str, ...],
    since: str | None,
    until: str | None,
    limit: int | None,
    everything: bool,
    fix_file: Path | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Replay dead letters (IDs and/or filters, or --all) or a file of fixed records to the posts
    topic. Records that are still invalid, or whose post id is already on the posts topic, are
    skipped and listed."""
    from functools import partial

    from pipeline.agents.intake import parse_post
    from pipeline.dlq import replay as plan_replay
    from pipeline.dlq.letters import select

    wanted = _filter(reason, source, since, until, refs)
    if fix_file is not None and not wanted.is_empty:
        raise click.UsageError("--from-file replays the file: give no IDs or filters with it")
    if fix_file is None and wanted.is_empty and not everything:
        raise click.UsageError("say what to replay: IDs, --reason/--source/--since/--until, --all")
    settings = _settings()
    parse = partial(parse_post, max_post_chars=settings.worker.max_post_chars)
    letters = _read(settings).letters
    if fix_file is not None:
        try:
            with fix_file.open("rb") as handle:
                candidates = plan_replay.from_fix_file(str(fix_file), handle, parse)
        except plan_replay.FixFileError as exc:
            raise click.BadParameter(str(exc), param_hint="--from-file") from exc
    else:
        chosen = select(letters, wanted, limit)
        missing = sorted(set(refs) - {s.ref for s in chosen})
        if missing:
            raise click.ClickException(f"no dead letter {', '.join(missing)}")
        candidates = plan_replay.from_letters(chosen, parse)
    _run(settings, letters, candidates, dry_run=dry_run, as_json=as_json)


def _run(
    settings: Settings,
    letters: list[Any],
    candidates: list[Any],
    *,
    dry_run: bool,
    as_json: bool,
) -> None:
    from connectors.publisher import PublisherError
    from connectors.topic_reader import TopicReadError
    from pipeline.dlq import replay as plan_replay
    from pipeline.dlq import store
    from pipeline.dlq.letters import printable

    refused = plan_replay.refused_positions(letters, settings.topics.posts)
    try:
        delivered = store.find_delivered(settings, plan_replay.wanted_ids(candidates), refused)
        result = plan_replay.plan(candidates, delivered)
        failed = 0
        if not dry_run and result.publish:
            stats = store.publish(settings, [c.post for c in result.publish if c.post])
            failed = stats.posts_failed
    except (TopicReadError, PublisherError) as exc:
        raise click.ClickException(str(exc)) from exc
    published = 0 if dry_run else len(result.publish) - failed
    if as_json:
        body = {
            "topic": settings.topics.posts,
            "dry_run": dry_run,
            "published": published,
            "failed": failed,
            "replayed": [{"ref": c.ref, "post_id": c.post.id} for c in result.publish if c.post],
            "skipped": [{"ref": s.ref, "post_id": s.post_id, "why": s.why} for s in result.skipped],
        }
        click.echo(json.dumps(body, ensure_ascii=False))
    else:
        verb = "would publish" if dry_run else "published"
        count = len(result.publish) if dry_run else published
        click.echo(
            f"{verb} {count} posts to {settings.topics.posts}; skipped {len(result.skipped)}"
        )
        for c in result.publish:
            click.echo(printable(f"  replay {c.ref}  {c.post.id if c.post else '-'}"))
        for s in result.skipped:
            click.echo(printable(f"  skip   {s.ref}  {s.why}"))
    if failed:
        click.echo(f"narrmon dlq: {failed} posts could not be delivered", err=True)
        sys.exit(1)
