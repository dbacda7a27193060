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


# `python -m bench quantify`, 2026-12-07: per estimator and benchmark row (gold CV; real/ halves
# with the manifest's rates, with the other half's; real/ pages, the same), its error ÷ CC's and
# how often its 90% interval held the true count. EM has no interval.
MEASURED = {
    "cc": [(1.00, 0.92), (1.00, 0.93), (1.00, 0.97)],
    "pcc": [(1.42, 0.85), (1.16, 0.78), (1.46, 0.95)],
    "acc": [(1.58, 0.95), (1.46, 0.89), (1.46, 0.90), (1.31, 0.97), (1.30, 0.97)],
    "pacc": [(1.36, 0.98), (1.34, 0.91), (1.40, 0.95), (1.21, 0.97), (1.41, 0.98)],
    "em": [(1.91, None), (1.45, None), (1.96, None)],
}


def test_the_default_estimator_is_the_one_the_benchmark_chose():
    # Change DEFAULT_METHOD only with a new benchmark run whose figures replace MEASURED.
    assert choose_method(MEASURED) == DEFAULT_METHOD == "cc"


def test_the_choice_needs_intervals_that_cover_the_truth():
    # PCC with less error than CC would still not be chosen: its intervals miss too often.
    cheaper_pcc = {**MEASURED, "pcc": [(0.9, 0.85), (0.9, 0.78), (0.9, 0.95)]}
    assert choose_method(cheaper_pcc) == "cc"
    assert choose_method(cheaper_pcc, min_coverage=0.75) == "pcc"
    assert choose_method({**MEASURED, "em": [(0.5, None)]}) == "cc"  # no interval, no choice
    with pytest.raises(ModelError, match="no estimator's intervals cover 99% of cells"):
        choose_method(MEASURED, min_coverage=0.99)
