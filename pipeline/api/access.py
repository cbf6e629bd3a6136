"""Bearer-token access: reviews and intake (`require_ingest`) always need `api.token`; reads when
`api.reads_protected` (set ``api.protect_reads``, or by default when the API binds a non-loopback
address).

Without a configured token every review and intake request is refused (401 without a token, 403
with one), which is how ``narrmon api`` runs when ``NARRMON_API__TOKEN`` is unset (it logs that at
start-up).
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pipeline.api.http_errors import ApiError
from pipeline.settings import Settings

_bearer = HTTPBearer(auto_error=False)


def check_token(settings: Settings, credentials: HTTPAuthorizationCredentials | None) -> None:
    """Raise `ApiError` 401 without credentials, 403 when no (or an empty) token is configured or
    it differs (constant-time comparison)."""
    if credentials is None:
        raise ApiError(
            401, "unauthorized", "bearer token required", headers={"WWW-Authenticate": "Bearer"}
        )
    expected = settings.api.token
    if expected is None or not expected.get_secret_value():
        raise ApiError(403, "forbidden", "no API token is configured: reviews are disabled")
    if not secrets.compare_digest(
        credentials.credentials.encode(), expected.get_secret_value().encode()
    ):
        raise ApiError(403, "forbidden", "wrong token")


def access_dependencies(settings: Settings) -> tuple[Any, Any]:
    """(read access, write access): ``Depends(...)`` markers for route ``dependencies``."""

    def read_access(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if settings.api.reads_protected:
            check_token(settings, credentials)

    def write_access(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        check_token(settings, credentials)

    return Depends(read_access), Depends(write_access)


def require_ingest(settings: Settings) -> Any:
    """The ``Depends(...)`` marker for the intake routes (``POST /api/ingest``, ``/api/reports``):
    a caller allowed to put posts into the pipeline.

    Today that is the one API token (the same check as reviews). When per-user tokens with roles
    land, this is the one place to switch to the ``ingest`` role."""

    def ingest_access(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        check_token(settings, credentials)

    return Depends(ingest_access)
