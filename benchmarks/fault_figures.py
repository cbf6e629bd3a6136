"""Reliability figures, measured by the fault tests on the real services, printed as one table.

A script, not a test: ``.venv/bin/python benchmarks/fault_figures.py [--flood-s 60]
[--outage-s 60] [--json] [--only flood]``. It runs the fault tests
(`tests/integration/test_fault_*.py` and the SIGKILL test of
`tests/integration/test_pipeline_worker.py`) with
``NARRMON_FAULT_FIGURES`` pointing at a temporary file, then prints what they recorded:

- time from stopping Elasticsearch to `IndexingStalled` at Alertmanager's webhook (the private
  Prometheus runs the repository's rules scaled 12x shorter; with the shipped rules add the
  difference: 120 s without a bulk write and 1 min pending instead of 10 s and 5 s),
- the worker's peak RSS during a flood of 10x its measured capacity, against the stated bound,
- the share of duplicate hit records on the hits topic after a worker is SIGKILLed mid-stream,
- how long SIGTERM takes with the broker gone.

The local stack must be running (``narrmon stack up``); the tests start their private services
themselves. Takes about as long as the tests (6-10 minutes on 2 cores with a 60 s flood).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = [
    "tests/integration/test_fault_elasticsearch.py",
    "tests/integration/test_fault_flood.py",
    "tests/integration/test_fault_broker.py",
    "tests/integration/test_pipeline_worker.py::test_sigkill_mid_stream_loses_nothing_and_duplicates_nothing",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood-s", type=float, default=60.0, help="flood duration (s)")
    parser.add_argument("--outage-s", type=float, default=60.0, help="Elasticsearch outage (s)")
    parser.add_argument("--json", action="store_true", help="one JSON object per figure")
    parser.add_argument(
        "--only", metavar="TEXT", help="run only the fault tests whose id contains TEXT"
    )
    args = parser.parse_args()
    tests = [t for t in TESTS if args.only is None or args.only in t]
    if not tests:
        parser.error(f"no fault test matches {args.only!r}")
    # The suite's per-test timeout (pyproject) is sized for CI's short flood and outage; a 60 s
    # flood at 10x capacity drains for about ten minutes more on 2 cores.
    timeout_s = int(600 + 30 * args.flood_s + 2 * args.outage_s)
    with tempfile.TemporaryDirectory() as tmp:
        figures_file = Path(tmp) / "figures.jsonl"
        env = os.environ | {
            "NARRMON_FAULT_FIGURES": str(figures_file),
            "NARRMON_FAULT_FLOOD_S": str(args.flood_s),
            "NARRMON_FAULT_ES_OUTAGE_S": str(args.outage_s),
            "NARRMON_KEEP_STACK": "1",
        }
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--timeout={timeout_s}",
            *tests,
        ]
        done = subprocess.run(command, cwd=ROOT, env=env, check=False)
        lines = figures_file.read_text().splitlines() if figures_file.exists() else []
    figures = [json.loads(line) for line in lines]
    for figure in figures:
        if args.json:
            print(json.dumps(figure))
        else:
            name = figure.pop("figure")
            print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in figure.items()))
    if done.returncode != 0:
        print(f"some fault tests failed (pytest exit {done.returncode}); figures may be missing")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
