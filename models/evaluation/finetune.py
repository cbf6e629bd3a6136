"""Fine-tune the embedding model on (post, claim) pairs with MultipleNegativesRankingLoss.

Contracts:
- `finetune(pairs, output, ...)` is blocking and CPU-bound (a few minutes for ~1k pairs on 2
  cores), seeded (same pairs + seed -> same weights on the same machine), and writes a
  sentence-transformers model folder that `Embedder(model_path=...)` / `load_matcher` load.
- The loop is plain PyTorch (no `datasets`/`accelerate` needed): each batch's other positives are
  the negatives (in-batch negatives, scale 20, as in sentence-transformers' MNRL), symmetric
  (post->claim and claim->post), AdamW with linear warm-up and decay. Batches never hold the same
  claim twice, which would turn a true positive into a negative.
- `finetuned_model_dir(...)` names the output by a hash of the training pairs and parameters, so a
  fresh clone rebuilds it once and later runs reuse it.
- Train only on a training split; never on what you evaluate.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Sequence
from pathlib import Path

from models.matching.embedder import packaged_model_path

logger = logging.getLogger(__name__)


def _batches(pairs: Sequence[tuple[str, str]], size: int, rng: random.Random) -> list[list[int]]:
    order = list(range(len(pairs)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    pending = order
    while pending:
        batch: list[int] = []
        seen: set[str] = set()
        rest: list[int] = []
        for i in pending:
            if len(batch) < size and pairs[i][1] not in seen:
                batch.append(i)
                seen.add(pairs[i][1])
            else:
                rest.append(i)
        batches.append(batch)
        pending = rest
    return batches


def finetuned_model_dir(
    cache_dir: Path, pairs: Sequence[tuple[str, str]], base: str | None, **params: object
) -> Path:
    digest = hashlib.sha256(json.dumps([base, sorted(params.items()), list(pairs)]).encode())
    return Path(cache_dir) / "models" / f"finetuned-{digest.hexdigest()[:16]}"


def finetune(
    pairs: Sequence[tuple[str, str]],
    output: Path,
    base_model: str | None = None,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    learning_rate: float = 2e-5,
    seed: int = 13,
    scale: float = 20.0,
) -> Path:
    """Train on `pairs` (post text, matching claim text) and save the model under `output`."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = SentenceTransformer(base_model or packaged_model_path(), device="cpu")
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    plan = [_batches(pairs, batch_size, rng) for _ in range(epochs)]
    total = sum(len(p) for p in plan)
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / (total - warmup))),
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    step = 0
    for epoch, batches in enumerate(plan):
        for batch in batches:
            if len(batch) < 2:
                continue
            anchors = _tokenize(model, [pairs[i][0] for i in batch])
            positives = _tokenize(model, [pairs[i][1] for i in batch])
            a = model(anchors)["sentence_embedding"]
            p = model(positives)["sentence_embedding"]
            a = torch.nn.functional.normalize(a, dim=-1)
            p = torch.nn.functional.normalize(p, dim=-1)
            scores = scale * a @ p.T
            labels = torch.arange(len(batch))
            loss = (loss_fn(scores, labels) + loss_fn(scores.T, labels)) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if step % 10 == 0:
                logger.info(
                    "finetune epoch %d step %d/%d loss %.4f", epoch, step, total, loss.item()
                )
    model.eval()
    output = Path(output)
    tmp = output.with_name(output.name + ".partial")
    model.save(str(tmp))
    tmp.replace(output)
    logger.info("finetuned model written to %s", output)
    return output


def claim_pairs(catalog_path: Path, queries_path: Path, qrels_path: Path) -> list[tuple[str, str]]:
    """(cleaned post, claim text) for every relevant pair of a CheckThat!-style split."""
    from models.catalog.loading import load_catalog
    from models.evaluation.metrics import read_qrels, read_queries
    from models.matching.query import clean_post_text

    claims = {n.id: n.exemplars[0] for n in load_catalog(catalog_path).narratives}
    queries = read_queries(queries_path)
    qrels = read_qrels(qrels_path)
    return [
        (clean_post_text(queries[qid]), claims[claim])
        for qid in sorted(qrels)
        if qid in queries
        for claim in sorted(qrels[qid])
        if claim in claims
    ]


def ensure_finetuned(
    cache_dir: Path, pairs: Sequence[tuple[str, str]], base_model: str | None = None
) -> Path:
    """The fine-tuned model for `pairs`, trained now if not cached yet (blocking, minutes)."""
    params: dict[str, object] = {"epochs": 1, "batch_size": 32, "learning_rate": 2e-5, "seed": 13}
    output = finetuned_model_dir(cache_dir, pairs, base_model, **params)
    if (output / "modules.json").exists():
        logger.info("using cached fine-tuned model %s", output)
        return output
    output.parent.mkdir(parents=True, exist_ok=True)
    logger.warning("fine-tuning on %d pairs into %s (a few minutes on CPU)", len(pairs), output)
    return finetune(pairs, output, base_model, epochs=1, batch_size=32, learning_rate=2e-5, seed=13)


def _tokenize(model: object, texts: list[str]) -> object:
    # sentence-transformers >= 6 renamed `tokenize` to `preprocess`
    method = getattr(model, "preprocess", None) or model.tokenize  # type: ignore[attr-defined]
    return method(texts)
