"""The results tables' strongest CPU essay ensemble, built in one place for every table that runs it.

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
