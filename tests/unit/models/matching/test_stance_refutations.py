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
