"""Exemplar similarity for targeting: how much closer a post is to calls to identify or harass an
election worker than to benign posts about election workers.

Contract: `ExemplarScorer(embedder)` is cheap; `margins(texts)` embeds (blocking, CPU-bound) and
returns, per text, ``max cosine to TARGETING_EXEMPLARS - max cosine to BENIGN_EXEMPLARS``.
The exemplars are written for this module (no post of any evaluation split is among them).
Measured on the targeting tuning split in `models/README.md`: alone it separates the classes
far less well than the patterns, so `models.signals.targeting` does not use it by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from models.matching.embedder import Embedder

TARGETING_EXEMPLARS: tuple[str, ...] = (
    "Find out where this poll worker lives and go to her house.",
    "Here is the home address and phone number of the election worker. You know what to do.",
    "Does anyone know the name of the ballot courier in this video? Let's expose him.",
    "The county clerk who rejected our ballots lives on Maple Street. Pay her a visit.",
    "Post the names and addresses of every canvasser who came to our street.",
    "That postal worker has kids. It would be a shame if something happened.",
    "Track down the election judge and make him answer for what he did.",
    "Get the licence plate of the van that dropped off the ballots and find the driver.",
    "Everyone call this poll watcher's personal cell until he confesses.",
    "We know who the vote counter is now. She should be scared to go home.",
)
BENIGN_EXEMPLARS: tuple[str, ...] = (
    "Thank you to all the poll workers who kept our precinct running today.",
    "Election workers received threats and the FBI is investigating, officials said.",
    "Sign up to be a poll worker with your county elections office.",
    "Call the county elections office with questions about your mail ballot.",
    "The senator should resign and answer to voters at the next election.",
    "Harassing election workers is wrong; report threats to the authorities.",
    "Our mail carrier delivered the ballots on time, shoutout to her.",
    "A canvasser from the campaign knocked on my door and we had a nice chat.",
    "The court ruled that poll workers' home addresses stay confidential.",
    "The governor must be held accountable for the long lines. Vote him out.",
)

Vector = npt.NDArray[np.float32]


class ExemplarScorer:
    """Targeting-vs-benign exemplar margin for post texts (see the module docstring)."""

    def __init__(
        self,
        embedder: Embedder,
        targeting: Sequence[str] = TARGETING_EXEMPLARS,
        benign: Sequence[str] = BENIGN_EXEMPLARS,
    ) -> None:
        self.embedder = embedder
        self.targeting = tuple(targeting)
        self.benign = tuple(benign)
        self._targeting_vectors: Vector | None = None
        self._benign_vectors: Vector | None = None

    def margins(self, texts: Sequence[str]) -> Vector:
        """One margin per text, in [-2, 2]; positive means closer to targeting exemplars."""
        if self._targeting_vectors is None or self._benign_vectors is None:
            self._targeting_vectors = self.embedder.encode(self.targeting)
            self._benign_vectors = self.embedder.encode(self.benign)
        if not texts:
            return np.zeros(0, dtype=np.float32)
        posts = self.embedder.encode(list(texts))
        to_targeting = (posts @ self._targeting_vectors.T).max(axis=1)
        to_benign = (posts @ self._benign_vectors.T).max(axis=1)
        return np.asarray(to_targeting - to_benign, dtype=np.float32)
