"""The lexical candidate path (top-k and scores from the inverted index) gives the same narratives
and the same scores, bit for bit, as scoring every document with bm25s, and reads only part of
the postings when a rare term decides the top k."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from models.matching.lexical import LexicalIndex, tokenize


def _words(rng: np.random.Generator, count: int, vocab: int) -> str:
    ranks = np.minimum(rng.zipf(1.3, size=count), vocab)
    return " ".join(f"w{r}" for r in ranks)


def _corpus(seed: int, size: int) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    docs = [_words(rng, int(rng.integers(1, 40)), 500) for _ in range(size)]
    docs[3] = ""  # an empty document is indexed too
    queries = [_words(rng, int(rng.integers(1, 15)), 700) for _ in range(60)]
    queries += ["w1 w1 w1 w2", "nothing indexed here", "", docs[7]]
    return docs, queries


def _reference_top_k(full: np.ndarray, k: int) -> np.ndarray:
    """Best first, ties by ascending id, positive scores only."""
    order = np.lexsort((np.arange(len(full)), -full))[:k]
    return order[full[order] > 0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("unknown_terms", [False, True])
@pytest.mark.parametrize("scan_limit", [0, 10**9], ids=["pruned", "scan"])
def test_top_k_and_scores_equal_the_full_scan(
    seed: int, unknown_terms: bool, scan_limit: int
) -> None:
    docs, queries = _corpus(seed, 400)
    index = LexicalIndex(docs, unknown_terms=unknown_terms)
    index._postings.scan_limit = scan_limit
    rng = np.random.default_rng(seed + 100)
    for text in queries:
        full = index.scores(text)
        query = index.prepare(text)
        known = [index._bm25.vocab_dict[t] for t in tokenize(text) if t in index._bm25.vocab_dict]
        raw = index._bm25.get_scores(known) if known else np.zeros(len(docs))
        for k in (1, 5, 50, 1000):
            # raw BM25: exactly the reference ranking
            raw_ids, raw_scores = index._postings.top_k(query.terms, k)
            assert raw_ids.tolist() == _reference_top_k(raw, k).tolist(), (text, k)
            assert raw_scores.tobytes() == raw[raw_ids].astype(np.float32).tobytes()
            # normalised: the same values as the full scan; among scores clipped at 1 (ties)
            # the order is the raw one, so compare values and the ids above the k-th value
            ids, scores = index.top_k(query, k)
            expected = _reference_top_k(full, k)
            assert scores.tobytes() == full[ids].tobytes()
            assert scores.tolist() == full[expected].tolist()
            if len(ids):
                assert set(ids[scores > scores[-1]]) == set(expected[full[expected] > scores[-1]])
        some = rng.integers(0, len(docs), 80)  # any order, repeats allowed
        assert index.scores_of(query, some).tobytes() == full[some].tobytes()


def test_top_k_reads_only_the_postings_it_needs() -> None:
    docs = [f"common filler{i % 7}" for i in range(5_000)]
    for i in range(0, 5_000, 100):
        docs[i] += " rare"
    index = LexicalIndex(docs)
    index._postings.scan_limit = 0
    query = index.prepare("rare common")
    ids, scores = index.top_k(query, 5)
    assert ids.tolist() == [0, 100, 200, 300, 400]
    assert scores.tobytes() == index.scores("rare common")[ids].tobytes()
    # only the 50 "rare" postings are walked, not the 5,000 "common" ones
    assert index._postings.last_walked == 50
    index.top_k(index.prepare("common"), 5)  # nothing rarer: its postings must be walked
    assert index._postings.last_walked == 5_000
    index._postings.scan_limit = 10_000
    index.top_k(query, 5)
    assert index._postings.last_walked == 5_050


def test_an_index_small_enough_to_scan_never_loads_the_compiler() -> None:
    """numba costs ~250 MB and seconds to compile: catalogs that never prune must not pay it."""
    code = (
        "import sys\n"
        "from models.matching.lexical import LexicalIndex\n"
        "index = LexicalIndex(['vote by mail is safe', 'ballots were counted twice'] * 50)\n"
        "index.top_k(index.prepare('mail ballots counted'), 5)\n"
        "print('numba' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "False"


def test_a_larger_corpus_prunes_to_the_exact_top_k() -> None:
    """Enough documents that some terms are long (walked only when needed) and others short."""
    rng = np.random.default_rng(11)
    docs = [_words(rng, int(rng.integers(5, 30)), 3_000) for _ in range(4_000)]
    index = LexicalIndex(docs)
    index._postings.scan_limit = 0
    for _ in range(40):
        text = _words(rng, int(rng.integers(3, 14)), 3_000)
        known = [index._bm25.vocab_dict[t] for t in tokenize(text) if t in index._bm25.vocab_dict]
        raw = index._bm25.get_scores(known) if known else np.zeros(len(docs))
        for k in (5, 50):
            ids, scores = index._postings.top_k(index.prepare(text).terms, k)
            assert ids.tolist() == _reference_top_k(raw, k).tolist(), (text, k)
            assert scores.tobytes() == raw[ids].astype(np.float32).tobytes()
