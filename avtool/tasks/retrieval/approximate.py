"""The approximate mode of the retrieval index: a faiss IVF over the weighted-score numerator,
then exact re-scoring of its candidates.

`build_ivf` clusters the index's embeddings (``faiss.IndexIVFFlat``, inner product, `lists`
k-means cells trained on at most 64 x `lists` rows) and saves it beside the index as
``INDEX.ivf``, with the index's model fingerprint. `ApproximateIndex.search` scans the
`nprobe` cells nearest to the caption's weighted concatenation ``[w_e φ_e]``, keeps the
`candidates` (1,000) best numerators, and re-scores them exactly (numerator over the present
experts' weight sum, as `avtool.tasks.retrieval.index.Index.scores`). A video whose numerator
falls outside the candidates is missed: the numerator ranks a video lacking an expert too low
(its renormalisation is what lifts it), so candidates must be generous; the benchmark reports
recall@10 against exact search.

faiss-cpu is optional (``pip install faiss-cpu``): without it these calls raise `ConfigError`
saying so; exact search never needs it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from avtool.errors import ConfigError, FormatError
from avtool.tasks.retrieval.index import Index, top_k


def _faiss():
    try:
        import faiss
    except ImportError:
        raise ConfigError("the approximate mode needs faiss-cpu: pip install faiss-cpu "
                          "(exact search needs nothing more)") from None
    return faiss


def ivf_path(index_path: str | Path) -> Path:
    return Path(str(index_path) + ".ivf")


def build_ivf(index: Index, lists: int = 0, seed: int = 0) -> Path:
    """Cluster `index` into an IVF saved as ``INDEX.ivf`` (atomically); `lists` 0 picks
    about sqrt(V) (1,000 cells for a million videos: k-means stays minutes on a CPU)."""
    faiss = _faiss()
    from avtool.io import atomic_path

    n, dim = index.emb.shape
    lists = int(lists) or max(1, min(n // 39, int(np.sqrt(n))))
    emb = np.ascontiguousarray(index.emb, dtype=np.float32)
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    sample = emb[np.sort(rng.choice(n, min(n, 64 * lists), replace=False))]
    ivf.train(sample)
    ivf.add(emb)
    out = ivf_path(index.path)
    with atomic_path(out) as tmp:
        faiss.write_index(ivf, str(tmp))
    Path(str(out) + ".model").write_text(index.model)
    return out


class ApproximateIndex:
    def __init__(self, index: Index, nprobe: int = 16, candidates: int = 1000) -> None:
        faiss = _faiss()
        path = ivf_path(index.path)
        stamp = Path(str(path) + ".model")
        if not path.is_file():
            raise FormatError(f"{path}: no approximate index; build it with avtool retrieve "
                              "index --approximate")
        if not stamp.is_file() or stamp.read_text() != index.model:
            raise FormatError(f"{path}: not built from {index.path}'s model; rebuild it with "
                              "avtool retrieve index --approximate")
        try:
            self.ivf = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise FormatError(f"{path}: corrupt approximate index ({exc})") from None
        if self.ivf.ntotal != len(index) or self.ivf.d != index.emb.shape[1]:
            raise FormatError(f"{path}: holds {self.ivf.ntotal} x {self.ivf.d}, the index "
                              f"{len(index)} x {index.emb.shape[1]}; rebuild it")
        self.ivf.nprobe = int(nprobe)
        self.index, self.candidates = index, int(candidates)

    def search(self, phi: np.ndarray, w: np.ndarray, top: int) -> list[list[tuple[int, float]]]:
        q = np.ascontiguousarray((phi * w[:, :, None]).reshape(len(phi), -1), np.float32)
        _, rows = self.ivf.search(q, max(top, self.candidates))
        out = []
        for i, found in enumerate(rows):
            found = found[found >= 0]
            num = self.index.emb[found].astype(np.float32) @ q[i]
            den = self.index.present[found].astype(np.float32) @ w[i].astype(np.float32)
            s = num / np.maximum(den, 1e-8)
            out.append([(int(found[j]), sc) for j, sc in top_k(s, top)])
        return out
