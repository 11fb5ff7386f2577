import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from course_utils import metrics
from course_utils.metrics import aes_metrics, as_scores, bootstrap_ci, qwk, smd, williamson_check


def qwk_from_definition(a, b, lo, hi):
    """QWK straight from its definition: 1 - sum(w*O) / sum(w*E), w = (i-j)^2 / (k-1)^2."""
    k = hi - lo + 1
    observed = np.zeros((k, k))
    for x, y in zip(a, b):
        observed[x - lo, y - lo] += 1
    expected = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    i, j = np.indices((k, k))
    w = (i - j) ** 2 / (k - 1) ** 2
    return 1 - (w * observed).sum() / (w * expected).sum()


def test_reference_split_human_human(asap7):
    from course_utils.data import reference_split

    _, test = reference_split(asap7)
    m = aes_metrics(test.rater1_domain1, test.rater2_domain1)
    assert m["QWK"] == pytest.approx(0.7299561819547309, abs=1e-12)
    assert m["Acc"] == pytest.approx(0.321656050955414, abs=1e-12)
    # rater2 plays "machine": it scores higher than rater1, so SMD is positive.
    assert m["SMD"] == pytest.approx(0.1046846948907742, abs=1e-12)
    assert m["N"] == 314


def test_qwk_uses_score_values_not_label_positions():
    # Score point 1 never occurs: label-position weighting gives another number.
    human = [0, 0, 2, 3, 3, 2, 0, 3]
    machine = [0, 2, 2, 3, 2, 3, 0, 3]
    ours = qwk(human, machine, 0, 3)
    assert ours == pytest.approx(qwk_from_definition(human, machine, 0, 3))
    assert ours != pytest.approx(cohen_kappa_score(human, machine, weights="quadratic"))


def test_qwk_matches_definition_on_random_scores():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 13, 200)
    b = np.clip(a + rng.integers(-2, 3, 200), 0, 12)
    assert qwk(a, b, 0, 12) == pytest.approx(qwk_from_definition(a, b, 0, 12))


def test_perfect_and_adjacent_agreement():
    m = aes_metrics([1, 2, 3, 4], [1, 2, 3, 4])
    assert m["QWK"] == pytest.approx(1.0) and m["Acc"] == 1.0 and m["Adj"] == 1.0
    assert m["SMD"] == 0.0 and m["r"] == pytest.approx(1.0)
    m = aes_metrics([1, 2, 3, 4], [2, 3, 4, 6])
    assert m["Acc"] == 0.0 and m["Adj"] == 0.75


def test_smd_sign_machine_higher_is_positive():
    assert smd([1, 2, 3], [2, 3, 4]) > 0
    assert smd([2, 3, 4], [1, 2, 3]) < 0


def test_accepts_pandas_and_float_integers():
    m = aes_metrics(pd.Series([1.0, 2.0, 3.0]), np.array([1, 2, 2]))
    assert m["N"] == 3


@pytest.mark.parametrize(
    "human, machine, message",
    [
        ([1, 2, 3], [1, 2], "different lengths"),
        ([1, 2, np.nan], [1, 2, 3], "NaN"),
        ([1, 2, 3], [1, 2.5, 3], "integer scores"),
        (["a", "b"], [1, 2], "numeric"),
        ([], [], "empty"),
    ],
)
def test_bad_input_raises_clear_error(human, machine, message):
    with pytest.raises(ValueError, match=message):
        aes_metrics(human, machine)


def test_scores_outside_declared_range():
    with pytest.raises(ValueError, match="outside the range 0-12"):
        aes_metrics([0, 5, 13], [0, 5, 12], min_score=0, max_score=12)


def test_as_scores_rejects_2d():
    with pytest.raises(ValueError, match="one-dimensional"):
        as_scores([[1, 2], [3, 4]])


def test_williamson_check_rows_and_passes():
    rng = np.random.default_rng(0)
    h = rng.integers(0, 13, 300)
    good = np.clip(h + rng.integers(-1, 2, 300), 0, 12)
    table = williamson_check(h, good, human2=h)
    assert list(table["criterion"]) == [
        "QWK >= 0.70",
        "r >= 0.70",
        "QWK degradation from human-human <= 0.10",
        "|SMD| <= 0.15",
    ]
    assert table["pass"].all()
    bad = williamson_check(h, np.full(300, 12))
    assert not bad.set_index("criterion").loc["|SMD| <= 0.15", "pass"]
    assert len(bad) == 3  # no degradation row without a second human


def test_williamson_check_reads_the_interval_and_flags_a_second_human_as_machine():
    rng = np.random.default_rng(1)
    h = rng.integers(0, 13, 300)
    h2 = np.clip(h + rng.integers(-1, 2, 300), 0, 12)
    table = williamson_check(h, h2, human2=h2, n_resamples=500, seed=4).set_index("criterion")
    degradation = table.loc["QWK degradation from human-human <= 0.10"]
    assert degradation["verdict"] == "n/a (by construction)" and pd.isna(degradation["pass"])
    # the QWK row's interval is bootstrap_ci's with the same resamples
    ci = bootstrap_ci(h, h2, n=500, seed=4)
    assert table.loc["QWK >= 0.70", "95% interval"] == f"[{ci.low:.3f}, {ci.high:.3f}]"
    assert table.loc["QWK >= 0.70", "verdict"] == "pass"  # the whole interval is above 0.70
    # a machine whose QWK is near 0.70 on 40 essays: passes on the point estimate only
    few = np.arange(40) % 13
    near = few.copy()
    near[::3] = (few[::3] + 5) % 13
    row = williamson_check(few, near, n_resamples=500).set_index("criterion").loc["QWK >= 0.70"]
    low, high = (float(x) for x in row["95% interval"].strip("[]").split(", "))
    assert low < 0.70 < high
    assert row["verdict"] == ("pass" if row["value"] >= 0.70 else "fail") + " on the point estimate only"
    # a real machine keeps a degradation row with its own interval, paired on the same essays
    other = williamson_check(h, np.clip(h2 + 1, 0, 12), human2=h2).set_index("criterion")
    assert other.loc["QWK degradation from human-human <= 0.10", "95% interval"].startswith("[")
    assert other.loc["|SMD| <= 0.15", "value"] > 0  # signed: this machine scores higher


def test_bootstrap_ci_contains_estimate_and_is_reproducible():
    rng = np.random.default_rng(0)
    h = rng.integers(0, 13, 150)
    m = np.clip(h + rng.integers(-2, 3, 150), 0, 12)
    ci = bootstrap_ci(h, m, n=200, seed=3)
    assert ci.low <= ci.estimate <= ci.high
    assert ci == bootstrap_ci(h, m, n=200, seed=3)
    acc = bootstrap_ci(h, m, metric="Acc", n=100)
    assert 0 <= acc.low <= acc.high <= 1
    with pytest.raises(ValueError, match="metric must be one of"):
        bootstrap_ci(h, m, metric="F1")


def test_qwk_closed_form_equals_qwk():
    rng = np.random.default_rng(3)
    for n, k in ((20, 4), (150, 13), (400, 25)):
        h = rng.integers(0, k, n)
        m = np.clip(h + rng.integers(-3, 4, n), 0, k - 1)
        assert metrics.qwk_closed_form(h, m) == pytest.approx(metrics.qwk(h, m, 0, k - 1), abs=1e-12)
    # a score point that never occurs, and a constant machine
    h, m = np.array([0, 2, 4, 4, 2]), np.array([0, 4, 4, 2, 2])
    assert metrics.qwk_closed_form(h, m) == pytest.approx(metrics.qwk(h, m, 0, 4), abs=1e-12)
    assert metrics.qwk_closed_form(h, np.full(5, 2)) == pytest.approx(metrics.qwk(h, np.full(5, 2), 0, 4), abs=1e-12)
    assert np.isnan(metrics.qwk_closed_form(np.full(4, 3), np.full(4, 3)))


def test_softmax_is_stable_and_sums_to_one():
    from course_utils.metrics import softmax

    p = softmax(np.array([[1000.0, 1000.0, 0.0], [0.0, np.log(3.0), -np.inf]]), axis=1)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.allclose(p[0], [0.5, 0.5, 0.0]) and np.allclose(p[1], [0.25, 0.75, 0.0])


def _brute_force_paired(h, a, b, n, seed, lo, hi):
    """The same resamples drawn one by one, each QWK from its definition."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(h), size=(n, len(h)))
    diffs = []
    for row in idx:
        hh, aa, bb = h[row], a[row], b[row]
        diffs.append(qwk_from_definition(hh, aa, lo, hi) - qwk_from_definition(hh, bb, lo, hi))
    return np.array(diffs)


def test_paired_bootstrap_matches_brute_force_resampling():
    from course_utils.metrics import paired_bootstrap

    rng = np.random.default_rng(7)
    h = rng.integers(0, 5, 60)
    a = np.clip(h + rng.integers(-1, 2, 60), 0, 4)
    b = np.clip(h + rng.integers(-2, 3, 60), 0, 4)
    result = paired_bootstrap(h, a, b, n_resamples=200, seed=3, labels=range(5))
    diffs = _brute_force_paired(h, a, b, 200, 3, 0, 4)
    assert result.difference == pytest.approx(qwk(h, a, 0, 4) - qwk(h, b, 0, 4))
    assert result.low == pytest.approx(np.quantile(diffs, 0.025))
    assert result.high == pytest.approx(np.quantile(diffs, 0.975))
    assert result.a_wins == pytest.approx(np.mean(diffs > 0))
    assert result.n_resamples == 200
    assert result.wins == f"{int(np.sum(diffs > 0))} of 200 resamples"


def test_paired_bootstrap_clear_winner_and_identical_models():
    from course_utils.metrics import paired_bootstrap

    rng = np.random.default_rng(0)
    h = rng.integers(0, 7, 200)
    good = h.copy()
    good[:20] = np.clip(good[:20] + 1, 0, 6)
    bad = rng.integers(0, 7, 200)
    better = paired_bootstrap(h, good, bad, seed=1, labels=range(7))
    assert better.low > 0 and better.excludes_zero and better.a_wins == 1.0
    assert "A agrees better than B" in better.verdict() and "A wins 1000 of 1000 resamples" in better.verdict()
    worse = paired_bootstrap(h, bad, good, seed=1, labels=range(7))
    assert worse.high < 0 and worse.a_wins == 0.0
    # the winner is named first, so "difference" is always first-named minus second-named: here B minus A
    assert worse.verdict().startswith(f"B agrees better than A (QWK difference {-worse.difference:+.3f}, 95% interval "
                                      f"[{-worse.high:+.3f}, {-worse.low:+.3f}]; A wins 0 of 1000 resamples)")
    assert -worse.difference > 0
    same = paired_bootstrap(h, good, good, seed=1)
    assert (same.difference, same.low, same.high, same.a_wins) == (0.0, 0.0, 0.0, 0.0)
    assert not same.excludes_zero and same.verdict().startswith("these essays cannot tell A and B apart")
    assert same.verdict("model", "floor", items="answers").startswith("these answers cannot tell model and floor")
    # the difference is named by the metric it was computed with; a metric passed in has no name unless given
    assert "(QWK difference" in same.verdict() and "(Acc difference" in same.verdict(metric="Acc")
    by_hand = paired_bootstrap(h, good, bad, metric=lambda g, p: float(np.mean(g == p)), seed=1)
    assert by_hand.metric == "" and "(difference" in by_hand.verdict()
    assert "(accuracy difference" in by_hand.verdict(metric="accuracy")


def test_paired_bootstrap_by_groups_matches_brute_force_resampling_of_whole_groups():
    from course_utils.metrics import paired_bootstrap

    rng = np.random.default_rng(5)
    groups = np.array(["q3", "q1", "q2", "q1", "q3", "q2", "q4", "q4", "q1", "q2"] * 3)
    h = rng.integers(0, 3, len(groups))
    a = np.where(rng.random(len(groups)) < 0.7, h, 2 - h)
    b = np.where(rng.random(len(groups)) < 0.5, h, 2 - h)
    accuracy = lambda gold, pred: float(np.mean(gold == pred))  # noqa: E731
    result = paired_bootstrap(h, a, b, metric=accuracy, n_resamples=300, seed=2, groups=groups)
    draw = np.random.default_rng(2)  # brute force: draw questions, then take every answer of each
    names = sorted(set(groups))
    diffs = []
    for _ in range(300):
        rows = [i for j in draw.integers(0, len(names), len(names)) for i in range(len(groups))
                if groups[i] == names[j]]
        diffs.append(accuracy(h[rows], a[rows]) - accuracy(h[rows], b[rows]))
    assert result.difference == pytest.approx(accuracy(h, a) - accuracy(h, b))
    assert result.low == pytest.approx(np.quantile(diffs, 0.025))
    assert result.high == pytest.approx(np.quantile(diffs, 0.975))
    assert result.a_wins == pytest.approx(np.mean(np.array(diffs) > 0))
    with pytest.raises(ValueError, match="one id per item"):
        paired_bootstrap(h, a, b, metric=accuracy, groups=groups[:-1])
    with pytest.raises(ValueError, match="single group"):
        paired_bootstrap(h, a, b, metric=accuracy, groups=["q1"] * len(h))


def test_bootstrap_ci_by_groups_resamples_whole_groups_and_is_wider_when_groups_differ():
    from course_utils.metrics import bootstrap_ci

    rng = np.random.default_rng(7)
    groups = np.repeat(np.arange(8), 25)  # 8 questions, 25 answers each
    h = rng.integers(0, 3, len(groups))
    right = rng.random(8)[groups] < np.linspace(0.2, 0.95, 8)[groups]  # some questions graded far better
    m = np.where(right, h, (h + 1) % 3)
    by_item = bootstrap_ci(h, m, "Acc", n=400, seed=1)
    by_group = bootstrap_ci(h, m, "Acc", n=400, seed=1, groups=groups)
    assert by_group.estimate == by_item.estimate == pytest.approx(np.mean(h == m))
    assert by_group.high - by_group.low > by_item.high - by_item.low
    draw = np.random.default_rng(1)  # brute force: draw questions, then take every answer of each
    values = []
    for _ in range(400):
        rows = np.concatenate([np.flatnonzero(groups == j) for j in draw.integers(0, 8, 8)])
        values.append(np.mean(h[rows] == m[rows]))
    assert (by_group.low, by_group.high) == pytest.approx(tuple(np.quantile(values, [0.025, 0.975])))
    with pytest.raises(ValueError, match="one id per item"):
        bootstrap_ci(h, m, groups=groups[:-1])
    with pytest.raises(ValueError, match="single group"):
        bootstrap_ci(h, m, groups=np.zeros(len(h)))


def test_paired_bootstrap_rejects_bad_input():
    from course_utils.metrics import paired_bootstrap

    with pytest.raises(ValueError, match="same length"):
        paired_bootstrap([1, 2, 3], [1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="empty"):
        paired_bootstrap([], [], [])
    with pytest.raises(ValueError, match="pred_b has 1 score.*outside labels 0..3"):
        paired_bootstrap([0, 1, 3], [0, 1, 3], [0, 1, 4], labels=range(4))
    with pytest.raises(ValueError, match="n_resamples"):
        paired_bootstrap([0, 1, 3], [0, 1, 3], [0, 1, 3], n_resamples=5)


def test_simplest_within_noise_picks_the_first_setting_the_essays_cannot_tell_from_the_best():
    from course_utils.metrics import paired_bootstrap, simplest_within_noise

    rng = np.random.default_rng(0)
    h = rng.integers(0, 7, 200)
    noisy = lambda k: np.where(rng.random(200) < k, rng.integers(0, 7, 200), h)  # noqa: E731
    preds = {10: noisy(0.9), 50: noisy(0.6), 100: noisy(0.08), 300: noisy(0.05)}  # simplest first
    choice = simplest_within_noise(h, preds, labels=range(7), n_resamples=300, seed=3)
    assert choice.best == 300 and set(choice.comparisons) == {10, 50, 100}
    for k, comp in choice.comparisons.items():  # each is the paired bootstrap of best against k
        assert comp == paired_bootstrap(h, preds[300], preds[k], n_resamples=300, seed=3, labels=range(7))
    # brute force: the first setting, in the given order, whose interval contains 0 (or the best)
    expected = next(k for k in preds if k == 300 or not choice.comparisons[k].excludes_zero)
    assert choice.chosen == expected == 100 and choice.comparisons[50].excludes_zero
    only = simplest_within_noise(h, {"a": preds[300]}, labels=range(7))
    assert only.chosen == only.best == "a"
    with pytest.raises(ValueError, match="empty"):
        simplest_within_noise(h, {})


@pytest.mark.parametrize("block", [2_000_000, 50])  # 50: a few rows per block, so blocks are joined
def test_all_resamples_at_once_give_the_row_by_row_values_exactly(block):
    """The bootstraps score every resample in one go (_metric_rows); the numbers must not move."""
    rng = np.random.default_rng(4)
    one_by_one = {"QWK": metrics.qwk_closed_form, "SMD": smd, "Acc": lambda a, b: float(np.mean(a == b)),
                  "Adj": lambda a, b: float(np.mean(np.abs(a - b) <= 1))}
    for n, k in ((7, 3), (60, 5), (314, 13)):
        h = rng.integers(0, k, n)
        m = np.clip(h + rng.integers(-2, 3, n), 0, k - 1)
        idx = rng.integers(0, n, size=(300, n))
        for name, fn in one_by_one.items():
            expected = np.array([fn(h[i], m[i]) for i in idx])
            assert np.array_equal(metrics._metric_rows(name, h, m, idx, block), expected, equal_nan=True), (name, n)
    constant = np.full(5, 2)  # both constant: QWK undefined (NaN), SMD 0
    rows = np.zeros((3, 5), dtype=int)
    assert np.isnan(metrics._metric_rows("QWK", constant, constant, rows)).all()
    assert (metrics._metric_rows("SMD", constant, constant, rows) == 0).all()
    with pytest.raises(ValueError, match="QWK, Acc, Adj and SMD"):
        metrics._metric_rows("r", h, m, idx)


def test_bootstraps_equal_their_row_by_row_loop():
    """paired_bootstrap (QWK) and bootstrap_ci give the numbers of a loop over the same resamples."""
    from course_utils.metrics import paired_bootstrap

    rng = np.random.default_rng(9)
    h = rng.integers(0, 13, 314)
    a = np.clip(h + rng.integers(-2, 3, 314), 0, 12)
    b = np.clip(h + rng.integers(-3, 4, 314), 0, 12)
    idx = np.random.default_rng(42).integers(0, 314, size=(1000, 314))
    q = metrics.qwk_closed_form
    diffs = np.array([q(h[i], a[i]) - q(h[i], b[i]) for i in idx])
    result = paired_bootstrap(h, a, b, labels=range(13))  # seed 42, 1000 resamples
    assert (result.low, result.high) == tuple(np.quantile(diffs, [0.025, 0.975]))
    assert result.a_wins == np.mean(diffs > 0) and result.n_used == 1000
    values = np.array([q(h[i], a[i]) for i in np.random.default_rng(0).integers(0, 314, size=(1000, 314))])
    ci = bootstrap_ci(h, a)  # seed 0, 1000 resamples
    assert (ci.low, ci.high) == tuple(np.nanquantile(values, [0.025, 0.975]))
