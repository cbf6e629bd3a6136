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


def test_duplicate_ids_across_files_name_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: same\ntitle: A\nexemplars: [a]\n")
    (tmp_path / "b.yaml").write_text("# moved here\n\nid: same\ntitle: B\nexemplars: [b]\n")
    with pytest.raises(CatalogError) as info:
        load_catalog(tmp_path)
    assert info.value.problems == (
        f"{tmp_path / 'b.yaml'}:3: id: duplicate narrative id 'same' "
        f"(first at {tmp_path / 'a.yaml'}:1)",
    )


def test_duplicate_ids_inside_one_file_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(
        "catalog: dup\nnarratives:\n"
        "  - id: one\n    title: One\n    exemplars: [a]\n"
        "  - title: Two\n    id: two\n    exemplars: [b]\n"
        "  - id: one\n    title: Again\n    exemplars: [c]\n"
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert info.value.problems == (
        f"{path}:9: narratives[2].id: duplicate narrative id 'one' (first at {path}:3)",
    )


def test_duplicate_ids_across_a_folder_and_inside_jsonl(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "catalog: a\nnarratives:\n  - id: x\n    title: X\n    exemplars: [a]\n"
    )
    (folder / "b.yaml").write_text(
        "catalog: b\nnarratives:\n  - id: y\n    title: Y\n    exemplars: [a]\n"
        "  - id: x\n    title: X again\n    exemplars: [b]\n"
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(folder)
    assert info.value.problems == (
        f"{folder / 'b.yaml'}:6: narratives[1].id: duplicate narrative id 'x' "
        f"(first at {folder / 'a.yaml'}:3)",
    )
    jsonl = tmp_path / "n.jsonl"
    row = {"id": "z", "title": "Z", "exemplars": ["z"]}
    jsonl.write_text(json.dumps(row) + "\n\n" + json.dumps(row) + "\n")
    with pytest.raises(CatalogError) as info:
        load_catalog(jsonl)
    assert info.value.problems == (
        f"{jsonl}:3: id: duplicate narrative id 'z' (first at {jsonl}:1)",
    )


NONSENSE = """\
catalog: nonsense
narratives:
  - id: bad-url
    title: URL
    exemplars: [x]
    fact_checks:
      - url: not a url
      - {url: "ftp://files.example/check"}
      - {url: "https://example.org/a check"}
      - {url: "https://example.org/fine", date: 2205-01-04}
  - id: bad-fields
    title: Fields
    exemplars: ["  "]
    threshold: 1.5
    severity: hgih
    languages: [english]
    tags: [""]
    claim_date: 2999-12-31
  - id: bad-threshold
    title: Threshold
    exemplars: []
    threshold: yes
    languages: []
  - id: quoted-threshold
    title: Quoted
    exemplars: [x]
    threshold: "0.5"
    updated_at: 3024-01-01
"""


def test_nonsense_field_values_are_refused_with_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "nonsense.yaml"
    path.write_text(NONSENSE)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    found = {
        p.split(": ")[0].split(":", 1)[1] + " " + p.split(": ")[1] for p in info.value.problems
    }
    assert found == {
        "7 narratives[0].fact_checks[0].url",
        "8 narratives[0].fact_checks[1].url",
        "9 narratives[0].fact_checks[2].url",
        "10 narratives[0].fact_checks[3].date",
        "13 narratives[1].exemplars[0]",
        "13 narratives[1].exemplars",  # pydantic adds: nothing left after the bad item
        "14 narratives[1].threshold",
        "15 narratives[1].severity",
        "16 narratives[1].languages[0]",
        "16 narratives[1].languages",
        "17 narratives[1].tags[0]",
        "18 narratives[1].claim_date",
        "21 narratives[2].exemplars",
        "22 narratives[2].threshold",
        "23 narratives[2].languages",
        "27 narratives[3].threshold",
        "28 narratives[3].updated_at",
    }, info.value.problems
    assert all(p.startswith(f"{path}:") for p in info.value.problems)
    lines = [int(p[len(f"{path}:") :].split(":")[0]) for p in info.value.problems]
    assert lines == sorted(lines)  # in file order
    url_problem = next(p for p in info.value.problems if "fact_checks[0].url" in p)
    assert "absolute http(s) URL" in url_problem


def test_good_values_pass_and_urls_are_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(
        "id: fine\ntitle: Fine\nexemplars: [x]\nthreshold: 1\nlanguages: [en, pt-BR]\n"
        "fact_checks:\n  - {url: 'https://example.org', date: 2024-05-01}\n"
    )
    (narrative,) = load_catalog(path).narratives
    assert narrative.threshold == 1.0
    assert narrative.languages == ("en", "pt-BR")
    assert narrative.fact_checks[0].url == "https://example.org"  # not normalised to ".org/"


def test_claimreview_import_drops_a_fact_check_url_that_is_not_http() -> None:
    review = {"@type": "ClaimReview", "claimReviewed": "A claim", "url": "/relative/check"}
    (narrative,) = claimreview_narratives(review)
    assert narrative.fact_checks == ()


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
