"""Fixtures for the pure index tests."""

from __future__ import annotations

import pytest

from models.records import Hit
from tests.unit.elastic.hits import make_hit


@pytest.fixture
def hit() -> Hit:
    return make_hit(embedding=[0.1, 0.2, 0.3])
