from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.catalog import (
    CatalogError,
    CatalogStore,
    claimreview_narratives,
    dump_catalog_yaml,
    load_catalog,
)

BAD = """\
catalog: bad
narratives:
  - id: ok-one
    title: Fine
    exemplars: ["a phrasing"]
  - id: second
    title: Second
    severity: apocalyptic
    exemplars: ["x"]
  - id: third
    title: Third
    exemplars: []
"""


def test_fixture_catalog_loads_with_active_subset(catalog_path: Path) -> None:
    catalog = load_catalog(catalog_path)
    assert catalog.name == "test-fixture"
    assert [n.id for n in catalog.active] == ["stolen-election", "voting-machines-flip"]
    assert catalog.get("stolen-election").fact_checks[0].publisher == "Example Checks"


def test_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    problems = info.value.problems
    assert any(p.startswith(f"{path}:8: narratives[1].severity:") for p in problems), problems
    assert any(p.startswith(f"{path}:12: narratives[2].exemplars:") for p in problems), problems


def test_missing_required_field_points_at_the_narrative(tmp_path: Path) -> None:
    path = tmp_path / "one.yaml"
    path.write_text("id: lonely\nexemplars: [x]\n")
    with pytest.raises(CatalogError, match=r"one\.yaml:1: title: Field required"):
        load_catalog(path)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("catalog: x\nnarratives:\n  - id: a\n    title: [unclosed\n")
    with pytest.raises(CatalogError, match=r"broken\.yaml:\d+: YAML syntax"):
        load_catalog(path)


def test_duplicate_ids_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: same\ntitle: A\nexemplars: [a]\n")
    (tmp_path / "b.yaml").write_text("id: same\ntitle: B\nexemplars: [b]\n")
    with pytest.raises(CatalogError, match="duplicate narrative id: same"):
        load_catalog(tmp_path)


def test_version_is_stable_across_formatting_and_changes_with_content(
    tmp_path: Path, catalog_path: Path
) -> None:
    original = load_catalog(catalog_path)
    assert load_catalog(catalog_path).version == original.version
    reformatted = tmp_path / "same.yaml"
    reformatted.write_text(dump_catalog_yaml(original.name, list(original.narratives)))
    assert load_catalog(reformatted).version == original.version
    edited = catalog_path.read_text().replace("Dead people voted", "Dead people voted twice")
    changed = tmp_path / "changed.yaml"
    changed.write_text(edited)
    assert load_catalog(changed).version != original.version


def test_folder_of_single_narratives(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\ntitle: A\nexemplars: [a]\n")
    (tmp_path / "b.yml").write_text("id: b\ntitle: B\nexemplars: [b]\nstatus: retired\n")
    catalog = load_catalog(tmp_path)
    assert [n.id for n in catalog.narratives] == ["a", "b"]
    assert [n.id for n in catalog.active] == ["a"]


def test_store_keeps_old_catalog_when_new_one_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("id: a\ntitle: A\nexemplars: [a]\n")
    store = CatalogStore(path)
    old = store.current
    path.write_text("id: a\ntitle: A\nexemplars: []\n")
    assert store.reload() is False
    assert store.current is old
    assert store.last_error is not None
    path.write_text("id: a\ntitle: A\nexemplars: [a, b]\n")
    assert store.reload() is True
    assert store.current.version != old.version


def test_vclaims_jsonl_becomes_narratives_with_extra_exemplars(tmp_path: Path) -> None:
    path = tmp_path / "vclaims.jsonl"
    rows = [
        {"vclaim_id": "vclaim-1", "vclaim": "Claim one.", "title": "Title one",
         "subtitle": "Claim one.", "author": "A", "date": "1 May 2015"},
        {"vclaim_id": "vclaim-2", "vclaim": "Claim two.", "title": "", "subtitle": "Sub"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    catalog = load_catalog(path)
    assert [n.exemplars for n in catalog.narratives] == [
        ("Claim one.", "Title one"),
        ("Claim two.", "Sub"),
    ]
    path.write_text(path.read_text() + '{"vclaim_id": "x"}\n')
    with pytest.raises(CatalogError, match=r"vclaims\.jsonl:3: vclaim"):
        load_catalog(path)


def test_claimreview_jsonld_import() -> None:
    data = {
        "@graph": [
            {
                "@type": "ClaimReview",
                "url": "https://checks.example/2024/moon-cheese",
                "claimReviewed": "The moon is made of cheese",
                "author": {"@type": "Organization", "name": "Example Checks"},
                "datePublished": "2024-05-01",
                "reviewRating": {"@type": "Rating", "alternateName": "Mostly False"},
            }
        ]
    }
    (narrative,) = claimreview_narratives(data)
    assert narrative.id == "moon-cheese"
    assert narrative.verdict == "misleading"
    assert narrative.exemplars == ("The moon is made of cheese",)
    assert narrative.fact_checks[0].publisher == "Example Checks"


def test_shipped_catalogs_validate() -> None:
    folder = Path(__file__).resolve().parents[4] / "models" / "catalogs"
    catalog = load_catalog(folder)
    assert catalog.active
    assert all(n.exemplars for n in catalog.active)
