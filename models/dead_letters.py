"""Dead letters: what a refused record becomes on the dead-letter topic (`DeadLetter`), why it was
refused (`DeadLetterReason`) and where it was read (`RecordOrigin`). Built in one place,
`DeadLetter.of_invalid`, by the batch runner and the connector replay loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.limits import encodable
from models.records import FrozenRecord, UtcDatetime, utc_now

if TYPE_CHECKING:
    from models.errors import InvalidRecord

DeadLetterReason = Literal[
    "invalid_utf8",
    "malformed_json",
    "schema_error",
    "missing_text",
    "oversized",
    "index_rejected",
    "normalisation_error",
    "unexpected_error",
    "step_failed",
]


class RecordOrigin(BaseModel):
    """Where a record was read from, carried into its dead letter so an operator can find it:
    a Kafka position (topic, partition, offset, key) or, for connectors, just a key naming the
    source position (``path:line``, a frame id)."""

    model_config = ConfigDict(frozen=True)

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    key: str | None = None


class DeadLetter(FrozenRecord):
    """What goes to the dead-letter topic: the original bytes (base64) and why they were refused.

    A dead-lettered record is never retried automatically; an operator can replay `original`.
    A dead letter always fits on the topic (Kafka refuses messages over about 1 MB by default,
    producer and broker alike): an original larger than `ORIGINAL_MAX_BYTES` keeps only its first
    `ORIGINAL_MAX_BYTES` bytes, with ``original_truncated`` true; ``original_size`` and
    ``original_sha256`` always describe the whole original. Texts (error, source, key) are cut
    and made UTF-8-encodable (`models.limits.encodable`), so building and encoding one never
    fails whatever the record was.
    """

    ORIGINAL_MAX_BYTES: ClassVar[int] = 256 * 1024
    ERROR_MAX_CHARS: ClassVar[int] = 2000
    LABEL_MAX_CHARS: ClassVar[int] = 256
    KEY_MAX_CHARS: ClassVar[int] = 1024

    schema_version: Literal[1] = 1
    reason: DeadLetterReason
    error: str
    source: str
    original_b64: str
    original_size: int | None = None
    original_sha256: str | None = None
    original_truncated: bool = False
    original_topic: str | None = None
    original_partition: int | None = None
    original_offset: int | None = None
    key: str | None = None
    dead_lettered_at: UtcDatetime = Field(default_factory=utc_now)

    @classmethod
    def of(
        cls,
        original: bytes,
        reason: DeadLetterReason,
        error: str,
        source: str,
        *,
        key: str | None = None,
        **kw: Any,
    ) -> DeadLetter:
        import base64
        import hashlib

        kept = original[: cls.ORIGINAL_MAX_BYTES]
        return cls(
            reason=reason,
            error=encodable(error, cls.ERROR_MAX_CHARS),
            source=encodable(source, cls.LABEL_MAX_CHARS) or "unknown",
            original_b64=base64.b64encode(kept).decode("ascii"),
            original_size=len(original),
            original_sha256=hashlib.sha256(original).hexdigest(),
            original_truncated=len(kept) < len(original),
            key=encodable(key, cls.KEY_MAX_CHARS) if key is not None else None,
            **kw,
        )

    @classmethod
    def of_invalid(
        cls, original: bytes, error: InvalidRecord, origin: RecordOrigin, *, source: str
    ) -> DeadLetter:
        """The dead letter for `original`, refused by a parser with `error`, read at `origin`.
        `source` is the fallback when the error names none. The one place a dead letter is
        built from a refused record (batch runner and connector replay both call it)."""
        return cls.of(
            original,
            error.reason,
            error.detail,
            error.source or source,
            original_topic=origin.topic,
            original_partition=origin.partition,
            original_offset=origin.offset,
            key=origin.key,
        )

    def original(self) -> bytes:
        import base64

        return base64.b64decode(self.original_b64)
