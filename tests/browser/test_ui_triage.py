"""The triage queue, an escalation from creation to "actioned", the plain-language explanation
and the spikes panel, in headless Chromium against the real Elasticsearch. Screenshots at 1500
and 800 px under ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch
from playwright.sync_api import Page

from models.records import Hit, NarrativeRef
from models.threat import assess
from pipeline.elastic.alerts import ALERTS_MAPPINGS, spike_document
from pipeline.elastic.schema import names
from pipeline.settings import Settings
from pipeline.spikes.records import Spike, SpikeExample
from tests.browser.conftest import ARTIFACTS, TOKEN, ServeUi, nothing_clipped
from tests.unit.elastic.hits import seed_hits

pytestmark = [pytest.mark.integration, pytest.mark.browser]

RIGGED = NarrativeRef(
    id="n-rigged", title="Machines rigged", severity="critical", verdict="false",
    tags=("doxxing",), why_tracked="Threats against workers follow this claim.",
    fact_checks=({"url": "https://fc.example/machines", "publisher": "FactCheck Example"},),  # type: ignore[arg-type]
)  # fmt: skip


def scored_hits() -> list[Hit]:
    """The seed hits with threat scores; the first post, critical and followed, tops the queue."""
    hits = []
    for seed in seed_hits():
        hit = seed
        if hit.narrative.id == "n-rigged":
            hit = hit.model_copy(update={"narrative": RIGGED})
        if hit.post.id == "bsky:6":
            author = hit.post.author.model_copy(update={"followers": 25_000})
            hit = hit.model_copy(update={"post": hit.post.model_copy(update={"author": author})})
        hits.append(hit.model_copy(update={"threat": assess(hit.post, hit.narrative, hit.stance)}))
    return hits


def add_spike(es: Elasticsearch, settings: Settings) -> None:
    window = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=3)
    examples = tuple(
        SpikeExample(post_id=p, platform="bluesky", author=p, text="rigged", score=0.8)
        for p in ("bsky:1", "bsky:6")
    )
    spike = Spike(
        id=Spike.make_id("n-rigged", window), narrative_id="n-rigged",
        narrative_title="Machines rigged", severity="critical", window_start=window,
        window_end=window + timedelta(minutes=1), count=12, distinct_authors=7, baseline=0.4,
        baseline_sd=1.0, z=11.6, min_volume=5, min_authors=3, min_z=3.0, examples=examples,
    )  # fmt: skip
    index = names.alerts_index(settings)
    es.indices.create(index=index, mappings=ALERTS_MAPPINGS)
    es.index(index=index, id=spike.id, document=spike_document(spike), refresh=True)


def test_triage_escalate_to_actioned_explanation_and_spikes(
    serve_ui: ServeUi,
    open_page: Callable[[int], Page],
    es: Elasticsearch,
    ui_settings: Settings,
) -> None:
    from playwright.sync_api import expect

    hits = scored_hits()
    ui_url = serve_ui(hits)
    add_spike(es, ui_settings)
    page = open_page(1500)
    page.goto(ui_url)
    rows = page.locator("[data-testid=hit]")
    expect(rows).to_have_count(6)

    # Triage queue by default: highest threat first, each row shows its level.
    expect(page.locator("[data-testid=filter-sort]")).to_have_value("triage")
    by_threat = sorted(hits, key=lambda h: -(h.threat.score if h.threat else 0))
    expect(rows.first).to_have_attribute("data-id", by_threat[0].id)
    expect(rows.first.locator("[data-testid=threat]")).to_contain_text("threat severe")

    # Spikes panel: the spike links to the hits behind it.
    spike = page.locator("[data-testid=spike]")
    expect(spike).to_have_count(1)
    expect(spike).to_contain_text("12 hits, 7 authors")
    spike.locator("[data-testid=spike-hits]").click()
    expect(rows).to_have_count(2)
    assert sorted(rows.evaluate_all("nodes => nodes.map(n => n.dataset.id)")) == [
        "bsky:1:n-rigged", "bsky:6:n-rigged",
    ]  # fmt: skip
    expect(page.locator("[data-testid=clear-post]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "ui-triage-spikes-1500.png"))
    page.locator("[data-testid=clear-post]").click()
    page.select_option("[data-testid=filter-narrative]", "")
    expect(rows).to_have_count(6)

    # Reviewing moves a hit down the queue: unreviewed first.
    page.click(".auth summary")
    page.fill("[data-testid=token]", TOKEN)
    page.fill("[data-testid=reviewer]", "ana")
    page.click(".auth summary")
    top = rows.first.get_attribute("data-id")
    rows.first.locator("[data-testid=review-confirmed]").click()
    expect(rows.first.locator("[data-testid=review-state]")).to_have_text("confirmed")
    page.reload()
    expect(rows).to_have_count(6)
    expect(rows.last).to_have_attribute("data-id", str(top))

    # "Why flagged?": the plain-language explanation and the threat's parts.
    target = rows.last
    target.locator("[data-testid=escalate]").click()
    drawer = page.locator("[data-testid=drawer]")
    public = drawer.locator("[data-testid=public-explanation]")
    expect(public).to_contain_text("Why it is tracked: Threats against workers follow this claim.")
    expect(public).to_contain_text("posts are flagged at 0.60 or above")
    expect(public).to_contain_text("A reviewer confirmed")
    expect(public.locator("[data-testid=fact-checks] a")).to_have_attribute(
        "href", "https://fc.example/machines"
    )
    expect(drawer.locator("[data-testid=threat-parts] tr[data-part=targeting]")).to_contain_text(
        "narrative tagged doxxing"
    )

    # Escalate, then follow it to "actioned"; each step lands in the audit trail.
    form = drawer.locator("[data-testid=escalate-form]")
    form.locator("[data-testid=escalate-action]").select_option("remove")
    form.locator("[data-testid=escalate-channel]").fill("trusted-flagger portal")
    form.locator("[data-testid=escalate-reason]").fill("calls to find the poll worker")
    form.locator("[data-testid=escalate-submit]").click()
    escalation = drawer.locator("[data-testid=escalation]")
    expect(escalation.locator("[data-testid=escalation-status]")).to_have_text("open")
    escalation.locator("[data-testid=escalation-sent]").click()
    expect(escalation.locator("[data-testid=escalation-status]")).to_have_text("sent")
    escalation.locator("[data-testid=escalation-outcome]").fill("post removed within 2 hours")
    escalation.locator("[data-testid=escalation-actioned]").click()
    expect(escalation.locator("[data-testid=escalation-status]")).to_have_text("actioned")
    expect(escalation).to_contain_text("outcome: post removed within 2 hours")
    audit = page.locator("[data-testid=audit-entry]")
    expect(audit).to_have_count(4)  # the review, then open, sent, actioned
    expect(audit.last).to_contain_text("ana: escalation remove (bluesky): sent → actioned")
    # The plain explanation never shows reviewers or escalations.
    assert "ana" not in public.inner_text() and "escalat" not in public.inner_text().lower()
    assert nothing_clipped(page) == []
    page.screenshot(path=str(ARTIFACTS / "ui-escalation-1500.png"))

    # The tracking sheet has the escalation.
    with page.expect_download() as download_info:
        page.click("[data-testid=sheet]")
    sheet = ARTIFACTS / "ui-escalations.csv"
    download_info.value.save_as(str(sheet))
    text = sheet.read_text(encoding="utf-8")
    assert "actioned" in text and "post removed within 2 hours" in text

    # 800 px: the same view still fits.
    narrow = open_page(800)
    narrow.goto(page.url)
    expect(narrow.locator("[data-testid=escalation-status]")).to_have_text("actioned")
    assert nothing_clipped(narrow) == []
    narrow.screenshot(path=str(ARTIFACTS / "ui-escalation-800.png"))
    narrow.locator("[data-testid=drawer-close]").click()
    narrow.screenshot(path=str(ARTIFACTS / "ui-triage-800.png"), full_page=True)
