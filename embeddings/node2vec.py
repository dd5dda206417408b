"""node2vec: biased random walks compiled with numba over CSR arrays, streamed into gensim's skip-gram.

``Node2Vec(...).fit(graph)`` learns ``vectors_`` (one row per node). Steps are drawn with alias
tables and rejection sampling, walks are seeded one by one and regenerated for each pass instead of
stored. The API, how a step is drawn and what reproducibility needs: docs/ARCHITECTURE.md,
"embeddings/node2vec.py".
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numba
import numpy as np
from numba import njit, prange
from sklearn.base import BaseEstimator

from shopgraph.cores import usable_cores
from shopgraph.progress import Progress

# progress(phase, done, total): phase "walks" (walks done), "training" (tokens fed) or "epochs".

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_INV53 = 1.0 / 9007199254740992.0
_LOW32 = np.uint64(0xFFFFFFFF)
_INV32 = 1.0 / 4294967296.0


@njit(inline="always")
def _splitmix(state):
    state = state + _GOLDEN
    z = state
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return state, z ^ (z >> np.uint64(31))


@njit(inline="always")
def _uniform(z):
    return np.float64(z >> np.uint64(11)) * _INV53


@njit(parallel=True, cache=True)
def _build_alias(indptr, weights, prob, alias):  # pragma: no cover - compiled
    """Vose alias tables for every row: ``prob`` float32, ``alias`` int32 (offset within the row)."""
    n = indptr.shape[0] - 1
    for v in prange(n):
        s = indptr[v]
        d = indptr[v + 1] - s
        if d == 0:
            continue
        total = 0.0
        for j in range(d):
            total += weights[s + j]
        scaled = np.empty(d, np.float64)
        small = np.empty(d, np.int64)
        large = np.empty(d, np.int64)
        ns = 0
        nl = 0
        for j in range(d):
            scaled[j] = weights[s + j] * d / total
            if scaled[j] < 1.0:
                small[ns] = j
                ns += 1
            else:
                large[nl] = j
                nl += 1
        while ns > 0 and nl > 0:
            ns -= 1
            a = small[ns]
            g = large[nl - 1]
            prob[s + a] = scaled[a]
            alias[s + a] = g
            scaled[g] = scaled[g] + scaled[a] - 1.0
            if scaled[g] < 1.0:
                nl -= 1
                small[ns] = g
                ns += 1
        for k in range(nl):
            prob[s + large[k]] = 1.0
            alias[s + large[k]] = large[k]
        for k in range(ns):
            prob[s + small[k]] = 1.0
            alias[s + small[k]] = small[k]


@njit(inline="always")
def _is_neighbour(indices, lo, hi, x):
    end = hi
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo < end and indices[lo] == x


@njit(parallel=True, nogil=True, cache=True)
def _walk_chunk(
    indptr, indices, prob, alias, starts, walk_ids, walk_length, inv_p, inv_q, seed, out, proposals
):  # pragma: no cover - compiled
    """Fill ``out[i]`` with the walk from ``starts[i]`` (-1 after a dead end); draws per walk in ``proposals``."""
    max_bias = max(inv_p, 1.0, inv_q)
    second_order = not (inv_p == 1.0 and inv_q == 1.0)
    base = np.uint64(seed) * _GOLDEN
    for i in prange(starts.shape[0]):
        state, _z = _splitmix(base ^ np.uint64(walk_ids[i]))
        cur = np.int64(starts[i])
        prev = np.int64(-1)
        out[i, 0] = cur
        draws = 0
        for step in range(1, walk_length):
            s = indptr[cur]
            d = indptr[cur + 1] - s
            if d == 0:
                for rest in range(step, walk_length):
                    out[i, rest] = -1
                break
            while True:
                state, z = _splitmix(state)  # one draw: high 32 bits pick the slot, low 32 bits the alias coin
                k = np.int64(((z >> np.uint64(32)) * np.uint64(d)) >> np.uint64(32))
                if np.float64(z & _LOW32) * _INV32 < prob[s + k]:
                    x = np.int64(indices[s + k])
                else:
                    x = np.int64(indices[s + alias[s + k]])
                draws += 1
                if not second_order or prev < 0:
                    break
                if x == prev:
                    bias = inv_p
                elif _is_neighbour(indices, indptr[prev], indptr[prev + 1], x):
                    bias = 1.0
                else:
                    bias = inv_q
                state, z = _splitmix(state)
                if _uniform(z) * max_bias < bias:
                    break
            out[i, step] = x
            prev = cur
            cur = x
        proposals[i] = draws


@njit(cache=True)
def _count_tokens(walks, freq):  # pragma: no cover - compiled
    """Add each node's occurrences in ``walks`` to ``freq`` (O(chunk), not O(nodes) per chunk)."""
    for i in range(walks.shape[0]):
        for j in range(walks.shape[1]):
            v = walks[i, j]
            if v >= 0:
                freq[v] += 1


def alias_tables(indptr: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row alias tables ``(prob float32, alias int32)`` aligned with the CSR entries."""
    prob = np.ones(weights.shape[0], np.float32)
    alias = np.zeros(weights.shape[0], np.int32)
    if weights.shape[0]:
        _build_alias(indptr, weights.astype(np.float64), prob, alias)
    return prob, alias


class WalkCorpus:
    """The walks of a node2vec run as a re-iterable corpus of ``list[int]`` sentences, chunk by chunk.

    Every iteration regenerates exactly the same walks (seed per walk), so gensim can make
    several passes without the corpus ever being stored. ``chunks()`` yields the raw int32
    arrays ``[walks, walk_length]`` (-1 pads walks that hit a node without neighbours).
    """

    def __init__(
        self,
        indptr,
        indices,
        prob,
        alias,
        walk_length: int,
        walks_per_node: int,
        p: float,
        q: float,
        seed: int,
        chunk_size: int = 20_000,
        starts: np.ndarray | None = None,
        progress: Progress | None = None,
        phase: str = "training",
    ):
        self.indptr, self.indices, self.prob, self.alias = indptr, indices, prob, alias
        self.walk_length, self.walks_per_node = int(walk_length), int(walks_per_node)
        self.inv_p, self.inv_q = 1.0 / float(p), 1.0 / float(q)
        self.seed, self.chunk_size = int(seed), int(chunk_size)
        n = indptr.shape[0] - 1
        self.n_nodes = n
        self.starts = np.arange(n, dtype=np.int64) if starts is None else np.asarray(starts, np.int64)
        self.progress, self.phase = progress, phase
        self.proposals = 0
        self.steps = 0

    @property
    def n_walks(self) -> int:
        return self.walks_per_node * len(self.starts)

    def chunks(self) -> Iterator[np.ndarray]:
        self.proposals = 0
        self.steps = 0
        done = 0
        for r in range(self.walks_per_node):
            order = np.random.default_rng([self.seed, r]).permutation(self.starts)
            for lo in range(0, len(order), self.chunk_size):
                starts = order[lo : lo + self.chunk_size]
                out = np.empty((len(starts), self.walk_length), np.int32)
                draws = np.zeros(len(starts), np.int64)
                _walk_chunk(
                    self.indptr,
                    self.indices,
                    self.prob,
                    self.alias,
                    starts,
                    starts + np.int64(r) * self.n_nodes,
                    self.walk_length,
                    self.inv_p,
                    self.inv_q,
                    self.seed,
                    out,
                    draws,
                )
                self.proposals += int(draws.sum())
                self.steps += int((out[:, 1:] >= 0).sum())
                done += len(starts)
                yield out
                if self.progress:
                    self.progress(self.phase, done, self.n_walks)

    def key_offset(self) -> int:
        """Added to every node index in the sentences. gensim 4.4 takes integer words that are
        valid indices (0 … n−1) for indices when it builds the negative-sampling table, so with
        raw node indices every node got another node's frequency (link-prediction AUC 0.60
        instead of 0.90, bench/embed.py); keys ``n … 2n−1`` are never mistaken for indices."""
        return self.n_nodes

    def __iter__(self) -> Iterator[list[int]]:
        offset = np.int64(self.key_offset())
        for chunk in self.chunks():
            if (chunk[:, -1] < 0).any():
                for row in chunk:
                    yield (row[row >= 0].astype(np.int64) + offset).tolist()
            else:
                yield from (chunk.astype(np.int64) + offset).tolist()


def random_walks(
    graph,
    walk_length: int = 30,
    walks_per_node: int = 1,
    p: float = 1.0,
    q: float = 1.0,
    seed: int = 42,
    starts: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """All walks as one int32 array ``[walks, walk_length]`` plus the number of candidate draws (tests, benchmarks)."""
    prob, alias = alias_tables(graph.indptr, graph.weights)
    corpus = WalkCorpus(
        graph.indptr, graph.indices, prob, alias, walk_length, walks_per_node, p, q, seed, starts=starts
    )
    walks = np.concatenate(list(corpus.chunks())) if corpus.n_walks else np.zeros((0, walk_length), np.int32)
    return walks, corpus.proposals


AUTO_PARALLEL_TOKENS = 20_000_000  # ≈ 2 min of skip-gram on one thread (d 64, window 5, 5 negatives)


def training_threads(workers: int, corpus_tokens: int) -> int:
    """Skip-gram threads for ``workers`` (0 = auto, see :class:`Node2Vec`) and a corpus of ``corpus_tokens``."""
    if workers:
        return workers
    return 1 if corpus_tokens < AUTO_PARALLEL_TOKENS else usable_cores()


class Node2Vec(BaseEstimator):
    """node2vec node embeddings (Grover & Leskovec 2016) of a weighted undirected CSR graph.

    Parameters
    ----------
    dimensions : vector size.
    walk_length : nodes per walk (including the start node).
    walks_per_node : walks started from every node.
    p : return parameter; ``1/p`` is the weight of stepping straight back to the previous node
        (p > 1 explores, p < 1 stays local).
    q : in-out parameter; ``1/q`` is the weight of moving to a node that is not a neighbour of
        the previous one (q < 1 walks outwards, DFS-like; q > 1 stays near, BFS-like).
    window : skip-gram context window.
    epochs : passes of skip-gram over the walks.
    negative : negative samples per positive pair.
    seed : seeds the walks and gensim (initial vectors, negative sampling).
    workers : gensim training threads. 1 = reproducible; more = faster, not reproducible. 0 (the
        default) = auto: one thread while the corpus (tokens × epochs) is under
        ``AUTO_PARALLEL_TOKENS`` (a couple of minutes of training), every CPU above it, where the
        time matters more than vectors equal to the last digit; the count used is ``workers_``.
        The walks always use numba's threads and are reproducible whatever their number.
    sample : gensim's down-sampling threshold of frequent nodes (0 = off).
    chunk_size : walks per generated chunk (memory ≈ chunk_size × walk_length × 4 bytes).
    """

    def __init__(
        self,
        dimensions: int = 64,
        walk_length: int = 20,
        walks_per_node: int = 10,
        p: float = 1.0,
        q: float = 0.5,
        window: int = 5,
        epochs: int = 2,
        negative: int = 5,
        seed: int = 42,
        workers: int = 0,
        sample: float = 1e-3,
        chunk_size: int = 20_000,
    ):
        self.dimensions = dimensions
        self.walk_length = walk_length
        self.walks_per_node = walks_per_node
        self.p = p
        self.q = q
        self.window = window
        self.epochs = epochs
        self.negative = negative
        self.seed = seed
        self.workers = workers
        self.sample = sample
        self.chunk_size = chunk_size

    def _validate(self) -> None:
        for name in ("dimensions", "walk_length", "walks_per_node", "window", "epochs", "chunk_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        if int(self.workers) < 0:
            raise ValueError("workers must be 0 (auto) or more")
        if self.negative < 1:
            raise ValueError("negative must be at least 1")
        if not (self.p > 0 and self.q > 0):
            raise ValueError("p and q must be positive")

    def fit(self, graph, progress: Progress | None = None) -> Node2Vec:
        """Walk the graph and train skip-gram; sets ``vectors_`` and the counters. Returns self."""
        self._validate()
        n = int(graph.indptr.shape[0] - 1)
        started = time.perf_counter()
        prob, alias = alias_tables(graph.indptr, graph.weights)
        counting = self._corpus(graph, prob, alias, progress=progress, phase="walks")
        freq = np.zeros(n, np.int64)
        for chunk in counting.chunks():
            _count_tokens(chunk, freq)
        self.steps_, self.proposals_ = counting.steps, counting.proposals
        self.tokens_ = int(freq.sum())
        self.workers_ = training_threads(int(self.workers), self.tokens_ * int(self.epochs))
        walks_seconds = time.perf_counter() - started

        started = time.perf_counter()
        self.vectors_ = self._skip_gram(self._corpus(graph, prob, alias), freq, progress)
        self.timings_ = {"walks": walks_seconds, "training": time.perf_counter() - started}
        self.walk_threads_ = numba.get_num_threads()
        return self

    def _corpus(self, graph, prob: np.ndarray, alias: np.ndarray, **options) -> WalkCorpus:
        """The walks of this estimator over ``graph``, regenerated on every pass."""
        return WalkCorpus(
            graph.indptr,
            graph.indices,
            prob,
            alias,
            self.walk_length,
            self.walks_per_node,
            self.p,
            self.q,
            self.seed,
            self.chunk_size,
            **options,
        )

    def _skip_gram(self, corpus: WalkCorpus, freq: np.ndarray, progress: Progress | None) -> np.ndarray:
        """gensim's skip-gram over the walks, its vocabulary from the counted ``freq``; one row per node."""
        from gensim.models import Word2Vec

        total_tokens = self.tokens_ * int(self.epochs)
        model = Word2Vec(
            vector_size=int(self.dimensions),
            window=int(self.window),
            min_count=1,
            sg=1,
            hs=0,
            negative=int(self.negative),
            workers=self.workers_,
            seed=int(self.seed),
            epochs=int(self.epochs),
            sample=float(self.sample),
        )
        offset = corpus.key_offset()  # see WalkCorpus.KEY_OFFSET_BY_N
        model.build_vocab_from_freq({int(v) + offset: int(c) for v, c in enumerate(freq) if c > 0})
        model.train(
            _TrainingFeed(corpus, progress, total_tokens),
            total_words=self.tokens_,
            epochs=int(self.epochs),
            callbacks=[_epoch_progress(progress)],
        )
        if progress:
            progress("training", total_tokens, total_tokens)
        vectors = np.zeros((len(freq), int(self.dimensions)), np.float32)
        keys = np.fromiter(model.wv.key_to_index.keys(), np.int64, len(model.wv.key_to_index))
        rows = np.fromiter(model.wv.key_to_index.values(), np.int64, len(model.wv.key_to_index))
        vectors[keys - offset] = model.wv.vectors[rows]
        return vectors


class _TrainingFeed:
    """The corpus as gensim reads it, reporting ``training`` progress every 200 000 tokens."""

    def __init__(self, corpus: WalkCorpus, progress: Progress | None, total_tokens: int) -> None:
        self.corpus, self.progress, self.total_tokens, self.fed = corpus, progress, total_tokens, 0

    def __iter__(self):
        for sentence in self.corpus:
            self.fed += len(sentence)
            if self.progress and self.fed % 200_000 < len(sentence):
                self.progress("training", self.fed, self.total_tokens)
            yield sentence


def _epoch_progress(progress: Progress | None):
    """A gensim callback reporting ``epochs`` progress."""
    from gensim.models.callbacks import CallbackAny2Vec

    class _Epochs(CallbackAny2Vec):
        def __init__(self):
            self.epoch = 0

        def on_train_begin(self, model):
            if progress:
                progress("epochs", 0, int(model.epochs))

        def on_epoch_end(self, model):
            self.epoch += 1
            if progress:
                progress("epochs", self.epoch, int(model.epochs))

    return _Epochs()
