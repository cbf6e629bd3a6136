"""Backoff before retrying a transient failure."""

from __future__ import annotations

import pytest

from pipeline.retry import backoff_delay


def test_backoff_grows_exponentially_and_is_capped() -> None:
    no_jitter = [backoff_delay(a, base_s=0.5, cap_s=10, jitter=0.0) for a in range(8)]
    assert no_jitter[:5] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert no_jitter[5:] == [10, 10, 10]
    assert backoff_delay(2, base_s=1, cap_s=100, jitter=0.5, rand=lambda: 1.0) == 6.0
    assert backoff_delay(2, base_s=1, cap_s=100, jitter=0.5, rand=lambda: 0.0) == 2.0
    with pytest.raises(ValueError):
        backoff_delay(-1)
