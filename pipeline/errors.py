"""The errors of the `pipeline` package: one root, transient vs not.

- `PipelineError`: root of everything `pipeline` raises on purpose.
- `TransientError`: worth retrying with backoff (a service unreachable, overloaded, timing out).
  The batch runner (`pipeline.runner`) retries a step that raises it without acknowledging
  anything; every other exception from a step is either an `models.errors.InvalidRecord` (that
  record is dead-lettered) or unexpected (the worker stops, unacknowledged).

Third-party exceptions (elasticsearch, kafka, faust) are translated into these at the boundary
package of each system, with ``raise ... from exc``; nothing above that boundary catches a
third-party exception type.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Root of the errors raised by `pipeline` on purpose."""


class TransientError(PipelineError):
    """A failure worth retrying later with backoff; the records involved are not at fault."""
