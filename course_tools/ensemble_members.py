"""The results tables' strongest CPU essay ensembles, built in one place for every table that runs them.

:mod:`course_tools.literature` (the literature's five folds), :mod:`course_tools.results` (the
reference split) and :mod:`course_tools.reference_dev` (its dev-set choice) all fit it.
"""

from __future__ import annotations


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
    from course_tools.literature import DEV_CSV_PATH, best_dev_subset, dev_members
    from course_tools.results import read_csv
    from course_utils.regression_scorers import EnsembleScorer

    members = dev_members()
    return EnsembleScorer([members[name]() for name in best_dev_subset(read_csv(DEV_CSV_PATH))],
                          random_state=random_state)
