"""Replay the first time a batch of hand-written sets met the guard: the guard of an old commit.

``course_utils/short_answer/eval_sets/README.md`` records, for each batch written by a
helper who never saw the guard, what the guard of that day did with it (both halves,
as delivered). This regenerates those figures: it checks the old commit out in a
temporary git worktree, copies today's evaluation sets into it, and grades the named
subjects there, dev and held-out halves together (so a later re-split of the halves
does not matter).

    python -m course_tools.guard_first_look 6040f8a physics economics computer_science
    python -m course_tools.guard_first_look 129426e english health music

``--surprise`` (commits from ``9887fec`` on) grades with the guard's opt-in layer 5 switched on
(:class:`~course_utils.short_answer.surprise.SurpriseCheck` with its defaults).

``--grading`` replays the grading half instead: per subject, ``FewShotGrader()`` (default guard)
fitted on 12 graded answers (4 per grade, ``DataFrame.sample`` with ``random_state=0``) grades
the other 12; QWK (labels 0-2) and exact agreement per subject and pooled.

    python -m course_tools.guard_first_look --grading 890d8e2 horticulture classical_civilisation
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = Path("course_utils/short_answer/eval_sets")
REPLAY = """
import sys, pandas as pd
from course_utils.short_answer import guard_eval as ge
surprise = sys.argv[1] == "--surprise"
if surprise:
    from course_utils.short_answer import Guard, SurpriseCheck
guard = Guard(surprise=SurpriseCheck()) if surprise else "default"
sets = ge.load_eval_sets()
sets = sets[sets["subject"].isin(sys.argv[2:])]
res = pd.concat([ge.evaluate_subjects(sets, guard=guard, split=half) for half in ("dev", "heldout")])
shares = res.assign(graded_0=(res["grade"] == 0).astype(float), flagged=res["flagged"].astype(float))
shares.loc[shares["category"] == "real_answer", "graded_0"] = float("nan")  # a real answer may deserve a 0
table = shares.groupby(["category", "subject"])[["graded_0", "flagged"]].mean().reset_index()
for value in ("graded_0", "flagged"):
    print(f"\\nshare {value} (both halves):")
    print(table.pivot(index="category", columns="subject", values=value).round(3).to_string())
print("\\njunk not graded 0:")
print(res[(res["category"] != "real_answer") & (res["grade"] != 0)][["subject", "category", "answer"]].to_string())
print("\\nreal answers flagged:")
print(res[(res["category"] == "real_answer") & res["flagged"]][["subject", "gold", "reason", "answer"]].to_string())
"""
GRADING = """
import sys, numpy as np, pandas as pd
from course_utils.short_answer import FewShotGrader, guard_eval as ge
from course_utils.metrics import qwk
sets = ge.load_eval_sets()
rows = []
for subject in sys.argv[2:]:
    graded = sets[(sets["subject"] == subject) & (sets["kind"] == "graded")]
    graded = graded.assign(answer=graded["answer"].fillna(""), grade=graded["grade"].astype(int))
    shots = graded.groupby("grade", group_keys=False).sample(4, random_state=0)
    rest = graded.drop(shots.index)
    grader = FewShotGrader().fit(graded["question"].iloc[0], shots["answer"].tolist(), shots["grade"].to_numpy())
    rows.append(rest.assign(pred=grader.predict(rest["answer"].tolist()), reason=grader.reasons(rest["answer"].tolist())))
res = pd.concat(rows)
def scores(g):
    return pd.Series({"answers": len(g), "qwk": qwk(g["grade"], g["pred"], 0, 2),
                      "exact": float((g["grade"] == g["pred"]).mean())})
table = res.groupby("subject").apply(scores, include_groups=False)
table.loc["pooled"] = scores(res)
print(table.round(3).to_string())
print("\\nconfusion (rows gold, columns predicted), pooled:")
print(pd.crosstab(res["grade"], res["pred"]).to_string())
print("\\ngraded answers the guard rejected:")
print(res[res["reason"] != ""][["subject", "grade", "reason"]].to_string())
"""


def main(argv: list[str]) -> None:
    surprise, grading = "--surprise" in argv, "--grading" in argv
    argv = [a for a in argv if a not in ("--surprise", "--grading")]
    if len(argv) < 2:
        sys.exit(__doc__)
    commit, subjects = argv[0], argv[1:]
    tmp = Path(tempfile.mkdtemp())
    tree = tmp / f"guard-{commit}"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), commit], check=True)
    try:
        for f in (ROOT / SETS).iterdir():
            shutil.copy(f, tree / SETS / f.name)
        subprocess.run([sys.executable, "-c", GRADING if grading else REPLAY,
                        "--surprise" if surprise else "--default", *subjects],
                       cwd=tree, check=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
