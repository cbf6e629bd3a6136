"""What a step sees and returns. Pure data; no Faust.

A step is an async callable ``step(batch) -> StepResult`` over the records of one batch that
parsed (`Record`: the parsed value, its raw bytes, its origin). It returns the messages to send
to the runner's output topic (`Output`) and the records it refuses (with an
`models.errors.InvalidRecord`, dead-lettered by the runner). It raises
`pipeline.errors.TransientError` to have the whole batch retried later and
`pipeline.errors.WorkerFatalError` to stop the worker; anything else it raises makes the runner look
for the record(s) responsible by re-running it on parts of the batch (so a step must tolerate
being called again on a subset). Steps can be called from a REPL with a list of `Record`s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from models.dead_letters import RecordOrigin
from models.errors import InvalidRecord

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)

Parser = Callable[[bytes], T]
"""Raw record bytes -> the parsed value. Pure; raises `InvalidRecord` for a bad record."""


@dataclass(frozen=True)
class Record(Generic[T]):
    """One parsed record of a batch: the value, the bytes it was parsed from, where it was read."""

    value: T
    raw: bytes
    origin: RecordOrigin


@dataclass(frozen=True)
class Output:
    """One message for the runner's output topic."""

    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class StepResult(Generic[T]):
    """What a step made of a batch. Every record of the batch is either represented by the
    outputs (possibly none: a post without hits) or refused."""

    outputs: Sequence[Output] = ()
    refused: Sequence[tuple[Record[T], InvalidRecord]] = field(default_factory=tuple)


Step = Callable[[Sequence[Record[T]]], Awaitable[StepResult[T]]]
"""``await step(batch)``: see the module docstring."""
