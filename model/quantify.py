"""Quantification: estimating how many sentences of a sample hold each label when the classifier
that labelled them errs, from its known error rates.

Counting the model's labels (classify and count, CC) is biased whenever the model errs: on real
pages it finds favour where there is none and misses neutral statements, so the counts drift by
a third. The estimators here correct the observed shares with the rates at which the model
confuses each true value with each predicted one:

- `adjusted` (ACC): the observed shares of predicted labels q are, in expectation, Mᵀπ, where
  M[i, j] = P(predicted j | true i) and π the true shares: solve for π on the probability
  simplex (least squares, exact, by trying every support; K is 3 or 4);
- probabilistic adjusted (PACC): the same with mean posteriors, M[i, j] = E[p_j | true i];
- `saerens_em` (SLD, Saerens et al. 2002): posteriors re-weighted to new priors until they agree;
  it needs the rows' posteriors, not only sums, and is kept for the comparison in the benchmark;
- prediction-powered (PPI, Angelopoulos et al. 2023; the difference estimator of survey
  sampling): the cell's share of predicted labels plus the rectifier, the mean over the lab's
  labelled units of (true indicator − predicted indicator). Additive, no matrix to invert; its
  interval adds the rectifier's sampling spread (the labelled units resampled) to the cell's.
  It needs labels the model itself was measured on (`--rates-from`), see `rectifier`.

The rates M are estimated from labelled units the model did not train on (cross-validation on the
training labels, or a held-out share of the lab's own annotations). With few labels per true
value (two `against` units, say) a row of M is mostly noise, so rows are smoothed toward the
identity (`Rates.matrix`: a pseudo-count prior that the model is right) and the intervals
(`bootstrap`) draw M from its posterior (Dirichlet per row) as well as the sample's predictions
from theirs: intervals widen when the rates rest on few labels, as they should.

Own code rather than QuaPy (tested against it in tests/test_quantify.py when it is installed):
QuaPy's quantifiers fit their own classifier and see one sample at a time; trends needs the
adjustment of thousands of cells × hundreds of bootstrap draws from stored counts, which is a
few vectorised numpy lines here.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .exceptions import ModelError

METHODS = ("cc", "pcc", "acc", "pacc", "ppi")
NEEDS_RATES = ("acc", "pacc", "ppi")
NEEDS_LAB_LABELS = ("ppi",)  # rates measured by the model itself on the lab's labelled units
# What `mauqif trends` uses unless told: chosen by `python -m bench quantify` (its last lines).
# On our labelled news (README, "Trends: is the correction worth it?") raw counting is closest to
# the truth and its intervals cover it (0.92-0.97 of cells); every adjusted estimate errs 1.2-1.6
# times as much, and PCC's intervals cover 0.78 of the real/ halves.
DEFAULT_METHOD = "cc"
MIN_COVERAGE = 0.80  # share of cells whose interval must hold the truth (issue 21's bar)


def choose_method(
    figures: dict[str, list[tuple[float, float | None]]], min_coverage: float = MIN_COVERAGE
) -> str:
    """The estimator the evidence picks: among those whose intervals hold the truth in at least
    `min_coverage` of cells in every benchmark row, the lowest mean error. `figures`: per
    estimator, (error ÷ CC's, coverage or None for no interval) of each row it was measured in.

    >>> choose_method({"cc": [(1.0, 0.92)], "pcc": [(0.9, 0.78)], "pacc": [(1.3, 0.95)]})
    'cc'
    """
    eligible = {
        method: float(np.mean([ratio for ratio, _ in rows]))
        for method, rows in figures.items()
        if all(coverage is not None and coverage >= min_coverage for _, coverage in rows)
    }
    if not eligible:
        raise ModelError(f"no estimator's intervals cover {min_coverage:.0%} of cells")
    return min(eligible, key=eligible.get)


PRIOR_STRENGTH = 2.0  # pseudo-labels per true value that the model is right (smoothing of M)


@dataclass(frozen=True)
class Rates:
    """How a model's answers relate to the truth on labelled units it did not train on.

    `counts[i, j]`: units of true value i predicted j; `proba[i, j]`: the sum of their posteriors
    of j. `source` says where the labels came from and `n` is how many there are."""

    labels: tuple[str, ...]
    counts: np.ndarray
    proba: np.ndarray
    source: str = "cross-validation"

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def support(self) -> np.ndarray:
        """Labelled units per true value."""
        return self.counts.sum(axis=1)

    def matrix(self, probabilistic: bool, prior: float = PRIOR_STRENGTH) -> np.ndarray:
        """M, rows true value, columns predicted; each row smoothed with `prior` pseudo-units
        predicted right (a row with no label at all is then the identity)."""
        base = self.proba if probabilistic else self.counts
        smoothed = base + prior * np.eye(len(self.labels))
        return smoothed / smoothed.sum(axis=1, keepdims=True)

    def draws(
        self,
        rng: np.random.Generator,
        size: int,
        probabilistic: bool,
        prior: float = PRIOR_STRENGTH,
    ) -> np.ndarray:
        """`size` matrices M drawn from the posterior of each row (Dirichlet of the smoothed
        counts): shape (size, K, K)."""
        base = (self.proba if probabilistic else self.counts) + prior * np.eye(len(self.labels))
        return np.stack([rng.dirichlet(row, size=size) for row in base], axis=1)

    def as_dict(self) -> dict:
        return {
            "labels": list(self.labels),
            "counts": self.counts.astype(int).tolist(),
            "proba": np.round(self.proba, 4).tolist(),
            "source": self.source,
            "n": self.n,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Rates:
        try:
            labels = tuple(str(v) for v in data["labels"])
            counts = np.asarray(data["counts"], dtype=float)
            proba = np.asarray(data["proba"], dtype=float)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"error rates cannot be read ({exc})") from None
        k = len(labels)
        if counts.shape != (k, k) or proba.shape != (k, k):
            raise ModelError(f"error rates for {k} labels need {k}×{k} matrices")
        return cls(labels, counts, proba, str(data.get("source", "cross-validation")))


def rates_from(
    y_true, proba: np.ndarray, labels: list[str] | tuple[str, ...], source: str
) -> Rates:
    """Rates of predictions (`proba`: units × labels, columns in `labels` order) against
    `y_true` (None: unlabelled, left out)."""
    labels = tuple(labels)
    y_true = np.asarray(y_true, dtype=object)
    proba = np.asarray(proba, dtype=float)
    keep = np.array([v is not None for v in y_true], dtype=bool)
    index = {v: i for i, v in enumerate(labels)}
    k = len(labels)
    counts = np.zeros((k, k))
    sums = np.zeros((k, k))
    if keep.any():
        truth = np.array([index[v] for v in y_true[keep]])
        guess = proba[keep].argmax(axis=1)
        np.add.at(counts, (truth, guess), 1)
        np.add.at(sums, truth, proba[keep])
    return Rates(labels, counts, sums, source)


# ---- prediction-powered: the rectifier ----------------------------------------------------


def rectifier(counts: np.ndarray) -> np.ndarray:
    """Mean over labelled units of (true indicator − predicted indicator) per value, from the
    confusion counts (true × predicted): true shares minus predicted shares. Stacks of counts
    (..., K, K) give (..., K).

    It corrects a cell's predicted shares by the model's average error on the labelled units
    (PPI with λ = 1). PPI++'s tuning weight λ < 1 is left out on purpose: it pulls the estimate
    toward the labelled units' own shares, the right thing for one population's mean but not for
    trends, whose cells (months, outlets) differ from the labelled set by design. The rectifier
    is unbiased for a cell whose mix of true values is that of the labelled units; where the mix
    differs, the residual bias is the difference in mix times the model's error rates (CC's bias
    is the whole mix times them).

    >>> rectifier(np.array([[8, 2], [0, 10]]))  # 2 of 20 true a's predicted b
    array([ 0.1, -0.1])
    """
    counts = np.asarray(counts, dtype=float)
    n = counts.sum(axis=(-2, -1))[..., None]
    if np.any(n == 0):
        raise ModelError("no labelled units: the prediction-powered estimate needs some")
    return (counts.sum(axis=-1) - counts.sum(axis=-2)) / n


def _onto_simplex(shares: np.ndarray) -> np.ndarray:
    """Negative shares (a rectifier larger than a rare value's predicted share) set to 0 and
    the rest scaled to sum to 1: a count cannot be below zero."""
    clipped = np.clip(shares, 0, None)
    return clipped / np.maximum(clipped.sum(axis=-1, keepdims=True), 1e-12)


# ---- the adjustment -----------------------------------------------------------------------


def _supports(k: int) -> list[tuple[int, ...]]:
    return [s for size in range(1, k + 1) for s in combinations(range(k), size)]


def adjust(q: np.ndarray, m: np.ndarray) -> np.ndarray:
    """π on the simplex minimising ‖Mᵀπ − q‖², for stacks: q (..., K), m (K, K) or any shape
    that broadcasts with q's leading dimensions ((draws, K, K) for q (cells, draws, K)).

    Exact: the minimum lies on some support S; on S the equality-constrained problem is a small
    linear (KKT) system, whose matrix depends on M only: it is inverted once per M and support,
    and the best feasible solution over all supports kept."""
    q = np.asarray(q, dtype=float)
    k = q.shape[-1]
    a = np.swapaxes(np.asarray(m, dtype=float), -1, -2)  # q ≈ a @ π
    best = np.full(q.shape[:-1], np.inf)
    out = np.full(q.shape, 1.0 / k)
    for support in _supports(k):
        s = list(support)
        size = len(s)
        a_s = a[..., :, s]  # (..., K, |S|)
        a_st = np.swapaxes(a_s, -1, -2)
        kkt = np.zeros(a.shape[:-2] + (size + 1, size + 1))
        # A tiny ridge keeps the system regular when columns of M coincide.
        kkt[..., :size, :size] = 2 * a_st @ a_s + 1e-10 * np.eye(size)
        kkt[..., :size, size] = 1
        kkt[..., size, :size] = 1
        inverse = np.linalg.inv(kkt)
        rhs_top = 2 * (a_st @ q[..., :, None])[..., 0]  # (..., |S|)
        x = (inverse[..., :size, :size] @ rhs_top[..., None])[..., 0] + inverse[..., :size, size]
        feasible = (x >= -1e-9).all(axis=-1)
        pi = np.zeros(q.shape)
        pi[..., s] = np.clip(x, 0, None)
        residual = (((a @ pi[..., :, None])[..., 0] - q) ** 2).sum(axis=-1)
        better = feasible & (residual < best - 1e-12)
        best = np.where(better, residual, best)
        out = np.where(better[..., None], pi, out)
    return out / out.sum(axis=-1, keepdims=True)


CELLS_AT_ONCE = 128  # cells adjusted together (memory: cells × draws × K × K)
HARD = ("cc", "acc", "ppi")  # the estimators that start from the predicted labels' shares


def point_cells(n, hard, soft, rates: Rates | None, method: str) -> np.ndarray:
    """Estimated shares (cells × K) of each label in each cell: `n` rows per cell, `hard`
    (cells × K) rows predicted each label, `soft` (cells × K) the sums of their posteriors."""
    if method not in METHODS:
        raise ModelError(f"unknown estimator {method!r}; use one of {', '.join(METHODS)}")
    n = np.asarray(n, dtype=float)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        q = (np.asarray(hard, float) if method in HARD else np.asarray(soft, float)) / n
    if method in ("cc", "pcc"):
        return q
    if rates is None:
        raise ModelError(f"the {method} estimator needs the model's error rates")
    if method == "ppi":
        return _onto_simplex(q + rectifier(rates.counts))
    return adjust(np.nan_to_num(q, nan=1 / q.shape[1]), rates.matrix(method == "pacc"))


def bootstrap_cells(
    n, hard, soft, rates: Rates | None, method: str, draws: int = 400, seed: int = 0
) -> np.ndarray:
    """Bootstrap replicates of each cell's shares, (cells × draws × K). Each replicate resamples
    the cell's rows (their predicted labels, multinomially; the posteriors' mean moves with them)
    and, for the adjusted estimators, the rates (Dirichlet per true value), so the interval
    reflects how few labels M rests on as well as how few rows the cell has. For `ppi` the
    labelled units are resampled (multinomially over the confusion counts, the nonparametric
    bootstrap of the rectifier), once per draw for all cells: the cells share one rectifier."""
    rng = np.random.default_rng(seed)
    n = np.asarray(n, dtype=np.int64)
    hard = np.asarray(hard, dtype=float)
    soft = np.asarray(soft, dtype=float)
    cells, k = hard.shape
    out = np.empty((cells, draws, k))
    probabilistic = method in ("pcc", "pacc")
    rectifiers = None
    if method == "ppi":
        if rates is None:
            raise ModelError("the ppi estimator needs the lab's labelled units (--rates-from)")
        rectifier(rates.counts)  # no labelled units: ModelError
        labelled = rates.counts.ravel()
        resampled_counts = rng.multinomial(int(labelled.sum()), labelled / labelled.sum(), draws)
        rectifiers = rectifier(resampled_counts.reshape(draws, k, k))  # (draws, K)
    for start in range(0, cells, CELLS_AT_ONCE):
        part = slice(start, min(cells, start + CELLS_AT_ONCE))
        size = np.maximum(n[part], 1)
        hard_share = hard[part] / size[:, None]
        pvals = hard_share / np.maximum(hard_share.sum(axis=1, keepdims=True), 1e-12)
        resampled = (
            np.stack([rng.multinomial(m, p, size=draws) for m, p in zip(size, pvals, strict=True)])
            / size[:, None, None]
        )
        if probabilistic:
            q = soft[part][:, None, :] / size[:, None, None] + (resampled - hard_share[:, None])
            q = np.clip(q, 0, None)
            q /= np.maximum(q.sum(axis=2, keepdims=True), 1e-12)
        else:
            q = resampled
        if method in ("cc", "pcc"):
            out[part] = q
            continue
        if rectifiers is not None:
            out[part] = _onto_simplex(q + rectifiers[None])
            continue
        if rates is None:
            raise ModelError(f"the {method} estimator needs the model's error rates")
        out[part] = adjust(q, rates.draws(rng, draws, probabilistic))
    return out


def point(n: int, hard, soft, rates: Rates | None, method: str) -> np.ndarray:
    """Estimated shares of one sample (see `point_cells`)."""
    return point_cells([n], [hard], [soft], rates, method)[0]


def interval(
    n: int, hard, soft, rates: Rates | None, method: str, level: float = 0.9, draws: int = 400
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each share of one sample at `level` (see `bootstrap_cells`)."""
    samples = bootstrap_cells([n], [hard], [soft], rates, method, draws)[0]
    tail = (1 - level) / 2
    return np.quantile(samples, tail, axis=0), np.quantile(samples, 1 - tail, axis=0)


def saerens_em(
    posteriors: np.ndarray, train_prior: np.ndarray, tol: float = 1e-6, max_iter: int = 1000
) -> np.ndarray:
    """EM re-weighting of posteriors to the sample's priors (SLD); returns the priors."""
    posteriors = np.asarray(posteriors, dtype=float)
    train_prior = np.asarray(train_prior, dtype=float)
    prior = train_prior.copy()
    for _ in range(max_iter):
        weighted = posteriors * (prior / train_prior)
        weighted /= weighted.sum(axis=1, keepdims=True)
        new = weighted.mean(axis=0)
        if np.abs(new - prior).max() < tol:
            return new
        prior = new
    return prior
