"""`StateTable` writes each narrative's state to its own changelog partition, whatever event is
current (a recorded stand-in for the Faust table: the test is about which partition we pick)."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.spikes.table import StateTable


class RecordedTable:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.changelog: list[tuple[int, str, Any]] = []

    def send_changelog(self, partition: int, key: str, value: Any, **_: Any) -> None:
        self.changelog.append((partition, key, value))


def test_each_state_goes_to_its_partition() -> None:
    table = RecordedTable()
    states = StateTable(table)
    states["n-a"] = {"partition": 4, "offset": 9}
    states["n-b"] = {"partition": 1, "offset": 2}
    assert table.changelog == [
        (4, "n-a", {"partition": 4, "offset": 9}),
        (1, "n-b", {"partition": 1, "offset": 2}),
    ]
    assert dict(states) == {
        "n-a": {"partition": 4, "offset": 9},
        "n-b": {"partition": 1, "offset": 2},
    }
    del states["n-a"]
    assert table.changelog[-1] == (4, "n-a", None)
    assert list(states) == ["n-b"]


def test_a_state_without_partition_is_refused() -> None:
    with pytest.raises(ValueError, match="no partition"):
        StateTable(RecordedTable())["n-a"] = {"offset": 1}
