"""``narrmon api``: serve the analyst API and web UI (or rewrite the committed OpenAPI spec)."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default=None, help="Bind address (default: api.host).")
@click.option("--port", type=int, default=None, help="Port (default: api.port, 29080).")
@click.option(
    "--write-openapi",
    is_flag=True,
    help="Write deploy/openapi.json from the app and exit (no server, no cluster).",
)
def api(host: str | None, port: int | None, write_openapi: bool) -> None:
    """Serve the analyst search API and web UI on http://HOST:PORT/."""
    if write_openapi:
        from pipeline.api.openapi import SPEC_PATH, generate

        SPEC_PATH.write_text(generate())
        click.echo(f"wrote {SPEC_PATH}")
        return
    from pipeline.api.server import serve
    from pipeline.settings import Settings

    settings = Settings.load()
    serve(settings, host or settings.api.host, port or settings.api.port)
