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
  it needs the rows' posteriors, not only sums, and is kept for the comparison in the benchmark.

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

METHODS = ("cc", "pcc", "acc", "pacc")
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


# ---- the adjustment -----------------------------------------------------------------------


def _supports(k: int) -> list[tuple[int, ...]]:
    return [s for size in range(1, k + 1) for s in combinations(range(k), size)]


def adjust(q: np.ndarray, m: np.ndarray) -> np.ndarray:
    """π on the simplex minimising ‖Mᵀπ − q‖², for stacks: q (..., K), m (..., K, K) or (K, K).

    Exact: the minimum lies on some support S; on S the equality-constrained problem is a small
    linear (KKT) system, solved for every S at once and the best feasible one kept."""
    q = np.asarray(q, dtype=float)
    k = q.shape[-1]
    m = np.broadcast_to(np.asarray(m, dtype=float), q.shape[:-1] + (k, k))
    a = np.swapaxes(m, -1, -2)  # q ≈ a @ π
    best = np.full(q.shape[:-1], np.inf)
    out = np.full(q.shape, 1.0 / k)
    for support in _supports(k):
        s = list(support)
        a_s = a[..., :, s]  # (..., K, |S|)
        size = len(s)
        kkt = np.zeros(q.shape[:-1] + (size + 1, size + 1))
        kkt[..., :size, :size] = 2 * np.swapaxes(a_s, -1, -2) @ a_s
        kkt[..., :size, size] = 1
        kkt[..., size, :size] = 1
        rhs = np.zeros(q.shape[:-1] + (size + 1,))
        rhs[..., :size] = 2 * (np.swapaxes(a_s, -1, -2) @ q[..., :, None])[..., 0]
        rhs[..., size] = 1
        x = (np.linalg.pinv(kkt) @ rhs[..., None])[..., :size, 0]
        feasible = (x >= -1e-9).all(axis=-1) & np.isclose(x.sum(axis=-1), 1, atol=1e-6)
        pi = np.zeros(q.shape)
        pi[..., s] = np.clip(x, 0, None)
        residual = (((a @ pi[..., :, None])[..., 0] - q) ** 2).sum(axis=-1)
        better = feasible & (residual < best - 1e-12)
        best = np.where(better, residual, best)
        out = np.where(better[..., None], pi, out)
    return out / out.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class CellStats:
    """What the estimators need of one sample (one party in one period and group), summed over
    its rows: `n` rows, `hard[j]` rows predicted j, `soft[j]` the sum of their posteriors of j."""

    n: int
    hard: np.ndarray
    soft: np.ndarray


def point(stats: CellStats, rates: Rates | None, method: str) -> np.ndarray:
    """Estimated shares of each label in the sample."""
    if method not in METHODS:
        raise ModelError(f"unknown estimator {method!r}; use one of {', '.join(METHODS)}")
    if stats.n == 0:
        return np.full(len(stats.hard), np.nan)
    q = stats.hard / stats.n if method in ("cc", "acc") else stats.soft / stats.n
    if method in ("cc", "pcc"):
        return q
    if rates is None:
        raise ModelError(f"the {method} estimator needs the model's error rates")
    return adjust(q, rates.matrix(method == "pacc"))


def bootstrap(
    stats: CellStats,
    rates: Rates | None,
    method: str,
    draws: int = 400,
    level: float = 0.9,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each label's share at `level`, from `draws` replicates that resample both
    the sample (its rows' predicted labels, multinomially) and, for the adjusted estimators, the
    rates (Dirichlet per true value): the interval reflects how few labels M rests on."""
    k = len(stats.hard)
    if stats.n == 0:
        return np.full(k, np.nan), np.full(k, np.nan)
    rng = np.random.default_rng(seed)
    hard_share = stats.hard / stats.n
    resampled = rng.multinomial(stats.n, hard_share / hard_share.sum(), size=draws) / stats.n
    if method in ("cc", "acc"):
        q = resampled
    else:
        # The posteriors' mean moves as the predicted labels do when rows are resampled.
        q = np.clip(stats.soft / stats.n + (resampled - hard_share), 0, None)
        q = q / q.sum(axis=1, keepdims=True)
    if method in ("cc", "pcc"):
        shares = q
    else:
        if rates is None:
            raise ModelError(f"the {method} estimator needs the model's error rates")
        shares = adjust(q, rates.draws(rng, draws, method == "pacc"))
    tail = (1 - level) / 2
    return np.quantile(shares, tail, axis=0), np.quantile(shares, 1 - tail, axis=0)


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
