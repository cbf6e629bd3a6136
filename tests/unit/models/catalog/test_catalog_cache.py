"""The catalog cache is JSON (never pickle), validated when read, and invalidated by content."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.catalog import loading
from models.catalog.loading import load_catalog

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "catalog.yaml"


@pytest.fixture
def small_files_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loading, "_CACHE_MIN_BYTES", 0)


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "catalogs").glob("*"))


@pytest.mark.usefixtures("small_files_cached")
def test_cache_is_json_and_a_second_load_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog_file = tmp_path / "c.yaml"
    catalog_file.write_bytes(FIXTURE.read_bytes())
    first = load_catalog(catalog_file, tmp_path / "cache")
    [entry] = _entries(tmp_path / "cache")
    assert entry.suffix == ".json"
    assert json.loads(entry.read_text(encoding="utf-8"))["version"] == first.version

    def no_yaml(*_: object) -> None:
        raise AssertionError("parsed the YAML although the cache holds it")

    monkeypatch.setattr(loading, "_load_yaml", no_yaml)
    assert load_catalog(catalog_file, tmp_path / "cache") == first


@pytest.mark.usefixtures("small_files_cached")
def test_an_edited_file_is_never_served_from_the_cache(tmp_path: Path) -> None:
    catalog_file = tmp_path / "c.yaml"
    catalog_file.write_bytes(FIXTURE.read_bytes())
    first = load_catalog(catalog_file, tmp_path / "cache")
    text = FIXTURE.read_text(encoding="utf-8")
    catalog_file.write_text(text.replace("severity: high", "severity: low", 1), encoding="utf-8")
    second = load_catalog(catalog_file, tmp_path / "cache")
    assert second.version != first.version
    assert len(_entries(tmp_path / "cache")) == 2


@pytest.mark.usefixtures("small_files_cached")
def test_a_corrupt_or_tampered_entry_is_ignored_and_rewritten(tmp_path: Path) -> None:
    catalog_file = tmp_path / "c.yaml"
    catalog_file.write_bytes(FIXTURE.read_bytes())
    first = load_catalog(catalog_file, tmp_path / "cache")
    [entry] = _entries(tmp_path / "cache")
    for bad in (b"\x80\x04\x95 not json", b'{"name": "x"}', b'{"narratives": [{"id": "!"}]}'):
        entry.write_bytes(bad)
        assert load_catalog(catalog_file, tmp_path / "cache") == first
        assert json.loads(entry.read_text(encoding="utf-8"))["version"] == first.version
    assert not list((tmp_path / "cache" / "catalogs").glob("*.tmp"))
