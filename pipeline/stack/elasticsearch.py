"""Elasticsearch for the local stack: the ``integ-test-zip`` distribution from Maven Central.

`narrmon stack up` fetches ``org.elasticsearch.distribution.integ-test-zip:elasticsearch:<version>``
(zip, ~100 MB; settings.elasticsearch.version, pinned to the newest 8.19.x on Maven Central that
runs on Java 17) with ``deploy/local/elasticsearch/pom.xml``, unpacks it into
``<cache>/elasticsearch-<version>/`` and runs ``bin/elasticsearch`` with ``ES_JAVA_HOME`` set to the
machine's Java (the zip bundles no JDK), ``ES_PATH_CONF`` pointing at a config folder under the
state dir, single-node discovery, security disabled, HTTP and transport bound to 127.0.0.1.

What this distribution LACKS (code and tests must not depend on these locally):
- the ``analysis-common`` module: no language analyzers (``english``, ``french``...), no
  ``stemmer``/``snowball``/``stop``/``asciifolding``/``word_delimiter`` token filters, no
  ``pattern``/``ngram``/``edge_ngram`` tokenizers. Core has ``standard``, ``simple``,
  ``whitespace``, ``keyword`` analyzers and the ``lowercase`` filter.
- ``lang-painless``: no scripts (``script_score``, scripted updates, runtime fields with scripts).
- ILM, data streams, ingest ``common`` processors (``set``, ``rename``...), ML, rollups, transforms,
  the ``geoip`` downloader.
- ``reindex``: no ``_reindex``, ``_delete_by_query``, ``_update_by_query`` (delete whole indices
  instead). ``mapper-extras``: no ``scaled_float``, ``rank_feature``, ``search_as_you_type``,
  ``token_count``. ``lang-mustache``: no search templates. ``percolator``, ``parent-join``
  (``join`` field), ``rank-eval``.
What it HAS (core): ``dense_vector`` mappings and approximate kNN (HNSW, ``knn`` search section),
``match``/``multi_match``/``bool``/``term(s)``/``range`` queries with BM25, ``terms``,
``date_histogram`` and other core aggregations, highlighting, ``_bulk``, aliases.
Keep the production mapping portable: anything relying on the list above must be optional.
Seen on the running 8.19.21 node (modules: apm, transport-netty4, x-pack-core, x-pack-security):
an ``english`` analyzer fails with "Unknown analyzer type [english]"; ``_delete_by_query`` with
"no handler found"; ``script_score`` with "script_lang not supported [painless]"; ``scaled_float``
with a mapper_parsing_exception; ``PUT _data_stream/x`` and ``GET _ilm/policy`` are not routed
(HTTP 405).

Running as root (our development machines run everything as root): Elasticsearch refuses to start
when its effective uid is 0, and this version has no override. So when `os.geteuid() == 0`,
`prepare` creates a dedicated system user ``narrmon-es`` (``useradd --system``, no home, no login
shell), chowns the service's state folder (config, data, logs, tmp) to it, and starts ES through
``setpriv --reuid narrmon-es --regid narrmon-es --clear-groups --inh-caps=-all --no-new-privs``,
which ``exec``s, so the pid file still names the ES launcher. The distribution in the cache stays
root-owned and world-readable (read-only for ES).
Root's home is mode 700, so that user could not even reach ``~/.cache``. Granting it a capability
such as ``CAP_DAC_READ_SEARCH`` does not work: ES checks files with access(2), which ignores
capabilities for a non-root real uid (seen: ``AccessDeniedException`` on ``lib/*.jar``). So
`grant_traversal` adds the search bit for others (``o+x``: enter, not list) to exactly those
ancestor folders of the cache and state folders that lack it (typically ``/root`` 700 -> 701),
logging each change. Nothing else outside the cache and state folders is changed.
Non-root users run ES directly as themselves.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from pipeline.settings import Settings
from pipeline.stack.errors import ProvisionError, StackError
from pipeline.stack.launch import Launch
from pipeline.stack.layout import StackLayout
from pipeline.stack.provision import java_home, require_tool, run_maven, unzip_once

logger = logging.getLogger(__name__)

NAME = "elasticsearch"
SERVICE_USER = "narrmon-es"


def render_elasticsearch_yml(settings: Settings, data_dir: Path, logs_dir: Path) -> str:
    """The node's ``elasticsearch.yml`` (pure). Only settings this distribution knows: an unknown
    setting (e.g. for a module the integ-test-zip lacks) stops ES at start."""
    es = settings.elasticsearch
    lines = [
        "# Rendered by narrmon (pipeline/stack/elasticsearch.py); edits are overwritten.",
        "cluster.name: narrmon-local",
        "node.name: narrmon-local-1",
        "discovery.type: single-node",
        f"network.host: {es.host}",
        f"http.port: {es.port}",
        f"transport.port: {es.transport_port}",
        f"path.data: {data_dir}",
        f"path.logs: {logs_dir}",
        "xpack.security.enabled: false",
        # A nearly full developer disk must not flip indices to read-only mid-test.
        "cluster.routing.allocation.disk.threshold_enabled: false",
        "action.destructive_requires_name: false",
    ]
    return "\n".join(lines) + "\n"


def provision(settings: Settings, layout: StackLayout) -> Path:
    """Fetch and unpack the distribution unless already there; return ES home. Blocking."""
    version = settings.elasticsearch.version
    top = f"elasticsearch-{version}"
    home = layout.cache_dir / top
    if (home / ".complete").is_file():
        return home
    archive = layout.downloads / f"elasticsearch-{version}.zip"
    if not archive.is_file():
        run_maven(
            layout.deploy_dir / "local" / "elasticsearch" / "pom.xml",
            ["dependency:copy-dependencies", f"-DoutputDirectory={layout.downloads}"],
            m2_repo=layout.m2_repo,
            properties={"es.version": version},
            what=f"Elasticsearch {version} (integ-test-zip)",
        )
    if not archive.is_file():
        raise ProvisionError(f"Maven finished but {archive} is missing")
    return unzip_once(archive, layout.cache_dir, top_level=top)


def _ensure_service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        pass
    useradd = require_tool("useradd")
    argv = [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent"]
    argv += ["--shell", "/usr/sbin/nologin", "--user-group", SERVICE_USER]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0 and "already exists" not in done.stderr:
        raise StackError(
            f"could not create the system user {SERVICE_USER!r} that runs Elasticsearch "
            f"(it refuses to run as root): {done.stderr.strip()}"
        )
    logger.info("created system user %s for Elasticsearch", SERVICE_USER)
    return pwd.getpwnam(SERVICE_USER)


def _can_search(st: os.stat_result, user: pwd.struct_passwd) -> bool:
    if st.st_uid == user.pw_uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid == user.pw_gid:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def grant_traversal(path: Path, user: pwd.struct_passwd) -> list[Path]:
    """Add ``o+x`` to each ancestor of `path` that `user` cannot enter; return those changed."""
    changed = []
    for ancestor in reversed(path.resolve().parents):
        st = ancestor.stat()
        if not _can_search(st, user):
            ancestor.chmod(stat.S_IMODE(st.st_mode) | stat.S_IXOTH)
            logger.warning(
                "granted search permission (o+x) on %s so %s can reach %s",
                ancestor,
                user.pw_name,
                path,
            )
            changed.append(ancestor)
    return changed


def _chown_tree(root: Path, uid: int, gid: int) -> None:
    os.chown(root, uid, gid)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), uid, gid, follow_symlinks=False)


def prepare(settings: Settings, layout: StackLayout) -> Launch:
    """Provision, render the config folder, fix ownership when root; return how to launch it."""
    home = provision(settings, layout)
    state = layout.service_dir(NAME)
    config_dir = state / "config"
    data_dir, logs_dir, tmp_dir = state / "data", state / "logs", state / "tmp"
    if not (config_dir / "jvm.options").is_file():
        shutil.copytree(home / "config", config_dir, dirs_exist_ok=True)
    for folder in (data_dir, logs_dir, tmp_dir):
        folder.mkdir(parents=True, exist_ok=True)
    config_yml = config_dir / "elasticsearch.yml"
    config_yml.write_text(render_elasticsearch_yml(settings, data_dir, logs_dir), encoding="utf-8")
    heap = settings.elasticsearch.heap
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "ES_JAVA_HOME": str(java_home()),
        "ES_PATH_CONF": str(config_dir),
        "ES_TMPDIR": str(tmp_dir),
        "ES_JAVA_OPTS": f"-Xms{heap} -Xmx{heap}",
    }
    argv: list[str] = [str(home / "bin" / "elasticsearch")]
    if os.geteuid() == 0:
        user = _ensure_service_user()
        _chown_tree(state, user.pw_uid, user.pw_gid)
        setpriv = require_tool("setpriv")
        grant_traversal(home, user)
        grant_traversal(state, user)
        argv = [
            setpriv,
            f"--reuid={user.pw_uid}",
            f"--regid={user.pw_gid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--no-new-privs",
            "--",
            *argv,
        ]
        env["HOME"] = str(state)
    # bin/elasticsearch passes ES_PATH_CONF to the launcher as -Des.path.conf=<config_dir>.
    return Launch(argv=tuple(argv), marker=f"-Des.path.conf={config_dir}", cwd=state, env=env)
