from __future__ import annotations

from datetime import UTC, datetime, timedelta

from datasketch import MinHash  # type: ignore[import-untyped]

from models.records import Post
from models.signals.coordination import (
    CoordinationConfig,
    CoordinationDetector,
    normalise_for_similarity,
)

T0 = datetime(2024, 11, 5, 12, tzinfo=UTC)
CAMPAIGN = (
    "Mail ballots in Bucks County were rejected without notice. Call the election office now!"
)


def _post(pid: str, author: str, text: str, minutes: float, repost_of: str | None = None) -> Post:
    return Post.model_validate({
        "id": pid, "platform": "x", "source": "test", "author": {"id": author}, "text": text,
        "created_at": T0 + timedelta(minutes=minutes),
        "references": {"repost_of": repost_of},
    })  # fmt: skip


def test_normalisation_drops_links_mentions_and_punctuation() -> None:
    assert (
        normalise_for_similarity("RT @abc: Hello, WORLD! https://t.co/x #Vote")
        == "hello world vote"
    )


def test_paraphrased_copies_from_three_accounts_form_one_group() -> None:
    detector = CoordinationDetector()
    texts = [CAMPAIGN, "🚨 " + CAMPAIGN + " #PA", CAMPAIGN.replace("now", "today") + " @someone"]
    results = [detector.observe(_post(f"p{i}", f"a{i}", t, i)) for i, t in enumerate(texts)]
    assert results[0] is None and results[1] is None  # two accounts are below min_accounts
    group = results[2]
    assert group is not None
    assert group.size == 3
    assert sorted(group.post_ids) == ["p0", "p1", "p2"]
    assert group.similarity >= 0.55
    assert group.span_seconds() == 120
    assert detector.group_of("p0") is group


def test_platform_reposts_never_form_a_group() -> None:
    detector = CoordinationDetector()
    detector.observe(_post("orig", "a0", CAMPAIGN, 0))
    for i in range(5):
        assert detector.observe(_post(f"r{i}", f"b{i}", CAMPAIGN, i + 1, repost_of="orig")) is None
    assert detector.reposts_skipped == 5
    assert detector.groups() == []


def test_one_account_repeating_itself_is_not_coordination() -> None:
    detector = CoordinationDetector()
    for i in range(5):
        detector.observe(_post(f"s{i}", "same", CAMPAIGN, i))
    assert detector.groups() == []


def test_copies_further_apart_than_the_window_are_not_linked_and_expire() -> None:
    detector = CoordinationDetector(CoordinationConfig(window=timedelta(minutes=10)))
    for i in range(3):
        detector.observe(_post(f"p{i}", f"a{i}", CAMPAIGN, i * 15))
    assert detector.groups() == []
    assert len(detector._indexed) == 1  # the two older posts left the index


def test_unrelated_posts_are_not_grouped() -> None:
    detector = CoordinationDetector()
    texts = [
        "Line at the library is about 20 minutes right now, bring water and snacks",
        "Making lasagna tonight for the whole family, any tips for a first-timer?",
        "The Bucks looked terrible last night, that block in the fourth was unreal",
    ]
    assert all(detector.observe(_post(f"p{i}", f"a{i}", t, i)) is None for i, t in enumerate(texts))


def test_manual_retweets_count_as_reposts() -> None:
    detector = CoordinationDetector()
    detector.observe(_post("orig", "a0", CAMPAIGN, 0))
    for i in range(4):
        assert detector.observe(_post(f"rt{i}", f"b{i}", f"RT @a0: {CAMPAIGN}", i + 1)) is None
    assert detector.reposts_skipped == 4
    assert detector.groups() == []


TEMPLATE = "Reminder: {} counts mail ballots after election day, results take time. Go team"


def test_a_template_posted_for_hours_is_boilerplate_but_a_new_campaign_still_groups() -> None:
    config = CoordinationConfig(window=timedelta(minutes=10))
    detector = CoordinationDetector(config)
    states = ("Ohio", "Iowa", "Utah", "Idaho", "Texas", "Maine")
    for i, state in enumerate(states):  # unrelated accounts, 15 minutes apart: the background
        assert detector.observe(_post(f"bg{i}", f"bg{i}", TEMPLATE.format(state), i * 15)) is None
    late = [_post(f"t{i}", f"t{i}", TEMPLATE.format("Ohio"), 90 + i) for i in range(3)]
    skipped = detector.boilerplate_skipped
    assert [detector.observe(p) for p in late] == [None, None, None]
    assert detector.boilerplate_skipped == skipped + 3
    campaign = [_post(f"c{i}", f"c{i}", CAMPAIGN, 95 + i) for i in range(3)]
    results = [detector.observe(p) for p in campaign]
    assert results[2] is not None and sorted(results[2].post_ids) == ["c0", "c1", "c2"]


def test_the_same_template_without_a_background_forms_a_group() -> None:
    detector = CoordinationDetector(CoordinationConfig(window=timedelta(minutes=10)))
    for i in range(3):
        detector.observe(_post(f"bg{i}", f"bg{i}", TEMPLATE.format("Ohio"), i))
    assert len(detector.groups()) == 1 and detector.boilerplate_skipped == 0


def test_campaign_posts_leaving_the_window_do_not_become_background() -> None:
    detector = CoordinationDetector(CoordinationConfig(window=timedelta(minutes=10)))
    for i in range(4):
        detector.observe(_post(f"c{i}", f"c{i}", CAMPAIGN, i))
    later = [detector.observe(_post(f"d{i}", f"d{i}", CAMPAIGN + " now", 30 + i)) for i in range(3)]
    assert detector.boilerplate_skipped == 0
    assert later[2] is not None


def test_a_flood_of_near_duplicates_costs_a_bounded_number_of_comparisons_per_post() -> None:
    """2,000 copies of one text from 2,000 accounts: each post is compared with at most
    `max_links` candidates (not with every earlier copy) and the group keeps a running mean of
    its link similarities, not one entry per link; it is still one group of every account."""
    config = CoordinationConfig(max_links=16)
    detector = CoordinationDetector(config)
    compared: list[int] = []
    jaccard = MinHash.jaccard

    def counting(self: MinHash, other: MinHash) -> float:
        compared.append(1)
        return float(jaccard(self, other))

    text = "Ballots in the county were shredded overnight, officials will not say why"
    MinHash.jaccard = counting
    try:
        for i in range(2000):
            detector.observe(_post(f"p{i}", f"acct{i}", f"{text} #{i}", minutes=i / 100))
    finally:
        MinHash.jaccard = jaccard
    assert len(compared) <= 16 * 2000
    (group,) = detector.groups()
    assert group.size == 2000
    assert group.links <= 16 * 2000 and 0.55 <= group.similarity <= 1.0
