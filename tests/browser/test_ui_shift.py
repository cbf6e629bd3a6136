"""An analyst's shift in the web UI (headless Chromium, real Elasticsearch): one card per post
with all its narratives, reach shown and sortable, author and verdict filters, the view in the
URL, a "new hits" notice, similar posts, review labels for debunks, token state, and nothing
clipped at 1500 and 800 px. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page

from models.records import Hit
from tests.browser.conftest import ARTIFACTS, TOKEN, ServeUi, nothing_clipped
from tests.unit.elastic.hits import WHEN, make_hit, seed_hits

pytestmark = [pytest.mark.integration, pytest.mark.browser]

LONG_URL = "https://news.example.org/" + "2024/11/06/" * 12 + "a-very-long-slug-" * 8 + "?utm=x"


def shift_hits() -> list[Hit]:
    """The seed hits, a second narrative on the first post, reach figures, and a debunking post
    with a very long URL."""
    hits = seed_hits()
    reach = {"bsky:1": (1200, 40, 9000), "mastodon:3": (90_000, 3, None), "bsky:6": (15, 700, 50)}
    out = []
    for hit in hits:
        followers, likes, views = reach.get(hit.post.id, (None, None, None))
        post = hit.post.model_copy(
            update={
                "author": hit.post.author.model_copy(update={"followers": followers}),
                "engagement": hit.post.engagement.model_copy(
                    update={"likes": likes, "views": views}
                ),
            }
        )
        out.append(hit.model_copy(update={"post": post}))
    second = out[0].model_copy(
        update={
            "id": Hit.make_id("bsky:1", "n-dead-voters"),
            "narrative": out[3].narrative,
            "scores": out[0].scores.model_copy(update={"combined": 0.62}),
        }
    )
    debunk = make_hit(
        "web:7",
        "Do not share names of poll workers. Claims they flipped votes are false: "
        + "averylongwordwithoutanyspaces" * 4,
        url=LONG_URL,
        embedding=[1.0, 0.1, 0.1, 0.1],
        platform="web",
        stance="debunks",
        handle="factcheck.example",
        created_at=WHEN + timedelta(days=3),
        score=0.7,
    )
    return [*out, second, debunk]


class KeywordEncoder:
    """Stands in for the model behind /api/similar: machines -> axis 0, dead voters -> axis 2."""

    def encode(self, texts: Sequence[str]) -> Any:
        def vector(text: str) -> list[float]:
            axis = 2 if "dead" in text.lower() else 0
            return [1.0 if i == axis else 0.1 for i in range(4)]

        return [vector(t) for t in texts]


def card(page: Page, post_id: str) -> Any:
    return page.locator(f"[data-testid=post][data-post-id='{post_id}']")


def test_one_card_per_post_reach_sort_and_author_filter(
    serve_ui: ServeUi, open_page: Callable[[int], Page]
) -> None:
    from playwright.sync_api import expect

    page = open_page(1500)
    page.goto(serve_ui(shift_hits()))
    posts = page.locator("[data-testid=post]")
    expect(posts).to_have_count(7)
    first = card(page, "bsky:1")
    expect(first.locator("[data-testid=hit]")).to_have_count(2)  # both narratives, one card
    expect(first).to_contain_text("Machines rigged")
    expect(first).to_contain_text("Dead voters")
    expect(first.locator("[data-testid=reach]")).to_have_text(
        "1,200 followers · 40 likes · 9,000 views"
    )
    expect(page.locator("[data-testid=status]")).to_have_text("8 hits, 8 shown in 7 posts")

    # A narrative filter keeps the post's other narrative on the card, marked as outside it.
    page.select_option("[data-testid=filter-narrative]", "n-dead-voters")
    expect(first.locator("[data-testid=hit]")).to_have_count(2)
    expect(first.locator(".hit.also")).to_contain_text("Machines rigged")
    page.select_option("[data-testid=filter-narrative]", "")

    # Reach sorts: largest first, posts without the figure last.
    page.select_option("[data-testid=filter-sort]", "followers")
    expect(posts.first).to_have_attribute("data-post-id", "mastodon:3")
    page.select_option("[data-testid=filter-sort]", "likes")
    expect(posts.first).to_have_attribute("data-post-id", "bsky:6")
    assert posts.evaluate_all("ns => ns.map(n => n.dataset.postId)")[:3] == [
        "bsky:6",
        "bsky:1",
        "mastodon:3",
    ]

    # Author filter from a card's byline; verdict filter from the bar.
    card(page, "mastodon:3").locator("[data-testid=author]").click()
    expect(page.locator("[data-testid=filter-author]")).to_have_value("bob.example")
    expect(posts).to_have_count(2)
    page.select_option("[data-testid=filter-verdict]", "misleading")
    expect(page.locator("[data-testid=status]")).to_contain_text("0 hits")
    page.select_option("[data-testid=filter-verdict]", "false")
    expect(posts).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "ui-shift-cards-1500.png"))


def test_view_in_the_url_survives_reload_and_can_be_shared(
    serve_ui: ServeUi, open_page: Callable[[int], Page]
) -> None:
    from playwright.sync_api import expect

    base = serve_ui(shift_hits())
    page = open_page(1500)
    page.goto(base)
    page.fill("[data-testid=q]", "votes")
    page.click("[data-testid=search-button]")
    page.select_option("[data-testid=filter-stance]", "promotes")
    page.select_option("[data-testid=filter-sort]", "score")
    expect(page.locator("[data-testid=post]")).to_have_count(2)
    # wait for the score order before opening the first card: both orders have two posts, and
    # on a loaded machine the click can land before the re-sort renders
    expect(page.locator("[data-testid=post]").first).to_have_attribute("data-post-id", "bsky:1")
    page.locator("[data-testid=hit]").first.locator("[data-testid=why]").click()
    expect(page.locator("[data-testid=drawer]")).to_be_visible()
    url = page.url
    assert "q=votes" in url and "stance=promotes" in url and "sort=score" in url
    assert "hit=bsky%3A1%3An-rigged" in url

    page.reload()
    expect(page.locator("[data-testid=q]")).to_have_value("votes")
    expect(page.locator("[data-testid=filter-stance]")).to_have_value("promotes")
    expect(page.locator("[data-testid=post]")).to_have_count(2)
    expect(page.locator("[data-testid=drawer]")).to_contain_text("Voting machines flipped votes")

    shared = open_page(1500)  # a colleague opening the link
    shared.goto(url)
    expect(shared.locator("[data-testid=filter-sort]")).to_have_value("score")
    expect(shared.locator("[data-testid=post]").first).to_have_attribute("data-post-id", "bsky:1")
    expect(shared.locator("[data-testid=drawer]")).to_be_visible()

    page.go_back()  # Back returns to the previous view: same filters, drawer closed
    expect(page.locator("[data-testid=drawer]")).to_be_hidden()
    assert "hit=" not in page.url and "stance=promotes" in page.url
    page.go_back()
    expect(page.locator("[data-testid=filter-stance]")).to_have_value("promotes")
    expect(page.locator("[data-testid=filter-sort]")).to_have_value("triage")  # the default


def test_new_hits_notice_and_refresh(
    serve_ui: ServeUi,
    index_more: Callable[[Sequence[Hit]], None],
    open_page: Callable[[int], Page],
) -> None:
    from playwright.sync_api import expect

    page = open_page(1500)
    page.goto(serve_ui(seed_hits()))
    expect(page.locator("[data-testid=post]")).to_have_count(6)
    notice = page.locator("[data-testid=new-hits]")
    expect(notice).to_be_hidden()
    index_more([make_hit("bsky:99", "Fresh post: machines rigged again", embedding=[1, 0, 0, 0])])
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # as when the analyst comes back
    expect(notice).to_have_text("1 new hit · Refresh")
    page.screenshot(path=str(ARTIFACTS / "ui-shift-new-hits-1500.png"))
    notice.click()
    expect(page.locator("[data-testid=post]")).to_have_count(7)
    expect(notice).to_be_hidden()


def test_similar_posts_from_a_card(serve_ui: ServeUi, open_page: Callable[[int], Page]) -> None:
    from playwright.sync_api import expect

    page = open_page(1500)
    page.goto(serve_ui(shift_hits(), encoder=KeywordEncoder()))
    card(page, "mastodon:4").locator("[data-testid=similar]").click()
    drawer = page.locator("[data-testid=drawer]")
    expect(drawer).to_contain_text("Similar posts")
    similar = page.locator("[data-testid=similar-post]")
    expect(similar.first).to_have_attribute(
        "data-post-id", "telegram:5"
    )  # the other dead-voter post
    ids = similar.evaluate_all("ns => ns.map(n => n.dataset.postId)")
    assert "mastodon:4" not in ids and len(ids) == len(set(ids))
    page.screenshot(path=str(ARTIFACTS / "ui-shift-similar-1500.png"))
    similar.first.locator("button.why").click()
    expect(drawer).to_contain_text("Thousands of dead people voted")


def test_token_state_and_the_debunk_label(
    serve_ui: ServeUi, open_page: Callable[[int], Page]
) -> None:
    from playwright.sync_api import expect

    page = open_page(1500)
    page.goto(serve_ui(shift_hits()))
    row = page.locator("[data-testid=hit][data-id='web:7:n-rigged']")
    button = row.locator("[data-testid=review-correct_no_action]")
    expect(button).to_have_text("Correct, no action")
    expect(button).to_be_disabled()
    expect(button).to_have_attribute(
        "title", "Reviews need the API token: open the Reviewer menu, top right"
    )

    # A 401 (no token reached the server, e.g. a proxy dropped it) says where the token goes.
    message = page.evaluate(
        "async () => { const m = await import('/static/api.js');"
        " try { await m.api('/api/hits/x/review', {method: 'POST'}); }"
        " catch (e) { return e.message; } }"
    )
    assert message.startswith("401: no API token was sent")
    assert "under the Reviewer menu, top right" in message

    page.click(".auth summary")
    page.fill("[data-testid=token]", "wrong")
    expect(page.locator("[data-testid=token-state]")).to_contain_text("token set")
    page.once("dialog", lambda dialog: dialog.accept(""))
    button.click()
    status = page.locator("[data-testid=status]")
    expect(status).to_contain_text("403")
    expect(status).to_contain_text("Reviewer menu, top right")

    page.fill("[data-testid=token]", TOKEN)
    page.fill("[data-testid=reviewer]", "ana")
    page.once("dialog", lambda dialog: dialog.accept("debunks the claim"))
    button.click()
    expect(row.locator("[data-testid=review-state]")).to_have_text("correct no action")
    page.select_option("[data-testid=filter-review]", "correct_no_action")
    expect(page.locator("[data-testid=post]")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "ui-shift-reviewed-1500.png"))


@pytest.mark.parametrize("width", [1500, 800])
def test_nothing_clipped(serve_ui: ServeUi, open_page: Callable[[int], Page], width: int) -> None:
    from playwright.sync_api import expect

    page = open_page(width)
    page.goto(serve_ui(shift_hits()))
    expect(page.locator("[data-testid=post]")).to_have_count(7)
    assert nothing_clipped(page) == []
    page.screenshot(path=str(ARTIFACTS / f"ui-shift-results-{width}.png"))

    row = page.locator("[data-testid=hit][data-id='web:7:n-rigged']")
    row.locator("[data-testid=why]").click()
    drawer = page.locator("[data-testid=drawer]")
    expect(drawer).to_contain_text("a-very-long-slug")
    assert nothing_clipped(page) == []
    box = drawer.bounding_box()
    assert box and box["x"] + box["width"] <= width
    row_box = row.bounding_box()
    assert row_box and row_box["x"] + row_box["width"] <= box["x"] + 1  # beside, not under
    page.screenshot(path=str(ARTIFACTS / f"ui-shift-why-{width}.png"))
