"""Builds the generated signal evaluation streams in `models/evalsets/` (deterministic: the same
seed and material give the same files byte for byte).

- ``emerging-{split}.jsonl``: 2,000 chatter posts over six hours (slot-filled templates from
  `signal_streams`, half of them two templates joined, plus, with ``--seeds``, sentences of the
  seed articles, each used once) and one injected narrative of 30 hand-written posts from 18
  accounts within 25 minutes, four hours in.
  Label ``{"narrative": "injected" | null}``. ``emerging-tuning-varied.jsonl``: another seed's
  chatter with the variously phrased narrative of `signal_narratives` (tuning only);
  ``emerging-tuning-{slogans,explainers,questions,sarcasm,mixed}.jsonl``: the tuning chatter
  with the narratives of `emerging_tuning_narratives` (tuning only); ``emerging-tuning-pair``:
  the tuning chatter with two narratives at once (labels ``usps``, ``sarcasm``);
  ``emerging-tuning-{overvote,flip,flood}.jsonl``: the fragmenting narratives of
  `emerging_tuning_narratives`, each in another seed's chatter (tuning only).
- ``coordination-{split}.jsonl``: 600 chatter posts (two templates joined) over three hours;
  six copy-paste campaigns (5-12 accounts within 15 minutes, hand-written paraphrases plus
  generated openers, hashtags, links, mentions and word swaps); platform-marked reposts of
  three posts (``repost_of``); three headlines shared by five accounts each with their own
  comment; two accounts repeating one post. Label ``{"campaign": id | null, "kind": ...}``.
  ``coordination-tuning-dense.jsonl``: the tuning campaigns among 1,500 chatter posts (another
  seed), where the same two templates from unrelated accounts often meet within the window.

Run: ``python -m models.evaluation.signal_sets --seeds DIR`` (DIR: plain-text articles).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from models.evaluation import signal_streams as material
from models.evaluation.emerging_tuning_narratives import EXTRA_TUNING, FRAGMENTED_TUNING
from models.evaluation.signal_narratives import VARIED_TUNING

OUT = Path(__file__).resolve().parents[1] / "evalsets"
START = datetime(2024, 11, 5, 12, 0, tzinfo=UTC)
PLATFORMS = ("x", "bluesky", "mastodon", "telegram", "threads")
OPENERS = ("🚨", "Wow.", "THIS.", "Read this:", "Must read:", "Unreal.", "Pass it on:", "")
HASHTAGS = ("#Election2024", "#Vote", "#Breaking", "#PA", "#Elections", "#2024Election")
SWAPS = {"now": "today", "demand": "insist", "caught": "seen", "share": "repost",
         "today": "now", "every": "each", "before": "ahead of", "spotted": "seen"}  # fmt: skip


def _handle(rng: random.Random) -> str:
    words = ("river", "maple", "quiet", "amber", "north", "cedar", "otter", "pixel", "sage")
    return f"{rng.choice(words)}_{rng.choice(words)}{rng.randint(1, 9999)}"


def _post(  # noqa: PLR0917
    pid: str, handle: str, text: str, at: datetime, rng: random.Random,
    label: dict[str, Any], repost_of: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    post: dict[str, Any] = {
        "id": pid, "platform": rng.choice(PLATFORMS), "source": "evalset",
        "author": {"id": f"a-{handle}", "handle": handle}, "text": text,
        "created_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }  # fmt: skip
    if repost_of:
        post["references"] = {"repost_of": repost_of}
    post["label"] = label
    return post


def chatter(
    rng: random.Random, n: int, seed_sentences: list[str], compose: float = 0.0
) -> list[str]:
    """`n` chatter posts: a seed sentence (each used once, 15%) or a slot-filled template; with
    probability `compose` two different templates are joined into one post."""
    seeds = list(seed_sentences)
    rng.shuffle(seeds)
    texts = []
    for _ in range(n):
        if seeds and rng.random() < 0.15:
            texts.append(seeds.pop())
            continue
        count = 2 if rng.random() < compose else 1
        parts = [
            re.sub(r"{(\w+)}", lambda m: rng.choice(material.SLOTS[m.group(1)]), template)
            for template in rng.sample(material.CHATTER_TEMPLATES, count)
        ]
        texts.append(". ".join(parts))
    return texts


def paraphrase(rng: random.Random, text: str) -> str:
    words = text.split()
    if rng.random() < 0.5:
        words = [SWAPS.get(w.lower(), w) if rng.random() < 0.5 else w for w in words]
    out = " ".join(words)
    if rng.random() < 0.2 and out.count(". ") >= 1:
        out = out.rsplit(". ", 1)[0] + "."
    opener = rng.choice(OPENERS)
    tail = []
    if rng.random() < 0.5:
        tail.append(" ".join(rng.sample(HASHTAGS, rng.randint(1, 2))))
    if rng.random() < 0.3:
        tail.append(f"https://t.co/{rng.getrandbits(40):x}")
    if rng.random() < 0.3:
        tail.insert(0, f"@{_handle(rng)}")
    return " ".join(p for p in (opener, out, *tail) if p)


def seed_sentences(folder: Path | None) -> list[str]:
    if folder is None:
        return []
    sentences = []
    for path in sorted(folder.glob("*.txt")):
        text = re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))
        sentences += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 40 <= len(s) <= 240]
    return sentences


def emerging_stream(
    split: str, seed: int, seeds: list[str], narrative: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i, text in enumerate(chatter(rng, 2000, seeds, compose=0.5)):
        at = START + timedelta(seconds=rng.uniform(0, 6 * 3600))
        rows.append(_post(f"em-{split}-c{i:04d}", _handle(rng), text, at, rng, {"narrative": None}))
    accounts = [_handle(rng) for _ in range(18)]
    for i, text in enumerate(narrative or material.INJECTED[split]):
        at = START + timedelta(hours=4, seconds=rng.uniform(0, 25 * 60))
        handle = accounts[i % len(accounts)]
        rows.append(_post(f"em-{split}-n{i:02d}", handle, text, at, rng, {"narrative": "injected"}))
    return sorted(rows, key=lambda r: (r["created_at"], r["id"]))


def emerging_pair_stream(seed: int, seeds: list[str]) -> list[dict[str, Any]]:
    """The tuning chatter with two narratives about lost mail ballots injected in the same 25
    minutes by different accounts (labels ``usps`` and ``sarcasm``): they must stay apart."""
    rows = emerging_stream("tuning-pair", seed, seeds, material.INJECTED["tuning"])
    for row in rows:
        if row["label"]["narrative"] is not None:
            row["label"] = {"narrative": "usps"}
    rng = random.Random(seed + 1)
    accounts = [_handle(rng) for _ in range(18)]
    for i, text in enumerate(EXTRA_TUNING["sarcasm"]):
        at = START + timedelta(hours=4, seconds=rng.uniform(0, 25 * 60))
        rows.append(_post(f"em-tuning-pair-m{i:02d}", accounts[i % len(accounts)], text, at,
                          rng, {"narrative": "sarcasm"}))  # fmt: skip
    return sorted(rows, key=lambda r: (r["created_at"], r["id"]))


def coordination_stream(
    split: str, seed: int, seeds: list[str], chatter_posts: int = 600
) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    span = 3 * 3600
    rows = []

    def at(lo: float = 0, hi: float = span) -> datetime:
        return START + timedelta(seconds=rng.uniform(lo, hi))

    for i, text in enumerate(chatter(rng, chatter_posts, seeds, compose=1.0)):
        label = {"campaign": None, "kind": "chatter"}
        rows.append(_post(f"co-{split}-c{i:03d}", _handle(rng), text, at(), rng, label))
    for c, variants in enumerate(material.CAMPAIGNS[split]):
        begin = rng.uniform(0, span - 900)
        for k in range(rng.randint(5, 12)):
            text = paraphrase(rng, rng.choice(variants))
            label = {"campaign": f"campaign-{c}", "kind": "campaign"}
            rows.append(_post(f"co-{split}-k{c}-{k:02d}", _handle(rng), text,
                              at(begin, begin + 900), rng, label))  # fmt: skip
    for r, text in enumerate(material.REPOSTED[split]):
        original = f"co-{split}-r{r}-orig"
        t0 = rng.uniform(0, span - 1800)
        label = {"campaign": None, "kind": "repost"}
        rows.append(_post(original, _handle(rng), text, at(t0, t0 + 1), rng, label))
        for k in range(8):
            rows.append(_post(f"co-{split}-r{r}-{k}", _handle(rng), text, at(t0 + 2, t0 + 1800),
                              rng, label, repost_of=original))  # fmt: skip
    for h, headline in enumerate(material.SHARED_HEADLINES[split]):
        t0 = rng.uniform(0, span - 1800)
        for k, comment in enumerate(rng.sample(material.COMMENTS, 5)):
            label = {"campaign": None, "kind": "headline"}
            rows.append(_post(f"co-{split}-h{h}-{k}", _handle(rng), f"{headline} - {comment}",
                              at(t0, t0 + 1800), rng, label))  # fmt: skip
    for s in range(2):
        handle, text = _handle(rng), chatter(rng, 1, [])[0]
        for k in range(4):
            label = {"campaign": None, "kind": "same_account"}
            rows.append(_post(f"co-{split}-s{s}-{k}", handle, text, at(), rng, label))
    return sorted(rows, key=lambda r: (r["created_at"], r["id"]))


def write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--seeds", type=Path, default=None, help="folder of seed articles")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    seeds = seed_sentences(args.seeds)
    for n, split in enumerate(("tuning", "reporting")):
        write(args.out / f"emerging-{split}.jsonl", emerging_stream(split, 100 + n, seeds))
        write(args.out / f"coordination-{split}.jsonl", coordination_stream(split, 200 + n, seeds))
    varied = emerging_stream("tuning-varied", 102, seeds, VARIED_TUNING)
    write(args.out / "emerging-tuning-varied.jsonl", varied)
    for name, narrative in EXTRA_TUNING.items():  # the tuning chatter, another narrative
        write(args.out / f"emerging-tuning-{name}.jsonl",
              emerging_stream(f"tuning-{name}", 100, seeds, narrative))  # fmt: skip
    write(args.out / "emerging-tuning-pair.jsonl", emerging_pair_stream(100, seeds))
    for n, (name, narrative) in enumerate(FRAGMENTED_TUNING.items()):  # each its own chatter
        write(args.out / f"emerging-tuning-{name}.jsonl",
              emerging_stream(f"tuning-{name}", 103 + n, seeds, narrative))  # fmt: skip
    dense = coordination_stream("tuning", 300, seeds, chatter_posts=1500)
    write(args.out / "coordination-tuning-dense.jsonl", dense)


if __name__ == "__main__":
    main()
