"""`narrmon catalog validate` prints one file:line: field: problem line per catalog error (a
repeated id across files, a fact-check URL that is not one) and exits 1; a good catalog says ok."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main


def test_validate_prints_file_line_and_field_for_each_problem(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: same\ntitle: A\nexemplars: [a]\n")
    (tmp_path / "b.yaml").write_text(
        "id: same\ntitle: B\nexemplars: [b]\nfact_checks:\n  - url: not a url\n"
    )
    result = CliRunner().invoke(main, ["catalog", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'b.yaml'}:5: fact_checks[0].url: Value error, must be an absolute "
        "http(s) URL, like https://example.org/a",
    ]
    (tmp_path / "b.yaml").write_text("id: same\ntitle: B\nexemplars: [b]\n")
    result = CliRunner().invoke(main, ["catalog", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path / 'b.yaml'}:1: id: duplicate narrative id 'same' "
        f"(first at {tmp_path / 'a.yaml'}:1)",
    ]
    (tmp_path / "b.yaml").write_text("id: other\ntitle: B\nexemplars: [b]\n")
    result = CliRunner().invoke(main, ["catalog", "validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: ")
