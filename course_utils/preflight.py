"""An instructor's pre-flight: before a workshop, check the Colab runtime the learners will get.
Used in notebook 00.

In Colab, :func:`run` checks the GPU (name, memory), access to the Hugging Face Hub (the
``full`` profile's models and the course's data sets) and whether the Groq and Cerebras
keys are set (never showing them); with ``run_passes=True`` it also times a short pass of
each GPU notebook's central step with the ``full`` profile's models and settings (a few
training steps, a few generated replies) and writes a report, Markdown and CSV, to
download and contribute back (``results/notebook_times.csv``'s columns, profile
``preflight``). Elsewhere it only says what it would check::

    from course_utils import preflight
    report = preflight.run(run_passes=True)   # in Colab with a GPU

Each check and each pass is a small function below; a failing one is reported and the
others still run.
"""

from __future__ import annotations

import csv
import os
import platform
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from course_utils import config

KEYS = ("GROQ_API_KEY", "CEREBRAS_API_KEY")
STEPS = 4  # optimizer steps of each training pass
N_REPLIES = 2  # essays of the generation pass


CSV_COLUMNS = ("notebook", "profile", "status", "seconds", "machine", "step")
PROFILE_LABEL = "preflight"  # in the CSV's profile column: a short pass, not a whole notebook


@dataclass
class Check:
    """One quick check: its name, whether it passed (``None``: only information) and what it found."""

    name: str
    ok: bool | None
    detail: str


@dataclass
class PassResult:
    """One timed pass of a notebook's central step."""

    notebook: str
    step: str
    status: str  # "ok", "failed" or "skipped"
    seconds: float | None = None
    detail: str = ""
    peak_gpu_gb: float | None = None


@dataclass
class Report:
    """What :func:`run` found; :meth:`save` writes it as Markdown and CSV."""

    machine: str
    checks: list[Check] = field(default_factory=list)
    passes: list[PassResult] = field(default_factory=list)

    def csv_rows(self) -> list[dict]:
        """One row per pass, in ``results/notebook_times.csv``'s columns plus ``step``."""
        return [{"notebook": p.notebook, "profile": PROFILE_LABEL, "status": p.status,
                 "seconds": "" if p.seconds is None else f"{p.seconds:.1f}", "machine": self.machine,
                 "step": p.step} for p in self.passes]

    def markdown(self) -> str:
        mark = {True: "ok", False: "**problem**", None: "info"}
        lines = [f"# Pre-flight on {self.machine}", "",
                 f"Written by `course_utils.preflight` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
                 f"{versions()}.", "",
                 "| check | result | found |", "|---|---|---|"]
        lines += [f"| {c.name} | {mark[c.ok]} | {_cell(c.detail)} |" for c in self.checks]
        if self.passes:
            lines += ["", "Short passes of each GPU notebook's central step, `full` profile's models "
                      "and settings; seconds include loading the model (and downloading it, the "
                      "first time in a runtime). Not whole-notebook times.", "",
                      "| notebook | step | status | seconds | peak GPU memory | note |",
                      "|---|---|---|---|---|---|"]
            for p in self.passes:
                seconds = "" if p.seconds is None else f"{p.seconds:.1f}"
                peak = "" if p.peak_gpu_gb is None else f"{p.peak_gpu_gb:.1f} GB"
                lines.append(f"| {p.notebook} | {p.step} | {p.status} | {seconds} | {peak} | {_cell(p.detail)} |")
        return "\n".join(lines) + "\n"

    def save(self, folder: str | Path = "preflight") -> list[Path]:
        """Write ``preflight.md`` and ``preflight.csv`` into ``folder``; returns both paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        md, table = folder / "preflight.md", folder / "preflight.csv"
        md.write_text(self.markdown())
        with table.open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(self.csv_rows())
        return [md, table]


def _cell(text: str) -> str:
    """``text`` fit for one Markdown table cell."""
    return " ".join(text.replace("|", "/").split())


# --- the quick checks -------------------------------------------------------------------------
def machine() -> str:
    """Where this runs, as ``results/notebook_times.csv`` writes it (``cuda Tesla T4, x86_64, 2 cores``)."""
    where = f"{platform.machine()}, {os.cpu_count()} cores"
    if config.has_cuda():
        import torch

        where = f"cuda {torch.cuda.get_device_name(0)}, {where}"
    else:
        where = f"cpu {where}"
    return where + (", Colab" if config.in_colab() else "")


def versions() -> str:
    """Python and the versions of the libraries the passes use."""
    from importlib.metadata import PackageNotFoundError, version

    found = [f"Python {platform.python_version()}"]
    for name in ("torch", "transformers", "peft", "trl", "sentence-transformers", "datasets"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} not installed")
    return ", ".join(found)


def check_gpu() -> Check:
    """The GPU's name and memory, or how to get one."""
    if not config.has_cuda():
        return Check("GPU", False, "none: Runtime -> Change runtime type -> T4 GPU (the passes need one)")
    import torch

    from course_utils.training import mixed_precision

    props = torch.cuda.get_device_properties(0)
    amp_dtype, _ = mixed_precision("cuda")  # what the fine-tuning notebooks will use
    return Check("GPU", True, f"{torch.cuda.get_device_name(0)}, {props.total_memory / 1e9:.1f} GB; "
                              f"mixed precision {'bf16' if amp_dtype == torch.bfloat16 else 'fp16'}")


def hub_ids() -> list[tuple[str, str]]:
    """``(kind, id)`` of what the ``full`` profile loads from the Hub: its models, the data sets."""
    from course_utils.data import ASAP_HUB_ID, SHORT_ANSWER_HUB_IDS

    full = config.get_profile("full")
    models = dict.fromkeys(getattr(full, f) for f in config.MODEL_FIELDS)
    return [("model", m) for m in models] + [("dataset", ASAP_HUB_ID.format(prompt=7)),
                                             ("dataset", SHORT_ANSWER_HUB_IDS["beetle"])]


def hub_probe(kind: str, repo_id: str) -> None:
    """Ask the Hub about one model or data set (metadata only); raises when it cannot."""
    from huggingface_hub import HfApi

    api = HfApi()
    (api.model_info if kind == "model" else api.dataset_info)(repo_id, timeout=15)


def check_hub() -> Check:
    """Whether the Hub answers for every model and data set of the ``full`` profile."""
    if config.is_offline():
        return Check("Hugging Face Hub", False, "offline mode is on (HF_HUB_OFFLINE or COURSE_OFFLINE): "
                                                "the notebooks would use stand-in models")
    failed = []
    ids = hub_ids()
    for kind, repo_id in ids:
        try:
            hub_probe(kind, repo_id)
        except Exception as exc:  # network and Hub errors come in many types
            failed.append(f"{repo_id} ({type(exc).__name__})")
    if failed:
        return Check("Hugging Face Hub", False, f"{len(failed)} of {len(ids)} not reachable: {', '.join(failed)}")
    return Check("Hugging Face Hub", True, f"all {len(ids)} answer: {', '.join(i for _, i in ids)}")


def check_keys() -> list[Check]:
    """Whether each hosted-model key is set (Colab secret or environment); never its value."""
    from course_utils import llm

    return [Check(name, None, "set" if llm.has_api_key(name) else
                  "not set (notebooks 14-15 then use the local model)") for name in KEYS]


def _steps() -> str:
    return f"{STEPS} step" + ("" if STEPS == 1 else "s")


# --- the timed passes: each GPU notebook's central step, a few steps, full profile ----------
def _essays():
    from course_utils.data import TARGET, essay_splits, load_asap

    train, dev, _ = essay_splits(load_asap(7), verbose=False)
    return train, dev, TARGET


def pass_finetune(profile: config.Profile) -> str:
    """Notebook 11 (and 12-13): fine-tune the encoder for a few steps, score a dev batch."""
    from course_utils.finetune import FineTunedScorer

    train, dev, target = _essays()
    n = STEPS * profile.finetune_batch_size
    scorer = FineTunedScorer(profile.finetune_model, 0, 12, max_length=profile.finetune_max_length,
                             epochs=1, lr=profile.finetune_lr, batch_size=profile.finetune_batch_size,
                             progress=False)
    scorer.fit(train.essay[:n], train[target][:n], dev.essay[:32], dev[target][:32])
    return (f"{profile.finetune_model}: {_steps()} of {profile.finetune_batch_size} essays at "
            f"{profile.finetune_max_length} tokens ({scorer.precision_}), 32 dev essays scored")


def pass_generation(profile: config.Profile) -> str:
    """Notebooks 14-15: the local chat model writes a reply for a few essays."""
    from course_utils import llm, lora

    train, _, _ = _essays()
    client = llm.ChatClient("local", profile.llm_model)
    for essay in train.essay[:N_REPLIES]:
        client.chat(lora.build_messages(essay), temperature=0, max_tokens=profile.llm_max_new_tokens)
    return f"{profile.llm_model}: {N_REPLIES} replies of up to {profile.llm_max_new_tokens} new tokens"


def pass_lora(profile: config.Profile) -> str:
    """Notebook 16: LoRA-tune the chat model for a few steps, score two essays."""
    from course_utils import lora

    train, dev, target = _essays()
    scorer = lora.GenerativeScorer(profile.llm_model, max_length=profile.lora_max_length,
                                   epochs=profile.lora_epochs)
    n = STEPS * scorer.batch_size * scorer.grad_accum
    scorer.fit(train.essay[:n].tolist(), train[target][:n].tolist(), exclude=dev.essay.tolist())
    scorer.predict(dev.essay[:2].tolist())
    return (f"{profile.llm_model}: {_steps()} of {scorer.batch_size} x {scorer.grad_accum} essays "
            f"at {profile.lora_max_length} tokens, 2 essays scored")


def pass_cross_encoder(profile: config.Profile) -> str:
    """Notebook 17: fine-tune the cross-encoder for a few steps (the Trainer, dev-set evaluation)."""
    from course_utils import short_answer as sa
    from course_utils.data import load_short_answers

    df = load_short_answers("beetle")
    fit, dev = sa.question_dev_split(df[df["split"] == "train"], dev_size=0.15)
    n, batch = STEPS * 16, 16
    model_id = profile.sa_cross_encoder_model
    with tempfile.TemporaryDirectory() as out:
        sa.train_cross_encoder(fit.sample(n, random_state=config.SEED), dev.sample(32, random_state=config.SEED),
                               model_id, out, epochs=1, max_length=profile.sa_max_length, batch_size=batch,
                               lr=1e-5 if "large" in model_id else 5e-5)
    return f"{model_id}: {_steps()} of {batch} answer pairs at {profile.sa_max_length} tokens, 32 dev pairs"


PASSES: dict[str, tuple[str, Callable[[config.Profile], str]]] = {
    "11_finetune_manual": ("fine-tuning", pass_finetune),
    "14_generative_models": ("local generation", pass_generation),
    "16_lora_generative": ("LoRA fine-tuning", pass_lora),
    "17_cross_encoder": ("cross-encoder fine-tuning", pass_cross_encoder),
}


def _gpu_memory(reset: bool = False) -> float | None:
    """Peak GPU memory in GB since the last reset (``reset=True`` starts a new count)."""
    if not config.has_cuda():
        return None
    import torch

    if reset:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        return None
    return torch.cuda.max_memory_allocated() / 1e9


@contextmanager
def _quiet():
    """No weight-loading reports or dataset progress bars while a pass runs: the table says it all."""
    from datasets.utils import logging as ds_logging
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), ds_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            ds_logging.enable_progress_bar()


def time_pass(notebook: str, step: str, function: Callable[[config.Profile], str]) -> PassResult:
    """Run one pass with the ``full`` profile, seeded; a failure is reported, not raised."""
    config.seed_everything()
    _gpu_memory(reset=True)
    start = time.perf_counter()
    try:
        with _quiet():
            detail = function(config.get_profile("full"))
        status = "ok"
    except Exception as exc:  # any failure is what the instructor needs to see
        detail, status = f"{type(exc).__name__}: {str(exc)[:300]}", "failed"
    return PassResult(notebook, step, status, time.perf_counter() - start, detail, _gpu_memory())


# --- the whole pre-flight ------------------------------------------------------------------------
def plan() -> str:
    """What the pre-flight checks and times, in words (printed outside Colab)."""
    full = config.get_profile("full")
    models = {"11": full.finetune_model, "14": full.llm_model, "16": full.llm_model,
              "17": full.sa_cross_encoder_model}
    ids = hub_ids()
    n_models = sum(kind == "model" for kind, _ in ids)
    return "\n".join([
        "In Colab, the pre-flight checks",
        "  * the GPU (name, memory),",
        f"  * the Hugging Face Hub: the full profile's {n_models} models and {len(ids) - n_models} data sets,",
        f"  * whether {' and '.join(KEYS)} are set (never showing them);",
        f"and with run_passes=True it times a short pass ({STEPS} training steps, or {N_REPLIES} replies) "
        "of each GPU notebook's central step with the full profile's models:",
        *(f"  * {nb[:2]} {step}: {models[nb[:2]]}" for nb, (step, _) in PASSES.items()),
        "then writes preflight/preflight.md and preflight.csv to download.",
    ])


def _print_table(rows: list[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in rows)
    for name, text in rows:
        print(f"  {name:<{width}}  {text}")


def download(paths: list[Path]) -> None:
    """In Colab, send each file to the browser; elsewhere (or if that fails) say where it is."""
    for path in paths:
        try:
            from google.colab import files

            files.download(str(path))
        except Exception:  # not in Colab, or no browser attached
            print(f"  written: {path}")


def run(run_passes: bool = False, folder: str | Path = "preflight") -> Report | None:
    """The pre-flight. Outside Colab: says so (and, with ``run_passes=True``, prints
    :func:`plan`) and returns ``None``.

    In Colab: the quick checks (seconds), then, with ``run_passes=True`` and a GPU, the
    timed passes (each a few steps; model downloads included), the report written to
    ``folder`` and offered for download. Keys are only ever reported as set or not set.
    """
    if not config.in_colab():
        print("Not in Colab: nothing is checked here." + (
            "\n" + plan() if run_passes else " (An instructor's check of Colab before teaching.)"))
        return None
    report = Report(machine=machine(), checks=[check_gpu(), check_hub(), *check_keys()])
    print(f"Pre-flight on {report.machine}:")
    _print_table([(c.name, ("" if c.ok is None else "ok: " if c.ok else "PROBLEM: ") + c.detail)
                  for c in report.checks])
    if not run_passes:
        print("The timed passes did not run: set RUN_PREFLIGHT = True (instructors, GPU runtime).")
        return report
    for notebook, (step, function) in PASSES.items():
        if not config.has_cuda():
            report.passes.append(PassResult(notebook, step, "skipped", detail="no GPU"))
            continue
        print(f"  timing {notebook}: {step} ...", flush=True)
        report.passes.append(time_pass(notebook, step, function))
    _print_table([(p.notebook, f"{p.status}" + ("" if p.seconds is None else f", {p.seconds:.1f} s")
                   + f": {p.detail}") for p in report.passes])
    paths = report.save(folder)
    print(f"Report: {', '.join(map(str, paths))} (offered for download).")
    download(paths)
    return report
