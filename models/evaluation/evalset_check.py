"""Check a new labelled-post set before it joins the tuning or reporting sets.

A set written "by a different method" only measures what users get if its posts are not copied
from the texts the models were tuned on or the sets it will be compared with. This refuses:
- a line that `read_labelled_posts` refuses (``file:line``), a label naming a narrative the
  catalog lacks, a repeated id or text;
- a post sharing a run of `RUN` (5) consecutive words with any reference text: the catalog's
  titles, summaries, reasons, exemplars, counter-exemplars and near-misses, and every ``--against``
  file (labelled JSONL posts, or plain text such as the seed articles).
It prints only the new set's post ids and problems, never a reference text, so a writer can run it
without reading the sets it guards. With ``--mix P/D/S`` it also checks every narrative has
exactly P promotes, D debunks and S discusses posts. Exit 1 when anything is refused::

    python -m models.evaluation.evalset_check NEW.jsonl \\
        --catalog models/catalogs/election-2024.yaml --against models/evalsets \\
        --against pipeline/demo_data/posts.jsonl --against ../shared/seeds
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from models.evaluation.posts_eval import STANCES, LabelledPost, read_labelled_posts

RUN = 5
_WORD = re.compile(r"[a-z0-9']+")


def word_runs(text: str, n: int = RUN) -> set[str]:
    """Every run of `n` consecutive lower-cased words of `text`."""
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def reference_runs(texts: Iterable[str], n: int = RUN) -> set[str]:
    out: set[str] = set()
    for text in texts:
        out |= word_runs(text, n)
    return out


def problems(
    posts: Sequence[LabelledPost], narratives: set[str], reference: set[str], *,
    mix: tuple[int, int, int] | None = None, n: int = RUN,
) -> list[str]:  # fmt: skip
    """Every refusal for `posts` (see module docstring), by post id."""
    out = []
    ids = Counter(p.id for p in posts)
    texts = Counter(p.text.strip().lower() for p in posts)
    for post in posts:
        name = post.id or f"line {post.line}"
        if post.narrative is not None and post.narrative not in narratives:
            out.append(f"{name}: unknown narrative {post.narrative!r}")
        if post.narrative is not None and post.stance is None:
            out.append(f"{name}: a post on a narrative needs a stance")
        if post.narrative is None and post.stance is not None:
            out.append(f"{name}: chatter (narrative null) cannot carry a stance")
        if ids[post.id] > 1:
            out.append(f"{name}: id used {ids[post.id]} times")
        if texts[post.text.strip().lower()] > 1:
            out.append(f"{name}: the same text appears {texts[post.text.strip().lower()]} times")
        if word_runs(post.text, n) & reference:
            out.append(f"{name}: shares a run of {n} words with a reference text")
    if mix is not None:
        counts = Counter((p.narrative, p.stance) for p in posts if p.narrative is not None)
        for narrative in sorted(narratives):
            got = tuple(counts[(narrative, s)] for s in STANCES)
            if got != mix:
                shown = "/".join(str(x) for x in got)
                out.append(f"{narrative}: promotes/debunks/discusses {shown}, expected "
                           f"{'/'.join(str(x) for x in mix)}")  # fmt: skip
    return out


def _files(paths: Iterable[Path], skip: Path) -> list[Path]:
    """Every file named or below a named folder, except `skip` (the new set)."""
    out: list[Path] = []
    for path in paths:
        out += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [f for f in out if f.resolve() != skip.resolve()]


def _texts_of(file: Path) -> Iterable[str]:
    """A JSONL file's ``text`` fields, or any other file whole."""
    text = file.read_text(encoding="utf-8", errors="replace")
    if file.suffix != ".jsonl":
        yield text
        return
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            yield str(row.get("text", "")) if isinstance(row, dict) else ""


def _mix(value: str) -> tuple[int, int, int]:
    parts = value.split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError("expected P/D/S, e.g. 2/3/2")
    return int(parts[0]), int(parts[1]), int(parts[2])


def main(argv: list[str] | None = None) -> int:
    from models.catalog.loading import load_catalog

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("posts", type=Path, help="the new labelled posts (JSONL)")
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument(
        "--against", type=Path, action="append", default=[],
        help="reference file or folder (repeatable); the new file is skipped",
    )  # fmt: skip
    parser.add_argument("--mix", type=_mix, help="stances per narrative, P/D/S")
    args = parser.parse_args(argv)
    try:
        posts = read_labelled_posts(args.posts)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    catalog = load_catalog(args.catalog)
    texts: list[str] = []
    for n in catalog.narratives:
        texts += [n.title, n.summary, n.why_tracked, *n.exemplars, *n.counter_exemplars,
                  *n.near_misses]  # fmt: skip
    for file in _files(args.against, skip=args.posts):
        texts += _texts_of(file)
    found = problems(posts, {n.id for n in catalog.narratives}, reference_runs(texts),
                     mix=args.mix)  # fmt: skip
    chatter = sum(p.narrative is None for p in posts)
    print(f"{args.posts}: {len(posts)} posts, {chatter} chatter, {len(texts)} reference texts")
    for line in found:
        print(line)
    print("refused" if found else "OK")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
