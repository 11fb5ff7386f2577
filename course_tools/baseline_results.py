"""The two baselines every model must beat, as rows of ``results/asap7.md``.

Imported by :mod:`course_tools.results` (listed in its ``EXTRA_MODULES``); the rows are
measured with ``python -m course_tools.results --only baseline``. Both baselines are
:mod:`course_utils.baselines`, the same code notebooks 03-16 print beside each test
figure: a word-count line fitted on the training essays, and the training median.
"""

from __future__ import annotations

import time

from course_tools.results import TARGET, reference_data, register
from course_utils.baselines import CONSTANT, LENGTH_LINE, fit_baselines


def _run(name: str) -> dict:
    train, test = reference_data()
    start = time.perf_counter()
    model = fit_baselines(train.essay.tolist(), train[TARGET].to_numpy())[name]
    pred = model.predict(test.essay.tolist())
    return {"pred": pred, "seconds": time.perf_counter() - start, "n_train": len(train),
            "n_test": len(test)}


@register("baseline_length", "Reference", "Baseline: length line (word count, least squares)",
          seeds=1, note="deterministic; the floor every model must beat (notebook 03)")
def _length(seed: int) -> dict:
    return _run(LENGTH_LINE)


@register("baseline_constant", "Reference", "Baseline: constant score (training median)",
          seeds=1, note="deterministic; QWK is 0 by construction")
def _constant(seed: int) -> dict:
    return _run(CONSTANT)
