"""The retrieval index: a collection's video embeddings, embedded once, searched exactly.

File layout (HDF5, readable with plain h5py)::

    /                attrs: format "avtool-retrieval-index", version, model (sha256 of the
                     network's weights), model_path, experts (JSON), d_model, dtype
    /ids             (V,) strings: video ids
    /emb             (V, N*d) float32 or float16: [ψ_1 .. ψ_N] (zeros for missing experts)
    /present         (V, N) uint8: which experts each video has

Exact search (`Index.search`): for a caption with GEU outputs φ and mixture weights w, every
video's score is ``(E_v · [w_e φ_e]) / (m_v · w)``: the numerator is one inner product over the
weighted concatenated embeddings, the denominator one over N numbers (the renormalisation of
the weights over the experts a video has). A float16 index is multiplied in half precision by
torch (half the memory traffic of float32; scores agree to about 1e-3).

Building (`build_index`) embeds the store's videos in chunks of `chunk` videos, each chunk
saved under ``<index>.parts/`` as it finishes: a killed build resumes with the chunks it
lacks; the index file appears atomically at the end and the parts are removed.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from avtool.errors import FormatError, ModelError

log = logging.getLogger(__name__)

FORMAT = "avtool-retrieval-index"
VERSION = 1


@dataclass
class Index:
    path: Path
    ids: list[str]
    emb: np.ndarray  # (V, N*d)
    present: np.ndarray  # (V, N) uint8
    experts: list[str]
    d_model: int
    model: str
    model_path: str
    _present_cache: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.ids)

    def scores(self, phi: np.ndarray, w: np.ndarray) -> np.ndarray:
        """(Q, V) exact scores of queries (φ (Q, N, d), w (Q, N))."""
        q = (phi * w[:, :, None]).reshape(len(phi), -1).astype(np.float32)
        den = np.maximum(self._present_f32() @ w.T.astype(np.float32), 1e-8).T  # (Q, V)
        # One query at a time is a matrix-vector product, which reads the matrix once at
        # memory speed; a (V, D) @ (D, 1) matrix product takes about twice as long. torch's
        # half-precision matrix-vector kernel reads a float16 index at half the bytes.
        if self.emb.dtype == np.float16:
            import torch

            emb = torch.from_numpy(self.emb)
            num = np.stack([(emb @ torch.from_numpy(v.astype(np.float16))).float().numpy()
                            for v in q])
        else:
            num = np.stack([self.emb @ v for v in q])
        return np.ascontiguousarray(num / den, dtype=np.float32)

    def _present_f32(self) -> np.ndarray:
        if self._present_cache is None:
            self._present_cache = self.present.astype(np.float32)
        return self._present_cache

    def search(self, phi: np.ndarray, w: np.ndarray, top: int) -> list[list[tuple[int, float]]]:
        """The `top` best (row, score) of each query, best first (ties: lower row first)."""
        s = self.scores(phi, w)
        return [top_k(row, top) for row in s]


def top_k(row: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k best (index, score) of `row`, best first, ties broken by the lower index.

    torch.topk finds the k-th best value in about a millisecond over a million scores
    (np.argpartition takes ten); every entry at least that good is then ordered exactly."""
    import torch

    row = np.ascontiguousarray(row, dtype=np.float32)
    k = min(k, len(row))
    if k <= 0:
        return []
    if k < len(row):
        kth = float(torch.topk(torch.from_numpy(row), k, sorted=False).values.min())
        part = np.flatnonzero(row >= kth)
    else:
        part = np.arange(len(row))
    order = part[np.lexsort((part, -row[part]))][:k]
    return [(int(i), float(row[i])) for i in order]


def write_index(path: str | Path, ids: Sequence[str], emb: np.ndarray, present: np.ndarray,
                experts: Sequence[str], d_model: int, model: str, model_path: str) -> Path:
    import h5py

    from avtool.io import atomic_path

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as h5:
        h5.attrs.update({"format": FORMAT, "version": VERSION, "model": model,
                         "model_path": str(model_path), "experts": json.dumps(list(experts)),
                         "d_model": int(d_model), "dtype": str(emb.dtype)})
        h5.create_dataset("ids", data=np.array(list(ids), dtype=object),
                          dtype=h5py.string_dtype())
        h5.create_dataset("emb", data=emb)
        h5.create_dataset("present", data=present.astype(np.uint8))
    return Path(path)


def load_index(path: str | Path) -> Index:
    """Read an index into memory (`FormatError` naming the file when it is not one)."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FormatError(f"{path}: no such index file")
    try:
        with h5py.File(path, "r") as h5:
            if h5.attrs.get("format") != FORMAT:
                raise FormatError(f"{path}: not an avtool retrieval index (build one with "
                                  "avtool retrieve index)")
            experts = json.loads(h5.attrs["experts"])
            ids = [x.decode() if isinstance(x, bytes) else str(x) for x in h5["ids"][()]]
            emb, present = h5["emb"][()], h5["present"][()]
            d = int(h5.attrs["d_model"])
            model, model_path = str(h5.attrs["model"]), str(h5.attrs["model_path"])
    except FormatError:
        raise
    except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path}: corrupt retrieval index ({exc})") from None
    if emb.shape != (len(ids), len(experts) * d) or present.shape != (len(ids), len(experts)):
        raise FormatError(f"{path}: corrupt retrieval index (emb {emb.shape}, present "
                          f"{present.shape} for {len(ids)} ids, {len(experts)} experts x {d})")
    if not np.isfinite(emb).all():
        raise FormatError(f"{path}: corrupt retrieval index (NaN or inf embeddings)")
    return Index(path, ids, emb, present, experts, d, model, model_path)


def check_model(index: Index, fingerprint: str, model_path: str) -> None:
    if index.model != fingerprint:
        raise ModelError(f"{index.path}: built with another model ({index.model_path}), not "
                         f"{model_path}; rebuild it with avtool retrieve index --model "
                         f"{model_path}")


def build_index(predictor, store_path: str | Path, out: str | Path, *, ids: Sequence[str] = (),
                dtype: str = "float32", chunk: int = 4096,
                progress: Callable[[int, int], None] | None = None) -> Path:
    """Embed the store's videos (all, or `ids`) into the index `out` (resumable)."""
    from avtool.store import open_store
    from avtool.tasks.retrieval.embed import embed_videos
    from avtool.tasks.retrieval.experts import check_store_experts, read_videos

    out = Path(out)
    store = open_store(store_path)
    check_store_experts(store, predictor.specs, store_path)
    ids = list(ids) or list(store.ids)
    if not ids:
        raise FormatError(f"{store_path}: no video to index")
    parts = out.with_name(out.name + ".parts")
    stamp = parts / "model.txt"
    if parts.exists() and (not stamp.exists() or stamp.read_text() != predictor.fingerprint):
        shutil.rmtree(parts)  # parts of another model or a build we cannot trust
    parts.mkdir(parents=True, exist_ok=True)
    stamp.write_text(predictor.fingerprint)
    chunks = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
    embs, masks = [], []
    for k, part_ids in enumerate(chunks):
        part = parts / f"chunk-{k:06d}.npz"
        if part.exists():
            with np.load(part) as z:
                if list(z["ids"]) == part_ids:
                    embs.append(z["emb"])
                    masks.append(z["present"])
                    if progress:
                        progress(min((k + 1) * chunk, len(ids)), len(ids))
                    continue
        videos = read_videos(store, part_ids, predictor.specs, str(store_path))
        psi, present = embed_videos(predictor.net, videos, predictor.specs, predictor.device)
        emb = psi.reshape(len(psi), -1).astype(dtype)
        tmp = part.with_name(part.stem + ".tmp.npz")
        np.savez(tmp, ids=np.array(part_ids), emb=emb, present=present.astype(np.uint8))
        tmp.replace(part)
        embs.append(emb)
        masks.append(present.astype(np.uint8))
        if progress:
            progress(min((k + 1) * chunk, len(ids)), len(ids))
    write_index(out, ids, np.concatenate(embs), np.concatenate(masks),
                [s.name for s in predictor.specs], predictor.net.config.d_model,
                predictor.fingerprint, predictor.model_path)
    shutil.rmtree(parts, ignore_errors=True)
    return out
