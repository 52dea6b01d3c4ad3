"""Benchmark: exact search of a 1,000,000-video `avtool retrieve` index.

The index holds N = 5 experts x d = 64 (the table-mmt model's size): 320 numbers per video,
1.28 GB in float32, 0.64 GB in float16, written with `avtool.tasks.retrieval.index.write_index`
from synthetic unit vectors (2,000 prototype videos plus noise, so that neighbours exist as in
a real collection; the face and speech experts present in 30% and 50% of videos) (embedding a million videos through the network is not what is
timed; its rate is measured on the side, per 1,000 videos of a feature-level corpus).

Measured, each query a fresh caption embedding (φ, w):

1. load time and resident memory (VmRSS) of the loaded index;
2. per-query latency p50 / p95 of `Index.search` (exact: one inner product over the weighted
   concatenated embeddings divided by the present experts' weight sum, then top 10), float32
   and float16, against the reference measured in the same run: the per-expert formula
   computed directly (``einsum`` over (V, N, d), weights renormalised per video), which must
   give the same scores;
3. with faiss-cpu installed (optional): the approximate mode (an IVF over the numerator, its
   best candidates re-scored exactly), its build time, p50/p95 and recall@10 against exact,
   for a few nprobe / candidate counts.

Run: .venv/bin/python tests/benchmarks/bench_retrieve_index.py  [--videos N] [--queries Q]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

N_EXPERTS, D = 5, 64


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _unit(rng, shape):
    x = rng.standard_normal(shape, dtype=np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def prototypes() -> np.ndarray:
    return _unit(np.random.default_rng(42), (2_000, N_EXPERTS, D))


def make_index(path: Path, videos: int, dtype: str, seed: int = 0) -> None:
    from avtool.tasks.retrieval.index import write_index

    rng = np.random.default_rng(seed)
    present = (rng.random((videos, N_EXPERTS)) < [1, 1, 1, 0.3, 0.5]).astype(np.uint8)
    emb = np.empty((videos, N_EXPERTS * D), dtype)
    # videos share content as real collections do: each is one of 2,000 prototypes plus noise
    protos = prototypes()
    for a in range(0, videos, 100_000):
        n = min(100_000, videos - a)
        block = protos[rng.integers(len(protos), size=n)]
        block = block + 0.6 * rng.standard_normal(block.shape, dtype=np.float32) / np.sqrt(D)
        block /= np.linalg.norm(block, axis=-1, keepdims=True)
        block *= present[a:a + len(block), :, None]
        emb[a:a + len(block)] = block.reshape(len(block), -1)
    write_index(path, [f"v{i}" for i in range(videos)], emb, present,
                ["audio", "appearance", "motion", "face", "speech"], D, "bench", "bench")


def reference_scores(index, phi, w) -> np.ndarray:
    """The per-expert formula, directly: Σ_e w_e m_e <φ_e, ψ_e> / Σ_e w_e m_e."""
    psi = index.emb.reshape(len(index), N_EXPERTS, D)
    out = np.empty((len(phi), len(index)), np.float32)
    for a in range(0, len(index), 100_000):
        block = psi[a:a + 100_000].astype(np.float32)  # in blocks: bounded memory
        cos = np.einsum("qed,ved->qve", phi, block)
        weights = w[:, None, :] * index.present[a:a + 100_000][None].astype(np.float32)
        out[:, a:a + 100_000] = (weights * cos).sum(-1) / weights.sum(-1)
    return out


def latencies(fn, queries) -> tuple[float, float]:
    fn(*queries[0])  # warm-up: lazy imports, first-touch of the pages
    times = []
    for phi, w in queries:
        t0 = time.perf_counter()
        fn(phi, w)
        times.append(time.perf_counter() - t0)
    return float(np.percentile(times, 50) * 1000), float(np.percentile(times, 95) * 1000)


def approximate(index, queries, top=10):
    """The approximate mode (`avtool.tasks.retrieval.approximate`): IVF build time, latency and
    recall@10 against exact, for a few nprobe; None without faiss-cpu."""
    try:
        import faiss  # noqa: F401
    except ImportError:
        return None
    from avtool.tasks.retrieval.approximate import ApproximateIndex, build_ivf

    t0 = time.perf_counter()
    build_ivf(index)
    out = {"build_s": time.perf_counter() - t0, "nprobe": {}}
    exact = [{i for i, _ in index.search(phi, w, top)[0]} for phi, w in queries]
    for nprobe, candidates in ((8, 100), (8, 1000), (32, 1000), (32, 5000)):
        approx = ApproximateIndex(index, nprobe=nprobe, candidates=candidates)
        p50, p95 = latencies(lambda phi, w, a=approx: a.search(phi, w, top), queries)
        recall = [len(e & {i for i, _ in approx.search(phi, w, top)[0]}) / top
                  for e, (phi, w) in zip(exact, queries, strict=True)]
        out["nprobe"][(nprobe, candidates)] = (p50, p95, float(np.mean(recall)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=50)
    args = ap.parse_args()
    from avtool.tasks.retrieval.index import load_index

    rng = np.random.default_rng(1)
    queries, protos = [], prototypes()
    for _ in range(args.queries):  # a caption near one prototype's content
        w = rng.random((1, N_EXPERTS)).astype(np.float32)
        proto = protos[rng.integers(len(protos))]
        phi = proto[None] + 0.8 * rng.standard_normal((1, N_EXPERTS, D), dtype=np.float32) / 8
        queries.append((phi / np.linalg.norm(phi, axis=-1, keepdims=True), w / w.sum()))
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        for dtype in ("float32", "float16"):
            path = Path(tmp) / f"index-{dtype}.h5"
            t0 = time.perf_counter()
            make_index(path, args.videos, dtype)
            write_s = time.perf_counter() - t0
            rss0 = _rss_mb()
            t0 = time.perf_counter()
            index = load_index(path)
            load_s = time.perf_counter() - t0
            print(f"[{dtype}] {args.videos:,} videos x {N_EXPERTS} experts x {D}: file "
                  f"{path.stat().st_size / 1e9:.2f} GB, written in {write_s:.1f} s, loaded in "
                  f"{load_s:.1f} s, +{_rss_mb() - rss0:.0f} MB resident")
            p50, p95 = latencies(lambda phi, w, ix=index: ix.search(phi, w, 10), queries)
            r50, r95 = latencies(lambda phi, w, ix=index: reference_scores(ix, phi, w),
                                 queries[: max(3, args.queries // 10)])
            phi, w = queries[0]
            tol = 2e-3 if dtype == "float16" else 1e-5  # half-precision products
            np.testing.assert_allclose(index.scores(phi, w), reference_scores(index, phi, w),
                                       rtol=tol, atol=tol)
            print(f"[{dtype}] exact search top-10: p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
                  f"reference per-expert einsum: p50 {r50:.1f} ms, p95 {r95:.1f} ms "
                  f"(ratio p50 {r50 / p50:.1f}x); same scores")
            if dtype == "float32":
                approx = approximate(index, queries)
                if approx is None:
                    print("[approximate] faiss-cpu not installed: skipped")
                else:
                    print(f"[approximate] faiss IVF-Flat built in {approx['build_s']:.0f} s")
                    for (nprobe, cands), (a50, a95, rec) in approx["nprobe"].items():
                        print(f"[approximate] nprobe {nprobe}, {cands} candidates re-scored: p50 "
                              f"{a50:.1f} ms, p95 {a95:.1f} ms, recall@10 vs exact {rec:.3f} "
                              f"(exact p50 / approximate p50 = {p50 / a50:.1f}x)")


if __name__ == "__main__":
    main()
