"""The quantification estimators: they recover known shares from a classifier with a known
confusion matrix, where counting its labels does not, and their intervals cover the truth."""

import numpy as np
import pytest
from scipy.optimize import minimize

from mauqif.model.exceptions import ModelError
from mauqif.model.quantify import (
    DEFAULT_METHOD,
    Rates,
    adjust,
    bootstrap_cells,
    choose_method,
    interval,
    point,
    rates_from,
    rectifier,
    saerens_em,
)

LABELS = ["against", "favor", "neutral", "none"]
# P(predicted j | true i): the model finds favour where there is none and misses neutral.
CONFUSION = np.array(
    [
        [0.70, 0.05, 0.10, 0.15],
        [0.05, 0.75, 0.05, 0.15],
        [0.05, 0.15, 0.50, 0.30],
        [0.01, 0.06, 0.03, 0.90],
    ]
)


def classify(rng, truth: np.ndarray) -> np.ndarray:
    """Predicted labels (indices) of a classifier erring as CONFUSION says."""
    u = rng.random(len(truth))[:, None]
    return (u > np.cumsum(CONFUSION[truth], axis=1)).sum(axis=1)


def posteriors(rng, predicted: np.ndarray) -> np.ndarray:
    """Soft answers: most mass on the predicted label, the rest spread at random."""
    noise = rng.dirichlet(np.ones(4), size=len(predicted)) * 0.3
    return noise + 0.7 * np.eye(4)[predicted]


def labelled_rates(rng, n: int) -> Rates:
    truth = rng.choice(4, size=n, p=[0.2, 0.3, 0.2, 0.3])
    predicted = classify(rng, truth)
    return rates_from([LABELS[t] for t in truth], posteriors(rng, predicted), LABELS, "test")


def sample(rng, shares, n):
    truth = rng.choice(4, size=n, p=shares)
    predicted = classify(rng, truth)
    proba = posteriors(rng, predicted)
    return truth, np.bincount(predicted, minlength=4).astype(float), proba


@pytest.mark.parametrize("method", ["acc", "pacc"])
def test_the_adjusted_estimators_recover_known_shares_that_counting_misses(method):
    rng = np.random.default_rng(0)
    rates = labelled_rates(rng, 20_000)
    shares = np.array([0.05, 0.10, 0.25, 0.60])
    _, hard, proba = sample(rng, shares, 20_000)
    counted = hard / hard.sum()
    estimated = point(len(proba), hard, proba.sum(axis=0), rates, method)
    assert np.abs(counted - shares).max() > 0.05  # raw counts are off by a lot
    np.testing.assert_allclose(estimated, shares, atol=0.02)


def test_intervals_cover_the_truth_and_widen_with_fewer_labels():
    rng = np.random.default_rng(1)
    shares = np.array([0.05, 0.15, 0.2, 0.6])
    covered, widths = [], {}
    for labels in (100, 5000):
        w = []
        for _ in range(20):
            rates = labelled_rates(rng, labels)
            truth, hard, proba = sample(rng, shares, 400)
            true_share = np.bincount(truth, minlength=4) / 400
            low, high = interval(400, hard, proba.sum(axis=0), rates, "pacc", draws=200)
            covered.extend((low - 1e-9 <= true_share) & (true_share <= high + 1e-9))
            w.append((high - low).mean())
        widths[labels] = np.mean(w)
    assert np.mean(covered) >= 0.8
    assert widths[100] > 1.3 * widths[5000]


LAB_SHARES = [0.2, 0.3, 0.2, 0.3]  # the true mix of `labelled_rates`' units


def test_ppi_recovers_the_shares_that_counting_misses():
    # The model's bias is known (CONFUSION): counting is off by 0.1 on "none"; the rectifier,
    # measured on labelled units of the same mix, takes it away.
    rng = np.random.default_rng(4)
    rates = labelled_rates(rng, 50_000)
    _, hard, proba = sample(rng, LAB_SHARES, 50_000)
    counted = hard / hard.sum()
    estimated = point(len(proba), hard, proba.sum(axis=0), rates, "ppi")
    bias = np.array(LAB_SHARES) @ CONFUSION - LAB_SHARES
    np.testing.assert_allclose(counted - LAB_SHARES, bias, atol=0.01)
    assert np.abs(bias).max() > 0.1
    np.testing.assert_allclose(estimated, LAB_SHARES, atol=0.01)
    np.testing.assert_allclose(rectifier(rates.counts), -bias, atol=0.01)


def test_ppi_intervals_cover_the_shares_at_the_nominal_rate():
    # 400 draws of (labelled units, cell) from the same population: the 90% intervals must hold
    # the population's shares about 90% of the time. Left without the rectifier's spread (the
    # cell's rows alone resampled), they hold them about 80% of the time; with a wrong rectifier,
    # far less.
    rng = np.random.default_rng(5)
    covered, cell_only = [], []
    for _ in range(400):
        rates = labelled_rates(rng, 300)
        _, hard, proba = sample(rng, LAB_SHARES, 300)
        low, high = interval(300, hard, proba.sum(axis=0), rates, "ppi", draws=400)
        covered.extend((low <= LAB_SHARES) & (high >= LAB_SHARES))
        low_cc, high_cc = interval(300, hard, proba.sum(axis=0), rates, "cc", draws=400)
        shift = rectifier(rates.counts)
        cell_only.extend((low_cc + shift <= LAB_SHARES) & (high_cc + shift >= LAB_SHARES))
    assert 0.86 <= np.mean(covered) <= 0.94
    assert np.mean(cell_only) < 0.85


def test_ppi_draws_one_rectifier_for_all_cells_and_keeps_counts_above_zero():
    rng = np.random.default_rng(6)
    rates = labelled_rates(rng, 200)
    # A cell where no unit is predicted "none", whose rectifier is about -0.1.
    hard = np.array([[4.0, 3, 3, 0], [4, 3, 2, 1]])
    draws = bootstrap_cells([10, 10], hard, hard, rates, "ppi", draws=300)
    assert draws.shape == (2, 300, 4) and (draws >= 0).all()
    np.testing.assert_allclose(draws.sum(axis=2), 1)
    estimate = point(10, hard[0], hard[0], rates, "ppi")
    assert rectifier(rates.counts)[3] < 0
    assert estimate[3] == 0 and estimate.sum() == pytest.approx(1)


def test_ppi_needs_labelled_units():
    empty = Rates(tuple(LABELS), np.zeros((4, 4)), np.zeros((4, 4)), "held-out")
    hard = np.array([1.0, 2, 3, 4])
    for run in (
        lambda: point(10, hard, hard, empty, "ppi"),
        lambda: interval(10, hard, hard, empty, "ppi"),
    ):
        with pytest.raises(ModelError, match="no labelled units: the prediction-powered"):
            run()
    with pytest.raises(ModelError, match="needs the lab's labelled units"):
        interval(10, hard, hard, None, "ppi")


def test_ppi_agrees_with_ppi_python():
    """The reference implementation (Angelopoulos et al.'s ppi_python, not a dependency: it
    pulls in numba and statsmodels) gives our point estimate and, within bootstrap noise, our
    90% interval."""
    ppi = pytest.importorskip("ppi_py")
    rng = np.random.default_rng(7)
    truth = rng.choice(4, size=400, p=LAB_SHARES)
    predicted = classify(rng, truth)
    rates = rates_from([LABELS[t] for t in truth], np.eye(4)[predicted], LABELS, "test")
    _, hard, _ = sample(rng, LAB_SHARES, 600)
    cell = np.repeat(np.eye(4), hard.astype(int), axis=0)
    ours = point(600, hard, hard, rates, "ppi")
    y, y_hat = np.eye(4)[truth], np.eye(4)[predicted]
    theirs = ppi.ppi_mean_pointestimate(y, y_hat, cell, lam=1)
    np.testing.assert_allclose(ours, theirs, atol=1e-9)
    low, high = interval(600, hard, hard, rates, "ppi", draws=4000)
    their_low, their_high = ppi.ppi_mean_ci(y, y_hat, cell, alpha=0.1, lam=1)
    np.testing.assert_allclose(low, their_low, atol=0.01)
    np.testing.assert_allclose(high, their_high, atol=0.01)


def test_adjust_finds_the_simplex_least_squares_solution():
    rng = np.random.default_rng(2)
    for _ in range(20):
        m = rng.dirichlet(np.ones(4) * 0.7, size=4) + np.eye(4)
        m /= m.sum(axis=1, keepdims=True)
        q = rng.dirichlet(np.ones(4))
        ours = adjust(q, m)
        found = minimize(
            lambda p, m=m, q=q: ((m.T @ p - q) ** 2).sum(),
            np.full(4, 0.25),
            method="SLSQP",
            bounds=[(0, 1)] * 4,
            constraints={"type": "eq", "fun": lambda p: p.sum() - 1},
            options={"ftol": 1e-12},
        )
        ours_loss = ((m.T @ ours - q) ** 2).sum()
        assert ours_loss <= found.fun + 1e-9
        assert (ours >= 0).all() and ours.sum() == pytest.approx(1)


def test_a_value_without_labels_is_taken_as_predicted_right():
    rates = Rates(tuple(LABELS), np.zeros((4, 4)), np.zeros((4, 4)))
    np.testing.assert_allclose(rates.matrix(False), np.eye(4))
    hard = np.array([1.0, 2, 3, 4])
    np.testing.assert_allclose(point(10, hard, hard, rates, "acc"), hard / 10)


def test_bootstrap_shapes_and_em():
    rng = np.random.default_rng(3)
    rates = labelled_rates(rng, 500)
    hard = np.array([[1.0, 2, 3, 4], [0, 0, 5, 5]])
    draws = bootstrap_cells([10, 10], hard, hard, rates, "acc", draws=50)
    assert draws.shape == (2, 50, 4)
    np.testing.assert_allclose(draws.sum(axis=2), 1)
    proba = rng.dirichlet(np.ones(4), size=200)
    prior = saerens_em(proba, np.full(4, 0.25))
    assert prior.sum() == pytest.approx(1)


def test_the_adjustment_agrees_with_quapy():
    """QuaPy's ACC and PACC (its `solve_adjustment` on the simplex, its misclassification
    rates) give the estimates ours give, from the same labels and the same sample."""
    pytest.importorskip("quapy")
    from quapy.functional import normalize_prevalence
    from quapy.method.aggregative import ACC, PACC

    rng = np.random.default_rng(4)
    for _ in range(10):
        truth = rng.choice(4, size=3000, p=[0.2, 0.3, 0.2, 0.3])
        predicted = classify(rng, truth)
        proba = posteriors(rng, predicted)
        rates = rates_from([LABELS[t] for t in truth], proba, LABELS, "test")
        classes = np.arange(4)
        theirs_m = ACC.getPteCondEstim(classes, truth, predicted)  # P(predicted i | true j)
        theirs_pm = PACC.getPteCondEstim(classes, truth, proba)
        np.testing.assert_allclose(rates.matrix(False, prior=0).T, theirs_m, atol=1e-12)
        np.testing.assert_allclose(rates.matrix(True, prior=0).T, theirs_pm, atol=1e-12)

        shares = rng.dirichlet(np.ones(4))
        _, hard, sample_proba = sample(rng, shares, 500)
        for m, q in ((theirs_m, hard / hard.sum()), (theirs_pm, sample_proba.mean(axis=0))):
            theirs = ACC.solve_adjustment(m, q, method="inversion", solver="minimize")
            theirs = normalize_prevalence(theirs, method="clip")
            ours = adjust(q, m.T)
            # Both minimise the same loss on the simplex; ours exactly, QuaPy's by SLSQP.
            assert ((m @ ours - q) ** 2).sum() <= ((m @ theirs - q) ** 2).sum() + 1e-9
            np.testing.assert_allclose(ours, theirs, atol=2e-3)


# `python -m bench quantify`, 2026-12-07 (rerun with ppi): per estimator and benchmark row (gold
# CV; real/ halves with the manifest's rates, with the other half's; real/ pages, the same), its
# error ÷ CC's and how often its 90% interval held the true count. EM has no interval.
MEASURED = {
    "cc": [(1.00, 0.93), (1.00, 0.96), (1.00, 0.98)],
    "pcc": [(1.42, 0.87), (1.33, 0.80), (1.63, 0.96)],
    "acc": [(1.57, 0.97), (1.38, 0.93), (1.63, 0.92), (1.33, 0.98), (1.31, 0.98)],
    "pacc": [(1.35, 0.98), (1.36, 0.97), (1.57, 0.95), (1.31, 0.98), (1.55, 0.98)],
    "ppi": [(1.16, 0.88), (0.98, 0.94), (1.54, 0.89), (1.11, 0.98), (1.30, 0.98)],
    "em": [(1.88, None), (1.52, None), (2.04, None)],
}
# The rows whose rates come from the lab's labels (the other half), beside raw counting on the
# real/ halves and pages: what `trends --rates-from` would choose among.
WITH_LAB_LABELS = {
    "cc": MEASURED["cc"][1:],
    "pcc": MEASURED["pcc"][1:],
    **{method: MEASURED[method][2::2] for method in ("acc", "pacc", "ppi")},
}


def test_the_default_estimator_is_the_one_the_benchmark_chose():
    # Change DEFAULT_METHOD only with a new benchmark run whose figures replace MEASURED.
    assert choose_method(MEASURED) == DEFAULT_METHOD == "cc"
    # With the lab's labels too: ppi covers (0.89, 0.98) but errs 1.54 and 1.30 times as much
    # as counting, so `trends --rates-from` keeps cc unless told --method ppi.
    assert choose_method(WITH_LAB_LABELS) == "cc"


def test_the_choice_needs_intervals_that_cover_the_truth():
    # PCC with less error than CC would still not be chosen: its intervals miss too often.
    cheaper_pcc = {**MEASURED, "pcc": [(0.9, 0.85), (0.9, 0.78), (0.9, 0.95)]}
    assert choose_method(cheaper_pcc) == "cc"
    assert choose_method(cheaper_pcc, min_coverage=0.75) == "pcc"
    assert choose_method({**MEASURED, "em": [(0.5, None)]}) == "cc"  # no interval, no choice
    with pytest.raises(ModelError, match="no estimator's intervals cover 99% of cells"):
        choose_method(MEASURED, min_coverage=0.99)
