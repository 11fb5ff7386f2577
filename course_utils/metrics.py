"""Agreement metrics for automated scoring (Williamson, Xi & Breyer, 2012), taught in notebook 03.

* **QWK** -- quadratic weighted kappa on score *values*: we pass the full score range
  as ``labels`` to scikit-learn, which otherwise weights by label *position* and gives
  another number when a score point never occurs.
* **Acc** -- exact agreement; **Adj** -- adjacent agreement (|difference| <= 1).
* **SMD** -- standardised mean difference,
  ``(mean(machine) - mean(human)) / sqrt((sd_h**2 + sd_m**2) / 2)`` with population
  SDs: positive means the machine scores higher than the human.
* **r** -- Pearson correlation.

:func:`paired_bootstrap` compares two models scored on the same essays (notebook 03).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

from course_utils.checks import check_score_range

ArrayLike = Sequence[float] | np.ndarray | pd.Series


def as_scores(values: ArrayLike, name: str = "scores") -> np.ndarray:
    """Validate integer scores and return them as an ``int`` NumPy array.

    Raises ``ValueError`` naming the problem: empty input, non-numeric values, NaN,
    or non-integer values (such as 3.5).
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty.")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError):
            bad = next(v for v in arr if not _is_number(v))
            raise ValueError(f"{name} must be numeric; found {bad!r}.") from None
    arr = arr.astype(float)
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains {int(np.isnan(arr).sum())} NaN value(s); drop or fill them.")
    if not np.all(arr == np.round(arr)):
        bad = arr[arr != np.round(arr)][0]
        raise ValueError(
            f"{name} must be integer scores; found {bad}. Round or map continuous "
            "predictions to score points first (e.g. with OptimizedCutoffs)."
        )
    return arr.astype(int)


def softmax(logits, axis: int = -1) -> np.ndarray:
    """Probabilities from scores: ``exp(z) / sum(exp(z))`` along ``axis``.

    The largest score is subtracted first; the result is the same, and ``exp`` never
    overflows. The course's one softmax (fine-tuned classifiers, the LoRA scorer's score
    tokens, the short-answer graders all use it).
    """
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def _is_number(value: object) -> bool:
    try:
        return float(value) is not None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _pair(
    human: ArrayLike, machine: ArrayLike, min_score: int | None, max_score: int | None
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    h = as_scores(human, "human")
    m = as_scores(machine, "machine")
    if len(h) != len(m):
        raise ValueError(f"human and machine have different lengths ({len(h)} vs {len(m)}).")
    lo = int(min(h.min(), m.min())) if min_score is None else int(min_score)
    hi = int(max(h.max(), m.max())) if max_score is None else int(max_score)
    if lo > hi:
        raise ValueError(f"min_score ({lo}) is above max_score ({hi}).")
    check_score_range(h, lo, hi, "human")
    check_score_range(m, lo, hi, "machine")
    return h, m, list(range(lo, hi + 1))


def qwk(
    human: ArrayLike, machine: ArrayLike, min_score: int | None = None, max_score: int | None = None
) -> float:
    """Quadratic weighted kappa on score values (the full range ``min..max`` as labels)."""
    h, m, labels = _pair(human, machine, min_score, max_score)
    if len(labels) == 1:
        return 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(cohen_kappa_score(h, m, labels=labels, weights="quadratic"))


def qwk_closed_form(human: np.ndarray, machine: np.ndarray) -> float:
    """QWK of two integer score arrays in closed form, for inner loops (no input checks).

    With quadratic weights the disagreement expected by chance is
    ``N * (var(h) + var(m) + (mean(h) - mean(m))**2)``, so
    ``QWK = 1 - sum((h - m)**2) / that``: the same value as :func:`qwk` (which checks
    its input and uses scikit-learn) in a few microseconds. Returns NaN when both
    arrays are the same constant. Used by :class:`course_utils.cutoffs.OptimizedCutoffs`.
    """
    h = np.asarray(human, dtype=float)
    m = np.asarray(machine, dtype=float)
    expected = len(h) * (h.var() + m.var() + (h.mean() - m.mean()) ** 2)
    if expected == 0:
        return float("nan")
    return float(1.0 - np.sum((h - m) ** 2) / expected)


def _metric_rows(name: str, human: np.ndarray, machine: np.ndarray, idx: np.ndarray, block: int = 2_000_000):
    """``metric(human[i], machine[i])`` for every row ``i`` of the index matrix ``idx`` at once.

    ``name``: ``"QWK"`` (:func:`qwk_closed_form`), ``"Acc"``, ``"Adj"`` or ``"SMD"`` (:func:`smd`), with their
    arithmetic row by row (squared scalars squared as scalars): a loop's values, in a few array operations.
    ``block`` bounds the resampled scores held in memory at once.
    """
    if name not in ("QWK", "Acc", "Adj", "SMD"):
        raise ValueError(f"_metric_rows knows QWK, Acc, Adj and SMD, got {name!r}.")
    out, step = np.empty(len(idx)), max(1, block // max(1, idx.shape[1]))
    for start in range(0, len(idx), step):
        h, m = human[idx[start:start + step]].astype(float), machine[idx[start:start + step]].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if name in ("Acc", "Adj"):
                value = np.mean(h == m if name == "Acc" else np.abs(h - m) <= 1, axis=1)
            elif name == "QWK":
                expected = h.shape[1] * (h.var(axis=1) + m.var(axis=1) + np.array([d ** 2 for d in h.mean(1) - m.mean(1)]))
                value = np.where(expected == 0, np.nan, 1.0 - np.sum((h - m) ** 2, axis=1) / expected)
            else:
                pooled = np.sqrt(np.array([a ** 2 + b ** 2 for a, b in zip(h.std(axis=1), m.std(axis=1))]) / 2)
                diff = m.mean(axis=1) - h.mean(axis=1)
                value = np.where(pooled == 0, np.where(diff == 0, 0.0, np.nan), diff / pooled)
        out[start:start + step] = value
    return out


def smd(human: ArrayLike, machine: ArrayLike) -> float:
    """Standardised mean difference, positive when the machine scores higher."""
    h = np.asarray(human, dtype=float)
    m = np.asarray(machine, dtype=float)
    pooled = np.sqrt((h.std() ** 2 + m.std() ** 2) / 2)
    diff = m.mean() - h.mean()
    if pooled == 0:
        return 0.0 if diff == 0 else float("nan")
    return float(diff / pooled)


def aes_metrics(
    human: ArrayLike, machine: ArrayLike, min_score: int | None = None, max_score: int | None = None
) -> dict[str, float]:
    """All agreement statistics for one set of machine scores against human scores.

    Returns a dict with ``QWK``, ``Acc`` (exact), ``Adj`` (within 1 point), ``SMD``
    (positive = machine higher), ``r`` (Pearson), ``N``, and the two means.
    ``min_score``/``max_score`` declare the score range (default: the observed range).
    """
    h, m, labels = _pair(human, machine, min_score, max_score)
    if h.std() == 0 or m.std() == 0:
        r = float("nan")  # correlation is undefined for a constant series
    else:
        r = float(np.corrcoef(h, m)[0, 1])
    return {
        "QWK": qwk(h, m, labels[0], labels[-1]),
        "Acc": float(np.mean(h == m)),
        "Adj": float(np.mean(np.abs(h - m) <= 1)),
        "SMD": smd(h, m),
        "r": r,
        "N": int(len(h)),
        "mean_human": float(h.mean()),
        "mean_machine": float(m.mean()),
    }


def _resampled_stats(h: np.ndarray, m: np.ndarray) -> dict[str, np.ndarray]:
    """QWK, r and SMD of each row of two (resamples x essays) arrays, all rows at once."""
    h, m = h.astype(float), m.astype(float)
    mh, mm, vh, vm = h.mean(axis=1), m.mean(axis=1), h.var(axis=1), m.var(axis=1)
    cov = ((h - mh[:, None]) * (m - mm[:, None])).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "QWK": 1 - ((h - m) ** 2).mean(axis=1) / (vh + vm + (mh - mm) ** 2),  # qwk_closed_form
            "r": cov / np.sqrt(vh * vm),
            "SMD": (mm - mh) / np.sqrt((vh + vm) / 2),
        }


def williamson_check(
    human: ArrayLike, machine: ArrayLike, human2: ArrayLike | None = None,
    n_resamples: int = 1000, seed: int = 0, level: float = 0.95,
) -> pd.DataFrame:
    """The Williamson et al. (2012) acceptance criteria, one row each, with an interval.

    * QWK(human, machine) >= 0.70
    * Pearson r(human, machine) >= 0.70
    * degradation: QWK(human, human2) - QWK(human, machine) <= 0.10 (when ``human2`` given)
    * |SMD| <= 0.15 (``value`` and the interval are the signed SMD)

    ``pass`` compares the point estimate with the threshold. The interval is a percentile
    bootstrap (``n_resamples`` resamples of the essays, the same ones for every row), and
    ``verdict`` reads both: "pass" or "fail" when the whole interval lies on one side of
    the threshold, "... on the point estimate only" when the interval crosses it, and
    "n/a (by construction)" for the degradation row when ``machine`` *is* ``human2``
    (its degradation is 0 whatever the scores; ``pass`` is then missing).
    """
    stats = aes_metrics(human, machine)
    h, m = as_scores(human, "human"), as_scores(machine, "machine")
    if n_resamples < 10:
        raise ValueError(f"n_resamples must be at least 10, got {n_resamples}.")
    idx = np.random.default_rng(seed).integers(0, len(h), size=(n_resamples, len(h)))
    boot = _resampled_stats(h[idx], m[idx])
    rows = [("QWK >= 0.70", stats["QWK"], boot["QWK"], (0.70, None)),
            ("r >= 0.70", stats["r"], boot["r"], (0.70, None))]
    if human2 is not None:
        h2 = as_scores(human2, "human2")
        if len(h2) != len(h):
            raise ValueError(f"human2 has {len(h2)} scores but human has {len(h)}.")
        if np.array_equal(h2, m):
            rows.append(("QWK degradation from human-human <= 0.10", 0.0, None, (None, 0.10)))
        else:
            degradation = qwk(human, human2) - stats["QWK"]
            rows.append(("QWK degradation from human-human <= 0.10", degradation,
                         _resampled_stats(h[idx], h2[idx])["QWK"] - boot["QWK"], (None, 0.10)))
    rows.append(("|SMD| <= 0.15", stats["SMD"], boot["SMD"], (-0.15, 0.15)))
    alpha = (1 - level) / 2
    records = []
    for criterion, value, resampled, (lo, hi) in rows:
        threshold = lo if hi is None else hi
        if resampled is None:
            records.append((criterion, round(value, 4), "", threshold, pd.NA, "n/a (by construction)"))
            continue
        low, high = np.nanquantile(resampled, [alpha, 1 - alpha]) if np.isfinite(resampled).any() else (np.nan,) * 2
        passes = (lo is None or value >= lo) and (hi is None or value <= hi)
        if not np.isfinite(value):
            verdict = "undefined"
        elif (lo is None or low >= lo) and (hi is None or high <= hi):
            verdict = "pass"
        elif (lo is not None and high < lo) or (hi is not None and low > hi):
            verdict = "fail"
        else:
            verdict = f"{'pass' if passes else 'fail'} on the point estimate only"
        records.append((criterion, round(float(value), 4), f"[{round(low, 3) + 0.0:.3f}, {round(high, 3) + 0.0:.3f}]", threshold,
                        bool(passes), verdict))
    table = pd.DataFrame(records, columns=["criterion", "value", f"{level:.0%} interval", "threshold",
                                           "pass", "verdict"])
    table["pass"] = table["pass"].astype("boolean")
    return table


class ConfidenceInterval(NamedTuple):
    """A point estimate with a percentile bootstrap interval."""

    estimate: float
    low: float
    high: float


def _resample_index(rng: np.random.Generator, n_items: int, n_resamples: int,
                    groups: ArrayLike | None = None) -> np.ndarray | list[np.ndarray]:
    """Bootstrap resamples of ``n_items`` items drawn with replacement (an array, a row each), or with
    ``groups`` (one id per item) whole groups drawn so (a list: resamples differ in length)."""
    if groups is None:
        return rng.integers(0, n_items, size=(n_resamples, n_items))
    g = np.asarray(groups)
    if len(g) != n_items:
        raise ValueError(f"groups must have one id per item ({n_items}), got {len(g)}.")
    members = [np.flatnonzero(g == u) for u in np.unique(g)]
    if len(members) < 2:
        raise ValueError("groups holds a single group: there is nothing to resample.")
    return [np.concatenate([members[j] for j in rng.integers(0, len(members), len(members))])
            for _ in range(n_resamples)]


def bootstrap_ci(human: ArrayLike, machine: ArrayLike, metric: str | Callable[[np.ndarray, np.ndarray], float] = "QWK",
                 n: int = 1000, seed: int = 0, level: float = 0.95, groups: ArrayLike | None = None,
                 ) -> ConfidenceInterval:
    """Percentile bootstrap interval of a metric, resampling essays with replacement.

    ``metric`` is a key of :func:`aes_metrics` (``"QWK"``, ``"Acc"``, ``"SMD"``, ...)
    or a function ``f(human, machine) -> float``. The score range is fixed to the
    full sample's, so every resample's QWK uses the same labels. ``groups`` (one id per
    item, e.g. the question of each short answer) resamples whole groups instead of
    items: answers to one question are not independent of each other. Resamples where
    the metric is undefined (NaN) are skipped.
    """
    h, m, labels = _pair(human, machine, None, None)
    if n < 10:
        raise ValueError(f"n must be at least 10 bootstrap resamples, got {n}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}.")
    if callable(metric):
        fn = metric
    else:
        keys = ("QWK", "Acc", "Adj", "SMD", "r")
        if metric not in keys:
            raise ValueError(f"metric must be one of {keys} or a function, got {metric!r}.")

        fast = {"QWK": qwk_closed_form, "Acc": lambda a, b: float(np.mean(a == b)),
                "Adj": lambda a, b: float(np.mean(np.abs(a - b) <= 1)), "SMD": smd}

        def fn(a: np.ndarray, b: np.ndarray) -> float:  # the one metric asked for, not all of them
            return fast[metric](a, b) if metric in fast else aes_metrics(a, b, labels[0], labels[-1])[metric]

    idx = _resample_index(np.random.default_rng(seed), len(h), n, groups)
    values = (_metric_rows(metric, h, m, idx) if metric in ("QWK", "Acc", "Adj", "SMD") and groups is None
              else np.array([fn(h[i], m[i]) for i in idx], dtype=float))  # all at once: the loop's values
    alpha = (1 - level) / 2
    low, high = np.nanquantile(values, [alpha, 1 - alpha])
    return ConfidenceInterval(float(fn(h, m)), float(low), float(high))


@dataclass(frozen=True)
class PairedComparison:
    """Result of :func:`paired_bootstrap`: metric(A) - metric(B) on the same essays."""

    difference: float  # on the full sample, A minus B
    low: float  # percentile interval of the resampled differences
    high: float
    a_wins: float  # share of resamples in which A's metric is strictly higher than B's
    n_resamples: int
    level: float
    n_used: int = 0  # resamples with a defined metric (NaN ones are skipped); 0: all of them
    metric: str = ""  # name for :meth:`verdict`: "QWK" for the default metric, "" for one passed in

    @property
    def wins(self) -> str:
        """How many resamples A wins, as a count: "A wins 998 of 1000" is clearer than 100%."""
        n = self.n_used or self.n_resamples
        return f"{round(self.a_wins * n)} of {n} resamples"

    @property
    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0."""
        return self.low > 0 or self.high < 0

    def verdict(self, a: str = "A", b: str = "B", items: str = "essays", metric: str | None = None) -> str:
        """One sentence from the interval; difference = first-named minus second-named. ``items``: what
        was scored; ``metric``: the difference's name ("QWK"), by default the one it was computed with."""
        metric = self.metric if metric is None else metric
        d, lo, hi = (-self.difference, -self.high, -self.low) if self.high < 0 else (self.difference, self.low, self.high)
        span = f"{metric + ' ' if metric else ''}difference {d:+.3f}, {self.level:.0%} interval [{lo:+.3f}, {hi:+.3f}]"
        if self.low > 0:
            return f"{a} agrees better than {b} ({span}; {a} wins {self.wins})"
        if self.high < 0:
            return f"{b} agrees better than {a} ({span}; {a} wins {self.wins})"
        return f"these {items} cannot tell {a} and {b} apart ({span}; {a} wins {self.wins})"


def _paired_arrays(y_true, pred_a, pred_b, labels) -> tuple[np.ndarray, ...]:
    arrays = [as_scores(x, name) for x, name in ((y_true, "y_true"), (pred_a, "pred_a"), (pred_b, "pred_b"))]
    lengths = [len(x) for x in arrays]
    if len(set(lengths)) != 1:
        raise ValueError(f"y_true, pred_a and pred_b must have the same length, got {lengths}.")
    if lengths[0] == 0:
        raise ValueError("y_true, pred_a and pred_b are empty: there is nothing to compare.")
    if labels is not None:
        allowed = np.asarray(list(labels))
        for arr, name in zip(arrays, ("y_true", "pred_a", "pred_b")):
            bad = arr[~np.isin(arr, allowed)]
            if bad.size:
                raise ValueError(
                    f"{name} has {bad.size} score(s) outside labels {allowed.min()}..{allowed.max()} "
                    f"(e.g. {bad[0]}); pass the full score range as labels."
                )
    return tuple(arrays)


def paired_bootstrap(
    y_true: ArrayLike,
    pred_a: ArrayLike,
    pred_b: ArrayLike,
    metric: Callable[[np.ndarray, np.ndarray], float] | None = None,
    n_resamples: int = 1000,
    seed: int = 42,
    labels: Sequence[int] | None = None,
    level: float = 0.95,
    groups: ArrayLike | None = None,
) -> PairedComparison:
    """Paired bootstrap of metric(y_true, pred_a) - metric(y_true, pred_b).

    Each resample draws essays with replacement; both models are scored on the *same*
    resample, so the difference's spread leaves out what the two models share (which
    essays are hard). ``metric`` defaults to QWK on score values (:func:`qwk_closed_form`,
    equal to :func:`qwk`). Resamples where the metric is undefined (NaN) are skipped.
    ``groups`` (one id per item, e.g. the question of each short answer) resamples whole
    groups instead of items: answers to one question are not independent of each other.
    """
    h, a, b = _paired_arrays(y_true, pred_a, pred_b, labels)
    if n_resamples < 10:
        raise ValueError(f"n_resamples must be at least 10, got {n_resamples}.")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}.")
    fn = qwk_closed_form if metric is None else metric
    idx = _resample_index(np.random.default_rng(seed), len(h), n_resamples, groups)
    diffs = (_metric_rows("QWK", h, a, idx) - _metric_rows("QWK", h, b, idx) if metric is None and groups is None
             else np.array([fn(h[i], a[i]) - fn(h[i], b[i]) for i in idx], dtype=float))  # all at once: same values
    diffs = diffs[~np.isnan(diffs)]
    if diffs.size == 0:
        raise ValueError("the metric is undefined (NaN) on every resample; are all scores one constant?")
    alpha = (1 - level) / 2
    low, high = np.quantile(diffs, [alpha, 1 - alpha])
    return PairedComparison(float(fn(h, a) - fn(h, b)), float(low), float(high), float(np.mean(diffs > 0)),
                            int(n_resamples), level, int(diffs.size), "QWK" if metric is None else "")


class SimplestChoice(NamedTuple):
    """Result of :func:`simplest_within_noise`."""

    best: object  # the setting with the highest metric on these essays
    chosen: object  # the simplest setting these essays cannot tell apart from ``best``
    comparisons: dict  # setting -> PairedComparison of ``best`` against it (``best`` itself left out)


def simplest_within_noise(
    y_true: ArrayLike,
    preds: dict,
    labels: Sequence[int] | None = None,
    n_resamples: int = 1000,
    seed: int = 42,
    metric: Callable[[np.ndarray, np.ndarray], float] | None = None,
) -> SimplestChoice:
    """The rule "the simplest setting within the noise of the best", stated before choosing.

    ``preds`` maps each setting to its predictions on the same (dev) essays, **simplest
    first**. The best setting is the one with the highest metric (QWK by default); the
    chosen one is the first setting, in the given order, whose paired bootstrap against
    the best (:func:`paired_bootstrap`) has an interval that contains 0. The best setting
    always qualifies, so a choice is always made.
    """
    if not preds:
        raise ValueError("preds is empty: there is no setting to choose from.")
    fn = qwk_closed_form if metric is None else metric
    h = as_scores(y_true, "y_true")
    values = {k: fn(h, as_scores(p, f"preds[{k!r}]")) for k, p in preds.items()}
    best = max(values, key=values.get)
    comparisons = {k: paired_bootstrap(y_true, preds[best], p, metric=metric, n_resamples=n_resamples,
                                       seed=seed, labels=labels)
                   for k, p in preds.items() if k != best}
    chosen = next(k for k in preds if k == best or not comparisons[k].excludes_zero)
    return SimplestChoice(best, chosen, comparisons)
