"""Self-tests of ``timeline_oracle``: the exact laws against independent ways.

* the downtime law of the two-state chain against its Feynman-Kac form
  (``E_i[exp(-s D(T))] = (expm((Q - s V) T) 1)_i``, SciPy's matrix
  exponential), its mean and variance against the transition matrix
  integrated (Van Loan's block exponential for the second moment), against
  a plain NumPy simulation of alternating exponential up and down times,
  and against limiting cases (no failures, the atoms at 0 and ``T``, the
  normal limit of a long horizon);
* the incidents' mean and variance against a plain NumPy sweep over
  simulated arrivals, SciPy's adaptive quadrature of the covariance,
  and their limits (no error, rare incidents, ``T`` below ``d``).

Simulated statistics are checked within 5 standard errors, for any seed.
"""

import math

import numpy as np
import pytest
from scipy import integrate, linalg, stats
from timeline_oracle import (
    downtime_cdf,
    downtime_mean,
    downtime_sf,
    downtime_var,
    incidents_mean_bad,
    incidents_var_bad,
    p_window_meets,
)

DAY = 86400.0

#: (T, mttf, mttr): short and long horizons, few and many cycles.
CHAINS = [
    (1e5, 1e4, 500.0),
    (2 * DAY, 6 * 3600.0, 1800.0),
    (30 * DAY, 20 * DAY, 4 * 3600.0),
    (365 * DAY, 3600.0 * 18, 300.0),           # about 490 failures a year
]

STARTS = ["up", "down", "stationary"]


def _generator(mttf, mttr):
    lam, mu = 1 / mttf, 1 / mttr
    return np.array([[-lam, lam], [mu, -mu]])


def _initial(start, mttf, mttr):
    q = mttr / (mttf + mttr)
    return {"up": np.array([1.0, 0.0]), "down": np.array([0.0, 1.0]),
            "stationary": np.array([1 - q, q])}[start]


def _pieces(T, mean, sd):
    pts = {0.0, T}
    for k in (-12, -8, -5, -3, -2, -1, 0, 1, 2, 3, 5, 8, 12):
        pts.add(min(max(mean + k * sd, 0.0), T))
    return sorted(pts)


# --- the two-state chain: exact checks ----------------------------------------------


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("T, mttf, mttr", CHAINS)
def test_laplace_transform_is_feynman_kac(T, mttf, mttr, start):
    """``1 - s int e^{-sx} P(D > x) dx`` equals ``pi expm((Q - sV) T) 1``."""
    Q = _generator(mttf, mttr)
    V = np.diag([0.0, 1.0])
    pi = _initial(start, mttf, mttr)
    mean = downtime_mean(T, mttf, mttr, start)
    sd = math.sqrt(downtime_var(T, mttf, mttr, start))
    pts = _pieces(T, mean, sd)
    for s in (0.3 / sd, 1 / sd, 3 / sd):
        want = pi @ linalg.expm((Q - s * V) * T) @ np.ones(2)
        integral = math.fsum(
            integrate.quad(lambda x, s=s: math.exp(-s * x) * downtime_sf(x, T, mttf, mttr, start),
                           a, b, epsabs=1e-14 / s, epsrel=1e-12, limit=200)[0]
            for a, b in zip(pts[:-1], pts[1:]) if b > a)
        got = 1 - s * integral
        assert got == pytest.approx(want, rel=1e-9, abs=1e-13)


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("T, mttf, mttr", CHAINS)
def test_mean_three_ways(T, mttf, mttr, start):
    """The closed form, ``int P(down at t) dt`` from the transition matrix,
    and ``int P(D > x) dx`` from the distribution."""
    Q = _generator(mttf, mttr)
    pi = _initial(start, mttf, mttr)
    closed = downtime_mean(T, mttf, mttr, start)
    relax = 1 / (1 / mttf + 1 / mttr)
    pts = sorted({0.0, T} | {min(k * relax, T) for k in (1, 3, 10, 30)})
    occupancy = math.fsum(
        integrate.quad(lambda t: (pi @ linalg.expm(Q * t))[1], a, b, epsabs=0,
                       epsrel=1e-12, limit=200)[0]
        for a, b in zip(pts[:-1], pts[1:]) if b > a)
    sd = math.sqrt(downtime_var(T, mttf, mttr, start))
    pts = _pieces(T, closed, sd)
    from_law = math.fsum(
        integrate.quad(lambda x: downtime_sf(x, T, mttf, mttr, start), a, b,
                       epsabs=1e-13 * closed, epsrel=1e-12, limit=200)[0]
        for a, b in zip(pts[:-1], pts[1:]) if b > a)
    assert occupancy == pytest.approx(closed, rel=1e-10)
    assert from_law == pytest.approx(closed, rel=1e-9)


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("T, mttf, mttr", CHAINS)
def test_variance_is_van_loan(T, mttf, mttr, start):
    """``E[D**2] = 2 pi [expm(block) T]_{13} 1`` with the block matrix
    ``[[Q, V, 0], [0, Q, V], [0, 0, Q]]``: the double time integral of
    ``P(down at u, down at v)``."""
    Q = _generator(mttf, mttr)
    V = np.diag([0.0, 1.0])
    Z = np.zeros((2, 2))
    block = np.block([[Q, V, Z], [Z, Q, V], [Z, Z, Q]])
    E = linalg.expm(block * T)
    pi = _initial(start, mttf, mttr)
    mean = pi @ E[:2, 2:4] @ np.ones(2)
    second = 2 * pi @ E[:2, 4:6] @ np.ones(2)
    assert downtime_mean(T, mttf, mttr, start) == pytest.approx(mean, rel=1e-8)
    assert downtime_var(T, mttf, mttr, start) == pytest.approx(second - mean**2, rel=1e-6)


def simulate_downtime(rng, runs, T, mttf, mttr, start):
    """Downtime in ``[0, T]`` of ``runs`` alternating renewal paths: plain
    NumPy, exponential up and down times, enough cycles drawn for every
    path to pass ``T``."""
    q = mttr / (mttf + mttr)
    down0 = {"up": np.zeros(runs, bool), "down": np.ones(runs, bool),
             "stationary": rng.random(runs) < q}[start]
    K = int(stats.poisson.isf(1e-12, T / (mttf + mttr))) + 5
    first = np.where(down0, rng.exponential(mttr, runs), 0.0)   # repair in progress
    ups = rng.exponential(mttf, (runs, K))
    downs = rng.exponential(mttr, (runs, K))
    starts = first[:, None] + np.cumsum(ups, axis=1) + np.cumsum(downs, axis=1) - downs
    ends = starts + downs
    assert (ends[:, -1] > T).all()
    total = np.minimum(first, T)
    total += (np.minimum(ends, T) - np.minimum(starts, T)).sum(axis=1)
    return total


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("T, mttf, mttr", CHAINS[:3])
def test_distribution_against_simulation(seed, T, mttf, mttr, start):
    rng = np.random.default_rng([seed, 1])
    runs = 20_000
    D = simulate_downtime(rng, runs, T, mttf, mttr, start)
    mean = downtime_mean(T, mttf, mttr, start)
    var = downtime_var(T, mttf, mttr, start)
    assert abs(D.mean() - mean) <= 5 * math.sqrt(var / runs)
    for x in np.quantile(D, [0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]):
        p = downtime_cdf(x, T, mttf, mttr, start)
        count = np.count_nonzero(D <= x)
        assert abs(count - runs * p) <= 5 * math.sqrt(runs * p * (1 - p)) + 1, (x, p)
    assert downtime_sf(np.median(D), T, mttf, mttr, start) == pytest.approx(
        1 - downtime_cdf(np.median(D), T, mttf, mttr, start), abs=1e-14)


# --- the two-state chain: limits and edges --------------------------------------------


def test_atoms_and_edges():
    T, mttf, mttr = 1e5, 1e4, 500.0
    assert downtime_cdf(0.0, T, mttf, mttr, "up") == pytest.approx(math.exp(-T / mttf),
                                                                   rel=1e-14)
    assert downtime_cdf(0.0, T, mttf, mttr, "down") == 0.0
    # down all along: the atom at T
    assert downtime_sf(T * (1 - 1e-12), T, mttf, 5 * T, "down") == pytest.approx(
        math.exp(-0.2), rel=1e-9)
    assert downtime_cdf(-1.0, T, mttf, mttr) == 0.0
    assert downtime_cdf(T, T, mttf, mttr, "down") == 1.0
    assert downtime_cdf(2 * T, T, mttf, mttr) == 1.0
    x = np.linspace(0, T, 41)
    for start in STARTS:
        c = downtime_cdf(x, T, mttf, mttr, start)
        assert c.shape == x.shape and (np.diff(c) >= -1e-15).all()
        assert np.allclose(c + downtime_sf(x, T, mttf, mttr, start), 1.0, atol=1e-15)
    q = mttr / (mttf + mttr)
    mix = q * downtime_cdf(x, T, mttf, mttr, "down") + (1 - q) * downtime_cdf(
        x, T, mttf, mttr, "clean")
    assert np.allclose(downtime_cdf(x, T, mttf, mttr, "stationary"), mix, rtol=0, atol=1e-16)
    with pytest.raises(ValueError, match="start"):
        downtime_cdf(1.0, T, mttf, mttr, "warm")
    with pytest.raises(ValueError, match="mttf"):
        downtime_cdf(1.0, T, 0.0, mttr)


def test_no_failures_limit():
    """``mttf`` far beyond ``T``: up stays up; down is one repair,
    ``P(D <= x) = 1 - exp(-x / mttr)`` (to first order in ``T / mttf``)."""
    T, mttf, mttr = 1e5, 1e13, 2e4
    x = np.array([0.0, 1e3, 1e4, 5e4, 9e4])
    assert np.allclose(downtime_cdf(x, T, mttf, mttr, "up"), 1.0, rtol=0, atol=1e-8)
    assert np.allclose(downtime_cdf(x, T, mttf, mttr, "down"), -np.expm1(-x / mttr),
                       rtol=1e-7, atol=0)


def test_normal_limit_of_a_long_horizon():
    """Many cycles: ``D`` is close to normal, mean ``q T``, variance ``2 lam
    mu T / (lam + mu)**3``; and the sums stay stable (``lam T`` about 10**4)."""
    T, mttf, mttr = 365 * DAY, 3000.0, 30.0
    lam, mu = 1 / mttf, 1 / mttr
    mean = downtime_mean(T, mttf, mttr, "stationary")
    sd = math.sqrt(2 * lam * mu * T / (lam + mu) ** 3)
    assert downtime_var(T, mttf, mttr, "stationary") == pytest.approx(sd**2, rel=1e-3)
    for z in (-2.0, -1.0, 0.0, 1.0, 2.0):
        p = downtime_cdf(mean + z * sd, T, mttf, mttr, "stationary")
        assert abs(p - stats.norm.cdf(z)) < 0.01


def test_p_window_meets():
    T, mttf, mttr = 30 * DAY, 20 * DAY, 4 * 3600.0
    target = 0.999
    assert p_window_meets(target, T, mttf, mttr, "up") == downtime_cdf(
        (1 - target) * T, T, mttf, mttr, "up")
    # looser targets are met more often; a clean start helps
    p = [p_window_meets(t, T, mttf, mttr, "stationary") for t in (0.9999, 0.999, 0.99)]
    assert p[0] < p[1] < p[2]
    assert p_window_meets(target, T, mttf, mttr, "up") > p[1]
    with pytest.raises(ValueError, match="target"):
        p_window_meets(1.0, T, mttf, mttr)


# --- incidents ----------------------------------------------------------------------------


def simulate_bad(rng, runs, T, rate, d, e, start):
    """Bad integral over ``[0, T]`` per run: Poisson arrivals (from ``-d``
    when stationary, so that incidents are in progress at 0), each
    ``+1`` at its start and ``-1`` at its end; after sorting each run's
    changes, the error ratio is ``1 - (1 - e)**N`` between them."""
    t0 = -d if start == "stationary" else 0.0
    span = T - t0
    K = int(stats.poisson.isf(1e-12, rate * span)) + 2
    count = rng.poisson(rate * span, runs)
    assert count.max() <= K
    arrive = t0 + rng.random((runs, K)) * span
    arrive[np.arange(K) >= count[:, None]] = np.inf        # no such incident
    times = np.concatenate([arrive, arrive + d], axis=1)
    step = np.concatenate([np.ones((runs, K)), -np.ones((runs, K))], axis=1)
    order = np.argsort(times, axis=1, kind="stable")
    times = np.take_along_axis(times, order, axis=1)
    n = np.cumsum(np.take_along_axis(step, order, axis=1), axis=1)
    clipped = np.clip(times, 0.0, T)
    edges = np.concatenate([np.zeros((runs, 1)), clipped, np.full((runs, 1), T)], axis=1)
    level = np.concatenate([np.zeros((runs, 1)), n], axis=1)   # incidents in progress
    ratio = -np.expm1(level * math.log1p(-e)) if e < 1 else (level > 0).astype(float)
    return (ratio * np.diff(edges, axis=1)).sum(axis=1)


#: (T, rate, d, e): overlapping incidents, T below d, T between d and 2 d.
INCIDENTS = [
    (3 * DAY, 3 / DAY, 7200.0, 0.3),
    (3 * DAY, 12 / DAY, 3 * 3600.0, 1.0),
    (3600.0, 5 / 3600.0, 7200.0, 0.5),
    (3 * 3600.0, 2 / 3600.0, 7200.0, 0.8),
]


@pytest.mark.parametrize("start", ["clean", "stationary"])
@pytest.mark.parametrize("T, rate, d, e", INCIDENTS)
def test_incidents_against_simulation(seed, T, rate, d, e, start):
    rng = np.random.default_rng([seed, 2])
    runs = 40_000
    B = simulate_bad(rng, runs, T, rate, d, e, start)
    mean = incidents_mean_bad(T, rate, d, e, start)
    var = incidents_var_bad(T, rate, d, e, start)
    assert abs(B.mean() - mean) <= 5 * math.sqrt(var / runs)
    c = B - B.mean()
    m2, m4 = np.mean(c**2), np.mean(c**4)
    assert abs(np.var(B, ddof=1) - var) <= 5 * math.sqrt((m4 - m2**2) / runs)


def _cov(s, t, T, rate, d, e, start):
    """The covariance of the error ratio at ``s < t``, written again."""
    z = 1 - e
    if start == "clean":
        ws, wt = (max(0.0, s - d), s), (max(0.0, t - d), t)
    else:
        ws, wt = (s - d, s), (t - d, t)
    inter = max(0.0, min(ws[1], wt[1]) - max(ws[0], wt[0]))
    only = (ws[1] - ws[0]) + (wt[1] - wt[0]) - 2 * inter
    return (math.exp(-rate * (1 - z) * only - rate * (1 - z * z) * inter)
            - math.exp(-rate * (1 - z) * (only + 2 * inter)))


@pytest.mark.parametrize("start", ["clean", "stationary"])
@pytest.mark.parametrize("T, rate, d, e", INCIDENTS)
def test_incidents_variance_by_adaptive_quadrature(T, rate, d, e, start):
    """The piecewise Gauss-Legendre rule against nested adaptive quadrature
    (``scipy.integrate.quad``, told where the integrand has kinks: ``t =
    d``, where the later window starts after 0, and ``s = d``, ``s = T -
    d``) over ``s < t < min(T, s + d)``."""
    def inner(s):
        top = min(T, s + d)
        kinks = [p for p in (d,) if s < p < top]
        return integrate.quad(lambda t: _cov(s, t, T, rate, d, e, start), s, top,
                              points=kinks or None, epsabs=0, epsrel=1e-12, limit=200)[0]

    kinks = [p for p in (d, T - d) if 0 < p < T]
    want = 2 * integrate.quad(inner, 0.0, T, points=kinks or None, epsabs=0, epsrel=1e-11,
                              limit=400)[0]
    assert incidents_var_bad(T, rate, d, e, start) == pytest.approx(want, rel=1e-10)


def test_incidents_limits():
    T, rate, d = 30 * DAY, 2 / (30 * DAY), 2400.0
    for start in ("clean", "stationary"):
        assert incidents_mean_bad(T, rate, d, 0.0, start) == 0.0
        assert incidents_var_bad(T, rate, d, 0.0, start) == 0.0
    a = rate * 0.4
    assert incidents_mean_bad(T, rate, d, 0.4, "stationary") == pytest.approx(
        -T * math.expm1(-a * d), rel=1e-15)
    # the clean start misses a fixed amount: int_0^d exp(-a t) - exp(-a d) dt
    gap = integrate.quad(lambda t: math.exp(-a * t) - math.exp(-a * d), 0, d,
                         epsrel=1e-13)[0]
    assert (incidents_mean_bad(T, rate, d, 0.4, "stationary")
            - incidents_mean_bad(T, rate, d, 0.4, "clean")) == pytest.approx(gap, rel=1e-7)
    # continuous at T = d, where the closed form changes
    assert incidents_mean_bad(d * (1 - 1e-12), rate, d, 0.4) == pytest.approx(
        incidents_mean_bad(d, rate, d, 0.4), rel=1e-9)
    # rare incidents barely overlap: B is about e d times a Poisson count
    for start in ("clean", "stationary"):
        var = incidents_var_bad(T, rate, d, 0.4, start)
        approx = rate * T * (0.4 * d) ** 2
        assert abs(var / approx - 1) <= 3 * (rate * d + d / T)
    # certain, long incidents: always bad
    assert incidents_mean_bad(T, 1.0, T, 1.0, "stationary") == pytest.approx(T, rel=1e-12)
    with pytest.raises(ValueError, match="start"):
        incidents_mean_bad(T, rate, d, 0.4, "up")
    with pytest.raises(ValueError):
        incidents_var_bad(T, rate, d, 1.5)
