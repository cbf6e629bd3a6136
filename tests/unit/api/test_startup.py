"""What ``narrmon api`` reports before serving: catalog, token, model, index, reviews topic."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from elasticsearch import Elasticsearch
from pydantic import SecretStr

from models.catalog import Catalog, Narrative
from pipeline.api.service import HitService
from pipeline.api.startup import check_catalog, check_index, check_model, check_token, preflight
from pipeline.cli import main
from pipeline.settings import Settings

UNREACHABLE = "http://127.0.0.1:1"
CATALOG = Catalog(name="c", narratives=(Narrative(id="n-a", title="A", exemplars=("x",)),))


def settings_with(**update: object) -> Settings:
    base = Settings()
    es = base.elasticsearch.model_copy(update={"url": UNREACHABLE})
    return base.model_copy(update={"elasticsearch": es, **update})


def service_for(settings: Settings) -> HitService:
    return HitService(Elasticsearch(UNREACHABLE, max_retries=0), settings)


def test_no_or_empty_token_says_reviews_are_refused() -> None:
    finding = check_token(settings_with())
    assert finding.level == "warning"
    assert "NARRMON_API__TOKEN" in finding.message and "401" in finding.message
    empty = Settings().api.model_copy(update={"token": SecretStr("")})
    assert check_token(settings_with(api=empty)).level == "warning"
    token = Settings().api.model_copy(update={"token": SecretStr("t")})
    assert check_token(settings_with(api=token)).level == "info"


def test_missing_catalog_is_an_error_naming_the_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    settings = settings_with(catalog=Settings().catalog.model_copy(update={"path": missing}))
    finding = check_catalog(settings, service_for(settings))
    assert finding.level == "error"
    assert str(missing) in finding.message and "NARRMON_CATALOG__PATH" in finding.message


def test_invalid_catalog_is_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("narratives: [{id: x}]\n")
    settings = settings_with(catalog=Settings().catalog.model_copy(update={"path": broken}))
    finding = check_catalog(settings, service_for(settings))
    assert finding.level == "error" and "does not load" in finding.message


def test_loaded_catalog_is_reported_with_its_size(tmp_path: Path) -> None:
    settings = settings_with(catalog=Settings().catalog.model_copy(update={"path": tmp_path}))
    service = HitService(Elasticsearch(UNREACHABLE), settings, catalog_loader=lambda: CATALOG)
    finding = check_catalog(settings, service)
    assert finding.level == "info" and "1 narratives" in finding.message


def test_missing_model_folder_is_a_warning(tmp_path: Path) -> None:
    model = Settings().model.model_copy(update={"path": str(tmp_path / "no-model")})
    assert check_model(settings_with(model=model)).level == "warning"
    assert check_model(settings_with()).level == "info"  # the packaged model is installed


def test_unreachable_cluster_is_a_warning_not_a_crash() -> None:
    finding = check_index(service_for(settings_with()))
    assert finding.level == "warning" and UNREACHABLE in finding.message


def test_preflight_orders_errors_first(tmp_path: Path) -> None:
    settings = settings_with(
        catalog=Settings().catalog.model_copy(update={"path": tmp_path / "missing"})
    )
    levels = [f.level for f in preflight(settings, service_for(settings))]
    assert levels[0] == "error" and levels == sorted(levels, key=["error", "warning", "info"].index)


def test_cli_refuses_to_serve_without_a_catalog(tmp_path: Path) -> None:
    env = {
        "NARRMON_CATALOG__PATH": str(tmp_path / "missing.yaml"),
        "NARRMON_ELASTICSEARCH__URL": UNREACHABLE,
        "NARRMON_API__TOKEN": None,  # unset
    }
    result = CliRunner().invoke(main, ["api", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert "catalog not found" in result.output and "not serving" in result.output
