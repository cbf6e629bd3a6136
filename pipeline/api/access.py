"""Who may call what: bearer tokens per person (`pipeline.api.tokens`) and ONE explicit map from
what a route does to the role it needs (`ROUTE_ROLES`).

Roles: ``viewer`` reads hits; ``reviewer`` also reviews and escalates; ``admin`` may do
everything; ``ingest`` only pushes posts (connectors). `IMPLIED` says which roles a role
includes. Reads need ``viewer`` only when ``api.reads_protected`` (set ``api.protect_reads``, or
by default when the API binds a non-loopback address); writes always need their role.

Status codes: 401 without a token (``WWW-Authenticate: Bearer``), 403 with an unknown token or one
that lacks the role. With no token configured at all every write is refused
(401/403), which is how ``narrmon api`` runs without ``NARRMON_API__TOKEN`` or a tokens file.

A route takes the caller as ``principal: Annotated[Principal, access.require("review")]``: the
audit trail takes identity from here, never from a request header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pipeline.api.http_errors import ApiError
from pipeline.api.tokens import (
    Principal,
    Role,
    TokenBook,
    load_token_file,
)
from pipeline.settings import Settings

ROUTE_ROLES: Mapping[str, Role] = {
    "read": "viewer",  # search, hits, narratives, export, similar
    "review": "reviewer",  # POST /api/hits/{id}/review
    "escalate": "reviewer",  # escalations: create and update
    "ingest": "ingest",  # pushing posts into the pipeline
    "admin": "admin",  # catalog and token administration
}
"""What each kind of route needs. New routes add a kind here, not a role check of their own."""

IMPLIED: Mapping[str, frozenset[str]] = {
    "admin": frozenset({"admin", "reviewer", "viewer", "ingest"}),
    "reviewer": frozenset({"reviewer", "viewer"}),
    "viewer": frozenset({"viewer"}),
    "ingest": frozenset({"ingest"}),
}

_bearer = HTTPBearer(auto_error=False)


def has_role(principal: Principal, role: str) -> bool:
    return any(role in IMPLIED.get(held, frozenset()) for held in principal.roles)


def token_book(settings: Settings) -> TokenBook:
    """The tokens of ``api.tokens_file`` plus ``api.token`` (admin). Raises `TokenFileError`."""
    entries = load_token_file(settings.api.tokens_file) if settings.api.tokens_file else ()
    env = settings.api.token.get_secret_value() if settings.api.token is not None else None
    return TokenBook(entries, env or None)


def authorize(book: TokenBook, token: str | None, role: str) -> Principal:
    """The principal of `token` if it holds `role`; raises `ApiError` 401 / 403. Shared by the
    HTTP API and the CLI (``narrmon hits review --token``)."""
    if not token:
        raise ApiError(
            401, "unauthorized", "bearer token required", headers={"WWW-Authenticate": "Bearer"}
        )
    principal = book.authenticate(token)
    if principal is None:
        if book.empty:
            raise ApiError(403, "forbidden", "no API tokens are configured: writes are disabled")
        raise ApiError(403, "forbidden", "unknown token")
    if not has_role(principal, role):
        raise ApiError(403, "forbidden", f"user {principal.user!r} lacks the {role!r} role")
    return principal


class Access:
    """The dependencies of one app: `require(kind)` answers a ``Depends`` that resolves to the
    calling `Principal` (or None for an open read)."""

    def __init__(self, settings: Settings, book: TokenBook | None = None) -> None:
        self.settings = settings
        self.book = book if book is not None else token_book(settings)

    def require(self, kind: str) -> Any:
        role = ROUTE_ROLES[kind]
        open_reads = kind == "read" and not self.settings.api.reads_protected
        book = self.book

        def dependency(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        ) -> Principal | None:
            if open_reads:
                return None
            return authorize(book, credentials.credentials if credentials else None, role)

        return Depends(dependency)


def require_role(settings: Settings, kind: str) -> Any:
    """`Access(settings).require(kind)` for a one-off route."""
    return Access(settings).require(kind)


def access_dependencies(settings: Settings, book: TokenBook | None = None) -> tuple[Any, Any]:
    """(read access, review access) markers, as before per-user tokens; prefer `Access`."""
    access = Access(settings, book)
    return access.require("read"), access.require("review")
