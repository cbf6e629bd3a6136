"""A catalog published while the UI is open shows up in the narrative panel, in headless Chromium
against the real Elasticsearch and Kafka.

End to end: the API follows a uuid-named catalog topic the way ``narrmon api`` does
(`pipeline.api.server.follow_catalog`), and the new catalog is published with the
``narrmon catalog publish`` command itself (run in-process). The panel loads narratives when the
page loads, so the analyst reloads to see the change. Screenshots before and after under
``test-artifacts/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from models.catalog import load_catalog
from tests.browser.conftest import ARTIFACTS, CATALOG, ServeUi
from tests.unit.elastic.hits import seed_hits

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# The fixture catalog (`CATALOG`) as YAML, plus the narrative an analyst adds.
EDITED = """
catalog: ui
description: The browser tests' catalog plus one narrative added while the UI is open.
narratives:
  - id: n-rigged
    title: "Machines rigged"
    severity: high
    exemplars: ["x"]
  - id: n-dead-voters
    title: "Dead voters"
    exemplars: ["y"]
  - id: n-drop-boxes
    title: "Drop boxes burned"
    severity: critical
    exemplars: ["They are setting ballot drop boxes on fire"]
"""


def publish(path: Path, topic: str, index_prefix: str) -> str:
    """``narrmon catalog publish PATH`` to `topic`; its output. The index prefix is set so the
    command never picks up a running demo's settings."""
    from click.testing import CliRunner

    from pipeline.cli import main

    env = {"NARRMON_TOPICS__CATALOG": topic, "NARRMON_ELASTICSEARCH__INDEX_PREFIX": index_prefix}
    result = CliRunner().invoke(main, ["catalog", "publish", str(path)], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def titles(page: Page) -> list[str]:
    """The narrative titles the panel lists, sorted (the panel orders by hit count)."""
    found = page.locator("[data-testid=narrative] strong").all_inner_texts()
    return sorted(found)


def reload_until(page: Page, done: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Reload `page` (as an analyst would) until `done()`; fails after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.reload()
        page.locator("[data-testid=narrative]").first.wait_for()
        if done() or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert done(), f"panel still shows {page.locator('[data-testid=catalog-version]').inner_text()}"


def test_a_published_catalog_shows_up_in_the_narrative_panel(
    serve_ui: ServeUi, open_page: Callable[[int], Page], unique_name: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    edited = tmp_path / "ui.yaml"
    edited.write_text(EDITED, encoding="utf-8")
    new_version = load_catalog(edited).version
    assert new_version != CATALOG.version
    topic = f"{unique_name}.catalog"
    ui_url = serve_ui(seed_hits(), catalog_topic=topic)

    page = open_page(1280)
    page.goto(ui_url)
    panel = page.locator("[data-testid=narratives]")
    version = page.locator("[data-testid=catalog-version]")
    items = panel.locator("[data-testid=narrative]")
    expect(items).to_have_count(2)
    assert titles(page) == ["Dead voters", "Machines rigged"]
    expect(version).to_have_text(f"catalog ui · {CATALOG.version}")
    page.screenshot(path=str(ARTIFACTS / "ui-catalog-before.png"))

    output = publish(edited, topic, f"t-{unique_name}")
    assert f"version {new_version}" in output and topic in output

    reload_until(page, lambda: new_version in version.inner_text())
    expect(version).to_have_text(f"catalog ui · {new_version}")
    expect(items).to_have_count(3)
    assert titles(page) == ["Dead voters", "Drop boxes burned", "Machines rigged"]
    added = panel.locator("[data-testid=narrative][data-id=n-drop-boxes]")
    expect(added.locator(".count")).to_have_text("0")
    expect(added.locator(".sev")).to_have_text("critical")
    expect(page.locator("[data-testid=filter-narrative] option[value=n-drop-boxes]")).to_have_count(
        1
    )
    page.screenshot(path=str(ARTIFACTS / "ui-catalog-after.png"))
