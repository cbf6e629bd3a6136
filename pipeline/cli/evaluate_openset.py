"""`narrmon eval openset`: hit / no-hit quality when the catalog lacks some posts' claims."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from pipeline.cli.params import EXISTING_FILE


@click.command()
@click.option("--catalog", "catalog_path", type=EXISTING_FILE, required=True,
              help="CheckThat! vclaims.jsonl (or any catalog the qrels name).")  # fmt: skip
@click.option("--queries", type=EXISTING_FILE, required=True, help="Queries TSV: id<TAB>text.")
@click.option("--qrels", type=EXISTING_FILE, required=True, help="Qrels TSV: qid 0 vclaim_id 1.")
@click.option("--leave-out", type=click.FloatRange(0.0, 1.0), default=0.5, show_default=True,
              help="Share of queries whose gold claims are left out.")  # fmt: skip
@click.option("--seed", type=int, default=13, show_default=True, help="Seed of that split.")
@click.option("--target-precision", type=click.FloatRange(0.0, 1.0), default=None,
              help="Print the threshold reaching this hit precision, and its recall.")  # fmt: skip
@click.option("--post-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Date every query this day (YYYY-MM-DD), as a monitor dates the posts it sees, "
              "instead of by its tweet attribution.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def openset(  # noqa: PLR0917 (click passes options positionally)
    catalog_path: Path, queries: Path, qrels: Path, leave_out: float, seed: int,
    target_precision: float | None, post_date: dt.datetime | None, as_json: bool,
) -> None:  # fmt: skip
    """Leave the gold claims of a fixed random part of the QUERIES out of CATALOG, match every
    query with the live settings (NARRMON_MATCHER__*: ranking, decision, threshold) and print
    recall (claim in the catalog and a hit on it), top-1 accuracy, false-alarm rate (claim left
    out and still a hit), hit precision, hits per post, and the curve over thresholds."""
    from models.evaluation.metrics import qrels_mismatch, read_qrels, read_queries
    from models.evaluation.openset import at_precision
    from models.evaluation.openset_run import run_openset
    from pipeline.cli.evaluate import live_matcher, rounded

    try:
        texts, relevant = read_queries(queries), read_qrels(qrels)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    matcher = live_matcher(catalog_path)
    problem = qrels_mismatch(texts, relevant, {r.id for r in matcher.narratives()})
    if problem is not None:
        raise click.UsageError(f"{qrels}: {problem}")
    posted = post_date.date() if post_date is not None else None
    run = run_openset(matcher, texts, relevant, leave_out=leave_out, seed=seed, posted=posted)
    target = at_precision(run.points, target_precision) if target_precision is not None else None
    ranking = "rerank" if matcher.config.reranker is not None else "linear"
    if as_json:
        click.echo(json.dumps(rounded({
            "ranking": ranking, "decision": run.decision, "leave_out": leave_out, "seed": seed,
            "catalog_narratives": run.catalog_narratives, "removed_claims": run.removed_claims,
            "left_out_queries": run.left_out_queries,
            "post_date": posted.isoformat() if posted else None,
            "claim_dates": matcher.config.claim_dates, "live": run.live.as_json(),
            "curve": [p.as_json() for p in run.points],
            "target_precision": target_precision,
            "at_target": target.as_json() if target is not None else None,
        })))  # fmt: skip
        return
    click.echo(f"model {matcher.model_id}  ranking {ranking}  decision {run.decision}  "
               f"catalog {run.catalog_narratives} narratives ({run.removed_claims} claims of "
               f"{run.left_out_queries} queries left out, seed {seed})")  # fmt: skip
    dated = f"every query on {posted}" if posted else "by tweet attribution"
    click.echo(f"posts dated {dated}; claim dates read: {matcher.config.claim_dates}")
    header = (f"{'threshold':>9} {'recall':>7} {'top1':>6} {'f-alarm':>7} {'hit-P':>6} "
              f"{'hits/post':>9}")  # fmt: skip
    click.echo(f"present {run.live.present}  absent {run.live.absent}  queries {run.live.queries}")
    click.echo(header)

    def row(p: object, label: str = "") -> str:
        from models.evaluation.openset import OpenSetMetrics

        assert isinstance(p, OpenSetMetrics)
        return (f"{p.threshold:>9.3f} {p.recall:>7.3f} {p.top1_accuracy:>6.3f} "
                f"{p.false_alarm_rate:>7.3f} {p.hit_precision:>6.3f} {p.hits_per_post:>9.3f}"
                f"{label}")  # fmt: skip

    click.echo(row(run.live, "  <- live settings"))
    click.echo("curve:")
    for point in run.points:
        click.echo(row(point))
    if target_precision is not None:
        if target is None:
            click.echo(f"no threshold reaches hit precision {target_precision}")
        else:
            click.echo(f"hit precision >= {target_precision}: threshold {target.threshold:.3f}, "
                       f"recall {target.recall:.3f} (live {run.live.recall:.3f}), "
                       f"false alarms {target.false_alarm_rate:.3f}")  # fmt: skip
