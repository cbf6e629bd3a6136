"""Formatting Kafka's storage: a refused format names the tool's own complaint."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.stack import kafka
from pipeline.stack.errors import ProvisionError


def _tool(tmp_path: Path, body: str) -> str:
    script = tmp_path / "java"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def test_a_refused_format_says_why_and_keeps_the_log(tmp_path: Path) -> None:
    said = 'echo "usage: kafka-storage"; echo "error: expected one argument"; exit 1'
    java = _tool(tmp_path, said)
    log = tmp_path / "logs" / "kafka.log"
    with pytest.raises(ProvisionError, match="expected one argument"):
        kafka._format_storage(java, tmp_path, tmp_path / "s.properties", tmp_path / "d", log)
    assert "usage: kafka-storage" in log.read_text(encoding="utf-8")


def test_a_formatted_directory_is_left_alone(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "meta.properties").write_text("cluster.id=x\n", encoding="utf-8")
    java = _tool(tmp_path, "exit 1")  # would fail if it ran
    kafka._format_storage(java, tmp_path, tmp_path / "s.properties", data, tmp_path / "k.log")
