"""Background posts: real posts about other things, the bulk of what a monitor reads.

A catalog's tuning posts are all about its topic (claims and chatter about the same people and
events), so a model fit on them alone never learns that a post about wine, a hawk or a
celebrity is nothing: a word-reading classifier (`models.matching.ngrams`) then takes common words
("woman", "named", "attack") as a narrative's. Background posts fix that: the post classifier
(`models.evaluation.post_classes_train`) gets them as no-narrative rows, and
`models.evaluation.background_eval` counts the hits a catalog gets on other background posts.

Contracts:
- `read_texts(path)`: a CheckThat!-style queries TSV (``id<TAB>text``, header skipped) or JSONL
  objects with ``text`` or ``vclaim``; whitespace collapsed, empty texts and repeats dropped, in
  file order. Raises ValueError naming ``file:line`` for a JSONL line without either field.
- `background_part(texts, exclude, part, size, seed)`: drops every text that `exclude` (a
  case-insensitive regex) finds, keeps the texts of `part` (``"fit"`` or ``"eval"``, by the
  parity of the text's SHA-1, so a text is in the same part whatever file or order it comes in
  and the two parts never share a text), then a seeded sample of `size` of them (all if fewer)
  after the first `skip` of the same shuffle (so ``skip=N`` gives posts a fit on the first N
  never saw: a tuning measure inside the 'fit' part).
- `catalog_exclusion(catalog, extra)`: one regex matching any of the catalog's keywords or the
  `extra` regex, so posts that might really be about a narrative are never called background.
- `catalog_background(catalog, files, extra, part, size, skip)`: the three above in order, for a
  catalog (what `calibrate_train --background` fits on and `narrmon eval background` counts);
  returns the chosen texts and how many texts the files held.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from models.catalog.schema import Catalog

Part = Literal["fit", "eval"]


def read_texts(path: Path) -> list[str]:
    """Texts of a queries TSV or a JSONL file (see module docstring)."""
    path = Path(path)
    out: list[str] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if path.suffix == ".jsonl":
            record = json.loads(line)
            text = record.get("text", record.get("vclaim")) if isinstance(record, dict) else None
            if not isinstance(text, str):
                raise ValueError(f"{path}:{lineno}: text: a string 'text' or 'vclaim' is required")
        else:
            if "\t" not in line:
                continue
            key, text = line.split("\t", 1)
            if key.strip() in ("iclaim_id", "tweet_id", "id"):
                continue
        out.append(" ".join(text.split()))
    return list(dict.fromkeys(t for t in out if t))


def catalog_exclusion(catalog: Catalog, extra: str = "") -> re.Pattern[str]:
    """A regex for texts that must not count as background (see module docstring)."""
    words = sorted({k.lower() for n in catalog.active for k in n.keywords}, key=len, reverse=True)
    parts = [rf"(?<!\w){re.escape(w)}(?!\w)" for w in words]
    if extra:
        parts.append(f"(?:{extra})")
    return re.compile("|".join(parts) or r"(?!)", re.IGNORECASE)


def in_part(text: str, part: Part) -> bool:
    """Whether `text` belongs to `part` (see module docstring)."""
    odd = hashlib.sha1(text.encode("utf-8")).digest()[0] % 2 == 1
    return odd == (part == "eval")


def background_part(
    texts: Sequence[str],
    exclude: re.Pattern[str],
    part: Part,
    size: int,
    *,
    seed: int = 13,
    skip: int = 0,
) -> list[str]:
    """A seeded sample of `part`'s texts that `exclude` does not find (see module docstring)."""
    kept = sorted({t for t in texts if in_part(t, part) and not exclude.search(t)})
    random.Random(seed).shuffle(kept)
    return kept[skip : skip + size]


def catalog_background(
    catalog: Catalog, files: Sequence[Path], extra: str, part: Part, size: int, *, skip: int = 0
) -> tuple[list[str], int]:
    """`part`'s background texts of `files` for `catalog` (see module docstring), and the
    number of texts read."""
    texts = [t for f in files for t in read_texts(f)]
    chosen = background_part(texts, catalog_exclusion(catalog, extra), part, size, skip=skip)
    return chosen, len(texts)
