"""One batch runner for every stream step: take, parse, run the step, deliver, ack in order.

An agent only declares its input topic, a pure per-record parser, a step that gets the whole
batch, and where the step's outputs go (`BatchRunner`); the runner owns the loop. The shape is
getsentry/arroyo's ``RunTask(function, next_step)`` plus its ``dlq.InvalidMessage``: a parser
raises `models.errors.InvalidRecord` and never decides where the dead letter goes.

The contract: at least once, never a committed offset past an unprocessed record (read from
faust-streaming 0.15.3's source):

- ``Stream.take()`` / ``take_events()`` ack the buffered events in a ``finally`` after the
  ``yield``. That runs when the agent asks for the next batch, but ALSO when the generator is
  closed because the agent body raised: a batch that failed half-way would be acked, and the
  consumer commits acked offsets on the agent-error path (``Consumer.on_task_error``). So a crash
  in a step could lose records.
- ``Stream.noack_take()`` buffers the same way but never acks (and sets ``enable_acks = False`` so
  the stream's own iterator does not either). The runner acks each event itself with
  ``stream.ack`` only after every output and dead letter of the batch has been DELIVERED (it awaits
  the producer's delivery futures; the producer uses ``acks=all``). A committed offset therefore
  always lies behind records whose outputs are in Kafka; a SIGKILL at any moment loses nothing and
  at most re-sends outputs for the uncommitted tail (deterministic ids, deduplicated downstream).
- Faust commits the longest run of consecutive acked offsets per partition, and its gap check
  tolerates one missing offset at the head (``_new_offset``), so the runner never acks out of
  order: a batch is acked all at once, in consumption order, without awaiting in between
  (``Stream.ack`` does not yield to the loop). The worker also never commits past a record still
  waiting for an ack (`pipeline.runner.commit_guard`): a record one of two agents dropped.
- A record its parser refuses (`InvalidRecord`, or any exception the parser did not anticipate,
  as ``unexpected_error``) is dead-lettered from its origin (`DeadLetter.of_invalid`) and acked
  with its batch; it is never retried. A step may refuse records too (`StepResult.refused`).
- A step that raises `pipeline.errors.TransientError` is retried with capped exponential backoff
  (`pipeline.retry.backoff_delay`) on the same batch, acknowledging nothing meanwhile: the worker
  stops making progress (visible as consumer lag) until the outage ends. Steps must therefore be
  idempotent (hit ids are deterministic; the index upserts).
- A step that raises anything else is taken to be choking on some record(s): the runner re-runs
  it on halves of the batch, recursively, down to single records, each of which gets a bounded
  number of attempts (`IsolationPolicy`); the records that still fail are dead-lettered as
  ``step_failed`` (with the exception type) and the rest of the batch is delivered and acked.
  So no record can crash-loop the worker. Steps must therefore tolerate being re-run on a
  subset of a batch (they are idempotent anyway).
- `pipeline.errors.WorkerFatalError` or `MemoryError` from a step (not about any record: the model
  thread is gone), or a failed delivery (Kafka refused a send after its own retries), stops the
  worker with an error (`fail_worker` -> ``app.crash``), nothing of the batch acked: the
  supervisor restarts it and the records are redelivered.

Modules: `step` (the records a step sees and returns), `batch` (`BatchRunner`), `dead_letters`
(the dead-letter topic writer), `seek_guard` (the consumer's post-recovery seek, see there),
`commit_guard` (commits stop before an unacked record), `event_path_guard` (Faust's livelock
check skips a partition that has no position yet instead of crashing the worker).
"""

from __future__ import annotations

from pipeline.runner.batch import (
    BatchRunner,
    IsolationPolicy,
    RetryPolicy,
    fail_worker,
    origin_of,
)
from pipeline.runner.dead_letters import DeadLetterWriter
from pipeline.runner.step import Output, Parser, Record, Step, StepResult

__all__ = [
    "BatchRunner",
    "DeadLetterWriter",
    "IsolationPolicy",
    "Output",
    "Parser",
    "Record",
    "RetryPolicy",
    "Step",
    "StepResult",
    "fail_worker",
    "origin_of",
]
