"""Fetching the JVM services from Maven Central with `mvn`, and unpacking them (blocking I/O).

Everything lands in the cache dir (see `layout.py`) with a Maven local repository of its own
(``-Dmaven.repo.local=<cache>/m2``). A finished step leaves a ``.complete`` marker, so a second
`narrmon stack up` does not run Maven at all and needs no network.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from pipeline.stack.errors import MissingToolError, ProvisionError

logger = logging.getLogger(__name__)

COMPLETE_MARKER = ".complete"

_HOW_TO_GET: dict[str, str] = {
    "java": "install a Java 17+ runtime (e.g. 'apt-get install openjdk-17-jre-headless').",
    "mvn": "install Apache Maven (e.g. 'apt-get install maven') and retry; it fetches Kafka and "
    "Elasticsearch from Maven Central.",
    "prometheus": "run 'bash scripts/bootstrap.sh' (installs the Debian package 'prometheus').",
    "prometheus-alertmanager": "run 'bash scripts/bootstrap.sh' (installs the Debian package "
    "'prometheus-alertmanager').",
    "setpriv": "install util-linux (Elasticsearch must not run as root and narrmon uses setpriv "
    "to drop privileges).",
    "useradd": "install the Debian package 'passwd' (needed to create the Elasticsearch user).",
}


def require_tool(name: str) -> str:
    """The absolute path of program `name`; raises `MissingToolError` saying how to get it."""
    path = shutil.which(name)
    if path is None:
        raise MissingToolError(name, _HOW_TO_GET.get(name, "install it and retry."))
    return path


def java_home() -> Path:
    """The Java installation the `java` on PATH belongs to (``.../bin/java`` -> ``...``)."""
    return Path(os.path.realpath(require_tool("java"))).parent.parent


def is_complete(directory: Path) -> bool:
    return (directory / COMPLETE_MARKER).is_file()


def mark_complete(directory: Path) -> None:
    (directory / COMPLETE_MARKER).write_text("ok\n", encoding="utf-8")


def run_maven(
    pom: Path,
    goals: Sequence[str],
    *,
    m2_repo: Path,
    properties: Mapping[str, str],
    what: str,
    timeout_s: float = 900.0,
) -> None:
    """Run ``mvn -B -q -f pom -Dmaven.repo.local=m2 -Dk=v... goals``; raise `ProvisionError` with
    Maven's last output lines when it fails (typically: Maven Central unreachable)."""
    mvn = require_tool("mvn")
    require_tool("java")
    argv = [mvn, "-B", "-q", "-f", str(pom), f"-Dmaven.repo.local={m2_repo}"]
    argv += [f"-D{key}={value}" for key, value in properties.items()]
    argv += list(goals)
    logger.info("fetching %s with Maven (first run only): %s", what, " ".join(argv))
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ProvisionError(
            f"fetching {what} from Maven Central took over {timeout_s:.0f}s; check the network "
            "and retry"
        ) from exc
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ProvisionError(
            f"could not fetch {what} from Maven Central (is the network or a Maven mirror "
            f"reachable?); mvn said:\n{tail}"
        )


def unzip_once(archive: Path, destination: Path, *, top_level: str) -> Path:
    """Unpack `archive` into ``destination/top_level`` unless already done; return that folder.

    Unpacks into a temporary sibling first and renames, so an interrupted run leaves no half tree.
    Keeps the executable bits (zipfile drops them by default).
    """
    target = destination / top_level
    if is_complete(target):
        return target
    staging = destination / f".{top_level}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                extracted = Path(zf.extract(info, staging))
                mode = (info.external_attr >> 16) & 0o777
                if mode and not info.is_dir():
                    extracted.chmod(mode)
    except (OSError, zipfile.BadZipFile) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ProvisionError(f"could not unpack {archive}: {exc}; delete it and retry") from exc
    unpacked = staging / top_level
    if not unpacked.is_dir():
        raise ProvisionError(f"{archive} has no top-level folder {top_level!r}")
    shutil.rmtree(target, ignore_errors=True)
    unpacked.rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    mark_complete(target)
    return target
