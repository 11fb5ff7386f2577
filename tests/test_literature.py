"""course_tools.literature: the five-fold protocol's runner, merge and table (fast, fake rows)."""

import numpy as np
import pandas as pd
import pytest

from course_tools import literature as L


@pytest.fixture()
def fake(monkeypatch):
    """Five folds of 20 fake essays; two rows, one perfect, one off by a point."""
    rng = np.random.default_rng(0)
    parts = []
    for k in range(5):
        y = rng.integers(0, 25, 20)
        parts.append(pd.DataFrame({"essay": [f"e{k}{i}" for i in range(20)], "domain1_score": y,
                                   "rater1_domain1": y // 2, "rater2_domain1": y - y // 2}))
    monkeypatch.setattr(L, "folds", lambda k: (parts[k], parts[k].iloc[:0], parts[k]))
    monkeypatch.setattr(L, "ROWS", {})
    L.row("perfect", "Perfect", run=lambda k: {"pred": parts[k].domain1_score.to_numpy(), "seconds": 1.0})
    L.row("off", "Off by one", run=lambda k: {"pred": np.clip(parts[k].domain1_score + 1, 0, 24),
                                              "seconds": 2.0}, note="a note")
    import course_tools.run_course as rc

    monkeypatch.setattr(rc, "machine", lambda: "test machine")
    return parts


def test_run_merge_and_render(fake, tmp_path):
    csv, md = tmp_path / "t.csv", tmp_path / "t.md"
    assert L.main(["--csv", str(csv), "--md", str(md)]) == 0
    rows = {r["id"]: r for r in L.read_csv(csv)}
    assert float(rows["perfect"]["qwk_mean"]) == 1.0 and float(rows["perfect"]["qwk_sd"]) == 0.0
    assert 0.9 < float(rows["off"]["qwk_mean"]) < 1.0 and len(rows["off"]["qwk_per_fold"].split()) == 5
    text = md.read_text()
    assert "`domain1_score`" in text and "Taghipour & Ng (2016)" in text and "a note" in text
    # every published figure names its source and whether it was checked
    for p in L.PUBLISHED:
        assert p["citation"] and (p["status"].startswith("checked") or p["status"].startswith("reported"))
    # --only re-runs one row and keeps the other
    L.ROWS["off"]["label"] = "Off by one v2"
    assert L.main(["--only", "off", "--csv", str(csv), "--md", str(md)]) == 0
    rows = {r["id"]: r for r in L.read_csv(csv)}
    assert set(rows) == {"perfect", "off"} and rows["off"]["label"] == "Off by one v2"
    with pytest.raises(SystemExit):
        L.main(["--only", "nothing", "--csv", str(csv), "--md", str(md)])


def test_the_rows_cover_every_cpu_essay_scorer():
    import importlib

    fresh = importlib.reload(L)
    for rid in ("human", "tfidf_lr", "svd300_lr", "textstat_rf", "svd10_textstat_rf", "minilm_lr",
                "regression_ridge", "ensemble_cutoffs", "ensemble_rubric"):
        assert rid in fresh.ROWS
