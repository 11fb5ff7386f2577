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

``--outcomes`` (commits with ``predict_outcome``, issue 28) fits the same graders and meets
everything else of each subject, the other 12 graded answers and all 50 junk answers, with
``predict_outcome``: the grades' QWK and issue 28's referral targets, pooled.

    python -m course_tools.guard_first_look --outcomes HEAD archaeology architecture
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
OUTCOMES = """
import sys, numpy as np, pandas as pd
from course_utils.short_answer import FewShotGrader, guard_eval as ge
from course_utils.metrics import qwk
sets = ge.load_eval_sets()
rows = []
for subject in sys.argv[2:]:
    s = sets[sets["subject"] == subject]
    s = s.assign(answer=s["answer"].fillna(""))
    graded = s[s["kind"] == "graded"].assign(grade=lambda g: g["grade"].astype(int))
    shots = graded.groupby("grade", group_keys=False).sample(4, random_state=0)
    rest = s.drop(shots.index)
    grader = FewShotGrader().fit(s["question"].iloc[0], shots["answer"].tolist(), shots["grade"].to_numpy())
    out = grader.predict_outcome(rest["answer"].tolist())
    rows.append(out.assign(subject=subject, category=rest["category"].to_numpy(), gold=rest["grade"].to_numpy(),
                           answer=rest["answer"].to_numpy()))
res = pd.concat(rows, ignore_index=True)
res["rejected"] = (res["reason"] != "") & ~res["referred"]
res["zero_or_referred"] = (res["grade"] == 0) | res["referred"]
print(res.groupby("category").agg(answers=("grade", "size"), graded_0=("grade", lambda g: float((g == 0).mean())),
                                  referred=("referred", "mean"), graded_0_or_referred=("zero_or_referred", "mean"),
                                  rejected=("rejected", "mean")).round(3).to_string())
real = res[res["category"] == "real_answer"]
gold = real["gold"].astype(int)
print("\\ngrading (12 real answers per subject):")
for subject, g in [*real.groupby("subject"), ("pooled", real)]:
    print(f"  {subject}: QWK {qwk(g['gold'].astype(int), g['grade'], 0, 2):.3f}, "
          f"exact {float((g['gold'].astype(int) == g['grade']).mean()):.3f} ({len(g)} answers)")
nonsense = res[res["category"] == "on_topic_nonsense"]
other = res[~res["category"].isin(["real_answer", "on_topic_nonsense"])]
print(f"\\non-topic nonsense graded 0 or referred: {nonsense['zero_or_referred'].mean():.3f} (target >= 0.90)")
print(f"real answers referred: {real['referred'].mean():.3f} (target <= 0.15); rejected by the guard: "
      f"{real['rejected'].mean():.3f} (target <= 0.03)")
print(f"other junk graded 0: {(other['grade'] == 0).mean():.3f} (target 1.000)")
print("\\nnonsense neither graded 0 nor referred:")
print(nonsense[~nonsense["zero_or_referred"]][["subject", "grade", "answer"]].to_string())
print("\\nreal answers referred or rejected:")
print(real[real["reason"] != ""][["subject", "gold", "grade", "reason", "answer"]].to_string())
"""


def main(argv: list[str]) -> None:
    surprise, grading, outcomes = "--surprise" in argv, "--grading" in argv, "--outcomes" in argv
    argv = [a for a in argv if a not in ("--surprise", "--grading", "--outcomes")]
    if len(argv) < 2:
        sys.exit(__doc__)
    commit, subjects = argv[0], argv[1:]
    tmp = Path(tempfile.mkdtemp())
    tree = tmp / f"guard-{commit}"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), commit], check=True)
    try:
        for f in (ROOT / SETS).iterdir():
            shutil.copy(f, tree / SETS / f.name)
        subprocess.run([sys.executable, "-c", OUTCOMES if outcomes else GRADING if grading else REPLAY,
                        "--surprise" if surprise else "--default", *subjects],
                       cwd=tree, check=True)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
