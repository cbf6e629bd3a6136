"""``narrmon api``: serve the analyst API and web UI (or rewrite the committed OpenAPI spec).

Before serving it runs `pipeline.api.startup.preflight` and prints what it found: the catalog,
the review token, the model, the hits index and the reviews topic. An unusable catalog stops it
(exit 1), and so does a missing token when reads are protected (by default when it binds a
non-loopback address); otherwise a missing token only disables reviews (refused with 401/403).
"""

from __future__ import annotations

import click

_STYLE = {"error": "red", "warning": "yellow", "info": None}


@click.command()
@click.option("--host", default=None, help="Bind address (default: api.host).")
@click.option("--port", type=int, default=None, help="Port (default: api.port, 29080).")
@click.option(
    "--write-openapi",
    is_flag=True,
    help="Write deploy/openapi.json from the app and exit (no server, no cluster).",
)
def api(host: str | None, port: int | None, write_openapi: bool) -> None:
    """Serve the analyst search API and web UI on http://HOST:PORT/.

    Configure it like every command (NARRMON_* variables, or NARRMON_ENV_FILE=<dotenv>). While a
    demo kept running by narrmon demo --keep-running is alive, it serves that demo's data unless
    told otherwise. Set NARRMON_API__TOKEN to enable reviews.
    """
    if write_openapi:
        from pipeline.api.openapi import SPEC_PATH, generate

        SPEC_PATH.write_text(generate())
        click.echo(f"wrote {SPEC_PATH}")
        return
    from pipeline.api.server import build_service, serve
    from pipeline.api.startup import preflight
    from pipeline.cli.context import load_settings

    settings = load_settings()
    # One source of truth for the bind address: whether reads are protected depends on it.
    bind = {"host": host or settings.api.host, "port": port or settings.api.port}
    settings = settings.model_copy(update={"api": settings.api.model_copy(update=bind)})
    service = build_service(settings)
    findings = preflight(settings, service)
    for finding in findings:
        label = click.style(f"{finding.level:>7}", fg=_STYLE[finding.level])
        click.echo(f"{label}  {finding.message}", err=True)
    if any(f.level == "error" for f in findings):
        raise click.ClickException("not serving: fix the error(s) above")
    host, port = settings.api.host, settings.api.port
    click.echo(f"analyst UI and API on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
    serve(settings, host, port, service)
