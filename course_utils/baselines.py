"""Baselines every scorer must beat (notebook 03 on), and a leaderboard that grows from notebook to notebook.

* :class:`LengthLine` -- the essay's word count, mapped to a score by a straight line
  fitted on the training essays (then rounded and clipped to the score range). Length
  correlates strongly with the score, so a model that does not beat this line has
  learned little beyond counting words.
* :class:`ConstantScorer` -- one score for every essay (the training median). Its QWK is
  0 by construction: the yardstick for "learned nothing".
* :func:`compare` -- a model's test metrics beside both baselines'; :func:`report` adds the leaderboard.
* :func:`leaderboard` -- adds a row to this session's table (a CSV in the course cache,
  one file per profile) and prints the table, best first, so a learner sees it grow from
  notebook to notebook; :func:`start_leaderboard` empties it (notebook 03).

    >>> base = baselines.fit_baselines(train.essay, train.rater1_domain1)
    >>> baselines.report("04", "TF-IDF + LR", test.essay, test.rater1_domain1, pred, base,
    ...                  n_train=len(train))
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Sequence

import numpy as np

from course_utils.checks import check_texts
from course_utils.metrics import aes_metrics, as_scores, bootstrap_ci


def word_counts(texts: Sequence[str]) -> np.ndarray:
    """Words per essay (split on white space)."""
    return np.array([len(t.split()) for t in check_texts(texts)], dtype=float)


class LengthLine:
    """Score from word count alone: ``round(a * words + b)``, clipped to the score range.

    ``a`` and ``b`` are a least-squares line through the training essays.
    """

    def __init__(self, min_score: int = 0, max_score: int = 12):
        self.min_score, self.max_score = min_score, max_score

    def fit(self, texts: Sequence[str], scores) -> LengthLine:
        words, y = word_counts(texts), as_scores(scores, "scores")
        if len(words) != len(y):
            raise ValueError(f"{len(words)} texts but {len(y)} scores.")
        self.slope_, self.intercept_ = np.polyfit(words, y, 1)
        self.n_train_ = len(y)
        return self

    def predict_continuous(self, texts: Sequence[str]) -> np.ndarray:
        """The line itself, ``a * words + b``, before rounding (for cutoffs)."""
        if not hasattr(self, "slope_"):
            raise RuntimeError("LengthLine is not fitted yet: call fit() first.")
        return self.slope_ * word_counts(texts) + self.intercept_

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return np.clip(np.round(self.predict_continuous(texts)), self.min_score, self.max_score).astype(int)


class ConstantScorer:
    """The same score for every essay: the median of the training scores."""

    def fit(self, texts: Sequence[str], scores) -> ConstantScorer:
        y = as_scores(scores, "scores")
        self.value_, self.n_train_ = int(np.median(y)), len(y)
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        if not hasattr(self, "value_"):
            raise RuntimeError("ConstantScorer is not fitted yet: call fit() first.")
        return np.full(len(check_texts(texts)), self.value_, dtype=int)


#: The baselines' names in :func:`fit_baselines` and in every row dict of this module.
LENGTH_LINE, CONSTANT = "length line", "constant (training median)"

#: The one paired bootstrap behind every "against the length line" verdict: the same
#: resample count and seed as notebook 03's, so a notebook that repeats the comparison
#: with ``paired_bootstrap(..., n_resamples=VERDICT_RESAMPLES, seed=VERDICT_SEED)`` prints
#: the same interval, not a second one that differs by Monte Carlo error.
VERDICT_RESAMPLES, VERDICT_SEED = 1000, 42
#: An interval end closer to 0 than this is within the Monte Carlo error of 1,000 resamples
#: (about 0.005 QWK) plus a margin: the verdict is called borderline.
BORDERLINE = 0.01

#: Williamson et al. (2012) flags taught in notebook 03, read on the point estimates.
MIN_QWK, MAX_ABS_SMD = 0.70, 0.15

#: Notebooks that add rows to the leaderboard, in course order (the table names those not run yet).
REPORTING_NOTEBOOKS = ("03", "04", "05", "06", "07", "08", "09", "11", "12", "13", "15", "16")


def fit_baselines(train_texts: Sequence[str], train_scores, min_score: int = 0,
                  max_score: int = 12) -> dict[str, object]:
    """Both baselines fitted on the training essays, by name."""
    return {
        LENGTH_LINE: LengthLine(min_score, max_score).fit(train_texts, train_scores),
        CONSTANT: ConstantScorer().fit(train_texts, train_scores),
    }


def compare(name: str, texts: Sequence[str], human, machine, baselines: dict[str, object],
            min_score: int = 0, max_score: int = 12, quiet: bool = False) -> dict[str, dict]:
    """QWK, exact agreement and SMD of ``machine`` and of each baseline on the same essays.

    Prints one line each (unless ``quiet``) and returns ``{name: metrics}``; the model's
    line says whether it beats the length line.
    """
    rows = {name: aes_metrics(human, machine, min_score, max_score)}
    for label, model in baselines.items():
        rows[label] = aes_metrics(human, model.predict(texts), min_score, max_score)
    if not quiet:
        width = max(len(k) for k in rows)
        for label, m in rows.items():
            print(f"  {label:<{width}}  QWK {m['QWK']:.3f}  Acc {m['Acc']:.3f}  SMD {m['SMD']:+.3f}")
        if LENGTH_LINE in baselines:
            print(f"  -> {length_line_verdict(name, texts, human, machine, baselines[LENGTH_LINE], min_score, max_score)}")
        print(f"  -> {williamson_flags(name, rows[name])}")
    return rows


def williamson_flags(name: str, metrics: dict) -> str:
    """``metrics`` (a row of :func:`compare`) against Williamson et al. (2012), on the point estimates:
    QWK and Pearson r (when given) at least 0.70, |SMD| at most 0.15; degradation needs a second human (03)."""
    d = metrics["SMD"]
    qwk_part = "; ".join(f"{k} {metrics[k]:.3f} ({'at least' if metrics[k] >= MIN_QWK else 'under'} {MIN_QWK:.2f})"
                         for k in ("QWK", "r") if k in metrics)
    if abs(d) <= MAX_ABS_SMD:
        smd_part = f"SMD {d:+.3f} (within ±{MAX_ABS_SMD})"
    else:
        side = "higher" if d > 0 else "lower"
        smd_part = f"SMD {d:+.3f} (beyond ±{MAX_ABS_SMD}: on average {side} scores than the human's, flagged)"
    return f"{name} against the Williamson et al. (2012) flags, on the point estimates: {qwk_part}; {smd_part}."


def versus_length_line(texts: Sequence[str], human, machine, length_line, min_score: int = 0,
                       max_score: int = 12):
    """The paired bootstrap of ``machine`` against the length line on the same essays.

    :func:`length_line_verdict` and :func:`in_words` read the same comparison: it is computed
    once for a given set of scores (same resamples, same seed) and remembered.
    """
    h = tuple(as_scores(human, "human").tolist())
    m = tuple(as_scores(machine, "machine").tolist())
    line = tuple(as_scores(length_line.predict(texts), "length line").tolist())
    return _paired_against_line(h, m, line, min_score, max_score)


@functools.lru_cache(maxsize=16)
def _paired_against_line(human: tuple, machine: tuple, line: tuple, min_score: int, max_score: int):
    from course_utils.metrics import paired_bootstrap

    return paired_bootstrap(np.array(human), np.array(machine), np.array(line), n_resamples=VERDICT_RESAMPLES,
                            seed=VERDICT_SEED, labels=range(min_score, max_score + 1))


def length_line_verdict(name: str, texts: Sequence[str], human, machine, length_line,
                        min_score: int = 0, max_score: int = 12) -> str:
    """Does ``machine`` agree with ``human`` better than the length line, on the same essays?

    Decided by a paired bootstrap of the QWK difference (:func:`course_utils.metrics.paired_bootstrap`),
    not by comparing two QWKs: both are scored on the same essays, so the question is how
    much the difference itself varies from one sample of essays to another.
    """
    comparison = versus_length_line(texts, human, machine, length_line, min_score, max_score)
    text = f"on these {len(texts)} essays: {comparison.verdict(name, LENGTH_LINE, metric='QWK')}."
    if comparison.excludes_zero and min(abs(comparison.low), abs(comparison.high)) < BORDERLINE:
        text += (f" Borderline: the interval ends within {BORDERLINE} of 0, so another set of resamples "
                 "or another training seed may say 'cannot tell apart'.")
    return text


def in_words(name: str, texts: Sequence[str], human, machine, baselines: dict[str, object], flags,
             min_score: int = 0, max_score: int = 12) -> list[str]:
    """A test run read in words, one line each: the paired verdict against the length line,
    which Williamson criteria the essays settle, the model's average, spread and use of the
    scores (which it over-uses, which it never gives), and its exact agreement beside the
    constant predictor's.

    ``flags`` is :func:`course_utils.metrics.williamson_check`'s table for the same essays.
    Returns the lines (bullets), which the notebooks print.
    """
    n = len(texts)
    c = versus_length_line(texts, human, machine, baselines[LENGTH_LINE], min_score, max_score)
    if c.low > 0:
        length = f"better, on these {n} essays (the whole paired interval lies above 0)."
    elif c.high < 0:
        length = f"worse, on these {n} essays (the whole paired interval lies below 0)."
    else:
        length = (f"these {n} essays cannot tell them apart. The paired interval runs from a loss of "
                  f"{-c.low:.3f} to a gain of {c.high:.3f} QWK: it rules out neither, so this is no evidence "
                  "that the two are equally good either; but this run has not shown that it learned more "
                  "than essay length tells.")
    verdicts = flags["verdict"].astype(str)
    settled = flags[~verdicts.str.contains("point estimate|n/a")]
    unsettled = flags[verdicts.str.contains("point estimate")]
    failed = ", ".join(settled.loc[settled["verdict"] == "fail", "criterion"]) or "no criterion"
    leaning = ", ".join(unsettled.loc[unsettled["verdict"].str.startswith("fail"), "criterion"])
    open_ = (f"{', '.join(unsettled['criterion'])} not settled by these essays"
             + (f" (point estimates on the failing side: {leaning})." if leaning else ".") if len(unsettled)
             else "these essays settle every criterion.")
    h, m = as_scores(human, "human"), as_scores(machine, "machine")
    stats = aes_metrics(h, m, min_score, max_score)
    const = aes_metrics(h, baselines[CONSTANT].predict(texts), min_score, max_score)
    counts = score_counts(h, m, min_score, max_score)
    excess = counts["machine"] - counts["human"]
    top = int(excess.idxmax())
    never = [str(k) for k in counts.index if counts.loc[k, "machine"] == 0 and counts.loc[k, "human"] > 0]
    never_text = (f"never gives {', '.join(never)} ({'a score' if len(never) == 1 else 'scores'} that rater 1 gives)."
                  if never else "gives every score rater 1 gives.")
    return [f"* Against counting words: {length}",
            f"* Williamson: fails {failed} outright; {open_}",
            f"* It scores {'higher' if stats['SMD'] > 0 else 'lower'} than rater 1 on average (SMD "
            f"{stats['SMD']:+.3f}: mean {m.mean():.2f} against {h.mean():.2f}; SD {m.std():.2f} against "
            f"{h.std():.2f}) and uses {len(np.unique(m))} of the {max_score - min_score + 1} possible scores: "
            + (f"it gives {top} to {counts.loc[top, 'machine']} essays (rater 1: {counts.loc[top, 'human']}) and "
               + never_text if excess.max() > 0 else "it gives each score as often as rater 1 does."),
            f"* Exact agreement {stats['Acc']:.3f} (within one point: {stats['Adj']:.3f}), against {const['Acc']:.3f} "
            f"({const['Adj']:.3f}) for the constant predictor, which scores many exact hits because many essays "
            "share the commonest score. QWK weighs how far each miss is, Acc counts exact hits only: a model can "
            "lead on one and trail on the other, so both are reported."]


def score_counts(human, machine, min_score: int = 0, max_score: int = 12):
    """How many essays get each score from the human and from the machine (a DataFrame, one row per score)."""
    import pandas as pd

    h, m = as_scores(human, "human"), as_scores(machine, "machine")
    scores = range(min_score, max_score + 1)
    return pd.DataFrame({"human": [int(np.sum(h == s)) for s in scores],
                         "machine": [int(np.sum(m == s)) for s in scores]}, index=list(scores))


def start_leaderboard(profile: str) -> None:
    """Empty this profile's leaderboard (notebook 03 starts it; later notebooks add rows)."""
    from course_utils.config import cache_dir

    (cache_dir() / f"leaderboard-{profile}.csv").unlink(missing_ok=True)


def leaderboard(notebook: str, model: str, qwk: float, n_train: int | None, profile: str,
                show: bool = True, n_test: int | None = None,
                interval: tuple[float, float] | None = None):
    """Add (or replace) one row of this profile's leaderboard and print the table.

    The table is ``leaderboard-<profile>.csv`` in the course cache, so it grows as a
    learner runs notebook after notebook on one machine (in Colab: within one session).
    Each row keeps the number of test essays and, when given, the QWK's 95% bootstrap
    interval; the printed header says the table is a record, never used to choose, and
    names the earlier notebooks whose rows are missing (not run since notebook 03 started
    the table on this machine). Rows of later notebooks (run earlier on this machine) are
    left out of the printed table, and rows on different numbers of test essays are
    flagged as not comparable. ``n_train=None`` (a human rater) prints "–".
    Returns the table as a pandas DataFrame, best test QWK first.
    """
    import pandas as pd

    from course_utils.config import cache_dir

    path = cache_dir() / f"leaderboard-{profile}.csv"
    rows = []
    if path.is_file():
        with path.open(newline="") as f:
            rows = [r for r in csv.DictReader(f) if (r["notebook"], r["model"]) != (notebook, model)]
    rows.append({"notebook": notebook, "model": model, "test_QWK": f"{float(qwk):.3f}",
                 "95% interval": f"[{round(interval[0], 3) + 0.0:.3f}, {round(interval[1], 3) + 0.0:.3f}]" if interval else "",
                 "n_test": "" if n_test is None else str(int(n_test)),
                 "n_train": "–" if n_train is None else str(int(n_train))})
    fields = ["notebook", "model", "test_QWK", "95% interval", "n_test", "n_train"]
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # written whole, then renamed:
    pd.DataFrame(rows, columns=fields).to_csv(tmp, index=False)  # a reader never sees half a table
    os.replace(tmp, path)
    table = pd.DataFrame(rows, columns=fields).fillna("").astype({"test_QWK": float, "n_train": str})
    table = table.sort_values("test_QWK", ascending=False, kind="stable").reset_index(drop=True)
    if show:
        table = _show_leaderboard(table, rows, notebook, profile)
    return table


def _show_leaderboard(table, rows: list[dict], notebook: str, profile: str):
    """Print the leaderboard as notebook ``notebook`` sees it (rows up to it, in course order)."""
    later = {r["notebook"] for r in rows if r["notebook"] != "--" and r["notebook"] > notebook}
    table = table[~table["notebook"].isin(later)].reset_index(drop=True)  # course order: not ahead of this one
    rows = [r for r in rows if r["notebook"] not in later]
    present = {r["notebook"] for r in rows}
    missing = [nb for nb in REPORTING_NOTEBOOKS if nb < notebook and nb not in present]
    print(f"Leaderboard ({profile} profile, {len(table)} entries): test QWK with its 95% bootstrap "
          "interval, number of test essays and number of training essays of every model you have scored "
          "so far in this profile, up to this notebook.")
    if missing:
        print(f"Not in it yet: notebook(s) {', '.join(missing)} (no model of theirs scored here in this profile).")
    if later:
        print(f"Rows of later notebooks ({', '.join(sorted(later))}) are left out until you reach them.")
    tests = {r["n_test"] for r in rows if r.get("n_test")}
    if len(tests) > 1:
        print(f"Rows were scored on different test essays ({', '.join(sorted(tests, key=int))} of them): a QWK on "
              "a few essays is not comparable with one on many, and only rows on the same essays can be compared.")
    sizes = {r["n_train"] for r in rows if r["n_train"] not in ("", "–")}
    if len(sizes) > 1:
        print(f"Rows were trained on different numbers of essays ({', '.join(sorted(sizes, key=int))}): "
              "between such rows a gap mixes the method with the amount of training data.")
    print("A record of results, never used to choose a model: every choice is made on training or dev "
          "essays. Rows whose intervals overlap are not ranked by this table; only a paired comparison "
          "on the same essays can order them.")
    print(table.to_string(index=False))
    return table


def record(notebook: str, name: str, human, machine, n_train: int | None, profile: str,
           min_score: int = 0, max_score: int = 12, show: bool = False) -> None:
    """Add a test figure to the leaderboard (printing the table only if ``show``).

    The QWK, its 95% bootstrap interval and the number of test essays all come from the
    scores, so no row lacks them.
    """
    q = aes_metrics(human, machine, min_score, max_score)["QWK"]
    ci = bootstrap_ci(human, machine, "QWK", n=1000, seed=0)
    leaderboard(notebook, name, q, n_train, profile, show=show, n_test=len(as_scores(machine)),
                interval=(ci.low, ci.high))


def report(notebook: str, name: str, texts: Sequence[str], human, machine,
           baselines: dict[str, object], n_train: int | None, min_score: int = 0,
           max_score: int = 12, show_leaderboard: bool = True) -> dict[str, dict]:
    """A test figure as every notebook shows it: beside both baselines, then on the leaderboard.

    The baselines enter the leaderboard too (as notebook "--"), so the table always shows
    the lines to beat; their ``n_train`` is the number of essays they were fitted on.
    ``n_train=None`` marks a model with no training set (a second human rater).
    """
    from course_utils.config import profile_name

    rows = compare(name, texts, human, machine, baselines, min_score, max_score)
    profile = profile_name()[0]
    predictions = {label: model.predict(texts) for label, model in baselines.items()} | {name: machine}
    for label, pred in predictions.items():  # the model last, so it prints the table
        fitted_on = getattr(baselines[label], "n_train_", n_train) if label in baselines else n_train
        record("--" if label in baselines else notebook, label, human, pred, fitted_on, profile,
               min_score, max_score, show=show_leaderboard and label == name)
    return rows


def against_constant(rows: dict[str, dict], name: str, machine, min_margin: float = 0.05) -> float:
    """Print how far ``name`` (a row of :func:`report`) is above the constant predictor.

    A margin of ``min_margin`` QWK or less counts as no better: a model that learned
    nothing scores about 0, give or take noise. Also prints how many distinct scores the
    model gives (one score for every essay means it learned nothing). Returns the margin.
    """
    margin = rows[name]["QWK"] - rows[CONSTANT]["QWK"]
    verdict = "beats it" if margin > min_margin else f"no better than it: a margin under {min_margin} is noise"
    print(f"against the constant predictor: {margin:+.3f} QWK ({verdict}); "
          f"it gives {len(np.unique(machine))} distinct score(s) to the {len(machine)} test essays")
    return margin


RESULTS_URL = ("https://raw.githubusercontent.com/ai-scoring-course/ai-scoring-in-python/main/"
               "results/asap7.csv")


def published(row_id: str) -> dict | None:
    """One row of the course's results table (``results/asap7.csv``), or ``None``.

    Read from the checkout when the notebook runs inside one (``make lab``), else from
    the repository on GitHub (Colab); prints why when neither is reachable. The figures
    are never typed into a notebook: they come from this file, which
    ``python -m course_tools.results`` writes.
    """
    from pathlib import Path

    import pandas as pd

    here = Path.cwd().resolve()
    local = next((d / "results" / "asap7.csv" for d in (here, *here.parents)
                  if (d / "results" / "asap7.csv").is_file()), None)
    try:
        rows = pd.read_csv(local if local else RESULTS_URL)
    except Exception as exc:  # offline and outside a checkout
        print(f"The course's full-data figures are not reachable here ({type(exc).__name__}).")
        return None
    match = rows[rows["id"] == row_id]
    if match.empty:
        print("This model has no full-data figure yet.")
        return None
    return match.iloc[0].to_dict()


#: ASAP-7's reference split (``data.train_dev_test_split``): 1,255 essays outside the test set,
#: of which 189 are dev and 1,066 are the training split.
REFERENCE_TRAIN_DEV, REFERENCE_DEV = 1255, 189


def training_set(n_train: int) -> str:
    """What a published row's ``n_train`` essays are, in words.

    1,255 is train + dev (nothing held out); 1,066 is the training split alone, with the
    189 dev essays held out for the row's choices (the epoch, cutoffs); any other number
    is a subset of the training essays.
    """
    if n_train == REFERENCE_TRAIN_DEV:
        return f"train + dev ({n_train:,} essays)"
    if n_train == REFERENCE_TRAIN_DEV - REFERENCE_DEV:
        return (f"the {n_train:,} training essays (the {REFERENCE_DEV} dev essays held out for its "
                "choices, such as the epoch)")
    return f"{n_train:,} training essays"


def describe_published(row_id: str) -> str:
    """``published(row_id)`` as one sentence, e.g. for a notebook's printed comparison.

    Says "deterministic" when every seed gave the same figure (an SD of 0 over seeds is
    no precision), gives the test-sampling interval when the row has one, and the
    original workshop's figure when there is one.
    """
    row = published(row_id)
    if row is None:
        return "the same model on train + dev: not measured here"
    n_seeds = int(row["n_seeds"])
    if n_seeds > 1 and float(row["qwk_sd"]) == 0:
        spread = " (deterministic: every seed gives the same model)"
    elif n_seeds > 1:
        spread = f" ± {row['qwk_sd']:.3f} (mean ± SD over {n_seeds} training seeds)"
    else:
        spread = " (one seed)"
    text = (f"Full data: {row['label']}; trained on {training_set(int(row['n_train']))}, "
            f"test QWK {row['qwk_mean']:.3f}{spread}")
    low, high = row.get("qwk_ci_low"), row.get("qwk_ci_high")
    if _is_value(low) and _is_value(high):
        first = str(row.get("qwk_per_seed", "")).split()
        whose = ""
        if n_seeds > 1:
            whose = f" (the first seed's run, QWK {float(first[0]):.3f})" if first and _is_value(first[0]) \
                else " (the first seed's run)"
        text += f", 95% interval over test essays{whose} [{float(low):.3f}, {float(high):.3f}]"
    original = row.get("original")
    if _is_value(original):
        text += f"; the original workshop reported {float(original):.3f}"
    return text


def _is_value(x) -> bool:
    """A number that is there (not None, not an empty cell, not NaN)."""
    try:
        return x is not None and x == x and str(x).strip() != ""
    except Exception:
        return False
