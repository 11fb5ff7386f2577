"""Tests of course_utils.short_answer: Newton solver, implicit gradient, relevance guard, grader."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from course_utils import short_answer as sa
from course_utils.short_answer.evaluation import latency_benchmark, latency_runs
from course_utils.short_answer.features import (
    DEFAULT_EMBEDDING_MODEL,
    adaptive_features,
    bank_features,
    has_content,
    is_question_copy,
    surface_features,
)
from course_utils.short_answer.guard_eval import adversarial_set
from course_utils.short_answer.junk import JUNK_CATEGORIES, make_junk


def _data(n=60, d=8, k=3, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d))
    y = rng.integers(0, k, n)
    X = centres[y] + rng.normal(scale=1.5, size=(n, d))
    return X, y


@pytest.mark.parametrize(
    "n,d,k,l2",
    [(60, 8, 3, 1.0), (200, 5, 4, 0.1), (30, 384, 3, 0.7), (25, 50, 2, 3.0)],
)
def test_newton_matches_sklearn(n, d, k, l2):
    X, y = _data(n, d, k)
    if d > 100:
        X = X / np.linalg.norm(X, axis=1, keepdims=True)  # like sentence embeddings
    ours = sa.newton_logreg(X, y, n_classes=k, l2=l2)
    sk = LogisticRegression(C=1 / l2, tol=1e-12, max_iter=10_000).fit(X, y)
    if k == 2:  # scikit-learn fits one logit for two classes: the same model with C = 2 / l2
        sk = LogisticRegression(C=2 / l2, tol=1e-12, max_iter=10_000).fit(X, y)
    coef = sk.coef_ if k > 2 else np.vstack([-sk.coef_ / 2, sk.coef_ / 2])
    intercept = sk.intercept_ - sk.intercept_.mean() if k > 2 else np.r_[-sk.intercept_ / 2, sk.intercept_ / 2]
    assert np.allclose(ours.coef, coef, atol=1e-5)
    assert np.allclose(ours.intercept, intercept, atol=1e-5)
    assert np.allclose(sa.softmax_proba(X, ours.coef, ours.intercept), sk.predict_proba(X), atol=1e-6)
    assert ours.n_iter <= 15  # Newton: a handful of iterations


def test_newton_handles_missing_class_and_bad_input():
    X, y = _data(40, 6, 2)
    fit = sa.newton_logreg(X, y, n_classes=3, l2=1.0)  # class 2 never seen
    assert (sa.softmax_proba(X, fit.coef, fit.intercept)[:, 2] < 0.2).all()
    with pytest.raises(ValueError, match="l2"):
        sa.newton_logreg(X, y, 2, l2=0)
    with pytest.raises(ValueError, match="class indices"):
        sa.newton_logreg(X, y + 5, 2)
    with pytest.raises(ValueError, match="one label per row"):
        sa.newton_logreg(X, y[:-1], 2)


def test_meta_learning_lowers_the_query_loss():
    tasks = [(*_data(30, 10, 3, seed=s), *_data(30, 10, 3, seed=s + 100)) for s in range(3)]
    log_l2, history = sa.meta_learn_l2(tasks, n_classes=3, log_l2=-4.0, steps=10)
    assert history[-1]["loss"] < history[0]["loss"] - 0.01
    assert abs(history[-1]["grad"]) < abs(history[0]["grad"])


def test_junk_generators_cover_every_category():
    rng = np.random.default_rng(0)
    junk = make_junk("Why does the bulb light?", ["other answer"], ["other reference"], rng, per_category=2)
    assert set(junk["category"]) == set(JUNK_CATEGORIES)
    assert len(junk) == 2 * len(JUNK_CATEGORIES)
    evaluation = make_junk("q", [], [], rng, per_category=20, pool=1)
    training = make_junk("q", [], [], rng, per_category=20, pool=0)
    for cat in ("other_language", "off_domain_expert"):
        a = set(evaluation.loc[evaluation.category == cat, "answer"])
        b = set(training.loc[training.category == cat, "answer"])
        assert not a & b  # the evaluation pool never reuses a training sentence
    assert not has_content(" ...? ") and has_content("a")


QUESTION = "Why does a damaged bulb impact a circuit?"


@pytest.mark.parametrize(
    "question,answer,expected",
    [
        (QUESTION, QUESTION, True),
        (QUESTION, "why does a damaged bulb impact a circuit", True),
        (QUESTION, "Why does a damaged bulb", True),  # a fragment of the question
        (QUESTION, "the question is why does a damaged bulb impact a circuit?", True),
        ("Why?", "why", True),  # every question word, however short
        (QUESTION, "a damaged bulb creates a gap in the circuit", False),  # adds words: an answer
        (QUESTION, "because the bulb is damaged", False),
        (QUESTION, "circuit", False),  # too short to call a copy
        (QUESTION, "", False),
    ],
)
def test_question_copy_rule(question, answer, expected):
    assert is_question_copy(question, answer) is expected


def _unit(X):
    return X / np.linalg.norm(X, axis=-1, keepdims=True)


def test_adaptive_features_set_a_tighter_bar_for_tightly_clustered_answers():
    rng = np.random.default_rng(0)
    centre = _unit(rng.normal(size=32))
    tight = _unit(centre + 0.05 * rng.normal(size=(30, 32)))
    loose = _unit(centre + 0.4 * rng.normal(size=(30, 32)))
    answer = _unit(centre + 0.2 * rng.normal(size=32))
    z_tight = adaptive_features(answer, tight, centre)[0]
    z_loose = adaptive_features(answer, loose, centre)[0]
    assert z_tight[0] < -3 < z_loose[0]  # the same answer: an outlier only for the tight question
    assert z_tight[2] < z_loose[2]
    member = _unit(centre + 0.05 * rng.normal(size=32))  # one more answer like the tight ones
    assert adaptive_features(member, tight, centre)[0, 0] > -2
    with pytest.raises(ValueError, match="at least 2"):
        adaptive_features(answer, tight[:1], centre)


def test_bank_features_spot_answers_to_other_known_questions():
    e = np.eye(6)
    question, own = e[0], _unit(e[2] + 0.1 * e[4:6].sum(0)[None] * np.ones((5, 1)))
    bank_q = np.array([e[1], e[0]])  # an unrelated question, and this very question
    bank_c = np.array([e[3], e[2]])  # their answer centroids
    other_answer, my_answer = _unit(e[3] + 0.2 * e[2]), _unit(e[2] + 0.2 * e[3])
    f = bank_features(np.vstack([other_answer, my_answer]), own, question, bank_q, bank_c)
    assert f[0, 0] > 0.9 and f[0, 1] < 0  # closer to the other question's answers
    assert f[1, 0] < 0.3 and f[1, 1] > 0.5  # this question's own bank entry is skipped
    assert np.allclose(bank_features(my_answer, own, question, bank_q[1:], bank_c[1:])[0, 0], 0)


def test_surface_features_expose_repeated_patterns():
    rep = surface_features(["eoeoeoeoeo", "asdfasdfasdf", "the bulb is in a closed path"])[:, -1]
    assert rep[0] < 0.3 and rep[1] < 0.5 and rep[2] > 0.9


def test_grades_mapping():
    assert sa.grades_of(["correct", "contradictory", "incorrect"]).tolist() == [2, 1, 0]
    with pytest.raises(ValueError, match="Unknown 3-way"):
        sa.grades_of(["great"])


def test_grader_input_errors():
    g = sa.FewShotGrader()
    with pytest.raises(ValueError, match="not fitted"):
        g.predict(["x"])
    with pytest.raises(ValueError, match="equally long"):
        g.fit("q?", ["a", "b"], [1])
    with pytest.raises(ValueError, match="non-empty"):
        g.fit("", ["a"], [1])
    with pytest.raises(ValueError, match="below the zero grade"):
        sa.FewShotGrader(None).fit("q?", ["a", "b", "c"], [-1, 0, 2])
    with pytest.raises(ValueError, match="guard must be"):
        sa.FewShotGrader("strict").fit("q?", ["a", "b"], [0, 1])


# --- with the embedding model and the offline Beetle copy -----------------------------
def _beetle():
    from course_utils.data import data_dir, load_short_answers

    root = data_dir()
    if root is None or not (root / "beetle" / "beetle.csv").is_file():
        pytest.skip("offline Beetle copy not available")
    return load_short_answers("beetle")


@pytest.fixture(scope="module")
def guard_setup():
    df = _beetle()
    train = df[df["split"] == "train"]
    qids = sorted(train["question_id"].unique())
    fit_q, held_q = qids[::2], [q for q in qids if q not in qids[::2]][:3]
    small = train[train["question_id"].isin(fit_q)].groupby("question_id").head(40)
    ts = sa.RelevanceModel.training_set(small, negatives_per_question=6)
    rel = sa.RelevanceModel().fit(ts["question"], ts["answer"], ts["relevant"])
    return df, train, rel, held_q


@pytest.mark.slow
def test_relevance_guard_rejects_each_junk_category(guard_setup):
    df, train, rel, held_q = guard_setup  # held_q: questions the guard never saw
    adv = adversarial_set(df, held_q, per_category=4)
    parts = []
    for qid in held_q:
        shots = sa.sample_support(train[train["question_id"] == qid], 30)
        grader = sa.FewShotGrader(rel).fit(shots["question"].iloc[0], shots["student_answer"],
                                           sa.grades_of(shots["label_3way"]))
        mine = adv[adv["question_id"] == qid].copy()
        mine["flagged"] = grader.relevance(mine["answer"]) < grader.threshold
        assert (grader.predict(mine["answer"])[mine["flagged"].to_numpy()] == 0).all()  # the guard forces grade 0
        parts.append(mine)
    adv = pd.concat(parts)
    easy = adv[~adv["category"].str.startswith("other_question")]
    per_question = easy.groupby(["question_id", "category"])["flagged"].mean()
    assert (per_question == 1.0).all(), per_question[per_question < 1].to_dict()  # every easy input, every question
    hard = adv[adv["category"].str.startswith("other_question")].groupby("category")["flagged"].mean()
    assert (hard >= 0.5).all(), hard.to_dict()  # on-domain answers to other questions: the hard part
    assert adv["flagged"].mean() >= 0.9


@pytest.mark.slow
def test_copy_rule_zeroes_copies_the_model_alone_would_score(guard_setup):
    df, train, rel, held_q = guard_setup
    shots = sa.sample_support(train[train["question_id"] == held_q[0]], 30)
    question = shots["question"].iloc[0]
    context = shots["student_answer"].tolist()
    copies = [question, "the question is " + question.lower()]
    assert (rel.predict_proba(question, copies, context) == 0).all()
    rel.copy_rule = False
    try:
        assert (rel.predict_proba(question, copies, context) > 0).all()  # only the rule gives exactly 0
    finally:
        rel.copy_rule = True
    assert {"adaptive", "copy_rule", "question_bank"} <= set(rel.get_params())


@pytest.mark.slow
def test_grader_probabilities_and_regrade_uses_cache(guard_setup):
    df, train, rel, held_q = guard_setup
    shots = sa.sample_support(train[train["question_id"] == held_q[0]], 30)
    grader = sa.FewShotGrader(rel, l2=0.7).fit(shots["question"].iloc[0], shots["student_answer"],
                                               sa.grades_of(shots["label_3way"]))
    real = shots["student_answer"].tolist()[:5]
    proba = grader.predict_proba(real + ["asdfasdf"])
    assert proba.shape == (6, len(grader.grades_))
    assert np.allclose(proba.sum(1), 1)
    assert proba[-1, list(grader.grades_).index(0)] > 0.5
    assert (grader.relevance(real) >= 0.5).mean() >= 0.8  # real on-topic answers pass

    from course_utils import embeddings

    calls = []
    model = embeddings.load_encoder(grader.model_id)
    original = model.encode
    model.encode = lambda texts, **kw: calls.append(list(texts)) or original(texts, **kw)
    try:
        grader.predict(real + ["a brand new answer about the bulb 12345"])
    finally:
        model.encode = original
    new = "a brand new answer about the bulb 12345"
    # one forward pass, only for the new answer and what it adds to the question (the nonsense check's and the
    # classifier's "added" view)
    added = sa.content_words(grader.question_, new)
    assert len(calls) == 1 and sorted(calls[0]) == sorted([new, added])
    third = sa.FewShotGrader(rel, views=("answer", "added", "question_answer")).fit(
        shots["question"].iloc[0], shots["student_answer"], sa.grades_of(shots["label_3way"]))
    calls.clear()
    model.encode = lambda texts, **kw: calls.append(list(texts)) or original(texts, **kw)
    try:
        third.predict(["another new answer about the bulb 678"])
    finally:
        model.encode = original
    new = "another new answer about the bulb 678"
    added = sa.content_words(grader.question_, new)
    assert len(calls) == 1 and sorted(calls[0]) == sorted([new, added, f"{grader.question_} {new}"])


def test_latency_benchmark_embeds_texts_no_earlier_run_has_seen():
    """A second run in the same process must not time cached embeddings as 'incl. embedding'."""
    answers = [f"the bulb lights because the path {i} is closed" for i in range(6)]
    grades = np.array([2, 2, 1, 1, 0, 0])
    for _ in range(2):
        t = latency_benchmark("Why does the bulb light?", answers, grades, None, DEFAULT_EMBEDDING_MODEL,
                                 l2=1.0, n_runs=10, n_warmup=4).set_index("operation")["p50_ms"]
        assert t["fit incl. embedding the answers"] > 3 * t["fit from cached embeddings"]


def test_exports_are_what_notebooks_and_slides_use():
    """`short_answer` re-exports only names a notebook or deck uses as `sa.NAME`, and at most 45 of them."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    text = "\n".join(p.read_text(encoding="utf-8") for p in
                     sorted(root.glob("notebooks/*.py")) + sorted(root.glob("slides/*.py")))
    used = set(re.findall(r"\bsa\.([A-Za-z_]\w*)", text))
    assert len(sa.__all__) <= 45, f"{len(sa.__all__)} names exported; keep at most 45."
    unused = sorted(set(sa.__all__) - used)
    assert not unused, f"exported but used by no notebook or deck (import them from their module instead): {unused}"
    missing = sorted(n for n in used if n not in sa.__all__)
    assert not missing, f"notebooks or decks use sa.{missing} but short_answer does not export them"


@pytest.mark.parametrize("answer,reason", [
    ("", "no letters or digits"), ("?!...", "no letters or digits"), ("😂😂😂", "no letters or digits"),
    ("idk", "mostly words not in the dictionary"), ("blorft qwump the", "mostly words not in the dictionary"),
])
def test_structural_reasons_name_their_general_cause(answer, reason):
    """The reason says what the rule saw ("😂😂😂" has no letters; "idk" is no dictionary word)."""
    assert sa.structural_reason(answer, "Why does the bulb light?") == reason


def test_latency_benchmark_n_cold_sets_the_slow_runs():
    answers = [f"the bulb lights because path {i} is closed" for i in range(4)]
    t = latency_benchmark("Why does the bulb light?", answers, np.array([2, 2, 0, 0]), None,
                             DEFAULT_EMBEDDING_MODEL, l2=1.0, n_runs=6, n_warmup=0, n_cold=2)
    assert t["runs"].tolist() == [6, 2, 6]
    with pytest.raises(ValueError, match="n_cold"):
        latency_benchmark("Why?", answers, np.array([2, 2, 0, 0]), None, DEFAULT_EMBEDDING_MODEL,
                             l2=1.0, n_runs=6, n_cold=0)


def test_latency_runs_returns_every_timed_run_after_the_warm_up():
    """One row per counted run, in order; the summary's p50 / p95 are those runs' percentiles."""
    answers = [f"the bulb lights because path {i} is closed" for i in range(4)]
    runs = latency_runs("Why does the bulb light?", answers, np.array([2, 2, 0, 0]), None,
                        DEFAULT_EMBEDDING_MODEL, l2=1.0, n_runs=7, n_warmup=4, n_cold=3)
    assert runs.groupby("operation", sort=False).size().tolist() == [7, 3, 7]
    assert list(runs.columns) == ["operation", "run", "ms"] and (runs["ms"] > 0).all()
    regrades = runs[runs["operation"] == "live regrade (embed, characters, guard, grade)"]
    assert regrades["run"].tolist() == list(range(7))


def test_margin_column_sweeps_the_nonsense_threshold():
    """One run's margins give what Guard(nonsense_threshold=t) flags, for any t (layers 4-6 off)."""
    sets = sa.load_eval_sets()
    maths = sets[sets["subject"] == "mathematics"]
    base = sa.evaluate_subjects(maths, sa.Guard(), split="dev")
    early = ~base["reason"].isin(["", "on-topic nonsense"])
    assert base["margin"].notna().sum() > len(base) / 2
    for t in (-0.2, 0.15):
        other = sa.evaluate_subjects(maths, sa.Guard(nonsense_threshold=t), split="dev")
        assert (other["flagged"] == (early | (base["margin"] > t))).all(), t
    # the two thresholds flag different answers, so the check above can fail
    assert ((base["margin"] > -0.2) != (base["margin"] > 0.15))[~early].any()
    unguarded = sa.evaluate_subjects(maths, sa.Guard(nonsense=False), split="dev")
    assert unguarded["margin"].isna().all()


def test_evaluate_subjects_rows_are_what_each_grader_predicts_and_says():
    """One guard pass per answer (predict_with_reasons) gives predict's grade and reasons' reason."""
    sets = sa.load_eval_sets()
    maths = sets[sets["subject"] == "mathematics"]
    rows = sa.evaluate_subjects(maths, sa.Guard(), split="dev")
    graded = maths[maths["kind"] == "graded"].reset_index(drop=True)
    answers, grades = graded["answer"].tolist(), graded["grade"].astype(int).to_numpy()
    question = maths["question"].iloc[0]
    junk = maths[(maths["kind"] == "junk") & (maths["split"] == "dev")]["answer"].tolist()
    full = sa.FewShotGrader(sa.Guard()).fit(question, answers, grades)
    assert full.predict_with_reasons(junk)[0].tolist() == full.predict(junk).tolist()
    assert full.predict_with_reasons(junk)[1] == full.reasons(junk)
    got = rows[rows["category"] != "real_answer"]
    assert got["grade"].tolist() == full.predict(junk).tolist() and got["reason"].tolist() == full.reasons(junk)
    i = int(np.flatnonzero(graded["split"] == "dev")[0])  # the first real answer: left out of its grader
    loo = sa.FewShotGrader(sa.Guard()).fit(question, answers[:i] + answers[i + 1:], np.delete(grades, i))
    first = rows[rows["category"] == "real_answer"].iloc[0]
    assert (first["answer"], first["grade"], first["reason"]) == (answers[i], loo.predict([answers[i]])[0],
                                                                  loo.reasons([answers[i]])[0])
    assert first["gold"] == grades[i]


def test_hypergradient_with_cached_task_inputs_equals_a_fresh_computation():
    """The row space of a task is made once per task (it does not depend on l2); the numbers do not move."""
    from course_utils.short_answer import implicit

    X, y = _data(n=30, d=40, k=3, seed=1)
    Xq, yq = _data(n=20, d=40, k=3, seed=2)
    cached = [sa.hypergradient(X, y, Xq, yq, 3, r) for r in (-1.0, 0.0, 1.0)]
    assert len(implicit._TASK_INPUTS) >= 1
    fresh = []
    for r in (-1.0, 0.0, 1.0):
        implicit._TASK_INPUTS.clear()
        fresh.append(sa.hypergradient(X, y, Xq, yq, 3, r))
    assert cached == fresh
    other = sa.hypergradient(X, y, Xq[:10], yq[:10], 3, 0.0)  # another query set: another task
    assert other != cached[1]


def test_one_run_of_the_guard_shows_what_its_first_layers_alone_flag():
    """The first layer that objects decides and names itself: notebook 18 reads layers 1 and 1-2 from one run."""
    sets = sa.load_eval_sets()
    maths = sets[sets["subject"] == "mathematics"]
    full = sa.evaluate_subjects(maths, sa.Guard(), split="dev")
    rules = sa.evaluate_subjects(maths, sa.Guard(relevance_model=None, nonsense=False), split="dev")
    two = sa.evaluate_subjects(maths, sa.Guard(nonsense=False), split="dev")
    later = {"rules": ["", "off topic (relevance model)", "on-topic nonsense"], "two": ["", "on-topic nonsense"]}
    assert (rules["flagged"] == ~full["reason"].isin(later["rules"])).all()
    assert (two["flagged"] == ~full["reason"].isin(later["two"])).all()
    assert (rules["reason"][rules["flagged"]] == full["reason"][rules["flagged"]]).all()  # the same rule fired
    assert rules["flagged"].sum() < two["flagged"].sum() < full["flagged"].sum()  # each layer adds: can fail


def test_grader_inputs_are_the_views_side_by_side():
    from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL, _embed
    from course_utils.short_answer.grader import VIEWS, grader_inputs

    q, answers = "Why do plants need light?", ["to make food by photosynthesis", "", "light"]
    texts = sa.view_texts(q, answers)
    assert texts[:3] == ["to make food by photosynthesis", "(empty)", "light"]
    assert texts[3:6] == [sa.content_words(q, answers[0]), "(empty)", "(empty)"]  # "light" adds nothing
    assert texts[6:] == [f"{q} {answers[0]}", "(empty)", f"{q} light"]
    X = grader_inputs(q, answers, DEFAULT_EMBEDDING_MODEL, views=VIEWS)
    E = _embed(texts, DEFAULT_EMBEDDING_MODEL, False)
    d = E.shape[1]
    assert X.shape == (3, d * len(VIEWS))
    assert np.allclose(X[:, d:2 * d], E[3:6]) and np.allclose(X[:, :d], E[:3])
    only = grader_inputs(q, answers, DEFAULT_EMBEDDING_MODEL, views=("answer",))
    assert np.allclose(only, E[:3])
    assert np.allclose(grader_inputs(q, answers, DEFAULT_EMBEDDING_MODEL), X[:, :2 * d])  # the default: two views
    for bad in [(), ("answer", "answer"), ("answer", "essay")]:
        with pytest.raises(ValueError, match="views"):
            sa.FewShotGrader(None, views=bad).fit(q, answers[:1] + ["sun"], [1, 0])


def test_character_view_is_fitted_on_the_graded_answers_and_weighted():
    from course_utils.short_answer.features import DEFAULT_EMBEDDING_MODEL
    from course_utils.short_answer.grader import (
        char_ngram_vectorizer,
        grader_features,
        grader_inputs,
    )

    q = "Why do plants need light?"
    answers = ["to make food by photosynthesis", "light gives energy for photosynthesising", "they like it", ""]
    vec = char_ngram_vectorizer([*answers, q])
    assert "phot" in vec.vocabulary_ and "zzz" not in vec.vocabulary_
    C = vec.transform(["photosynthesis", "quantum chromodynamics"]).toarray()
    assert C[0].sum() > 0 and np.isclose(np.linalg.norm(C[0]), 1.0)  # shares pieces with the graded answers
    E = grader_inputs(q, ["photosynthesis", "quantum chromodynamics"], DEFAULT_EMBEDDING_MODEL)
    X = grader_features(q, ["photosynthesis", "quantum chromodynamics"], vec, 1.5)
    assert np.allclose(X[:, :E.shape[1]], E) and np.allclose(X[:, E.shape[1]:], 1.5 * C)
    assert np.allclose(grader_features(q, ["photosynthesis"], vec, 0.0), E[:1])  # weight 0: embeddings alone
    off = sa.FewShotGrader(None, char_weight=0).fit(q, answers, [2, 2, 1, 0])
    on = sa.FewShotGrader(None).fit(q, answers, [2, 2, 1, 0])
    assert off.vectorizer_ is None and off.coef_.shape[1] == E.shape[1]
    assert on.coef_.shape[1] == E.shape[1] + len(on.vectorizer_.vocabulary_)
    assert "grade" in on.predict_outcome(["photosynthesis makes food"]).columns
    for bad in (-1, float("nan"), "1.5", True):
        with pytest.raises(ValueError, match="char_weight"):
            sa.FewShotGrader(None, char_weight=bad).fit(q, answers, [2, 2, 1, 0])
    assert sa.FewShotGrader(None, char_weight=np.float32(1.5)).fit(q, answers, [2, 2, 1, 0]).vectorizer_ is not None


def test_meta_learning_history_ends_at_the_returned_l2_and_stops_at_tol():
    tasks = [(*_data(30, 10, 3, seed=s), *_data(30, 10, 3, seed=s + 100)) for s in range(3)]
    log_l2, history = sa.meta_learn_l2(tasks, n_classes=3, log_l2=-4.0, steps=5)
    assert len(history) == 6 and history[-1]["log_l2"] == log_l2
    assert np.isclose(history[-1]["loss"], np.mean([sa.hypergradient(*t, n_classes=3, log_l2=log_l2).loss
                                                     for t in tasks]))
    _, early = sa.meta_learn_l2(tasks, n_classes=3, log_l2=-4.0, steps=50, tol=1e9)
    assert len(early) == 1  # the first gradient is already below a huge tol
