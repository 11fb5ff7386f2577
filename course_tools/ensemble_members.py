"""The results tables' strongest CPU essay ensembles and their candidate members, in one place.

:mod:`course_tools.literature` (the literature's five folds; it compares every subset of
:func:`dev_members` on the folds' dev parts), :mod:`course_tools.results` (the reference split)
and :mod:`course_tools.reference_dev` (its dev-set choice) all fit them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

#: The literature folds' dev comparison of member subsets (``python -m course_tools.literature --dev``).
DEV_CSV_PATH = Path(__file__).resolve().parent.parent / "results" / "asap7_literature_dev.csv"


def dev_members() -> dict[str, Callable[[], object]]:
    """Candidate members: the course's two regressors, with and without rubric counts, char n-grams,
    the ridge member with MPNet embeddings, and two on SmolLM2-135M's layer-18 hidden states (ridge on
    them alone, and the ridge member with them in place of MiniLM's embeddings)."""
    from course_utils.ensembles import CharNgramScorer
    from course_utils.hub import MPNET_ID, SMOLLM_ID
    from course_utils.scorers import RegressionScorer

    return {
        "ridge": lambda: RegressionScorer("ridge"),
        "ridge+rubric": lambda: RegressionScorer("ridge", rubric=True),
        "gbm": lambda: RegressionScorer("gbm", svd_dim=20, embeddings=False),
        "gbm+rubric": lambda: RegressionScorer("gbm", svd_dim=20, embeddings=False, rubric=True),
        "char": lambda: CharNgramScorer(),
        "ridge+rubric+mpnet": lambda: RegressionScorer("ridge", rubric=True, model_id=MPNET_ID),
        "smollm": lambda: RegressionScorer("ridge", svd_dim=0, textstat=False, model_id=SMOLLM_ID),
        "ridge+rubric+smollm": lambda: RegressionScorer("ridge", rubric=True, model_id=SMOLLM_ID),
    }


def best_dev_subset(rows: list[dict]) -> list[str]:
    """The member names of the subset with the best mean dev QWK over the folds (the stored rows)."""
    if not rows:
        raise FileNotFoundError(f"{DEV_CSV_PATH} holds no rows: measure the dev comparison first "
                                "(`python -m course_tools.literature --dev`).")
    return max(rows, key=lambda r: float(r["dev_qwk_mean"]))["subset"].split(" + ")


#: Every candidate member of :func:`dev_members`, in words (for tables that name members).
MEMBER_LEGEND = {
    "ridge": "ridge regression on SVD(100) of TF-IDF + textstat + MiniLM embeddings",
    "ridge+rubric": "ridge on SVD(100) + textstat + rubric counts (spelling, punctuation, vocabulary, organisation "
                    "markers) + MiniLM embeddings",
    "gbm": "gradient boosting on SVD(20) + textstat",
    "gbm+rubric": "gradient boosting on SVD(20) + textstat + rubric counts",
    "char": "ridge on TF-IDF of character 2-5-grams",
    "ridge+rubric+mpnet": "ridge on SVD(100) + textstat + rubric counts + all-mpnet-base-v2 embeddings",
    "smollm": "ridge on SmolLM2-135M's layer-18 hidden states alone (mean over the essay's tokens)",
    "ridge+rubric+smollm": "ridge on SVD(100) + textstat + rubric counts + SmolLM2-135M's layer-18 hidden states",
}


def member_legend(names=None) -> str:
    """``name = words; ...`` for ``names`` (all candidates by default)."""
    return "; ".join(f"{n} = {MEMBER_LEGEND[n]}" for n in (names or MEMBER_LEGEND))


def best_dev_subset_rows() -> list[str]:
    """:func:`best_dev_subset` of the stored dev comparison (``results/asap7_literature_dev.csv``)."""
    rows = []
    if DEV_CSV_PATH.is_file():
        with DEV_CSV_PATH.open(newline="") as f:
            rows = list(csv.DictReader(f))
    return best_dev_subset(rows)


def dev_best_note() -> str:
    """The stored best subset's members, named and described: what a row that fits it says it fitted."""
    names = best_dev_subset_rows()
    return f"members: {' + '.join(names)} ({member_legend(names)})"


def mpnet_ensemble(random_state: int | None = 42):
    """The rubric ensemble with a fourth member: ridge on SVD + textstat + rubric counts + MPNet.

    all-mpnet-base-v2 (768 numbers per essay, up to 384 tokens) in place of MiniLM in the ridge
    member's features; the four members' mean, then cutoffs on their mean out-of-fold
    prediction. Chosen as a fourth member on the folds' dev parts
    (``python -m course_tools.literature_members --members mpnet``).
    """
    from course_utils.ensembles import RubricEnsembleScorer, rubric_members
    from course_utils.hub import MPNET_ID
    from course_utils.scorers import RegressionScorer

    mpnet = RegressionScorer("ridge", svd_dim=100, embeddings=True, rubric=True, model_id=MPNET_ID,
                             random_state=random_state)
    return RubricEnsembleScorer(members=[*rubric_members(random_state), mpnet], random_state=random_state)


def dev_best_ensemble(random_state: int | None = 42):
    """The subset of candidate members with the best mean dev QWK on the literature folds.

    Read from ``results/asap7_literature_dev.csv`` (``python -m course_tools.literature --dev``);
    today's candidates include two members on SmolLM2-135M's hidden states. The members' mean,
    then cutoffs on their mean out-of-fold prediction (:class:`EnsembleScorer`).
    """
    from course_utils.regression_scorers import EnsembleScorer

    members = dev_members()
    return EnsembleScorer([members[name]() for name in best_dev_subset_rows()], random_state=random_state)
