"""Per-user tokens and roles: the tokens file, hashes, the role map, and the API's answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from pipeline.api.access import ROUTE_ROLES, authorize, has_role, token_book
from pipeline.api.http_errors import ApiError
from pipeline.api.tokens import (
    Principal,
    TokenBook,
    TokenFileError,
    load_token_file,
    scrypt_hash,
    sha256_hex,
    verify_hash,
)
from pipeline.settings import Settings
from tests.unit.api.test_hardening import client_for


def _tokens(tmp_path: Path, text: str, name: str = "tokens.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_bad_tokens_file_names_file_line_and_field(tmp_path: Path) -> None:
    path = _tokens(
        tmp_path,
        f"tokens:\n  - user: ana\n    roles: [reviewer]\n    sha256: {sha256_hex('a')}\n"
        "  - user: bob\n    roles: [superuser]\n    sha256: abc\n",
    )
    with pytest.raises(
        TokenFileError, match=r"tokens.yaml:6: tokens\.1\.roles\.0: Input should be"
    ):
        load_token_file(path)
    both = _tokens(tmp_path, '[{"user": "x", "roles": ["viewer"]}]', "t.json")
    with pytest.raises(TokenFileError, match="exactly one of sha256 or hash"):
        load_token_file(both)


def test_hashes_verify_only_their_token() -> None:
    stored = scrypt_hash("open sesame", n=2**10)
    assert verify_hash("open sesame", stored) and not verify_hash("open sesame!", stored)
    assert not verify_hash("x", "scrypt$broken")


def test_roles_imply_what_they_should() -> None:
    admin, reviewer, viewer, ingest = (
        Principal("u", frozenset({role})) for role in ("admin", "reviewer", "viewer", "ingest")
    )
    assert has_role(admin, "ingest") and has_role(admin, "reviewer")
    assert has_role(reviewer, "viewer") and not has_role(reviewer, "admin")
    assert not has_role(viewer, "reviewer") and not has_role(ingest, "viewer")
    assert ROUTE_ROLES["review"] == ROUTE_ROLES["escalate"] == "reviewer"


def test_authorize_answers_401_without_and_403_with_the_wrong_role(tmp_path: Path) -> None:
    path = _tokens(tmp_path, f"- {{user: vic, roles: [viewer], sha256: {sha256_hex('v')}}}\n")
    base = Settings()
    settings = base.model_copy(
        update={"api": base.api.model_copy(update={"tokens_file": path, "token": SecretStr("a")})}
    )
    book = token_book(settings)
    with pytest.raises(ApiError) as caught:
        authorize(book, None, "reviewer")
    assert caught.value.status == 401
    with pytest.raises(ApiError) as caught:
        authorize(book, "v", "reviewer")
    assert caught.value.status == 403 and "vic" in caught.value.detail
    assert authorize(book, "v", "viewer").user == "vic"
    assert authorize(book, "a", "reviewer").user == "api-token"  # the env token is an admin
    with pytest.raises(ApiError) as caught:
        authorize(TokenBook(), "anything", "reviewer")
    assert caught.value.status == 403 and "no API tokens" in caught.value.detail


def test_protected_reads_need_a_viewer_and_reviews_a_reviewer(tmp_path: Path) -> None:
    path = _tokens(
        tmp_path,
        f"- {{user: vic, roles: [viewer], sha256: {sha256_hex('v')}}}\n"
        f"- {{user: ing, roles: [ingest], sha256: {sha256_hex('i')}}}\n"
        f"- {{user: ana, roles: [reviewer], sha256: {sha256_hex('r')}}}\n",
    )
    api: TestClient = client_for(host="0.0.0.0", tokens_file=path)
    assert api.get("/api/narratives").status_code == 401
    ingest = api.get("/api/narratives", headers={"Authorization": "Bearer i"})
    assert ingest.status_code == 403
    assert api.get("/api/narratives", headers={"Authorization": "Bearer v"}).status_code not in (
        401,
        403,
    )
    review = api.post(
        "/api/hits/x:1:n/review", json={"label": "confirmed"}, headers={"Authorization": "Bearer v"}
    )
    assert review.status_code == 403
    bad = api.post(
        "/api/hits/x:1:n/review", json={"label": "spam"}, headers={"Authorization": "Bearer r"}
    )
    assert bad.status_code == 400 and bad.json()["parameter"] == "label"


def test_the_cli_review_goes_through_the_same_checks(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    path = _tokens(tmp_path, f"- {{user: vic, roles: [viewer], sha256: {sha256_hex('v')}}}\n")
    env = {"NARRMON_API__TOKENS_FILE": str(path), "NARRMON_ELASTICSEARCH__INDEX_PREFIX": "t-cli"}
    args = ["hits", "review", "x:1:n", "--label", "confirmed"]
    missing = CliRunner().invoke(main, args, env={**env, "NARRMON_TOKEN": ""})
    assert missing.exit_code == 1 and "401" in missing.output and "--token" in missing.output
    viewer = CliRunner().invoke(main, [*args, "--token", "v"], env=env)
    assert viewer.exit_code == 1 and "403" in viewer.output and "reviewer" in viewer.output
