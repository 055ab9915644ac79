"""Exact reference distributions for behaviour over time (the timeline engine).

Two single-component processes whose laws are known in closed form, for
checking ``slosim.engines.timeline`` against its own error bars:

* **up and down times**, exponential (``mttf = 1 / lam``, ``mttr = 1 /
  mu``): an alternating renewal process, the two-state Markov chain. The
  downtime ``D`` in ``[0, T]`` (the bad integral of a component whose error
  ratio is 1 while down) has

  - starting up: ``P(D <= x) = sum_n Pois(n; lam (T - x)) P(Gamma(n, mu)
    <= x)`` for ``0 <= x < T`` (the ``n = 0`` term is ``Pois(0; .)``): ``D
    <= x`` exactly when the up-clock reaches ``T - x`` before real time
    ``T``; the failures met on ``T - x`` of up-clock are Poisson with mean
    ``lam (T - x)`` and each costs an independent Exp(mu) repair, so real
    time ``T - x + Gamma(N, mu)`` is needed;
  - starting down: the same with ``Gamma(n + 1, mu)`` (the repair in
    progress first), for ``0 <= x < T``; an atom ``exp(-mu T)`` at ``D =
    T`` (down all along);
  - stationary: down with probability ``q = mttr / (mttf + mttr)``, a
    mixture of the two (exponential residual times are exponential).

  :func:`downtime_cdf`, :func:`downtime_sf` (the tail summed directly, no
  ``1 - cdf`` cancellation), :func:`p_window_meets`; the mean in closed
  form (:func:`downtime_mean`): with ``s = lam + mu``, ``P(down at t)`` is
  ``q (1 - exp(-s t))`` starting up and ``q + (1 - q) exp(-s t)`` starting
  down, so ``E[D] = q T - q (1 - exp(-s T)) / s`` (up), ``q T + (1 - q) (1
  - exp(-s T)) / s`` (down), ``q T`` (stationary);
  :func:`downtime_var` from the distribution, ``E[D**2] = 2 int_0^T x
  P(D > x) dx``.

* **Poisson incidents** of rate ``r``, fixed duration ``d`` and error
  ratio ``e``: the error ratio at ``t`` is ``1 - (1 - e)**N(t)``, ``N(t)``
  the incidents in progress (they may overlap). Starting clean (none in
  progress at 0) ``N(t)`` is Poisson with mean ``r min(t, d)``; stationary,
  ``r d``. With ``a = r e`` (``E[(1 - e)**N] = exp(-e E[N])``):

  - clean: ``E[B] = int_0^T 1 - exp(-a min(t, d)) dt = T - (1 - exp(-a
    T)) / a`` for ``T <= d``, ``d - (1 - exp(-a d)) / a + (T - d) (1 -
    exp(-a d))`` beyond;
  - stationary: ``E[B] = T (1 - exp(-a d))``;
  - the variance from the covariance of the error ratio at ``s < t``:
    with ``z = 1 - e``, ``A_u = [max(0, u - d), u]`` (stationary: ``[u -
    d, u]``) the arrival window of the incidents in progress at ``u`` and
    ``I = |A_s & A_t|``, ``E[z**(N(s) + N(t))] = exp(-r (1 - z) (|A_s| +
    |A_t| - 2 I) - r (1 - z**2) I)``, so ``Cov = exp(...) - exp(-r (1 - z)
    (|A_s| + |A_t|))``, zero for ``t - s >= d``; ``Var(B) = 2 int int_{s <
    t} Cov``, by composite Gauss-Legendre over the pieces where the
    integrand is smooth.

  :func:`incidents_mean_bad`, :func:`incidents_var_bad`.

Everything here is written from the formulas above with SciPy's special
functions and shares no code with slosim; ``tests/test_timeline_oracle.py``
checks it against plain NumPy simulations, matrix exponentials (the
Feynman-Kac form of the two-state chain) and limiting cases.
"""

import math

import numpy as np
from scipy import integrate, special, stats

__all__ = [
    "STARTS",
    "downtime_cdf",
    "downtime_sf",
    "downtime_mean",
    "downtime_var",
    "p_window_meets",
    "incidents_mean_bad",
    "incidents_var_bad",
]

#: Start states of :func:`downtime_cdf`: ``"up"`` (``"clean"`` is the same),
#: ``"down"``, ``"stationary"``.
STARTS = ("up", "clean", "down", "stationary")

#: Poisson mass left out of each sum, on either side.
TAIL = 1e-17


def _rates(mttf, mttr):
    mttf, mttr = float(mttf), float(mttr)
    if not (mttf > 0 and mttr > 0 and math.isfinite(mttf) and math.isfinite(mttr)):
        raise ValueError(f"mttf and mttr must be finite and positive, got {mttf}, {mttr}")
    return 1.0 / mttf, 1.0 / mttr, mttr / (mttf + mttr)


def _start(start):
    if start not in STARTS:
        raise ValueError(f"start must be one of {STARTS}, got {start!r}")
    return "up" if start == "clean" else start


def _poisson_range(m):
    """``(n, pmf)`` over the Poisson(m) counts, leaving out at most ``TAIL``
    of the mass on either side."""
    if m <= 0:
        return np.zeros(1, dtype=np.int64), np.ones(1)
    k = 10.0
    while True:
        lo = max(int(m - k * math.sqrt(m)) - 1, 0)
        hi = int(m + k * math.sqrt(m) + 3 * k) + 1
        if (lo == 0 or stats.poisson.cdf(lo - 1, m) < TAIL) and \
                stats.poisson.sf(hi, m) < TAIL:
            break
        k *= 1.5
    n = np.arange(lo, hi + 1)
    return n, stats.poisson.pmf(n, m)


def _gamma_cdf(shape, y):
    """``P(Gamma(shape, 1) <= y)`` with ``Gamma(0) = 0``."""
    out = special.gammainc(np.maximum(shape, 1), y)
    return np.where(shape == 0, 1.0, out)


def _gamma_sf(shape, y):
    out = special.gammaincc(np.maximum(shape, 1), y)
    return np.where(shape == 0, 0.0, out)


def _one(x, T, lam, mu, start, tail):
    """``P(D <= x)`` (``tail=False``) or ``P(D > x)`` from one start state."""
    if x < 0:
        return 0.0 if not tail else 1.0
    if x >= T:
        return 1.0 if not tail else 0.0
    n, w = _poisson_range(lam * (T - x))
    shape = n if start == "up" else n + 1
    f = _gamma_sf if tail else _gamma_cdf
    return float(math.fsum((w * f(shape, mu * x)).tolist()))


def _downtime(x, T, mttf, mttr, start, tail):
    lam, mu, q = _rates(mttf, mttr)
    T = float(T)
    start = _start(start)
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape)
    for i, xi in np.ndenumerate(x):
        if start == "stationary":
            out[i] = (q * _one(xi, T, lam, mu, "down", tail)
                      + (1 - q) * _one(xi, T, lam, mu, "up", tail))
        else:
            out[i] = _one(xi, T, lam, mu, start, tail)
    return out if out.ndim else float(out)


def downtime_cdf(x, T, mttf, mttr, start="up"):
    """``P(D <= x)``: the downtime in ``[0, T]`` of one component with
    exponential up (mean ``mttf``) and down (mean ``mttr``) times.

    Parameters
    ----------
    x : float or array_like
        Seconds of downtime.
    T : float
        The horizon, seconds.
    mttf, mttr : float
        Means of the up and down times, seconds.
    start : {'up', 'clean', 'down', 'stationary'}
        The state at 0 (``'clean'`` is ``'up'``); stationary: down with
        probability ``mttr / (mttf + mttr)``.

    Returns
    -------
    float or ndarray
        Absolute error about ``2e-17`` (the Poisson tails left out).
    """
    return _downtime(x, T, mttf, mttr, start, tail=False)


def downtime_sf(x, T, mttf, mttr, start="up"):
    """``P(D > x)``, summed as a tail (accurate where it is small); see
    :func:`downtime_cdf`."""
    return _downtime(x, T, mttf, mttr, start, tail=True)


def p_window_meets(target, T, mttf, mttr, start="up"):
    """Probability that a window of ``T`` seconds meets an availability
    target: ``P(D <= (1 - target) T)``."""
    if not 0 < target < 1:
        raise ValueError(f"target must be in (0, 1), got {target}")
    return downtime_cdf((1.0 - target) * T, T, mttf, mttr, start)


def downtime_mean(T, mttf, mttr, start="up"):
    """``E[D]`` in closed form (see the module notes)."""
    lam, mu, q = _rates(mttf, mttr)
    s = lam + mu
    relax = -math.expm1(-s * T) / s          # int_0^T exp(-s t) dt
    start = _start(start)
    if start == "up":
        return q * T - q * relax
    if start == "down":
        return q * T + (1 - q) * relax
    return q * T


def _breaks(lo, hi, centre, width):
    """Points in ``(lo, hi)`` around ``centre`` at multiples of ``width``:
    where a distribution function integrated over ``[lo, hi]`` moves."""
    pts = {lo, hi}
    for k in (-12, -8, -5, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 5, 8, 12):
        pts.add(min(max(centre + k * width, lo), hi))
    pts.add(centre)
    return sorted(pts)


def downtime_var(T, mttf, mttr, start="up"):
    """``Var(D)`` from the distribution, centred at the mean ``m`` to keep
    its digits: ``2 int_m^T (x - m) P(D > x) dx + 2 int_0^m (m - x) P(D <=
    x) dx`` (adaptive quadrature over pieces around the mean)."""
    lam, mu, _ = _rates(mttf, mttr)
    T = float(T)
    m = downtime_mean(T, mttf, mttr, start)
    # the long-run standard deviation (2 lam mu T / (lam + mu)**3) guides the pieces
    width = max(math.sqrt(2 * lam * mu * T / (lam + mu) ** 3), T * 1e-9)
    pts = _breaks(0.0, T, m, width)

    def above(x):
        return (x - m) * downtime_sf(x, T, mttf, mttr, start)

    def below(x):
        return (m - x) * downtime_cdf(x, T, mttf, mttr, start)

    return 2 * math.fsum(
        integrate.quad(above if a >= m else below, a, b, epsabs=1e-13 * width**2,
                       epsrel=1e-10, limit=200)[0]
        for a, b in zip(pts[:-1], pts[1:]) if b > a)


# --- Poisson incidents of a fixed duration ----------------------------------------


def _incident_args(T, rate, d, e, start):
    T, rate, d, e = float(T), float(rate), float(d), float(e)
    if not (T > 0 and rate > 0 and d > 0 and 0 <= e <= 1):
        raise ValueError(f"need T, rate, d > 0 and e in [0, 1], got {T}, {rate}, {d}, {e}")
    if start not in ("clean", "stationary"):
        raise ValueError(f"start must be 'clean' or 'stationary', got {start!r}")
    return T, rate, d, e


def incidents_mean_bad(T, rate, d, e, start="clean"):
    """``E[B]``, the bad integral over ``[0, T]`` of one class of Poisson
    incidents (``rate`` per second, fixed duration ``d`` seconds, error
    ratio ``e``), starting ``'clean'`` or ``'stationary'`` (see the module
    notes).
    """
    T, rate, d, e = _incident_args(T, rate, d, e, start)
    a = rate * e
    if start == "stationary":
        return -T * math.expm1(-a * d)
    if a == 0:
        return 0.0
    if T <= d:
        return T + math.expm1(-a * T) / a
    return d + math.expm1(-a * d) / a - (T - d) * math.expm1(-a * d)


def _gauss(f, a, b, order=48):
    """Gauss-Legendre rule of ``order`` nodes for ``f`` (vectorised) on
    ``[a, b]``."""
    if b <= a:
        return 0.0
    x, w = np.polynomial.legendre.leggauss(order)
    half = (b - a) / 2
    return float(half * np.dot(w, f(a + half * (x + 1))))


def incidents_var_bad(T, rate, d, e, start="clean"):
    """``Var(B)`` for the incidents of :func:`incidents_mean_bad`.

    ``2 int int_{s < t} Cov(g(s), g(t))`` over ``t - s < d`` (see the module
    notes), in the variables ``h = t - s`` and ``s``: where both windows
    start after 0 (always, stationary) the covariance depends on ``h``
    only; the rest is a double Gauss-Legendre rule over the pieces where
    the integrand is smooth (split at ``s + h = d`` and ``h = T - d``).
    """
    T, rate, d, e = _incident_args(T, rate, d, e, start)
    z = 1.0 - e
    c1, c2 = rate * (1 - z), rate * (1 - z * z)

    def cov(s, t):
        a_s = s - np.maximum(s - d, 0.0) if start == "clean" else d
        a_t = t - np.maximum(t - d, 0.0) if start == "clean" else d
        lo = np.maximum(t - d, 0.0) if start == "clean" else t - d
        inter = np.maximum(s - lo, 0.0)
        both = np.exp(-c1 * (a_s + a_t - 2 * inter) - c2 * inter)
        return both - np.exp(-c1 * (a_s + a_t))

    def stationary_cov(h):                   # both windows after 0, t - s = h
        return np.exp(-c1 * 2 * h - c2 * (d - h)) - np.exp(-2 * c1 * d)

    H = min(d, T)
    if start == "stationary":
        return 2 * _gauss(lambda h: (T - h) * stationary_cov(h), 0.0, H)

    def inner(h):
        """int over s in [0, min(d, T - h)] of cov(s, s + h), plus the
        stationary part over s in [d, T - h]."""
        out = np.empty_like(h)
        for i, hi in enumerate(h):
            top = min(d, T - hi)
            cut = min(max(d - hi, 0.0), top)  # s + h = d: the later window starts
            val = (_gauss(lambda s, hi=hi: cov(s, s + hi), 0.0, cut)
                   + _gauss(lambda s, hi=hi: cov(s, s + hi), cut, top))
            out[i] = val + max(T - hi - d, 0.0) * stationary_cov(hi)
        return out

    pts = sorted({0.0, H, min(max(T - d, 0.0), H)})
    return 2 * sum(_gauss(inner, a, b) for a, b in zip(pts[:-1], pts[1:]))
