"""The committed OpenAPI document (``deploy/openapi.json``): generated from the app, never
hand-edited. ``narrmon api --write-openapi`` rewrites it; a unit test checks it is current."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.settings import Settings

SPEC_PATH = Path(__file__).resolve().parents[2] / "deploy" / "openapi.json"


def generate() -> str:
    """The OpenAPI JSON text (stable: sorted keys, 2-space indent, trailing newline). Builds the
    app on an unconnected client; nothing is contacted."""
    from pipeline.api.app import create_app, openapi_document
    from pipeline.api.service import HitService
    from pipeline.elastic.client import make_client

    settings = Settings()
    client = make_client(settings)
    app = create_app(settings, HitService(client, settings))
    return json.dumps(openapi_document(app), indent=2, sort_keys=True) + "\n"
