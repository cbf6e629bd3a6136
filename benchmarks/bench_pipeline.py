"""Pipeline throughput, memory and latency on the real local stack, against plain
sentence-transformers on the same texts, in the same run.

A script, not a test: ``.venv/bin/python benchmarks/bench_pipeline.py [--posts 3000] [--mixed]
[--json]`` (the stack must be up: ``narrmon stack up``). Steps:

1. N unique short posts (default 3,000; CheckThat! 2022 2A tweets and Snopes claims from
   ``--data``, ~87 characters on average; ``--mixed`` swaps ~5% for article-length texts cut
   from ``pipeline/demo_data/articles/``) are published to fresh topics as a backlog.
2. One worker (`pipeline.worker_process.WorkerProcess`, i.e. ``narrmon worker``) is started with
   the example catalog. Throughput = N / (first post processed -> last post processed with every
   hit indexed), read from its ``/metrics`` every 0.2 s; the hits in Elasticsearch are counted
   and must equal the hits it produced.
3. Paced run at half that capacity for ``--paced-s`` seconds: fresh texts (the demo posts, most
   of which match the catalog, mixed into more CheckThat! texts), each stamped when published;
   Elasticsearch is searched every 0.1 s without refresh, so post -> searchable is the time until
   a hit is first returned by a search (p50 / p99 over the paced hits).
4. The worker's peak RSS (VmHWM of its process), then the worker is stopped and plain
   sentence-transformers fp32 ``encode`` of the same N texts (one call, its defaults) is timed
   in this process, with the cores to itself. Ratio = pipeline posts/s / plain posts/s.

Targets (issue 12; measured by this script, never asserted in tests): ratio >= 2.0 on the short-
post workload; worker peak RSS <= 700 MB with the packaged model; p99 post -> searchable <= 2 s at
half capacity. Topics, consumer group and index are unique to the run and deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from models.records import Post
from pipeline import metrics as m
from pipeline.demo import demo_data_dir, demo_settings
from pipeline.settings import Settings
from pipeline.worker_process import WorkerProcess, total

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "checkthat-2022-2a-en"


def checkthat_texts(data: Path, seed: int = 13) -> list[str]:
    """Every distinct CheckThat! tweet (train + dev queries) and claim, shuffled (seeded)."""
    texts = []
    for split in ("train", "dev"):
        lines = (data / f"{split}.queries.tsv").read_text(encoding="utf-8").splitlines()
        texts += [line.split("\t", 1)[1] for line in lines if "\t" in line]
    for line in (data / "vclaims.jsonl").read_text(encoding="utf-8").splitlines():
        texts.append(json.loads(line)["vclaim"])
    unique = list(dict.fromkeys(" ".join(t.split()) for t in texts if t.strip()))
    random.Random(seed).shuffle(unique)
    return unique


def article_texts(count: int) -> list[str]:
    """`count` distinct article-length texts (1,500-4,000 chars) cut from the demo articles."""
    body = " ".join(
        p.read_text(encoding="utf-8") for p in sorted(demo_data_dir().glob("articles/*"))
    )
    words, rng, out = body.split(), random.Random(7), []
    while len(out) < count:
        start, length = rng.randrange(len(words)), rng.randrange(250, 650)
        out.append(f"[{len(out)}] " + " ".join((words * 2)[start : start + length]))
    return out


def workload(data: Path, posts: int, mixed: bool) -> tuple[list[str], list[str]]:
    """(backlog texts, spare texts for the paced run), disjoint."""
    pool = checkthat_texts(data)
    backlog = pool[:posts]
    if mixed:
        articles = article_texts(max(1, posts // 20))
        for i, text in enumerate(articles):
            backlog[i * 20] = text
    return backlog, pool[posts:]


def demo_post_texts() -> list[str]:
    lines = (demo_data_dir() / "posts.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def publish(settings: Settings, texts: list[str], tag: str, rate: float | None = None) -> int:
    """Publish `texts` as posts (at `rate` per second, else at once). Returns posts acked."""
    from connectors.publisher import Publisher

    started = time.monotonic()
    with Publisher(
        settings.kafka.bootstrap,
        topic=settings.topics.posts,
        dead_letter_topic=settings.topics.dead_letter,
        source="bench",
    ) as publisher:
        for i, text in enumerate(texts):
            if rate is not None:
                time.sleep(max(0.0, started + i / rate - time.monotonic()))
            now = datetime.now(UTC)
            publisher.publish_post(
                Post(
                    id=f"bench:{tag}-{i}",
                    platform="bench",
                    source="bench",
                    text=text,
                    created_at=now,
                    ingested_at=now,
                    language="en",
                )
            )
        publisher.flush()
        return publisher.stats.posts_acked


def processed(samples: dict[Any, float]) -> float:
    return total(samples, m.POSTS_PROCESSED + "_total") + total(samples, m.DEAD_LETTERED + "_total")


def settled(samples: dict[Any, float], posts: float) -> bool:
    hits = total(samples, m.HITS + "_total")
    return processed(samples) >= posts and total(samples, m.HITS_INDEXED + "_total") >= hits


def measure_backlog(worker: WorkerProcess, posts: int, timeout_s: float) -> dict[str, float]:
    """Seconds from the first processed post to the last (with every hit indexed)."""
    first: float | None = None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        samples = worker.scrape()
        now = time.monotonic()
        if samples is not None:
            if first is None and processed(samples) > 0:
                first = now
            if first is not None and settled(samples, posts):
                return {
                    "seconds": now - first,
                    "hits": total(samples, m.HITS + "_total"),
                    "processed": processed(samples),
                }
        time.sleep(0.2)
    raise RuntimeError(f"backlog not processed within {timeout_s:.0f}s; see {worker.log_path}")


class SearchableWatch(threading.Thread):
    """Searches the hits alias every 0.1 s (no refresh) and notes when each hit first shows up.

    A hit is searchable at most one refresh interval after it was indexed, so each search only
    asks for hits indexed up to `LOOKBACK_S` before the previous search: the searches stay small
    (a search returning every paced hit so far took long enough to skew the figures)."""

    LOOKBACK_S = 5.0

    def __init__(self, settings: Settings, alias: str, since: datetime) -> None:
        super().__init__(daemon=True)
        from elasticsearch import Elasticsearch

        self.client = Elasticsearch(settings.elasticsearch.endpoint, request_timeout=10)
        self.alias, self.since = alias, since
        self.seen: dict[str, float] = {}  # hit id -> latency seconds
        self.stop = threading.Event()

    def run(self) -> None:
        previous = self.since
        while not self.stop.is_set():
            asked = datetime.now(UTC)
            recent = (previous - timedelta(seconds=self.LOOKBACK_S)).isoformat()
            query = {
                "bool": {
                    "filter": [
                        {"range": {"post.ingested_at": {"gte": self.since.isoformat()}}},
                        {"range": {"indexed_at": {"gte": recent}}},
                    ]
                }
            }
            previous = asked
            found = self.client.options(ignore_status=404).search(
                index=self.alias, query=query, size=10_000, _source=["post.ingested_at"]
            )
            now = datetime.now(UTC)
            for doc in dict(found.body).get("hits", {}).get("hits", []):
                if doc["_id"] not in self.seen:
                    born = datetime.fromisoformat(doc["_source"]["post"]["ingested_at"])
                    self.seen[doc["_id"]] = (now - born).total_seconds()
            self.stop.wait(0.1)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def plain_sentence_transformers(texts: list[str]) -> float:
    """Posts/s of one `SentenceTransformer.encode` call over `texts` (fp32, its defaults)."""
    from sentence_transformers import SentenceTransformer

    from models.matching.embedder import packaged_model_path

    model = SentenceTransformer(packaged_model_path(), device="cpu")
    model.encode(texts[:64])  # warm up
    started = time.perf_counter()
    model.encode(texts)
    return len(texts) / (time.perf_counter() - started)


def cleanup(settings: Settings, run: str) -> None:
    from elasticsearch import Elasticsearch
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap.split(","))
    try:
        mine = [t for t in admin.list_topics() if run in t]
        if mine:
            admin.delete_topics(mine, timeout_ms=30_000)
    finally:
        admin.close()
    client = Elasticsearch(settings.elasticsearch.endpoint, request_timeout=30)
    prefix = settings.elasticsearch.index_prefix
    indices = list(client.indices.get(index=f"{prefix}-*", expand_wildcards="all"))
    if indices:
        client.indices.delete(index=",".join(indices))
    client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}-hits")
    client.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from pipeline.elastic.schema.names import hits_alias
    from pipeline.topics import ensure_pipeline_topics

    run_id = f"bench{uuid.uuid4().hex[:8]}"
    settings = demo_settings(Settings.load(), run_id)
    backlog, spare = workload(args.data, args.posts, args.mixed)
    result: dict[str, Any] = {
        "posts": len(backlog),
        "mixed": args.mixed,
        "avg_chars": round(statistics.mean(map(len, backlog)), 1),
        "backend": settings.model.backend,
        "batch_within_s": settings.worker.batch_within_s,
        "index_batch_within_s": settings.worker.index_batch_within_s,
        "hits_refresh_interval": settings.elasticsearch.hits_refresh_interval,
        "run": run_id,
    }
    worker = WorkerProcess(settings, settings.log_dir / f"{run_id}-worker.log")
    try:
        ensure_pipeline_topics(settings)
        result["published"] = publish(settings, backlog, "backlog")
        worker.start()
        worker.wait_ready(timeout_s=600)
        backlog_run = measure_backlog(worker, len(backlog), args.timeout_s)
        capacity = len(backlog) / backlog_run["seconds"]
        alias = hits_alias(settings)
        result |= {
            "pipeline_posts_s": round(capacity, 1),
            "hits_produced": int(backlog_run["hits"]),
            "hits_in_elasticsearch": _count(settings, alias),
        }
        rate = capacity / 2
        demo = [f"{t} [{i}]" for i, t in enumerate(demo_post_texts())]
        paced = (demo + spare[: max(0, int(rate * args.paced_s) - len(demo))])[
            : int(rate * args.paced_s)
        ]
        random.Random(3).shuffle(paced)
        watch = SearchableWatch(settings, alias, datetime.now(UTC))
        watch.start()
        publish(settings, paced, "paced", rate=rate)
        time.sleep(3.0)  # let the last ones through
        watch.stop.set()
        watch.join()
        lat = sorted(watch.seen.values())
        result |= {
            "paced_rate_posts_s": round(rate, 1),
            "paced_posts": len(paced),
            "paced_hits": len(lat),
            "latency_p50_s": _pct(lat, 50),
            "latency_p99_s": _pct(lat, 99),
        }
        assert worker.proc is not None
        result["worker_peak_rss_mb"] = round(peak_rss_mb(worker.proc.pid), 1)
    finally:
        worker.stop()
        if not args.keep:
            cleanup(settings, run_id)
    plain = plain_sentence_transformers(backlog)
    result |= {
        "plain_st_posts_s": round(plain, 1),
        "ratio": round(result["pipeline_posts_s"] / plain, 2),
    }
    return result


def _count(settings: Settings, alias: str) -> int:
    from elasticsearch import Elasticsearch

    client = Elasticsearch(settings.elasticsearch.endpoint, request_timeout=30)
    try:
        client.indices.refresh(index=alias)
        return int(client.count(index=alias)["count"])
    finally:
        client.close()


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))], 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--mixed", action="store_true", help="~5%% article-length texts")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CheckThat! 2022 2A folder")
    parser.add_argument("--paced-s", type=float, default=30.0, help="paced run length, seconds")
    parser.add_argument("--timeout-s", type=float, default=1800.0)
    parser.add_argument("--keep", action="store_true", help="keep topics and index")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:24} {value}")
    print("targets: ratio >= 2.0, worker_peak_rss_mb <= 700, latency_p99_s <= 2.0", file=sys.stderr)


if __name__ == "__main__":
    main()
