"""The local stack: Kafka, Elasticsearch, Prometheus and Alertmanager as plain local processes.

Public API (everything blocking; see `stack.py` for the contracts):

    from pipeline.stack import up, down, status, register_scrape_target, StackError
    report = up(settings)          # starts what is not running, waits until all answer
    register_scrape_target(settings, "narrmon-worker", "worker-1", "127.0.0.1:29100")

Modules: `layout` (paths), `process` (pid files, spawn, stop), `provision` (Maven, unzip),
`kafka`, `elasticsearch` (what the integ-test-zip lacks is documented there), `prometheus`
(Prometheus + Alertmanager configs), `readiness` (probes), `targets` (file_sd scrape targets),
`stack` (orchestration), `errors`.
"""

from __future__ import annotations

from pipeline.stack.errors import MissingToolError, ProvisionError, ServiceStartError, StackError
from pipeline.stack.stack import ServiceStatus, UpReport, down, status, up
from pipeline.stack.targets import register_scrape_target, unregister_scrape_target

__all__ = [
    "MissingToolError",
    "ProvisionError",
    "ServiceStartError",
    "ServiceStatus",
    "StackError",
    "UpReport",
    "down",
    "register_scrape_target",
    "status",
    "unregister_scrape_target",
    "up",
]
