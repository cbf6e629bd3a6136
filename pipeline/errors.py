"""The errors of the `pipeline` package: one root, transient vs not.

- `PipelineError`: root of everything `pipeline` raises on purpose.
- `TransientError`: worth retrying with backoff (a service unreachable, overloaded, timing out).
  The batch runner (`pipeline.runner`) retries a step that raises it without acknowledging
  anything.
- `WorkerFatalError`: not about any record (the model thread is gone, the matcher cannot run):
  the batch runner stops the worker, nothing acknowledged, the supervisor restarts it.
- Any other exception from a step is taken to be about the records of the batch: the runner
  isolates the record(s) responsible and dead-letters them (``step_failed``).

Third-party exceptions (elasticsearch, kafka, faust) are translated into these at the boundary
package of each system, with ``raise ... from exc``; nothing above that boundary catches a
third-party exception type.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Root of the errors raised by `pipeline` on purpose."""


class TransientError(PipelineError):
    """A failure worth retrying later with backoff; the records involved are not at fault."""


class WorkerFatalError(PipelineError):
    """A failure that is not about any record: retrying or isolating records cannot help, the
    worker must stop (unacknowledged) and be restarted."""
