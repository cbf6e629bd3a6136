"""Targeting of election workers: personal data or a named private person, together with an
election role, together with a call to action (explicit or veiled).

Contract: `detect_targeting(text, probability=None)` is pure, fast (regular expressions, ~0.1 ms
per post) and never raises on any string. It returns a `TargetingResult` with the evidence spans
(character offsets into `text`), a score in [0, 1] and the `targeting` flag.

Two decisions, one rule in common: a post that names no election role (poll worker, clerk,
courier, postal worker, canvasser, observer, election judge, ...) is never flagged. Public
officials criticised by name carry titles (Secretary of State, Senator, ...), not roles, so "make
Senator X answer" is ordinary speech.
- live (`probability` given): the score is the learnt probability of
  `models.signals.targeting_classifier` over the post's embedding, and the post is flagged when
  it reaches `threshold` (the classifier's, chosen on the tuning split) and a role is named. The
  evidence spans are the patterns' and explain the flag; they do not decide it;
- patterns only (no embedding): evidence kinds add up once each (weights in `TargetingConfig`):
  personal data (phone, email, street address, licence plate), a named private person, a call to
  action, a veiled call, a locator ("lives on", "his truck"); benign context (reporting verbs,
  thanks, service information, condemnation) subtracts, contact data next to
  "office"/"hotline"/"tips" counts as institutional, and a call to action right after a negation
  ("don't dox anyone") is dropped. Flag when the sum is positive.
Known failure modes: the patterns miss most phrasings they were not written from (measured in
`models/README.md`); the classifier was fit on a few hundred posts, so unusual phrasings and
non-English posts are missed, and quoted or reported calls can be flagged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from models.signals import targeting_patterns as lex

EvidenceKind = Literal[
    "phone",
    "email",
    "address",
    "plate",
    "person",
    "role",
    "call_to_action",
    "veiled",
    "locator",
    "benign",
    "institutional",
]
PERSONAL_DATA: frozenset[EvidenceKind] = frozenset({"phone", "email", "address", "plate"})


@dataclass(frozen=True)
class Evidence:
    """One span of `text` (``text[start:end]``) and what it is evidence of."""

    start: int
    end: int
    kind: EvidenceKind
    text: str


@dataclass(frozen=True)
class TargetingResult:
    targeting: bool
    score: float
    evidence: tuple[Evidence, ...]

    def kinds(self) -> frozenset[EvidenceKind]:
        return frozenset(e.kind for e in self.evidence)


@dataclass(frozen=True)
class TargetingConfig:
    """Weights of each evidence kind (counted once) and the bias; flag when the sum > 0."""

    personal_data: float = 1.0
    person: float = 0.5
    call_to_action: float = 1.5
    veiled: float = 1.5
    locator: float = 1.0
    benign: float = -1.25
    bias: float = -1.0
    weights: dict[str, float] = field(default_factory=dict)

    def weight(self, kind: EvidenceKind) -> float:
        if kind in self.weights:
            return self.weights[kind]
        if kind in PERSONAL_DATA:
            return self.personal_data
        return float(getattr(self, kind, 0.0))


DEFAULT_CONFIG = TargetingConfig()


def find_evidence(text: str) -> list[Evidence]:
    """Every evidence span in `text`, in order of position (overlaps allowed across kinds)."""
    found: list[Evidence] = []

    def add(match: re.Match[str], kind: EvidenceKind, group: int | str = 0) -> None:
        start, end = match.span(group)
        found.append(Evidence(start, end, kind, text[start:end]))

    for m in lex.EMAIL.finditer(text):
        add(m, _contact_kind(text, m.start(), "email"))
    for m in lex.PHONE.finditer(text):
        add(m, _contact_kind(text, m.start(), "phone"))
    for m in lex.ADDRESS.finditer(text):
        add(m, _contact_kind(text, m.start(), "address"))
    for m in lex.PLATE.finditer(text):
        add(m, "plate", "plate")
    for m in lex.ROLE.finditer(text):
        add(m, "role")
    for m in lex.PERSON.finditer(text):
        if _is_private_name(text, m):
            add(m, "person", "name")
    for m in lex.CALL_TO_ACTION.finditer(text):
        if not lex.NEGATION.search(text[max(0, m.start() - 12) : m.start()]):
            add(m, "call_to_action")
    for m in lex.VEILED.finditer(text):
        add(m, "veiled")
    for m in lex.LOCATOR.finditer(text):
        add(m, "locator")
    for m in lex.BENIGN.finditer(text):
        add(m, "benign")
    found.sort(key=lambda e: (e.start, e.end, e.kind))
    return found


def score_evidence(evidence: list[Evidence], config: TargetingConfig = DEFAULT_CONFIG) -> float:
    """The raw score: bias plus each present evidence kind's weight once (benign counts per
    distinct cue, up to two). ``-inf`` when no election role is named."""
    kinds = {e.kind for e in evidence}
    if "role" not in kinds:
        return -math.inf
    raw = config.bias
    if kinds & PERSONAL_DATA:
        raw += config.personal_data
    for kind in ("person", "call_to_action", "veiled", "locator"):
        if kind in kinds:
            raw += config.weight(kind)
    benign_cues = {e.text.lower() for e in evidence if e.kind == "benign"}
    raw += config.benign * min(2, len(benign_cues))
    return raw


def detect_targeting(
    text: str,
    config: TargetingConfig = DEFAULT_CONFIG,
    *,
    probability: float | None = None,
    threshold: float = 0.5,
) -> TargetingResult:
    """Targeting detection for one post text: with the classifier's `probability` (flag at
    `threshold` when a role is named), else from the patterns alone (see the module docstring)."""
    evidence = find_evidence(text)
    if probability is not None:
        named_role = any(e.kind == "role" for e in evidence)
        flagged = named_role and probability >= threshold
        return TargetingResult(flagged, float(probability), tuple(evidence))
    raw = score_evidence(evidence, config)
    score = 0.0 if raw == -math.inf else 1.0 / (1.0 + math.exp(-raw))
    return TargetingResult(
        targeting=score >= 0.5 and raw > 0, score=score, evidence=tuple(evidence)
    )


def _contact_kind(text: str, start: int, kind: EvidenceKind) -> EvidenceKind:
    """`kind`, or ``institutional`` when an office/hotline/tips word sits just before it or the
    email's local part is a generic mailbox."""
    before = text[max(0, start - 45) : start + 12]
    return "institutional" if lex.INSTITUTIONAL_CONTACT.search(before) else kind


def _is_private_name(text: str, match: re.Match[str]) -> bool:
    name = match.group("name")
    if any(part in lex.NOT_A_NAME for part in name.split()) or name in lex.NOT_A_NAME:
        return False
    before = text[max(0, match.start("name") - 30) : match.start("name")]
    return not lex.OFFICIAL_TITLE.search(before.split(".")[-1])
