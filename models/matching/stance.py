"""Stance of a matched post toward its narrative: promotes, debunks or discusses.

How it works (cheap, offline, per match):
1. Counter-exemplars. If the narrative has counter-exemplars (phrasings that refute it) and the
   post is closer to the best counter-exemplar than to the best exemplar by `margin` cosine, the
   post debunks. This catches refutations phrased in the narrative's own vocabulary.
2. Debunk vocabulary ("false", "debunked", "fact check", "no evidence", "hoax", "myth", ...) in the
   post means debunks, unless the same cue also occurs in the matched exemplar (a narrative like
   "the moon landing was fake" must not turn every promoter into a debunker) or a negation comes
   right before it ("math doesn't lie", "this is not a hoax"). Refutations that name what the
   claim lacks ("not proof", "doesn't prove", "oversells") and a negated claim word ("speech, not
   vote rigging", "that is not fraud") also mean debunks.
3. Discussion cues (a question mark, "is it true", "claims that", "reportedly", "according to",
   "rumor") mean discusses: the post reports or asks about the narrative without taking a side.
4. Otherwise the post promotes: it was matched to a false narrative and shows no sign of distance.

The matcher uses the learned models of `models.matching.stance_model` instead (the same cues,
the post's embedding and words, and, where the narrative has counter-exemplars, where the post
sits between them and the exemplars); these rules remain for an embedding model those were not
fit with, and as their cue features.

Where it fails (known, measured only on constructed cases): sarcasm and irony ("sure, totally
rigged, lol"); scare quotes mocking fact checkers ("the 'fact checkers' say it's false, wake up"),
which reads as debunking; double negation ("it is not true that vaccines are safe"); questions that
are rhetorical promotion ("why won't they tell you X?"); languages other than English (cue lists
are English); neutral reports of a claim with no cue (read as promotes); reported questions
containing "no evidence" (read as debunks). Treat stance as a reviewer hint, not a verdict.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from models.records import Stance

DEBUNK_CUES: tuple[str, ...] = (
    "false",
    "fake news",
    "debunk",
    "fact check",
    "fact-check",
    "factcheck",
    "no evidence",
    "not true",
    "isn't true",
    "untrue",
    "hoax",
    "myth",
    "misinformation",
    "disinformation",
    "baseless",
    "conspiracy theor",
    "misleading",
    "doctored",
    "fabricated",
    "satire",
    "no proof",
    "never happened",
    "lie",
    "lies",
    "bogus",
    "snopes",
    # refutations that name what the claim lacks (measured on the election tuning set only)
    "not proof",
    "isn't proof",
    "not evidence",
    "isn't evidence",
    "doesn't prove",
    "does not prove",
    "oversell",
    "exaggerat",
    "stop spreading",
    "stop sharing",
)
DISCUSS_CUES: tuple[str, ...] = (
    "?",
    "is it true",
    "claims that",
    "claim that",
    "claiming",
    "reportedly",
    "according to",
    "rumor",
    "rumour",
    "allegedly",
    "alleged",
    "some say",
    "people are saying",
)


def _cue_pattern(cue: str) -> re.Pattern[str]:
    if not cue[0].isalnum():
        return re.compile(re.escape(cue))
    stems = ("debunk", "conspiracy theor", "oversell", "exaggerat")
    tail = r"\w*" if cue.endswith(stems) else r"\b"
    return re.compile(r"\b" + re.escape(cue) + tail, re.IGNORECASE)


_DEBUNK = [(c, _cue_pattern(c)) for c in DEBUNK_CUES]
_DISCUSS = [(c, _cue_pattern(c)) for c in DISCUSS_CUES]


@dataclass(frozen=True)
class StanceResult:
    stance: Stance
    evidence: str


# a negation just before a debunk cue reverses it: "math doesn't lie", "this is not a hoax"
_NEGATED = re.compile(
    r"\b(?:not|never|does not|(?:doesn|don|isn|wasn|ain)['\u2019]t)\s+(?:\w+\s+)?$",
    re.IGNORECASE,
)


# "X, not vote rigging" / "that is not fraud": a negated claim word refutes the narrative
_NEGATED_CLAIM = re.compile(
    r"\b(?:not|isn['\u2019]t|wasn['\u2019]t|weren['\u2019]t|aren['\u2019]t)\s+(?:\w+\s+)?"
    r"(?:fraud|rigging|rigged|stolen|theft|an? attack|a ddos|bribery|vote buying)\b",
    re.IGNORECASE,
)


Cues = tuple[tuple[str, re.Pattern[str]], ...]


@functools.lru_cache(maxsize=4096)
def _cues_absent(kind: str, exemplar: str) -> tuple[Cues, re.Pattern[str] | None]:
    """The cues of `kind` (``debunk`` / ``discuss``) that `exemplar` does not contain, and one
    pattern matching wherever any of them matches (None: no cue left). Exemplars are catalog
    text: computed once per exemplar, not once per hit."""
    cues = _DEBUNK if kind == "debunk" else _DISCUSS
    left = tuple((cue, pattern) for cue, pattern in cues if not pattern.search(exemplar))
    if not left:
        return left, None
    scoped = [
        f"(?i:{p.pattern})" if p.flags & re.IGNORECASE else f"(?:{p.pattern})" for _, p in left
    ]
    return left, re.compile("|".join(scoped))


def _found(kind: str, text: str, exemplar: str, *, negatable: bool = False) -> list[str]:
    cues, any_cue = _cues_absent(kind, exemplar)
    if any_cue is None or not any_cue.search(text):  # most posts carry no cue at all
        return []
    out = []
    for cue, pattern in cues:
        hits = pattern.finditer(text)
        if any(not (negatable and _NEGATED.search(text[: m.start()])) for m in hits):
            out.append(cue)
    return out


@dataclass(frozen=True)
class CueEvidence:
    """The cue words of `post` that its best exemplar does not contain (module docstring, 2-3)."""

    debunk: tuple[str, ...]
    negated_claim: str | None
    discuss: tuple[str, ...]

    def describe(self) -> str:
        parts = []
        if self.debunk or self.negated_claim:
            found = [*self.debunk, *([self.negated_claim] if self.negated_claim else [])]
            parts.append("debunk cue: " + ", ".join(repr(c) for c in found))
        if self.discuss:
            parts.append("reporting/question cue: " + ", ".join(repr(c) for c in self.discuss))
        return "; ".join(parts)


def cue_evidence(post: str, exemplar: str) -> CueEvidence:
    """Debunk cues (negation-aware), a negated claim word and discussion cues in `post`."""
    negated = _NEGATED_CLAIM.search(post)
    return CueEvidence(
        debunk=tuple(_found("debunk", post, exemplar, negatable=True)),
        negated_claim=(
            negated.group(0) if negated and not _NEGATED_CLAIM.search(exemplar) else None
        ),
        discuss=tuple(_found("discuss", post, exemplar)),
    )


def classify_stance(
    post: str,
    exemplar: str,
    exemplar_score: float,
    *,
    counter_exemplar: str | None = None,
    counter_score: float | None = None,
    margin: float = 0.02,
) -> StanceResult:
    """Stance of `post` given its best exemplar and, if any, best counter-exemplar with their
    cosine similarities. Pure; see the module docstring for the rules and their failure modes."""
    if (
        counter_exemplar is not None
        and counter_score is not None
        and counter_score > exemplar_score + margin
    ):
        return StanceResult(
            "debunks",
            f"closer to counter-exemplar {counter_exemplar!r} ({counter_score:.2f}) than to "
            f"exemplar ({exemplar_score:.2f})",
        )
    cues = cue_evidence(post, exemplar)
    if cues.debunk or cues.negated_claim:
        found = [*cues.debunk, *([cues.negated_claim] if cues.negated_claim else [])]
        return StanceResult("debunks", "debunk cue: " + ", ".join(repr(c) for c in found))
    if cues.discuss:
        return StanceResult(
            "discusses", "reporting/question cue: " + ", ".join(repr(c) for c in cues.discuss)
        )
    return StanceResult("promotes", "matches the narrative with no debunk or reporting cue")
