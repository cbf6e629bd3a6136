"""Prometheus and Alertmanager for the local stack (Debian packages, run as plain processes).

Both configs are TEMPLATES in the repository, rendered into the state dir by `stack up` with
`string.Template.safe_substitute` (``$1`` regex references and unknown ``${...}`` stay as they are):

- ``deploy/prometheus/prometheus.yml`` -> ``<state>/prometheus/prometheus.yml``
- ``deploy/alertmanager/alertmanager.yml`` -> ``<state>/alertmanager/alertmanager.yml``

Placeholders (`template_values`): ``scrape_interval``, ``scrape_timeout``, ``evaluation_interval``,
``prometheus_address``, ``alertmanager_address``, ``prometheus_url``, ``alertmanager_url``,
``targets_dir``, ``rules_dir`` (``deploy/prometheus/rules``; a missing or empty folder is fine),
``state_dir``, ``alert_webhook_url``, ``runbook_base_url``, ``ui_url``.

Alertmanager's rendering then drops the receivers whose secret files are missing, and the routes
to them (`pipeline.stack.alertmanager_config`), so a stack without Slack or PagerDuty secrets
logs no delivery errors.

Prometheus listens on 127.0.0.1:``settings.prometheus.port`` with ``--web.enable-lifecycle`` (so
``POST /-/reload`` re-reads config and rules); Alertmanager on 127.0.0.1:``alertmanager_port`` with
``--cluster.listen-address=`` (empty: no gossip port) and its own storage under the state dir.
"""

from __future__ import annotations

import logging
import string
import urllib.error
import urllib.request
from pathlib import Path

from pipeline.settings import Settings
from pipeline.stack.alertmanager_config import render_alertmanager_config
from pipeline.stack.errors import StackError
from pipeline.stack.launch import Launch
from pipeline.stack.layout import StackLayout
from pipeline.stack.provision import require_tool

logger = logging.getLogger(__name__)

PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"


def _duration(seconds: float) -> str:
    """Seconds as a Prometheus duration: 5.0 -> "5s", 0.5 -> "500ms"."""
    millis = round(seconds * 1000)
    return f"{millis // 1000}s" if millis % 1000 == 0 else f"{millis}ms"


def runbook_base_url(settings: Settings, layout: StackLayout) -> str:
    """Absolute base URL of the runbooks, without a trailing slash (pure)."""
    configured = settings.prometheus.runbook_base_url
    if configured:
        return configured.rstrip("/")
    return (layout.deploy_dir.parent / "docs" / "runbooks").as_uri()


def ui_url(settings: Settings) -> str:
    """The analyst UI's base URL, without a trailing slash (pure)."""
    api = settings.api
    return (settings.prometheus.ui_url or f"http://{api.host}:{api.port}").rstrip("/")


def template_values(settings: Settings, layout: StackLayout) -> dict[str, str]:
    """The ``${name}`` values both templates may use (pure)."""
    p = settings.prometheus
    interval = p.scrape_interval_s
    return {
        "scrape_interval": _duration(interval),
        "scrape_timeout": _duration(min(interval, 10.0)),
        "evaluation_interval": _duration(interval),
        "prometheus_address": f"{p.host}:{p.port}",
        "alertmanager_address": f"{p.host}:{p.alertmanager_port}",
        "prometheus_url": p.url,
        "alertmanager_url": p.alertmanager_url,
        "targets_dir": str(layout.scrape_targets_dir),
        "rules_dir": str(layout.deploy_dir / "prometheus" / "rules"),
        "state_dir": str(layout.state_dir),
        "alert_webhook_url": p.alert_webhook_url,
        "runbook_base_url": runbook_base_url(settings, layout),
        "ui_url": ui_url(settings),
    }


def render_template(text: str, values: dict[str, str]) -> str:
    """Substitute ``${name}`` placeholders, leaving anything unknown untouched (pure)."""
    return string.Template(text).safe_substitute(values)


def _render(template: Path, target: Path, values: dict[str, str]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    rendered = render_template(template.read_text(encoding="utf-8"), values)
    target.write_text(rendered, encoding="utf-8")
    return target


def prepare_prometheus(settings: Settings, layout: StackLayout) -> Launch:
    binary = require_tool("prometheus")
    home = layout.service_dir(PROMETHEUS)
    layout.scrape_targets_dir.mkdir(parents=True, exist_ok=True)
    config = _render(
        layout.deploy_dir / "prometheus" / "prometheus.yml",
        home / "prometheus.yml",
        template_values(settings, layout),
    )
    p = settings.prometheus
    argv = (
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={home / 'data'}",
        "--storage.tsdb.retention.time=2d",
        f"--web.listen-address={p.host}:{p.port}",
        f"--web.external-url={p.url}",
        "--web.enable-lifecycle",
    )
    return Launch(argv=argv, marker=str(config), cwd=home)


def prepare_alertmanager(settings: Settings, layout: StackLayout) -> Launch:
    binary = require_tool("prometheus-alertmanager")
    home = layout.service_dir(ALERTMANAGER)
    template = layout.deploy_dir / "alertmanager" / "alertmanager.yml"
    config = home / "alertmanager.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    rendered = render_template(
        template.read_text(encoding="utf-8"), template_values(settings, layout)
    )
    config.write_text(render_alertmanager_config(rendered), encoding="utf-8")
    p = settings.prometheus
    argv = (
        binary,
        f"--config.file={config}",
        f"--storage.path={home / 'data'}",
        f"--web.listen-address={p.host}:{p.alertmanager_port}",
        f"--web.external-url={p.alertmanager_url}",
        "--cluster.listen-address=",
    )
    return Launch(argv=argv, marker=str(config), cwd=home)


def _post_reload(service: str, url: str, config: str) -> None:
    request = urllib.request.Request(f"{url}/-/reload", data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", errors="replace").strip()
        raise StackError(
            f"{service} rejected its re-rendered config {config} and keeps the previous one: "
            f"{detail}"
        ) from exc
    except OSError as exc:
        raise StackError(f"{service} did not answer the reload request at {url}: {exc}") from exc
    logger.info("%s reloaded %s", service, config)


def reload_prometheus(settings: Settings, layout: StackLayout) -> None:
    """Re-render prometheus.yml from its template and make the running Prometheus re-read it and
    the rule files. Blocking; raises `StackError` when Prometheus rejects the new config."""
    launch = prepare_prometheus(settings, layout)
    _post_reload(PROMETHEUS, settings.prometheus.url, launch.marker)


def reload_alertmanager(settings: Settings, layout: StackLayout) -> None:
    """Re-render alertmanager.yml and make the running Alertmanager re-read it (as above)."""
    launch = prepare_alertmanager(settings, layout)
    _post_reload(ALERTMANAGER, settings.prometheus.alertmanager_url, launch.marker)
