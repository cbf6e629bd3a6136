"""The `narrmon` command line.

Every subcommand lives in its own module and is imported only when invoked, so `narrmon --help`
never imports torch, Faust or the Elasticsearch client. To add a command, add one line to
`_COMMANDS` naming ``module:attribute`` of a `click.Command`.
"""

from __future__ import annotations

import importlib
import logging

import click

_COMMANDS: dict[str, tuple[str, str]] = {
    # name: (module:attribute, one-line help shown by --help without importing the module)
    "stack": (
        "pipeline.cli.stack:stack",
        "Start, stop and inspect the local Kafka/ES/Prometheus stack.",
    ),
    "demo": ("pipeline.cli.demo:demo", "Run the demo pipeline end to end on the real local stack."),
    "worker": ("pipeline.cli.worker:worker", "Run a Faust worker: embed, match, index."),
    "ingest": (
        "pipeline.cli.ingest:ingest",
        "Publish posts from files (JSONL, CSV, articles) to Kafka.",
    ),
    "connect": (
        "pipeline.cli.connect:connect",
        "Run a live source (Bluesky, Mastodon, RSS/Atom, X, Telegram) into Kafka.",
    ),
    "connectors": (
        "pipeline.cli.connectors:connectors",
        "Run several live sources from one YAML file, supervised.",
    ),
    "catalog": (
        "pipeline.cli.catalog:catalog",
        "Validate, list, show and import narrative catalogs.",
    ),
    "eval": ("pipeline.cli.evaluate:evaluate", "Evaluate matching quality (CheckThat! formats)."),
    "model": ("pipeline.cli.model:model", "Embedding model utilities (fine-tuning)."),
    "index": ("pipeline.cli.index:index", "Manage the Elasticsearch hits index (migrate, info)."),
    "api": ("pipeline.cli.api:api", "Serve the analyst search API and web UI."),
    "token": ("pipeline.cli.token:token", "Make a personal API token and its hashed entry."),
    "search": ("pipeline.cli.search:search", "Search hits from the terminal."),
    "hits": ("pipeline.cli.search:hits", "Show and review single hits."),
    "alerts": ("pipeline.cli.alerts:alerts", "Receive and print the local Alertmanager's alerts."),
    "dlq": ("pipeline.cli.dlq:dlq", "List, show and replay dead letters."),
    "escalations": (
        "pipeline.cli.escalations:escalations",
        "Escalate hits to platforms; update, list, export the tracking sheet.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name, (target, _) in _COMMANDS.items() if _importable(target))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command = getattr(module, attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{entry[0]} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _importable(target: str) -> bool:
    import importlib.util

    module_name = target.split(":", maxsplit=1)[0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


@click.group(cls=LazyGroup)
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(package_name="narrmon")
def main(verbose: int) -> None:
    """narrmon: streaming narrative monitoring for trust-and-safety teams."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
