"""Matching cost per post for catalogs of 1k, 14k, 100k and 1M exemplars, and peak memory.

A script, not a test: run ``.venv/bin/python benchmarks/bench_match.py [--sizes 1000,14000]
[--lexical]``. Vectors are synthetic (random unit vectors, 384 dims, clustered so that queries
have true near neighbours), which is fine for cost; recall@5 of the approximate index against
exact search is printed too. Embedding the post is not included; this is the dense search plus
per-narrative aggregation that `models.matching.dense_index.ExemplarIndex` does (exact up to its
`exact_limit`, IVF-PQ above).

``--lexical`` adds the matcher's whole candidate stage per post (`NarrativeMatcher._rank` minus
re-ranking): dense search, BM25 over one synthetic document per narrative (~30 Zipf-distributed
words from a 30k vocabulary; queries of 12), the lexical top 50 from the inverted index, and
the exact dense and lexical scores of the candidate union, with the time of each part as wall /
process CPU time (CPU counts every thread, faiss uses all cores; on a shared machine wall time
includes waiting for a core), and the old lexical path (BM25 of every document)
on 200 posts for comparison; and reports load time (dense + lexical index build) and the RSS
after loading (before the exact reference used for recall). Three exemplars per narrative: the
1M-exemplar row has 333k narratives. Target (issue 12): <= 2 ms/post at 10^6.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from models.matching.dense_index import ExemplarIndex

DIMS = 384


def unit(rows: np.ndarray) -> np.ndarray:
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows.astype(np.float32, copy=False)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def zipf_texts(count: int, words: int, rng: np.random.Generator) -> list[str]:
    ranks = np.minimum(rng.zipf(1.2, size=(count, words)), 30_000)
    return [" ".join(f"w{r}" for r in row) for row in ranks]


def bench_candidates(index: ExemplarIndex, q: np.ndarray, batch: int, rng: np.random.Generator,
                     loaded_s: float) -> str:  # fmt: skip
    """Dense + lexical candidate stage per post, as the matcher runs it (wall and CPU time)."""
    from models.matching.lexical import LexicalIndex

    started = time.perf_counter()
    lexical = LexicalIndex(zipf_texts(index.n_narratives, 30, rng))
    load = loaded_s + time.perf_counter() - started
    rss = peak_rss_mb()
    posts = zipf_texts(len(q), 12, rng)
    wall = {"dense": 0.0, "lexical": 0.0, "exact": 0.0}
    cpu = dict.fromkeys(wall, 0.0)
    postings = np.zeros(2, dtype=np.int64)  # of the query terms, walked

    def timed(part: str, mark: tuple[float, float]) -> tuple[float, float]:
        now = (time.perf_counter(), time.process_time())
        wall[part] += now[0] - mark[0]
        cpu[part] += now[1] - mark[1]
        return now

    for i in range(0, len(q), batch):
        mark = (time.perf_counter(), time.process_time())
        dense_ids, _ = index.search(q[i : i + batch], 50)
        mark = timed("dense", mark)
        for j, text in enumerate(posts[i : i + batch]):
            query = lexical.prepare(text)
            top, _ = lexical.top_k(query, 50)
            mark = timed("lexical", mark)
            postings = np.add(postings, lexical.postings(query))
            ids = np.unique(np.concatenate([dense_ids[j][dense_ids[j] >= 0], top]))
            lexical.scores_of(query, ids)
            index.narrative_scores(q[i + j], ids)
            mark = timed("exact", mark)
    sample = posts[:200]  # the old lexical path: BM25 of every document, then argpartition
    started, cpu_started = time.perf_counter(), time.process_time()
    for text in sample:
        scores = lexical.scores(text)
        np.argpartition(-scores, 50)[:50]
    before = (time.perf_counter() - started, time.process_time() - cpu_started)

    def ms(seconds: float, count: int = len(q)) -> str:
        return f"{1000 * seconds / count:.3f}"

    parts = ", ".join(f"{p} {ms(wall[p])} / {ms(cpu[p])}" for p in wall)
    return (f"\n  dense+lexical {ms(sum(wall.values()))} ms/post wall / "
            f"{ms(sum(cpu.values()))} CPU ({parts}); lexical full scan (before) "
            f"{ms(before[0], len(sample))} / {ms(before[1], len(sample))}; postings per post "
            f"{postings[0] // len(q):,}, walked {postings[1] // len(q):,}; "
            f"{index.n_narratives:,} narratives; load {load:.1f}s, "
            f"RSS after load {rss:.0f} MB\n ")  # fmt: skip


def bench(size: int, queries: int, batch: int, exact_limit: int, rng: np.random.Generator,
          *, lexical: bool = False) -> None:  # fmt: skip
    centres = unit(rng.standard_normal((max(size // 3, 1), DIMS), dtype=np.float32))
    owners = np.arange(size) // 3  # three exemplars per narrative
    vectors = centres[owners % len(centres)]
    vectors += (0.5 / np.sqrt(DIMS)) * rng.standard_normal((size, DIMS), dtype=np.float32)
    vectors = unit(vectors)
    noise = (0.6 / np.sqrt(DIMS)) * rng.standard_normal((queries, DIMS), dtype=np.float32)
    q = unit(centres[rng.integers(0, len(centres), queries)] + noise)
    started = time.perf_counter()
    index = ExemplarIndex(vectors, owners, exact_limit=exact_limit)
    build = time.perf_counter() - started
    index.search(q[:batch], 10)  # warm
    started = time.perf_counter()
    for i in range(0, queries, batch):
        index.search(q[i : i + batch], 10)
    per_post_ms = 1000 * (time.perf_counter() - started) / queries
    line = (
        f"{size:>9,} exemplars  {index.backend:<11}  build {build:6.1f}s  "
        f"{per_post_ms:7.3f} ms/post (batch {batch})  peak RSS {peak_rss_mb():7.0f} MB"
    )
    if lexical:
        line += bench_candidates(index, q, batch, rng, build)
    if index.backend != "numpy-exact" and size <= 1_000_000:
        exact = ExemplarIndex(vectors, owners, exact_limit=size + 1)
        sample = q[:200]
        truth = exact.search(sample, 1)[0][:, 0]
        found = index.search(sample, 5)[0]
        recall = float(np.mean([truth[i] in found[i] for i in range(len(sample))]))
        line += f"  recall@5 vs exact {recall:.3f}"
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,14000,100000,1000000")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--exact-limit", type=int, default=None, help="Exact search up to N.")
    parser.add_argument("--lexical", action="store_true", help="Dense + lexical candidate stage.")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    from models.matching.dense_index import DEFAULT_EXACT_LIMIT

    limit = args.exact_limit if args.exact_limit is not None else DEFAULT_EXACT_LIMIT
    for size in (int(s) for s in args.sizes.split(",")):
        bench(size, args.queries, args.batch, limit, rng, lexical=args.lexical)


if __name__ == "__main__":
    main()
