"""Integrating a one-factor copula's factor out of exact results.

Given the factor ``F``, a one-factor copula's members fail independently,
so every exact output is the expectation over ``F`` (standard normal) of
the same output at the members' conditional unavailabilities ``q_i(F)``.
:func:`integrate_factor` computes it by globally adaptive Gauss-Kronrod
quadrature, to a relative error of ``1e-11`` in every output.
"""

import numpy as np

from .._errors import ConvergenceError

__all__ = ["integrate_factor", "FACTOR_RANGE"]

# Gauss-Kronrod 7-15 rule on [-1, 1] (nodes from QUADPACK's qk15).
_XK = np.array([0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
                0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
                0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
                0.207784955007898467600689403773245, 0.0])
_WK = np.array([0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
                0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
                0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
                0.204432940075298892414161999234649, 0.209482141084727828012999174891714])
_WG = np.array([0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
                0.381830050505118944950369775488975, 0.417959183673469387755102040816327])
_NODES = np.concatenate([-_XK[:-1], _XK[::-1]])
_KRONROD = np.concatenate([_WK[:-1], _WK[::-1]])
_GAUSS = np.zeros(15)
_GAUSS[[1, 3, 5, 7, 9, 11, 13]] = np.concatenate([_WG[:-1], _WG[::-1]])

#: The factor is integrated over [-FACTOR_RANGE, FACTOR_RANGE]: outside,
#: its density is below the smallest double, so nothing representable is
#: lost, however small the result (tiny unavailabilities with loadings near
#: one fail far out in the tails).
FACTOR_RANGE = 38.5
# Panel cuts beyond the unit grid on [-14, 14], where the density is tiny.
_TAIL_CUTS = (16.0, 19.0, 23.0, 28.0, 33.0)
_RTOL = 1e-11
_MAX_PANELS = 1000


def integrate_factor(evaluate, q, v, t, l, s):
    """E over the factor F of ``evaluate`` at the members' q(F).

    Globally adaptive Gauss-Kronrod (7-15) over F with the standard
    normal density, refined until every output (each journey's
    availability, unavailability and conditionals, each separately) has an
    estimated relative error below ``_RTOL``. Panels start from a grid of
    width 1 on [-14, 14], wider panels out to ``FACTOR_RANGE``, and cuts
    around each member's transition point ``t_i / l_i`` at multiples of its
    width ``s_i / |l_i|``.
    """
    from scipy.special import ndtr

    qv = np.array(q, dtype=np.float64)
    rv = 1.0 - qv

    def panel(a, b):
        half, mid = (b - a) / 2, (a + b) / 2
        f = mid + half * _NODES
        x = (t[None, :] - l[None, :] * f[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(s > 0, x / np.where(s > 0, s, 1.0),
                         np.where(x > 0, np.inf, -np.inf))
        qf, rf = ndtr(x), ndtr(-x)   # each to full relative precision
        w = half * np.exp(-0.5 * f * f) / np.sqrt(2 * np.pi)
        vals = []
        for i in range(len(f)):
            qv[v], rv[v] = qf[i], rf[i]
            vals.append(evaluate(qv, rv))
        vals = np.stack(vals) * w[:, None, None]
        k = np.tensordot(_KRONROD, vals, axes=1)
        g = np.tensordot(_GAUSS, vals, axes=1)
        return k, np.abs(k - g)

    cuts = set(np.arange(-14.0, 14.5, 1.0).tolist())
    cuts.update(c for x in _TAIL_CUTS + (FACTOR_RANGE,) for c in (-x, x))
    # around each member's transition, where the integrands change fastest,
    # at multiples of its width s_i / |l_i| (peaks cannot fall between nodes)
    centre, width = t / l, s / np.abs(l)
    for k in (-4.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0):
        for c in (centre + k * width).tolist():
            if -FACTOR_RANGE < c < FACTOR_RANGE:
                cuts.add(c)
    cuts = sorted(cuts)
    panels = [(a, b, *panel(a, b)) for a, b in zip(cuts[:-1], cuts[1:])]
    while True:
        total = sum(p[2] for p in panels)
        err = sum(p[3] for p in panels)
        tol = _RTOL * np.abs(total) + 1e-300
        if np.all(err <= tol):
            return total
        if len(panels) >= _MAX_PANELS:
            worst = float(np.max(err / tol)) * _RTOL
            raise ConvergenceError(
                f"the integral over the copula factor did not converge to a "
                f"relative error of {_RTOL:g} in {_MAX_PANELS} panels (it "
                f"reached {worst:.2g}); estimate this model with slosim.simulate")
        score = [float(np.max(p[3] / tol)) for p in panels]
        i = int(np.argmax(score))
        a, b = panels[i][:2]
        m = (a + b) / 2
        panels[i:i + 1] = [(a, m, *panel(a, m)), (m, b, *panel(m, b))]
