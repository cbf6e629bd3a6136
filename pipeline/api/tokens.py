"""Per-person API tokens: who a bearer token belongs to and which roles it carries.

Tokens come from a file of HASHED tokens (``api.tokens_file``, YAML or JSON) and, for
compatibility, the single ``api.token`` of older set-ups, which is an ``admin`` token of the user
``api-token``. The file::

    tokens:
      - user: ana
        roles: [reviewer]
        sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
      - user: ops
        roles: [admin]
        hash: "scrypt$16384$8$1$<salt b64>$<hash b64>"

``sha256`` suits random tokens (``narrmon api token`` makes 32 random bytes, so a fast hash
cannot be brute-forced); ``hash`` takes scrypt or ``pbkdf2_sha256$<iterations>$<salt>$<hash>``
(stdlib `hashlib`, no new dependency) for tokens people chose. A bad file fails at start-up with
``file:line: field: problem``. Pure but for reading the file.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Role = Literal["viewer", "reviewer", "admin", "ingest"]
ROLES: tuple[str, ...] = get_args(Role)
ENV_TOKEN_USER = "api-token"


class TokenFileError(ValueError):
    """A tokens file that cannot be used; the message names file, line and field."""


@dataclass(frozen=True)
class Principal:
    """Who a request is: the token's user and its roles."""

    user: str
    roles: frozenset[str]


class TokenEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str = Field(pattern=r"^[\w.@+-]{1,64}$")
    roles: tuple[Role, ...] = Field(min_length=1)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    hash: str | None = Field(default=None, pattern=r"^(scrypt|pbkdf2_sha256)\$")

    @model_validator(mode="after")
    def _one_hash(self) -> TokenEntry:
        if (self.sha256 is None) == (self.hash is None):
            raise ValueError("give exactly one of sha256 or hash")
        return self


class TokenFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tokens: tuple[TokenEntry, ...] = ()


def sha256_hex(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scrypt_hash(token: str, *, n: int = 2**14, r: int = 8, p: int = 1) -> str:
    """A ``hash`` value for `token` (scrypt, random salt)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(token.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_hash(token: str, stored: str) -> bool:
    """Whether `token` matches a ``hash`` value (scrypt or pbkdf2_sha256); constant-time."""
    parts = stored.split("$")
    secret = token.encode("utf-8")
    try:
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            salt, want = base64.b64decode(parts[4]), base64.b64decode(parts[5])
            got = hashlib.scrypt(secret, salt=salt, n=n, r=r, p=p, dklen=len(want))
        elif parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            salt, want = base64.b64decode(parts[2]), base64.b64decode(parts[3])
            got = hashlib.pbkdf2_hmac("sha256", secret, salt, int(parts[1]), len(want))
        else:
            return False
    except ValueError:
        return False
    return hmac.compare_digest(got, want)


def _line(text: str, loc: Sequence[Any]) -> int:
    node: Any = yaml.compose(text)
    line = node.start_mark.line + 1 if node is not None else 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def load_token_file(path: Path) -> tuple[TokenEntry, ...]:
    """The entries of a tokens file (YAML, or JSON which is YAML). Raises `TokenFileError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = yaml.safe_load(text) if path.suffix != ".json" else json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenFileError(f"{path}: cannot read: {exc}") from exc
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise TokenFileError(f"{path}: syntax: {exc}") from exc
    if isinstance(data, list):
        data = {"tokens": data}
    try:
        return TokenFile.model_validate(data or {}).tokens
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        field = ".".join(str(p) for p in loc) or "(root)"
        raise TokenFileError(f"{path}:{_line(text, loc)}: {field}: {first['msg']}") from exc


class TokenBook:
    """Resolves bearer tokens to `Principal`s. Thread-safe; slow hashes are verified once per
    token and remembered by the token's SHA-256."""

    def __init__(self, entries: Iterable[TokenEntry] = (), env_token: str | None = None) -> None:
        self._by_sha: dict[str, Principal] = {}
        self._slow: list[tuple[str, Principal]] = []
        for entry in entries:
            who = Principal(entry.user, frozenset(entry.roles))
            if entry.sha256 is not None:
                self._by_sha[entry.sha256] = who
            elif entry.hash is not None:
                self._slow.append((entry.hash, who))
        if env_token:
            self._by_sha[sha256_hex(env_token)] = Principal(ENV_TOKEN_USER, frozenset({"admin"}))
        self._verified: dict[str, Principal | None] = {}
        self._lock = threading.Lock()

    @property
    def empty(self) -> bool:
        return not self._by_sha and not self._slow

    def __len__(self) -> int:
        return len(self._by_sha) + len(self._slow)

    def authenticate(self, token: str) -> Principal | None:
        """The principal of `token`, or None for an unknown token."""
        if not token:
            return None
        digest = sha256_hex(token)
        found = self._by_sha.get(digest)
        if found is not None or not self._slow:
            return found
        with self._lock:
            if digest in self._verified:
                return self._verified[digest]
        match = next((who for stored, who in self._slow if verify_hash(token, stored)), None)
        with self._lock:
            if len(self._verified) < 10_000:
                self._verified[digest] = match
        return match
