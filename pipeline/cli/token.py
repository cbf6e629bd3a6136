"""``narrmon token``: make a personal API token and the hashed entry for the tokens file
(``NARRMON_API__TOKENS_FILE``, `pipeline.api.tokens`). The token is printed once, on stderr; only
its hash goes into the file."""

from __future__ import annotations

import json
import secrets

import click

from pipeline.api.tokens import ROLES, scrypt_hash, sha256_hex


@click.command()
@click.argument("user")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="Role(s) of the token (repeatable).")  # fmt: skip
@click.option("--scrypt", is_flag=True, help="Store an scrypt hash instead of SHA-256.")
def token(user: str, roles: tuple[str, ...], scrypt: bool) -> None:
    """Print a new random token for USER (stderr) and its tokens-file entry (stdout, YAML)."""
    value = secrets.token_urlsafe(32)
    entry = {"user": user, "roles": list(roles)}
    entry |= {"hash": scrypt_hash(value)} if scrypt else {"sha256": sha256_hex(value)}
    click.echo(f"token for {user} (shown once, give it to them): {value}", err=True)
    click.echo(f"  - {json.dumps(entry)}")
