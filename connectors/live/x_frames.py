"""Pure parts of the X (Twitter) filtered stream v2: rules files, the rules diff, and the
normaliser of stream lines.

A stream line is ``{data: {id, text, author_id, created_at, lang, referenced_tweets, entities,
public_metrics}, includes: {users, tweets}, matching_rules}``. A tweet becomes a `Post`: id
``x:{id}``, url ``https://x.com/{username}/status/{id}``, author from ``includes.users``,
references from ``referenced_tweets`` (replied_to, quoted, retweeted -> ``x:{id}``), a retweet's
text is the full text of the retweeted tweet when included, ``raw`` =
``{"links": expanded urls, "tags": hashtags, "rules": matching rule tags, "frame": line}``.
Lines with only ``errors`` (X's operational messages) publish nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from connectors.live.frames import (
    build_post,
    decode_object,
    field,
    optional,
    parse_time,
    raw_payload,
)
from connectors.live.source import Normalised, SourceRejected
from models.records import Author, Engagement, References
from models.text import detect_language

PLATFORM = "x"
STREAM_QUERY = {
    "tweet.fields": "created_at,lang,author_id,conversation_id,referenced_tweets,entities,"
    "public_metrics",
    "expansions": "author_id,referenced_tweets.id,referenced_tweets.id.author_id",
    "user.fields": "username,name,public_metrics",
}
_REFERENCE = {"replied_to": "reply_to", "quoted": "quote_of", "retweeted": "repost_of"}

Rule = tuple[str, str | None]
"""(value, tag)"""


def read_rules_file(path: Path) -> list[Rule]:
    """Rules from YAML: a list of ``{value, tag}`` objects or plain strings. Raises
    `SourceRejected` naming the file and the rule's position."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourceRejected(f"cannot read the rules file {path}: {exc}") from exc
    if not isinstance(data, list) or not data:
        raise SourceRejected(f"{path}: expected a non-empty YAML list of rules")
    rules: list[Rule] = []
    for index, entry in enumerate(data):
        value = entry.get("value") if isinstance(entry, dict) else entry
        tag = entry.get("tag") if isinstance(entry, dict) else None
        if not isinstance(value, str) or not value.strip() or not isinstance(tag, str | None):
            raise SourceRejected(f"{path}: rule {index}: needs a string 'value' (and 'tag')")
        rules.append((value.strip(), tag))
    return list(dict.fromkeys(rules))


def rules_diff(
    wanted: Sequence[Rule], current: Sequence[Mapping[str, Any]]
) -> tuple[list[Rule], list[str]]:
    """What to add and which rule ids to delete so the stream's rules equal `wanted`."""
    present = {(r.get("value"), r.get("tag")): str(r.get("id")) for r in current}
    add = [rule for rule in wanted if rule not in present]
    delete = [rule_id for rule, rule_id in present.items() if rule not in set(wanted)]
    return add, delete


def normalise_line(data: bytes, *, source: str, received_at: datetime) -> Normalised:
    """One stream line -> `Normalised` (position = the tweet id). Raises `InvalidRecord`."""
    line = decode_object(data)
    if "data" not in line and "errors" in line:
        return Normalised()
    tweet = field(line, "data", dict)
    native = field(tweet, "id", str)
    users = {
        u.get("id"): u for u in optional(line, "includes", "users") or [] if isinstance(u, dict)
    }
    tweets = {
        t.get("id"): t for t in optional(line, "includes", "tweets") or [] if isinstance(t, dict)
    }
    author_id = tweet.get("author_id") if isinstance(tweet.get("author_id"), str) else None
    user = users.get(author_id) or {}
    references: dict[str, str] = {}
    text = field(tweet, "text", str)
    for ref in tweet.get("referenced_tweets") or []:
        kind = _REFERENCE.get(optional(ref, "type"))
        ref_id = optional(ref, "id")
        if kind and isinstance(ref_id, str):
            references[kind] = f"{PLATFORM}:{ref_id}"
            if kind == "repost_of" and isinstance(optional(tweets.get(ref_id), "text"), str):
                text = tweets[ref_id]["text"]
    username = user.get("username") if isinstance(user.get("username"), str) else None
    metrics = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
    links = [optional(u, "expanded_url") for u in optional(tweet, "entities", "urls") or []]
    tags = [optional(h, "tag") for h in optional(tweet, "entities", "hashtags") or []]
    rules = [optional(r, "tag") or optional(r, "id") for r in line.get("matching_rules") or []]
    raw, truncated = raw_payload(
        line,
        links=[u for u in links if isinstance(u, str)],
        tags=[t for t in tags if isinstance(t, str)],
        rules=[r for r in rules if isinstance(r, str)],
    )
    language = tweet.get("lang") if isinstance(tweet.get("lang"), str) else None
    created = parse_time(tweet.get("created_at"))
    post = build_post(
        id=f"{PLATFORM}:{native}",
        platform=PLATFORM,
        source=source,
        author=Author(
            id=author_id,
            handle=username,
            display_name=user.get("name") if isinstance(user.get("name"), str) else None,
            followers=_count(optional(user, "public_metrics", "followers_count")),
        ),
        text=text,
        url=f"https://x.com/{username or 'i/web'}/status/{native}",
        created_at=created or received_at,
        language=_language(language, text),
        engagement=Engagement(
            likes=_count(metrics.get("like_count")),
            reposts=_count(metrics.get("retweet_count")),
            replies=_count(metrics.get("reply_count")),
            views=_count(metrics.get("impression_count")),
        ),
        references=References(**references),
        ingested_at=received_at,
        raw=raw,
        raw_truncated=truncated,
    )
    return Normalised((post,), native, f"tweet|{native}", created)


def _language(declared: str | None, text: str) -> str | None:
    """X's ``lang``, unless it is one of its "undetermined" codes; then detected."""
    if declared and declared not in ("und", "zxx", "qme", "qht", "qst"):
        return declared
    return detect_language(text)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _by_id(objects: Any) -> dict[Any, dict[str, Any]]:
    if not isinstance(objects, list):
        return {}
    return {o.get("id"): o for o in objects if isinstance(o, dict)}
