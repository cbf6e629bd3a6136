"""Where the offline deployment linters live, and small shared helpers for the deploy tests.

hadolint, check-jsonschema and kubernetes-validate come with the ``dev`` extra (in the virtualenv's
``bin``); kustomize and kubeconform are Go binaries that ``scripts/bootstrap.sh`` installs into
``.tools/bin``. A missing tool FAILS the test that needs it (CI must not pass without checking).
"""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from pipeline.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
TOOLS_BIN = ROOT / ".tools" / "bin"
OVERLAYS = ("dev", "prod")


def tool(name: str) -> str:
    """Absolute path of a linter; fails the calling test if it is not installed."""
    for folder in (VENV_BIN, TOOLS_BIN):
        if (folder / name).is_file():
            return str(folder / name)
    raise AssertionError(f"{name} is not installed: run scripts/bootstrap.sh")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    """The manifests ``kustomize build deploy/k8s/overlays/<overlay>`` renders."""
    result = run(tool("kustomize"), "build", str(ROOT / "deploy" / "k8s" / "overlays" / overlay))
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def find(docs: tuple[dict[str, Any], ...], kind: str, name: str) -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def settings_env_error(name: str) -> str | None:
    """None if `name` is a ``NARRMON_`` variable `Settings` reads (``__`` nests), else why not."""
    if not name.startswith("NARRMON_"):
        return f"{name}: not a NARRMON_ variable"
    model: type[BaseModel] = Settings
    parts = name.removeprefix("NARRMON_").lower().split("__")
    for depth, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            return f"{name}: {model.__name__} has no field {part!r}"
        annotation = field.annotation
        last = depth == len(parts) - 1
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if last:
                return f"{name}: {part!r} is a group, not a value"
            model = annotation
        elif not last:
            return f"{name}: {part!r} is a value, not a group"
    return None
