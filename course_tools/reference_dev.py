"""Which CPU ensemble for the reference split? Chosen on its own dev set, not on the test set.

    python -m course_tools.reference_dev            # about 10 minutes on 2 CPU cores
    python -m course_tools.reference_dev --render   # the .md from the CSV, nothing run

The rubric ensemble's members were chosen on the literature folds' dev parts, which hold
the reference split's test essays (see ``results/asap7_literature.md``). This comparison
uses the reference split alone: each candidate is fitted on the training part less the dev
set carved from it (:func:`course_utils.data.train_dev_test_split`: 15%, 189 essays) and
scores the dev essays once, against rater 1 (0-12), cutoffs fitted on out-of-fold
predictions of the training essays as always. No test essay is read. The candidate with
the best dev QWK is the one the results table's rows stand beside (``ensemble_mpnet_2raters``
among the first four, ``ensemble_smollm_2raters`` among all six); each difference from the
rubric ensemble comes with a paired bootstrap interval over the dev essays (the same essays,
both candidates).
Writes ``results/asap7_reference_dev.csv`` and renders ``.md`` from it.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

from course_tools.ensemble_members import dev_best_ensemble, mpnet_ensemble
from course_tools.literature import ROOT

CSV_PATH = ROOT / "results" / "asap7_reference_dev.csv"
MD_PATH = ROOT / "results" / "asap7_reference_dev.md"
COMMAND = "python -m course_tools.reference_dev"
FIELDS = ["candidate", "target", "dev_qwk", "diff_vs_rubric", "diff_ci_low", "diff_ci_high", "chosen", "seconds",
          "n_train", "n_dev", "machine", "date", "vs_runner_up"]
BASELINE = "rubric ensemble"


def _rubric(random_state: int):
    from course_utils.ensembles import RubricEnsembleScorer

    return RubricEnsembleScorer(random_state=random_state)


#: name -> (scorer factory, train on the mean of both raters?)
CANDIDATES = {
    BASELINE: (_rubric, False),
    "rubric ensemble, both raters": (_rubric, True),
    "rubric ensemble + MPNet member": (mpnet_ensemble, False),
    "rubric ensemble + MPNet member, both raters": (mpnet_ensemble, True),
    "best literature-dev subset (with SmolLM2 members)": (dev_best_ensemble, False),
    "best literature-dev subset (with SmolLM2 members), both raters": (dev_best_ensemble, True),
}


def paired_diff_ci(y, a, b, n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of QWK(b) - QWK(a) over essays resampled together (0-12):
    :func:`course_utils.metrics.paired_bootstrap`."""
    from course_utils.metrics import paired_bootstrap

    result = paired_bootstrap(y, b, a, n_resamples=n, seed=seed, labels=range(13))
    return result.low, result.high


def render(rows: list[dict]) -> str:
    """``asap7_reference_dev.md`` from the stored rows (nothing is run)."""
    import pandas as pd

    from course_tools.tables import markdown_table

    table = pd.DataFrame([[r["candidate"], r["target"], r["dev_qwk"],
                           "" if r["candidate"] == BASELINE else
                           f"{r['diff_vs_rubric']} ({r['diff_ci_low']} to {r['diff_ci_high']})",
                           r["chosen"], r["seconds"]] for r in rows],
                         columns=["candidate", "regressors learn", "dev QWK (rater 1)",
                                  "difference from the rubric ensemble (95% paired interval)", "chosen", "seconds"])
    r0 = rows[0]
    unresolved = [r for r in rows[1:] if float(r["diff_ci_low"]) <= 0 <= float(r["diff_ci_high"])]
    verdict = (f"Here {len(unresolved)} of the {len(rows) - 1} intervals include 0." if unresolved else
               "No interval includes 0.")
    chosen = next((r for r in rows if r["chosen"] == "yes" and r.get("vs_runner_up")), None)
    if chosen:
        verdict += (f" The chosen candidate against the runner-up, paired on the same dev essays: "
                    f"{chosen['vs_runner_up']}.")
    return "\n".join([
        "# ASAP prompt 7, reference split: choosing the CPU ensemble on dev", "",
        f"Regenerate: `{COMMAND}` (writes `asap7_reference_dev.csv`; `--render` writes this file from it "
        "alone; do not edit either by hand).", "",
        f"Each candidate is fitted on the reference training part less its dev set ({r0['n_train']} essays) and "
        f"scores the {r0['n_dev']} dev essays once (QWK against rater 1, 0-12; cutoffs on out-of-fold "
        "predictions of the training essays). This comparison reads no test essay, but the candidates' "
        "members were chosen earlier on the literature folds' dev parts, which hold this split's test essays. "
        "The differences are paired (the same dev essays), with a 95% percentile bootstrap interval over essays "
        "(2,000 resamples, seed 0); the chosen candidate's interval comes after the selection (the best of six), "
        "so it is biased upward and is not evidence on its own. The rule: "
        "the best dev QWK is chosen. Where an interval includes 0, these dev essays do not show the two "
        "candidates to differ, and the choice rests on weak evidence. The two SmolLM2 candidates were added after "
        "the first four had been tested. Dev QWKs sit below the same ensembles' test QWKs (fewer training essays "
        "here, other essays, and a standard error of a few hundredths on 189 essays, measured in "
        "asap7_reference_subsets.md): they rank candidates, they do not measure "
        f"them against a goal. Machine: {r0['machine']}; {r0['date']}.", "",
        markdown_table(table, numparse=False), "", verdict, "",
        "Later, after these candidates had been tested, a wider search on the same dev essays chose among every "
        "subset of eight candidate members and both targets (510 combinations): `asap7_reference_subsets.md`, "
        "row `ensemble_refdev` in `asap7.md`, the last of the rows chosen on this dev set.", "",
    ])


def compare(seed: int = 42) -> list[dict]:
    """Every candidate fitted on train less dev, scored once on dev (rater 1)."""
    from course_tools.results import machine, train_dev
    from course_utils.config import seed_everything
    from course_utils.metrics import qwk

    train, dev = train_dev()
    y_dev = dev["rater1_domain1"].to_numpy()
    preds, rows = {}, []
    for name, (make, both) in CANDIDATES.items():
        seed_everything(seed)
        kwargs = {"target": ((train.rater1_domain1 + train.rater2_domain1) / 2).to_numpy()} if both else {}
        start = time.perf_counter()
        scorer = make(seed).fit(train.essay.tolist(), train.rater1_domain1.to_numpy(), **kwargs)
        preds[name] = scorer.predict(dev.essay.tolist())
        rows.append({"candidate": name, "target": "mean of both raters" if both else "rater 1",
                     "dev_qwk": f"{qwk(y_dev, preds[name], 0, 12):.4f}",
                     "seconds": f"{time.perf_counter() - start:.0f}", "n_train": len(train), "n_dev": len(dev),
                     "machine": machine(), "date": f"{datetime.now(timezone.utc):%Y-%m-%d}"})
        print(f"{name}: dev QWK {rows[-1]['dev_qwk']} ({rows[-1]['seconds']} s)", flush=True)
    best, runner_up = sorted(rows, key=lambda r: -float(r["dev_qwk"]))[:2]
    low, high = paired_diff_ci(y_dev, preds[runner_up["candidate"]], preds[best["candidate"]])
    best["vs_runner_up"] = (f"{float(best['dev_qwk']) - float(runner_up['dev_qwk']):+.4f} ({low:+.4f} to {high:+.4f}) "
                            f"against '{runner_up['candidate']}' ({runner_up['target']})")
    for r in rows:
        diff = float(r["dev_qwk"]) - float(rows[0]["dev_qwk"])
        low, high = (0.0, 0.0) if r is rows[0] else paired_diff_ci(y_dev, preds[BASELINE], preds[r["candidate"]])
        r.update(diff_vs_rubric=f"{diff:+.4f}", diff_ci_low=f"{low:+.4f}", diff_ci_high=f"{high:+.4f}",
                 chosen="yes" if r is best else "")
    return rows


def main(argv: list[str] | None = None) -> int:
    from course_tools.results import report_main

    return report_main(argv, __doc__.splitlines()[0], compare, CSV_PATH, MD_PATH, render, COMMAND, FIELDS)


if __name__ == "__main__":
    sys.exit(main())
