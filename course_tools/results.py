"""The course's results table for ASAP-7: ``python -m course_tools.results`` (``make results``).

Every row is an *experiment*: a function ``run(seed) -> dict`` that trains on the
reference split's training part only (choosing anything on a dev split carved from it,
or by cross-validation), predicts the 314 test essays once, and returns::

    {"pred": <integer test predictions, in reference_split(df)[1] order>,
     "seconds": <fit + predict seconds>,
     # optional: "note", "n_train", "n_test"}

The runner repeats each row over seeds, scores it against ``rater1_domain1`` with
:func:`course_utils.metrics.aes_metrics` and stores per-row aggregates in
``results/asap7.csv``. A separate step, :func:`render` (``--render``), writes
``results/asap7.md`` from that CSV alone; measuring ends by calling it.

Adding rows from another module (fine-tuning, LLMs, ...)::

    # course_tools/finetune_results.py
    from course_tools.results import register

    @register("electra_trainer", section="Fine-tuning", label="ELECTRA-small (Trainer)",
              original=0.723, seeds=1)
    def _electra_trainer(seed: int) -> dict:
        ...
        return {"pred": pred, "seconds": seconds}

and add the module's name to :data:`EXTRA_MODULES` below, so that the runner imports it
(its ``@register`` calls then add its rows). Run only some rows with ``--only``: they
are merged into the existing CSV (other rows are kept) and the table is re-rendered::

    python -m course_tools.results                      # every row, 5 seeds
    python -m course_tools.results --only electra       # rows whose id contains "electra"
    python -m course_tools.results --only tfidf --seeds 2
    python -m course_tools.results --render             # asap7.md from asap7.csv, nothing run
"""

from __future__ import annotations

import argparse
import csv
import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "results"
CSV_PATH = RESULTS_DIR / "asap7.csv"
MD_PATH = RESULTS_DIR / "asap7.md"
TARGET = "rater1_domain1"
MIN_SCORE, MAX_SCORE = 0, 12
DEFAULT_SEEDS = 5
N_BOOTSTRAP = 1000
COMMAND = "python -m course_tools.results"

#: Modules whose import registers more rows (missing modules are skipped with a note).
#: Other issues add their module here with a one-line edit.
EXTRA_MODULES: list[str] = ["course_tools.finetune_results", "course_tools.llm_results", "course_tools.baseline_results"]

SECTIONS = (
    "Reference",
    "Classical (original workshop)",
    "Beyond the original (CPU)",
)


@dataclass
class Experiment:
    """One row of the table.

    ``run(seed)`` returns at least ``{"pred", "seconds"}``. ``seeds`` caps the number
    of seeds for this row (``1`` for deterministic or very slow rows); ``None`` uses
    the runner's ``--seeds``. ``run=None`` marks a row that cannot be measured on this
    machine (see :func:`register_not_measured`); ``note`` then says why.
    """

    section: str
    label: str
    original: float | None
    run: Callable[[int], dict] | None
    seeds: int | None = None
    note: str = ""


EXPERIMENTS: dict[str, Experiment] = {}


def register(
    row_id: str,
    section: str,
    label: str,
    original: float | None = None,
    seeds: int | None = None,
    note: str = "",
) -> Callable[[Callable[[int], dict]], Callable[[int], dict]]:
    """Decorator: add ``run(seed) -> dict`` to :data:`EXPERIMENTS` as row ``row_id``."""
    if not row_id or any(c in row_id for c in " ,"):
        raise ValueError(f"row_id must be a short id without spaces or commas, got {row_id!r}.")

    def decorate(fn: Callable[[int], dict]) -> Callable[[int], dict]:
        EXPERIMENTS[row_id] = Experiment(section, label, original, fn, seeds, note)
        return fn

    return decorate


def register_not_measured(row_id: str, section: str, label: str, original: float | None, why: str) -> None:
    """Add a row shown as "not measured here", with the reason (weights, key or GPU missing).

    The table then lists what the original workshop reported next to an honest gap
    instead of a copied figure; the row becomes a real one once its experiment can run.
    """
    register(row_id, section, label, original, note=why)(None)


# --- data -----------------------------------------------------------------------------
@lru_cache(maxsize=1)
def reference_data():
    """``(train, test)`` DataFrames of ASAP-7's reference split (cached)."""
    from course_utils.data import load_asap, reference_split

    return reference_split(load_asap(7))


def train_dev() -> tuple:
    """``(train, dev)``: the dev split carved from the reference training part (15%)."""
    from course_utils.data import load_asap, train_dev_test_split

    train, dev, _ = train_dev_test_split(load_asap(7))
    return train, dev


def run_scorer(make: Callable[[int], object], seed: int, mean_of_raters: bool = False) -> dict:
    """Fit ``make(seed)`` (a course scorer) on the training essays and predict the test set.

    ``mean_of_raters=True`` passes the mean of both raters' training scores as the
    regressor's continuous ``target`` (the cutoffs still aim at rater 1).
    """
    train, test = reference_data()
    scorer = make(seed)
    kwargs = {}
    if mean_of_raters:
        kwargs["target"] = ((train["rater1_domain1"] + train["rater2_domain1"]) / 2).to_numpy()
    start = time.perf_counter()
    scorer.fit(train.essay.tolist(), train[TARGET].to_numpy(), **kwargs)
    pred = scorer.predict(test.essay.tolist())
    seconds = time.perf_counter() - start
    return {"pred": pred, "seconds": seconds, "n_train": len(train), "n_test": len(test)}


# --- the rows of issue 4 -------------------------------------------------------------------
@register("human", "Reference", "Human-human (rater 2 vs rater 1)", original=0.730, seeds=1)
def _human(seed: int) -> dict:
    _, test = reference_data()
    return {"pred": test["rater2_domain1"].to_numpy(), "seconds": 0.0, "n_train": 0}


def _classical(row_id: str, label: str, original: float, make, note: str = "") -> None:
    register(row_id, SECTIONS[1], label, original, note=note)(lambda seed: run_scorer(make, seed))


def _scorers():
    from course_utils import scorers

    return scorers


_classical("tfidf_lr", "TF-IDF + LR", 0.567, lambda s: _scorers().TfidfScorer(random_state=s),
           note="deterministic (lbfgs): the same for every seed")
_classical("svd300_lr", "SVD(300) + LR", 0.574, lambda s: _scorers().SvdScorer(300, random_state=s))
_classical("textstat_rf", "textstat + RF", 0.633, lambda s: _scorers().FeatureScorer(random_state=s))
_classical(
    "svd10_textstat_rf", "SVD(10) + textstat + RF", 0.678,
    lambda s: _scorers().CombinedScorer(10, random_state=s),
)
_classical(
    "minilm_lr", "MiniLM embeddings + LR", 0.565,
    lambda s: _scorers().EmbeddingScorer("all-MiniLM-L6-v2", random_state=s),
    note="embeddings come from course_utils.embeddings' cache when present (then seconds exclude encoding); encoding all 1,569 essays took about 12 minutes on the shared 2-core CPU",
)


_BEYOND_NOTE = (
    "cutoffs fitted on 5-fold out-of-fold predictions of the training essays; "
    "the test set is never used for a choice"
)
register("ensemble_cutoffs", SECTIONS[2], "Ensemble: ridge + gradient boosting, OOF cutoffs",
         note=_BEYOND_NOTE)(lambda s: run_scorer(lambda r: _scorers().EnsembleScorer(random_state=r), s))
register(
    "ensemble_cutoffs_2raters", SECTIONS[2],
    "Ensemble trained on the mean of both raters, OOF cutoffs",
    note=_BEYOND_NOTE + "; regressors learn the mean of rater 1 and rater 2 on the training "
    "essays (less label noise), evaluated against rater 1 like every row; it had the higher "
    "out-of-fold QWK in development, which did not carry over to the test set here",
)(lambda s: run_scorer(lambda r: _scorers().EnsembleScorer(random_state=r), s, mean_of_raters=True))


_RUBRIC_NOTE = (
    "members (ridge on SVD + textstat + rubric counts + MiniLM, gradient boosting on SVD(20) + "
    "textstat + rubric counts, ridge on character n-grams) chosen on the dev parts of the "
    "literature's folds (results/asap7_literature.md, notebook 09)"
)


def _rubric_ensemble(r: int):
    from course_utils.ensembles import RubricEnsembleScorer

    return RubricEnsembleScorer(random_state=r)


register("ensemble_rubric", SECTIONS[2],
         "Rubric ensemble: + rubric counts and a character n-gram member, OOF cutoffs",
         note=_BEYOND_NOTE + "; " + _RUBRIC_NOTE)(lambda s: run_scorer(_rubric_ensemble, s))
register("ensemble_rubric_2raters", SECTIONS[2],
         "Rubric ensemble trained on the mean of both raters, OOF cutoffs",
         note=_BEYOND_NOTE + "; " + _RUBRIC_NOTE + "; regressors learn the mean of rater 1 and "
         "rater 2, evaluated against rater 1")(lambda s: run_scorer(_rubric_ensemble, s, mean_of_raters=True))


# --- the runner ---------------------------------------------------------------------------
def machine() -> str:
    from course_tools.run_course import machine as where

    return where()


def load_extra_modules() -> list[str]:
    """Import :data:`EXTRA_MODULES`; return notes for those that are missing."""
    notes = []
    for name in EXTRA_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            notes.append(f"{name} not found: its rows were skipped")
    # Run as ``python -m course_tools.results`` this file is ``__main__``, a module apart
    # from ``course_tools.results`` where those modules' ``register`` calls put their rows.
    if __name__ == "__main__":
        for rid, exp in importlib.import_module("course_tools.results").EXPERIMENTS.items():
            EXPERIMENTS.setdefault(rid, exp)
    return notes


def _row_head(row_id: str, exp: Experiment) -> dict:
    """The columns every CSV row has, measured or not."""
    return {"id": row_id, "section": exp.section, "label": exp.label,
            "original": "" if exp.original is None else f"{exp.original:.3f}",
            "machine": machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "note": exp.note}


def _run_seeds(row_id: str, exp: Experiment, seeds: list[int], human: np.ndarray) -> dict:
    """Run ``exp`` once per seed: per-seed metrics, seconds, notes, sizes, seed 0's predictions."""
    from course_utils.metrics import aes_metrics, as_scores

    out_all: dict = {"metrics": [], "seconds": [], "notes": [], "extra": {}, "first": None}
    for seed in seeds:
        out = exp.run(seed)
        if "pred" not in out or "seconds" not in out:
            raise ValueError(f"row {row_id!r}: run(seed) must return 'pred' and 'seconds'.")
        pred = as_scores(out["pred"], f"{row_id} predictions")
        # slow rows (LLMs) may score a fixed subset of the test set: "test_index" = positions
        h = human[np.asarray(out["test_index"], dtype=int)] if "test_index" in out else human
        if len(pred) != len(h):
            raise ValueError(
                f"row {row_id!r} returned {len(pred)} predictions for {len(h)} test essays."
            )
        out_all["metrics"].append(aes_metrics(h, pred, MIN_SCORE, MAX_SCORE))
        out_all["seconds"].append(float(out["seconds"]))
        if out.get("note"):
            out_all["notes"].append(str(out["note"]))
        out_all["extra"].update({k: out[k] for k in ("n_train", "n_test") if k in out})
        if out_all["first"] is None:
            out_all["first"] = (h, pred)
        print(f"  {row_id} seed {seed}: QWK {out_all['metrics'][-1]['QWK']:.3f} ({out_all['seconds'][-1]:.1f} s)",
              flush=True)
    return out_all


def evaluate(row_id: str, exp: Experiment, n_seeds: int, n_bootstrap: int = N_BOOTSTRAP) -> dict:
    """Run one experiment over seeds and aggregate its metrics into one CSV row."""
    from course_utils.metrics import bootstrap_ci

    if exp.run is None:
        return _row_head(row_id, exp)
    _, test = reference_data()
    human = test[TARGET].to_numpy()
    seeds = list(range(n_seeds if exp.seeds is None else min(exp.seeds, n_seeds)))
    runs = _run_seeds(row_id, exp, seeds, human)
    ci = bootstrap_ci(*runs["first"], "QWK", n=n_bootstrap, seed=0)
    row = {**_row_head(row_id, exp), "n_seeds": len(seeds),
           "qwk_ci_low": f"{ci.low:.4f}", "qwk_ci_high": f"{ci.high:.4f}",
           "seconds_mean": f"{np.mean(runs['seconds']):.1f}",
           "qwk_per_seed": " ".join(f"{m['QWK']:.4f}" for m in runs["metrics"]),
           "n_train": runs["extra"].get("n_train", ""), "n_test": runs["extra"].get("n_test", len(human)),
           "note": "; ".join(dict.fromkeys([n for n in [exp.note, *runs["notes"]] if n]))}
    for key, name in (("QWK", "qwk"), ("Acc", "acc"), ("SMD", "smd")):
        values = np.array([m[key] for m in runs["metrics"]], dtype=float)
        row[f"{name}_mean"] = f"{values.mean():.4f}"
        row[f"{name}_sd"] = f"{values.std(ddof=1) if len(values) > 1 else 0.0:.4f}"
    return row


FIELDS = [
    "id", "section", "label", "original", "n_seeds", "qwk_mean", "qwk_sd", "qwk_ci_low",
    "qwk_ci_high", "acc_mean", "acc_sd", "smd_mean", "smd_sd", "seconds_mean", "qwk_per_seed",
    "n_train", "n_test", "machine", "date", "note",
]


def read_csv(path: Path = CSV_PATH) -> list[dict]:
    """The stored rows (empty when the file does not exist yet)."""
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def merge_rows(old: list[dict], new: list[dict]) -> list[dict]:
    """Replace rows with the same id, keep the others, order by registry.

    Stored rows whose id is no longer registered (a renamed or removed experiment) are
    dropped, so the table never shows a figure that no code produces any more.
    """
    by_id = {r["id"]: r for r in old if r["id"] in EXPERIMENTS}
    by_id.update({r["id"]: r for r in new})
    order = {rid: i for i, rid in enumerate(EXPERIMENTS)}
    return sorted(by_id.values(), key=lambda r: (order.get(r["id"], len(order)), r["id"]))


def write_csv(rows: list[dict], path: Path = CSV_PATH, fields: list[str] | None = None) -> None:
    fields = fields or FIELDS
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: r.get(k, "") for k in fields} for r in rows)


def _pm(mean: str, sd: str, n: str) -> str:
    if mean in ("", None):
        return ""
    if str(n) == "1":
        return f"{float(mean):.3f}"
    return f"{float(mean):.3f} ± {float(sd):.3f}"


def header_lines(title: str, command: str, csv_name: str) -> list[str]:
    """Title and the regenerate line of a generated results file."""
    return [f"# {title}", "", f"Regenerate: `{command}` (`make results`); one row: `{command} --only ROW_ID`.",
            f"That command measures into `{csv_name}`; `{command} --render` (`make results-render`) writes "
            "this file from the CSV alone. Do not edit either by hand.", ""]


TABLE_COLUMNS = ["row", "method", "QWK", "QWK 95% CI", "original", "Δ vs original", "Acc", "SMD", "seconds",
                 "seeds", "machine", "note"]


def table_row(r: dict) -> list[str]:
    """The 12 cells of one stored row (a row not measured here says so, with its reason)."""
    orig = r.get("original", "")
    if r.get("qwk_mean", "") in ("", None):
        return [f"`{r['id']}`", r["label"], "not measured here", "", orig, "", "", "", "", "",
                r["machine"], r.get("note", "")]
    delta = f"{float(r['qwk_mean']) - float(orig):+.3f}" if orig not in ("", None) and r["id"] != "human" else ""
    return [f"`{r['id']}`", r["label"], _pm(r["qwk_mean"], r["qwk_sd"], r["n_seeds"]),
            f"{float(r['qwk_ci_low']):.3f}–{float(r['qwk_ci_high']):.3f}", orig, delta,
            _pm(r["acc_mean"], r["acc_sd"], r["n_seeds"]), _pm(r["smd_mean"], r["smd_sd"], r["n_seeds"]),
            f"{float(r['seconds_mean']):.1f}", str(r["n_seeds"]), r["machine"], r.get("note", "")]


def render_markdown(rows: list[dict]) -> str:
    """The table as Markdown, one section per ``section`` (needs only the stored rows)."""
    import pandas as pd

    from course_tools.tables import markdown_table

    lines = [
        *header_lines("ASAP-7 results (reference split, 314 test essays, target `rater1_domain1`)",
                      COMMAND, "asap7.csv"),
        "* Training uses the reference split's 1,255 training essays only; any choice "
        "(dimensions, cutoffs, ensembles) is made on a dev split carved from them or by "
        "cross-validation on them. The test set is scored once per seed.",
        "* QWK, Acc (exact agreement) and SMD (machine minus human, pooled SD): mean ± SD "
        "over seeds 0..n-1 (a single value when n = 1).",
        "* QWK 95% CI: percentile bootstrap over test essays (1,000 resamples) of the "
        "**seed-0** predictions.",
        "* Seconds: fit + predict wall time per seed (mean), on the machine named in the row. "
        "The CPU machine was shared with other jobs while measuring, so times are inflated.",
        "* Original: the figure published by the original workshop (a single unseeded run).",
        "",
    ]
    for section in dict.fromkeys([*SECTIONS, *[r["section"] for r in rows]]):
        part = [table_row(r) for r in rows if r["section"] == section]
        if part:
            table = markdown_table(pd.DataFrame(part, columns=TABLE_COLUMNS), numparse=False)
            lines += [f"## {section}", "", table, ""]
    return "\n".join(lines)


def render(csv_path: Path = CSV_PATH, md_path: Path = MD_PATH) -> Path:
    """Write ``md_path`` from the rows stored in ``csv_path``; nothing is measured."""
    rows = read_csv(csv_path)
    if not rows:
        raise FileNotFoundError(f"{csv_path} holds no rows: measure first (`{COMMAND}`).")
    md_path.parent.mkdir(parents=True, exist_ok=True)
    md_path.write_text(render_markdown(rows) + "\n")
    return md_path


def select(only: list[str] | None) -> dict[str, Experiment]:
    """The experiments whose id contains any of ``only`` (all when ``only`` is empty)."""
    if not only:
        return dict(EXPERIMENTS)
    chosen = {k: v for k, v in EXPERIMENTS.items() if any(s in k for s in only)}
    if not chosen:
        raise ValueError(f"No row id contains {only}; rows are: {', '.join(EXPERIMENTS)}.")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="SUBSTRING", help="run only rows whose id contains one")
    parser.add_argument("--seeds", type=int, default=DEFAULT_SEEDS, help="seeds per row (default 5)")
    parser.add_argument("--list", action="store_true", help="list the row ids and exit")
    parser.add_argument("--render", action="store_true", help="rewrite the Markdown from the CSV, run nothing")
    parser.add_argument("--csv", type=Path, default=CSV_PATH, help=argparse.SUPPRESS)
    parser.add_argument("--md", type=Path, default=MD_PATH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.render:
        print(f"Wrote {render(args.csv, args.md)} from {args.csv}")
        return 0
    for note in load_extra_modules():
        print(f"note: {note}")
    if args.list:
        for rid, exp in EXPERIMENTS.items():
            print(f"{rid:24s} {exp.section} | {exp.label}")
        return 0
    chosen = select(args.only)
    from course_utils.config import seed_everything

    new_rows = []
    total = time.perf_counter()
    for rid, exp in chosen.items():
        print(f"{rid}: {exp.label}", flush=True)
        seed_everything(0)
        new_rows.append(evaluate(rid, exp, args.seeds))
    rows = merge_rows(read_csv(args.csv) if args.only else [], new_rows)
    write_csv(rows, args.csv)
    render(args.csv, args.md)
    print(f"Wrote {args.csv} and {args.md} ({time.perf_counter() - total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
