"""Stance: refutations that name what the claim lacks, and negated claim words."""

from __future__ import annotations

from models.matching.stance import classify_stance

EXEMPLAR = "Government censorship flipped the election, the documents are out"


def test_naming_what_the_claim_lacks_is_a_debunk() -> None:
    for post in (
        "Flagged tweets are a speech issue, not vote rigging",
        "The tracking sheet doesn't prove a thing about the count",
        "The headline oversells its own records",
        "Please stop spreading the censorship-flipped-it story",
    ):
        assert classify_stance(post, EXEMPLAR, 0.6).stance == "debunks", post


def test_the_claim_itself_and_a_negated_word_in_the_exemplar_stay_promotes() -> None:
    assert classify_stance("Censorship flipped the election", EXEMPLAR, 0.8).stance == "promotes"
    exemplar = "That is not fraud they say, but it was stolen"
    assert classify_stance("That is not fraud, sure", exemplar, 0.8).stance == "promotes"


def test_the_one_pattern_prefilter_finds_exactly_what_the_cues_find_one_by_one() -> None:
    from models.matching import stance as st

    def one_by_one(cues, text, exemplar, negatable=False):  # type: ignore[no-untyped-def]
        return [
            cue
            for cue, pattern in cues
            if not pattern.search(exemplar)
            and any(
                not (negatable and st._NEGATED.search(text[: m.start()]))
                for m in pattern.finditer(text)
            )
        ]

    texts = [
        "That claim was DEBUNKED weeks ago. Fact check: false",
        "Is it true the machines flipped votes?",
        "this is not a hoax, people",
        "The rumour is false and it was debunked",
        "no cue here at all",
        "Reports say officials are looking into it",
    ]
    exemplars = ["The machines flipped votes", "This hoax was debunked", "Is it true?"]
    for text in texts:
        for exemplar in exemplars:
            assert st._found("debunk", text, exemplar, negatable=True) == one_by_one(
                st._DEBUNK, text, exemplar, True
            )
            assert st._found("discuss", text, exemplar) == one_by_one(st._DISCUSS, text, exemplar)
    assert st._found("debunk", "That claim was DEBUNKED weeks ago", "plain") != []
