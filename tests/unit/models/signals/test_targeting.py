from __future__ import annotations

import pytest

from models.signals.targeting import detect_targeting, find_evidence


def _spans(text: str, kind: str) -> list[str]:
    return [e.text for e in find_evidence(text) if e.kind == kind]


def test_personal_data_spans_are_offsets_into_the_text() -> None:
    text = "Poll worker: Jo Li, 4411 Ridgeview Dr, jo.li@example.com, (480) 555-0199, plate 7KLM392"
    evidence = find_evidence(text)
    for e in evidence:
        assert text[e.start : e.end] == e.text
    assert _spans(text, "email") == ["jo.li@example.com"]
    assert _spans(text, "phone") == ["(480) 555-0199"]
    assert _spans(text, "address") == ["4411 Ridgeview Dr"]
    assert _spans(text, "plate") == ["7KLM392"]


def test_role_with_personal_data_and_call_to_action_is_targeting() -> None:
    result = detect_targeting(
        "The ballot courier is Luis Ferreira, 4411 Ridgeview Dr. Make him answer."
    )
    assert result.targeting
    assert result.score > 0.5
    assert {"role", "address", "call_to_action"} <= result.kinds()


def test_veiled_call_with_role_is_targeting() -> None:
    assert detect_targeting("The woman who counted ballots at table 4 has a family. Remember that.")


@pytest.mark.parametrize(
    "text",
    [
        "Make Senator Smith answer for his vote at the next town hall.",  # official, no role
        "Call Speaker Jones's office at 202-225-4000 and tell him to certify the results.",
        "Thank you to every poll worker who stood for 14 hours today.",
        "A man was charged with threatening an election worker, prosecutors said.",
        "Questions about your ballot? Call the County Elections Department at (602) 555-0100.",
    ],
)
def test_hard_negatives_are_not_targeting(text: str) -> None:
    result = detect_targeting(text)
    assert not result.targeting, result.evidence


def test_negated_call_to_action_is_dropped() -> None:
    assert (
        _spans("Don't dox anyone, report the poll worker's video instead.", "call_to_action") == []
    )
    assert _spans("Dox the poll worker.", "call_to_action") == ["Dox the"]


def test_office_contact_is_institutional_not_personal() -> None:
    kinds = {e.kind for e in find_evidence("Email the clerk's office at elections@example.gov")}
    assert "institutional" in kinds
    assert "email" not in kinds


def test_no_role_means_score_zero_and_no_flag() -> None:
    result = detect_targeting("Find her. 118 Birch St. You know what to do.")
    assert result.score == 0.0
    assert not result.targeting


def test_official_title_before_a_name_is_not_a_private_person() -> None:
    assert _spans("Her name is Dana Whitcomb.", "person") == ["Dana Whitcomb"]
    assert _spans("Governor Hobbs is Katie Hobbs.", "person") == []
