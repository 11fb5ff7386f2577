"""The fine-tuning rows of ``results/asap7.md`` and the dev-only choice of their ensemble.

    python -m course_tools.results --only finetune   # the rows (about 9 min per run on 2 CPU cores)
    python -m course_tools.finetune_results          # results/asap7_ensemble_dev.csv and .md (cached runs)
    python -m course_tools.finetune_results --render # the .md from the CSV alone, nothing run

One fine-tuning run per mode and seed (:func:`fine_tune_run`, cached in
``COURSE_CACHE_DIR/finetune_runs``) serves several rows: the plain model, the model with
cutoffs fitted on dev, and the ensembles. Each run trains on the reference split's
training part minus a dev set; the dev set chooses the epoch, the cutoffs and the
ensemble; the 314 test essays are predicted once.

The classical member is the course's CPU ensemble (:func:`classical_run`). Two ensembles
of the fine-tuned and classical models are in the table, in the order they were built:
``finetune_ensemble`` (regression + classical, weight tuned on dev) and
``finetune_ensemble_dev``, whose procedure is the best of :data:`ENSEMBLE_CANDIDATES` by
nested-CV dev QWK (:func:`dev_ensemble_selection`; :mod:`course_utils.ensembles`).
"""

from __future__ import annotations

import hashlib
import json
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from course_utils.cutoffs import OptimizedCutoffs
from course_utils.ensembles import (
    choose_ensemble_weight,
    equal_weights,
    fit_ensemble,
    nested_dev_qwk,
    select_procedure,
    tuned_pair_weights,
)
from course_utils.finetune import (
    FineTunedScorer,
    Mode,
    classical_member,
    logits_to_continuous,
    logits_to_scores,
)

RESULTS_MODEL = "google/electra-small-discriminator"  # offline: the MiniLM-L6 stand-in
RESULTS_SETTINGS = {"max_length": 256, "epochs": 4, "lr": 1e-4, "batch_size": 8}
RESULTS_SEEDS = 3
RESULTS_THREADS = 2  # torch CPU threads of every fine-tuning run (the measuring machine's 2 cores)
_RUNS: dict[tuple, dict] = {}


@lru_cache(maxsize=1)
def _split():
    """The reference split's train part minus dev, the dev set and the test set (read once)."""
    from course_utils.data import load_asap, train_dev_test_split

    return train_dev_test_split(load_asap(7))


def _run_cache_dir() -> Path:
    from course_utils.config import cache_dir

    path = cache_dir() / "finetune_runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load_run(path: Path) -> dict[str, Any]:
    """A fine-tuning run stored by :func:`fine_tune_run`."""
    with np.load(path, allow_pickle=False) as data:
        run = {k: data[k] for k in data.files}
    run["history"] = json.loads(str(run["history"]))
    run["seconds"] = float(run["seconds"])
    run["device"] = str(run["device"])
    print(f"Reusing the fine-tuning run cached at {path} (delete it to retrain).")
    return run


def fine_tune_run(mode: Mode, seed: int, settings: dict | None = None,
                  use_cache: bool = True) -> dict[str, Any]:
    """Fine-tune on the reference split's training part; return dev and test outputs.

    Train = the reference training part minus a 15% dev set (:func:`train_dev_test_split`);
    the dev set picks the epoch; the 314-essay test set is predicted once. Returns
    continuous and integer predictions for dev and test, the dev history and the
    fit+predict seconds. One run serves several rows (plain, cutoffs, ensemble): it is
    kept in memory and, keyed by its settings, data and code version, in
    ``COURSE_CACHE_DIR/finetune_runs`` (``use_cache=False``, or ``COURSE_FINETUNE_CACHE=0`` in the
    environment, retrains: that is how ``--rerun`` measures a real rerun).
    """
    import torch

    from course_utils.config import device
    from course_utils.hub import resolve_model

    settings = {**RESULTS_SETTINGS, **(settings or {})}
    train, dev, test = _split()
    model_path = resolve_model(RESULTS_MODEL, kind="encoder", verbose=False)
    ident = json.dumps({"mode": mode, "seed": seed, "settings": settings, "model": RESULTS_MODEL,
                        "backbone": Path(model_path).parent.name if Path(model_path).is_dir() else model_path,
                        "train": train.essay_id.tolist(), "dev": dev.essay_id.tolist(),
                        "test": test.essay_id.tolist(), "version": 1}, sort_keys=True)
    key = hashlib.sha1(ident.encode()).hexdigest()[:16]
    if key in _RUNS:
        return _RUNS[key]
    path = _run_cache_dir() / f"{mode}_seed{seed}_{key}.npz"
    from course_tools.results import cache_off

    use_cache = use_cache and not cache_off("COURSE_FINETUNE_CACHE")
    if use_cache and path.is_file():
        _RUNS[key] = _load_run(path)
        return _RUNS[key]

    # A fixed thread count: CPU sums are taken in an order that depends on it, and a fit's
    # weights drift apart over a few hundred steps when it changes (results/asap7.md, Reruns).
    torch.set_num_threads(RESULTS_THREADS)
    scorer = FineTunedScorer(RESULTS_MODEL, 0, 12, mode=mode, seed=seed, progress=True,
                             **settings)
    start = time.perf_counter()
    scorer.fit(train.essay.tolist(), train.rater1_domain1.to_numpy(),
               dev.essay.tolist(), dev.rater1_domain1.to_numpy())
    dev_logits = scorer.predict_logits(dev.essay.tolist())
    test_logits = scorer.predict_logits(test.essay.tolist())
    seconds = time.perf_counter() - start
    run = {
        "dev_cont": logits_to_continuous(dev_logits, mode, 0, 12),
        "dev_pred": logits_to_scores(dev_logits, mode, 0, 12),
        "test_cont": logits_to_continuous(test_logits, mode, 0, 12),
        "test_pred": logits_to_scores(test_logits, mode, 0, 12),
        "history": scorer.history_,
        "seconds": seconds,
        "device": f"{device()} ({scorer.precision_})",
    }
    np.savez(path, **{**run, "history": json.dumps(run["history"])})
    _RUNS[key] = run
    return run


def classical_run(seed: int) -> dict[str, Any]:
    """The classical ensemble member, trained on the same train part as the fine-tuned model.

    Uses the course's best classical model, :class:`course_utils.scorers.EnsembleScorer`
    (ridge on SVD + textstat + MiniLM embeddings averaged with gradient boosting on SVD +
    textstat, notebook 09), when that module is available, else the TF-IDF ridge of
    :func:`classical_member`. Returns continuous dev and test predictions and seconds.
    Cached like :func:`fine_tune_run` (``COURSE_FINETUNE_CACHE=0`` refits).
    """
    key = ("classical", seed)
    if key in _RUNS:
        return _RUNS[key]
    train, dev, test = _split()
    ident = json.dumps({"seed": seed, "train": train.essay_id.tolist(), "dev": dev.essay_id.tolist(),
                        "test": test.essay_id.tolist(), "version": 2}, sort_keys=True)
    path = _run_cache_dir() / f"classical_seed{seed}_{hashlib.sha1(ident.encode()).hexdigest()[:16]}.npz"
    from course_tools.results import cache_off

    if path.is_file() and not cache_off("COURSE_FINETUNE_CACHE"):
        with np.load(path, allow_pickle=False) as data:
            run = {k: data[k] for k in data.files}
        run["seconds"], run["name"] = float(run["seconds"]), str(run["name"])
        print(f"Reusing the classical run cached at {path} (delete it to retrain).")
        _RUNS[key] = run
        return run
    start = time.perf_counter()
    try:
        from course_utils.scorers import EnsembleScorer
    except ImportError:  # the classical module is optional here
        model, name = classical_member(train.essay, train.rater1_domain1, seed), "TF-IDF ridge"
    else:
        model = EnsembleScorer(random_state=seed)
        model.fit(train.essay.tolist(), train.rater1_domain1.to_numpy())
        model, name = _Continuous(model), "EnsembleScorer (ridge + gradient boosting)"
    run = {"dev_cont": np.asarray(model.predict(dev.essay.tolist()), dtype=float),
           "test_cont": np.asarray(model.predict(test.essay.tolist()), dtype=float),
           "seconds": time.perf_counter() - start, "name": name}
    np.savez(path, **run)
    _RUNS[key] = run
    return run


class _Continuous:
    """Adapter: ``predict`` returns a course scorer's ``predict_continuous``."""

    def __init__(self, scorer):
        self.scorer = scorer

    def predict(self, texts):
        return self.scorer.predict_continuous(texts)


def _dev_scores() -> np.ndarray:
    return _split()[1].rater1_domain1.to_numpy()


def _with_cutoffs(dev_cont, test_cont) -> np.ndarray:
    cut = OptimizedCutoffs(0, 12).fit(dev_cont, _dev_scores())
    return cut.transform(test_cont)


# The ensemble procedures compared on dev (members: 0 regression, 1 classification
# expected score, 2 classical). The row ``finetune_ensemble_dev`` uses the one with the
# best nested-CV dev QWK averaged over the seeds; the test set plays no part.
ENSEMBLE_MEMBERS = ("fine-tuned regression", "fine-tuned classification (expected score)",
                    "classical (CPU ensemble)")
ENSEMBLE_CANDIDATES = {
    "regression + classical, weight tuned on dev": ((0, 2), tuned_pair_weights),
    "regression + classical, equal weights": ((0, 2), equal_weights),
    "regression + classification + classical, equal weights": ((0, 1, 2), equal_weights),
    "regression + classification + classical, 1/4 + 1/4 + 1/2":
        ((0, 1, 2), lambda preds, y, lo, hi: np.array([0.25, 0.25, 0.5])),
}


def _dev_members(seed: int) -> list[np.ndarray]:
    return [fine_tune_run("regression", seed)["dev_cont"], fine_tune_run("classification", seed)["dev_cont"],
            classical_run(seed)["dev_cont"]]


@lru_cache(maxsize=4)
def dev_ensemble_selection(n_seeds: int = RESULTS_SEEDS) -> tuple[str, dict[str, list[float]]]:
    """The ensemble procedure chosen on dev, and every candidate's nested-CV dev QWK per seed.

    Each member alone (with dev cutoffs) is estimated the same way, for comparison; the
    members are not candidates. Uses the (cached) runs of seeds ``0 .. n_seeds - 1``.
    """
    runs = [_dev_members(seed) for seed in range(n_seeds)]
    y = _dev_scores()
    best, table = select_procedure(ENSEMBLE_CANDIDATES, runs, y, 0, 12)
    members = {f"{name} alone": [nested_dev_qwk(equal_weights, [run[i]], y, 0, 12) for run in runs]
               for i, name in enumerate(ENSEMBLE_MEMBERS)}
    return best, {**members, **table}


RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"
DEV_CSV = RESULTS_DIR / "asap7_ensemble_dev.csv"
DEV_MD = RESULTS_DIR / "asap7_ensemble_dev.md"
DEV_FIELDS = ["procedure", "role", "chosen", "qwk_per_seed", "qwk_mean"]


def dev_ensemble_rows(n_seeds: int = RESULTS_SEEDS) -> list[dict]:
    """:func:`dev_ensemble_selection` as CSV rows: members first, then the candidates."""
    best, table = dev_ensemble_selection(n_seeds)
    return [{"procedure": name, "role": "candidate" if name in ENSEMBLE_CANDIDATES else "member",
             "chosen": "yes" if name == best else "", "qwk_per_seed": " ".join(f"{v:.4f}" for v in values),
             "qwk_mean": f"{np.mean(values):.4f}"} for name, values in table.items()]


def dev_ensemble_report(rows: list[dict]) -> str:
    """Markdown of the stored rows of ``asap7_ensemble_dev.csv`` (nothing is run)."""
    import pandas as pd

    from course_tools.tables import markdown_table

    n_seeds = len(rows[0]["qwk_per_seed"].split())
    cells = []
    for r in rows:
        mark = " **(chosen)**" if r["chosen"] == "yes" else (" (member)" if r["role"] == "member" else "")
        cells.append([f"{r['procedure']}{mark}", *(f"{float(v):.3f}" for v in r["qwk_per_seed"].split()),
                      f"{float(r['qwk_mean']):.3f}"])
    columns = ["procedure", *(f"seed {s}" for s in range(n_seeds)), "mean"]
    lines = [
        "# ASAP prompt 7: choosing the ensemble on dev",
        "",
        "Generated by `python -m course_tools.finetune_results` (with `asap7_ensemble_dev.csv`; "
        "`--render` rewrites this file from the CSV) from the fine-tuning runs of the results "
        f"table ({_SETTINGS_NOTE.split(';')[0]}; seeds 0-{n_seeds - 1}). Dev set: the 189 essays "
        "carved from the training part; the test set is not read.",
        "",
        "Each figure is the nested-CV dev QWK: weights (where a procedure tunes them) and "
        "cutoffs are chosen on 4 of 5 folds of the dev set and the 5th fold is scored "
        "(pooled, 4 shuffles). The candidate with the best mean becomes the "
        "`finetune_ensemble_dev` row of `asap7.md`.",
        "",
        markdown_table(pd.DataFrame(cells, columns=columns), numparse=False),
    ]
    return "\n".join(lines) + "\n"


def render_dev_ensemble(csv_path: Path = DEV_CSV, md_path: Path = DEV_MD) -> str:
    """Write ``md_path`` from ``csv_path`` alone (returns the text)."""
    from course_tools.results import render_csv

    return render_csv(csv_path, md_path, dev_ensemble_report, "python -m course_tools.finetune_results")


def write_dev_ensemble(csv_path: Path = DEV_CSV, md_path: Path = DEV_MD, n_seeds: int = RESULTS_SEEDS) -> str:
    """Measure the dev choice of the ensemble (cached runs), store it in ``csv_path``, render ``md_path``."""
    from course_tools.results import write_csv

    write_csv(dev_ensemble_rows(n_seeds), csv_path, DEV_FIELDS)
    return render_dev_ensemble(csv_path, md_path)


def results_experiments() -> dict[str, Any]:
    """The rows this module adds to ``results/asap7.md`` (row id -> ``run(seed)``).

    One fine-tuning run per mode and seed serves the plain, cutoff and ensemble rows
    (see :func:`fine_tune_run`); "seconds" of the derived rows add their own extra time.
    """
    def plain(mode):
        def run(seed):
            r = fine_tune_run(mode, seed)
            return {"pred": r["test_pred"], "seconds": r["seconds"], "n_train": _N_TRAIN,
                    "note": f"seed {seed}: best epoch {_best_epoch(r)} ({r['device']})"}
        return run

    def cutoffs(mode):
        def run(seed):
            r = fine_tune_run(mode, seed)
            t = time.perf_counter()
            pred = _with_cutoffs(r["dev_cont"], r["test_cont"])
            return {"pred": pred, "seconds": r["seconds"] + time.perf_counter() - t,
                    "n_train": _N_TRAIN, "note": f"{r['device']}"}
        return run

    def classical(seed):
        c = classical_run(seed)
        t = time.perf_counter()
        pred = _with_cutoffs(c["dev_cont"], c["test_cont"])
        return {"pred": pred, "seconds": c["seconds"] + time.perf_counter() - t,
                "n_train": _N_TRAIN, "note": c["name"]}

    def ensemble(cv):
        def run(seed):
            r, c = fine_tune_run("regression", seed), classical_run(seed)
            t = time.perf_counter()
            w, _ = choose_ensemble_weight([r["dev_cont"], c["dev_cont"]], _dev_scores(), 0, 12, cv=cv)
            fitted = fit_ensemble([w, 1 - w], [r["dev_cont"], c["dev_cont"]], _dev_scores(), 0, 12)
            pred = fitted.predict([r["test_cont"], c["test_cont"]])
            return {"pred": pred, "seconds": r["seconds"] + c["seconds"] + time.perf_counter() - t,
                    "n_train": _N_TRAIN, "note": f"seed {seed}: weight {w:.2f}"}
        return run

    def dev_selected(seed):
        t = time.perf_counter()
        name, _ = dev_ensemble_selection()
        idx, procedure = ENSEMBLE_CANDIDATES[name]
        runs = [fine_tune_run("regression", seed), fine_tune_run("classification", seed), classical_run(seed)]
        fitted = fit_ensemble(procedure, [runs[i]["dev_cont"] for i in idx], _dev_scores(), 0, 12)
        pred = fitted.predict([runs[i]["test_cont"] for i in idx])
        weights = " + ".join(f"{w:.2f}" for w in fitted.weights)
        return {"pred": pred, "seconds": sum(runs[i]["seconds"] for i in idx) + time.perf_counter() - t,
                "n_train": _N_TRAIN, "note": f"seed {seed}: {name} ({weights})"}

    return {"finetune_clf": plain("classification"), "finetune_clf_cutoffs": cutoffs("classification"),
            "finetune_reg": plain("regression"), "finetune_reg_cutoffs": cutoffs("regression"),
            "finetune_classical_member": classical, "finetune_ensemble": ensemble(None),
            "finetune_ensemble_cv": ensemble(5), "finetune_ensemble_dev": dev_selected}


_N_TRAIN = 1066  # the reference training part (1,255) minus the 15% dev set (189)


def _best_epoch(run: dict) -> int:
    history = run["history"]
    return 1 + int(np.argmax([h["dev_QWK"] for h in history]))


_SECTION = "Fine-tuning (CPU; MiniLM-L6 stand-in for ELECTRA-small)"
_SETTINGS_NOTE = (f"max_length {RESULTS_SETTINGS['max_length']}, {RESULTS_SETTINGS['epochs']} epoch(s), "
                  f"batch {RESULTS_SETTINGS['batch_size']}, lr {RESULTS_SETTINGS['lr']:g}; "
                  "ELECTRA-small itself: not measured here (no Hub access)")
_LABELS = {
    "finetune_clf": ("Fine-tuned MiniLM-L6, classification (argmax)", _SETTINGS_NOTE),
    "finetune_clf_cutoffs": ("Fine-tuned MiniLM-L6, classification, expected score + cutoffs on dev", ""),
    "finetune_reg": ("Fine-tuned MiniLM-L6, regression (sigmoid + MSE on mu), mu_inv", _SETTINGS_NOTE),
    "finetune_reg_cutoffs": ("Fine-tuned MiniLM-L6, regression + cutoffs on dev", ""),
    "finetune_classical_member": ("Classical member: the CPU ensemble (notebook 09) + cutoffs on dev", ""),
    "finetune_ensemble": ("Ensemble: fine-tuned regression + CPU ensemble, weight and cutoffs on dev",
                          "weight: best dev QWK after cutoffs fitted on the same 189 dev essays"),
    "finetune_ensemble_cv": (
        "Ensemble as above, weight by cross-validated dev QWK (post hoc)",
        "5-fold cross-validation on the dev essays (cutoffs fitted on 4 folds, QWK on the 5th, 4 shuffles); "
        "tried after the row above failed to beat its classical member on test, so not a blind result"),
    "finetune_ensemble_dev": (
        "Ensemble chosen on dev: best of 4 procedures by nested-CV dev QWK",
        "candidates and their dev estimates: results/asap7_ensemble_dev.md (python -m course_tools.finetune_results); "
        "added after the two rows above, its choice made on dev only and the test set scored once"),
}


def _register_results() -> None:
    try:
        from course_tools.results import register, register_not_measured
    except ImportError:  # the results module is optional for notebooks
        return
    for row_id, run in results_experiments().items():
        label, note = _LABELS[row_id]
        register(row_id, _SECTION, label, original=None, seeds=RESULTS_SEEDS, note=note)(run)
    why = ("needs the google/electra-small-discriminator weights, which the Hugging Face Hub serves "
           "and this machine cannot reach; notebooks 11-13 train it in Colab (full profile)")
    for row_id, label, original in (
        ("electra_manual", "ELECTRA-small, manual loop (the original's model)", 0.698),
        ("electra_trainer", "ELECTRA-small, Hugging Face Trainer", 0.723),
        ("electra_regression", "ELECTRA-small, regression (sigmoid + MSE on mu)", 0.737),
    ):
        register_not_measured(row_id, _SECTION, label, original, why)


_register_results()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="results/asap7_ensemble_dev.csv and .md: the ensemble chosen on dev.")
    parser.add_argument("--render", action="store_true", help="rewrite the Markdown from the CSV, run nothing")
    args = parser.parse_args(argv)
    print(render_dev_ensemble() if args.render else write_dev_ensemble())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
