"""The local stack's error hierarchy.

Every failure of `narrmon stack` is a `StackError` whose message is one sentence an operator can act
on (what is missing or broken, and how to fix it). The CLI prints the message and exits with code 1;
library callers (the demo, test fixtures) may catch the specific subclasses.
"""

from __future__ import annotations

from pathlib import Path


class StackError(Exception):
    """Base class: something about the local stack needs the operator's attention."""


class MissingToolError(StackError):
    """A program the stack needs (java, mvn, prometheus, ...) is not on PATH."""

    def __init__(self, tool: str, how_to_get: str) -> None:
        super().__init__(f"{tool} is missing: {how_to_get}")
        self.tool = tool


class ProvisionError(StackError):
    """Fetching or unpacking a service failed (no network, Maven Central unreachable, bad zip)."""


class ServiceStartError(StackError):
    """A service did not become ready in time, or exited while starting.

    `log_path` names the service's log; `log_tail` holds its last lines for the operator.
    """

    def __init__(self, service: str, reason: str, log_path: Path, log_tail: str = "") -> None:
        message = f"{service} {reason}; see its log at {log_path}"
        super().__init__(message)
        self.service = service
        self.log_path = log_path
        self.log_tail = log_tail
