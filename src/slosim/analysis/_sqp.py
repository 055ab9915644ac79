"""A sequential quadratic programming method for allocation problems.

Allocation problems have many variables (one per free component, in nines)
and few constraints (one per journey target), box bounds, a separable
objective, and exact first derivatives of every constraint from one pass
over the decision diagram; the diagonal of each constraint's Hessian is
known in closed form too (see :func:`journey_nines`), the rest would need
pairwise conditionals. General-purpose solvers (SLSQP, trust-constr) keep
dense ``n x n`` matrices and take seconds per iteration at a thousand
variables; this method keeps nothing larger than ``m x n``:

* the Hessian of the Lagrangian is modelled by its diagonal, exact for the
  objective and for each constraint's own terms; the off-diagonal terms of
  a series journey lie along its gradient, which the constraint's tangent
  space projects out;
* each quadratic subproblem (linearised constraints, box and trust region)
  is solved through its dual, a concave piecewise-quadratic function of the
  ``m`` multipliers, by projected Newton steps: the primal step of given
  multipliers is a clip, component by component;
* iterates stay feasible: after each step the targets are restored along
  the constraints' gradients by a one-dimensional search (constraints are
  monotone in every variable for coherent structures), so every accepted
  iterate is a plan that meets every target, and the step is accepted when
  it lowers the objective (trust region on the nines each may move).

The result is a point satisfying the Karush-Kuhn-Tucker conditions to the
reported residual; for convex problems (series journeys, costs convex in
nines) it is the global optimum.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Problem", "Solution", "solve", "LN10"]

LN10 = float(np.log(10.0))
_TRACE = False


class Problem:
    """What :func:`solve` asks of an allocation problem.

    Variables ``x`` (nines of the free components) within ``[low, high]``;
    constraints ``h_j(x) >= tau_j``, each ``h_j`` non-decreasing in every
    variable. Subclasses implement:

    * ``objective(x)`` -> ``(f, gradient, hessian diagonal)``;
    * ``constraints(x, derivatives)`` -> ``h`` (shape ``(m,)``), and with
      ``derivatives`` also the Jacobian ``G`` (``(m, n)``) and the diagonal
      second derivatives ``D`` (``(m, n)``) of each ``h_j``.
    """

    low: np.ndarray
    high: np.ndarray
    tau: np.ndarray

    def objective(self, x):
        raise NotImplementedError

    def constraints(self, x, derivatives=False):
        raise NotImplementedError


@dataclass
class Solution:
    """The outcome of :func:`solve`.

    Attributes
    ----------
    x : ndarray
        The last accepted (feasible) point.
    f : float
    multipliers : ndarray, shape (m,)
        Of the constraints, in objective units per unit of ``h``.
    kkt_residual : float
        Largest of the stationarity residual (relative to the largest
        objective slope), the constraint violation and the complementarity
        residual.
    iterations, evaluations : int
    converged : bool
    message : str
    """

    x: np.ndarray
    f: float
    multipliers: np.ndarray
    kkt_residual: float
    iterations: int
    evaluations: int
    converged: bool
    message: str


def kkt_residual(g, G, mu, h, tau, x, low, high, scale=None):
    """Residual of the KKT conditions at ``x`` with multipliers ``mu``.

    Stationarity ``g - G^T mu - nu = 0`` with bound multipliers ``nu``
    taken as the part of the residual that an active bound can carry; the
    remaining stationarity residual is relative to ``scale`` (by default
    ``max |g|``; :func:`solve` passes the largest slope at its start, since
    the slope itself vanishes at an unconstrained optimum).
    """
    if scale is None:
        scale = float(np.max(np.abs(g))) if g.size else 0.0
    scale = max(scale, 1e-300)
    rest = g - (G.T @ mu if len(mu) else 0.0)
    at_low = x <= low + 1e-12 * np.maximum(1.0, np.abs(low))
    at_high = x >= high - 1e-12 * np.maximum(1.0, np.abs(high))
    # at a lower bound the objective may push down (rest > 0); at an upper
    # bound up (rest < 0)
    rest = np.where(at_low & (rest > 0), 0.0, rest)
    rest = np.where(at_high & (rest < 0), 0.0, rest)
    station = float(np.max(np.abs(rest))) / scale if rest.size else 0.0
    slack = h - tau
    violation = float(np.max(np.maximum(-slack, 0.0))) if len(h) else 0.0
    comp = float(np.max(np.abs(mu * np.minimum(slack, 1.0)))) / scale if len(h) else 0.0
    return max(station, violation, comp)


def dual_qp(g, H, G, r, a, b, mu0, *, tol=1e-13, max_iter=100):
    """Solve ``min g.d + d.H.d / 2`` s.t. ``G d >= r``, ``a <= d <= b``.

    ``H`` is a positive diagonal (a vector). Returns ``(d, mu)``: the step
    and the constraints' multipliers. The dual ``D(mu) = min_d L(d, mu)``
    is concave and piecewise quadratic in the ``m`` multipliers, its
    minimiser ``d(mu)`` a clip in each component; it is maximised over
    ``mu >= 0`` by Newton directions (steepest ascent where the components
    are all clipped) with an exact line search: along a ray the dual's
    slope is piecewise linear, so its zero is found among the breakpoints.
    The QP must be feasible (``d = 0`` is, at a feasible point).
    """
    m = len(r)
    if m == 0:
        return np.clip(-g / H, a, b), np.zeros(0)
    mu = np.maximum(np.asarray(mu0, dtype=np.float64), 0.0)
    scale = max(float(np.max(np.abs(r))), float(np.max(np.abs(G))) *
                float(np.max(np.maximum(np.abs(a), np.abs(b)))), 1e-300)
    for _ in range(max_iter):
        u = G.T @ mu - g
        z = u / H
        d = np.clip(z, a, b)
        grad = r - G @ d                       # dD/dmu
        pg = np.where(mu > 0, grad, np.maximum(grad, 0.0))
        if np.max(np.abs(pg)) <= tol * scale:
            break
        move = (mu > 0) | (grad > 0)
        free = (z > a) & (z < b)
        Gf = G[np.ix_(move, free)]
        M = (Gf / H[free]) @ Gf.T              # -(dual Hessian) on the moving set
        step = np.zeros(m)
        if M.size and np.max(np.abs(M)) > 0:
            step[move] = np.linalg.lstsq(M, grad[move], rcond=1e-12)[0]
        flat = np.zeros(m, dtype=bool)        # multipliers no free variable feels
        flat[move] = np.diag(M) <= 1e-12 * max(float(np.max(np.diag(M))), 1e-300) \
            if M.size else True
        moved = False
        for direction in (step, np.where(flat & move, grad, 0.0),
                          np.where(move, grad, 0.0)):
            if not float(direction @ grad) > 0:   # not an ascent direction
                continue
            t = _ray_maximum(mu, direction, g, H, G, r, a, b)
            if t > 0.0:
                mu = np.maximum(mu + t * direction, 0.0)
                moved = True
                u = G.T @ mu - g
                d = np.clip(u / H, a, b)
                grad = r - G @ d
        if not moved:
            break
    d = np.clip((G.T @ mu - g) / H, a, b)
    return d, mu


def _lp_step(g, G, r, a, b):
    """``(d, mu)`` minimising ``g.d`` s.t. ``G d >= r``, ``a <= d <= b``
    (scipy's HiGHS), or None if it fails."""
    from scipy.optimize import linprog

    out = linprog(g, A_ub=-G if len(r) else None, b_ub=-r if len(r) else None,
                  bounds=list(zip(a, b)), method="highs")
    if out.status != 0:
        return None
    mu = -out.ineqlin.marginals if len(r) else np.zeros(0)
    return out.x, np.maximum(mu, 0.0)


def _ray_maximum(mu, step, g, H, G, r, a, b):
    """The ``t`` in ``[0, t_max]`` maximising ``D(mu + t step)`` (``t_max``:
    where a multiplier reaches 0)."""
    neg = step < 0
    t_max = float(np.min(-mu[neg] / step[neg])) if neg.any() else np.inf
    u0 = G.T @ mu - g
    w = G.T @ step
    c = float(step @ r)

    def slope(t):                      # d/dt D(mu + t step), non-increasing
        return c - float(w @ np.clip((u0 + t * w) / H, a, b))

    if slope(0.0) <= 0.0:
        return 0.0
    moving = w != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        ta = (a[moving] * H[moving] - u0[moving]) / w[moving]
        tb = (b[moving] * H[moving] - u0[moving]) / w[moving]
    points = np.concatenate([ta, tb])
    points = np.unique(points[(points > 0) & (points < t_max)])
    lo = 0.0
    if points.size:
        # the last breakpoint where the slope is still positive
        k_lo, k_hi = -1, points.size
        while k_hi - k_lo > 1:
            k = (k_lo + k_hi) // 2
            if slope(points[k]) > 0:
                k_lo = k
            else:
                k_hi = k
        lo = points[k_lo] if k_lo >= 0 else 0.0
        hi = points[k_hi] if k_hi < points.size else t_max
    else:
        hi = t_max
    if np.isinf(hi):
        # beyond the last breakpoint the slope is linear; it must turn
        s0 = slope(lo)
        s1 = slope(lo + 1.0)
        if s1 >= s0:              # unbounded: the subproblem is infeasible
            return 0.0
        return lo + s0 / (s0 - s1)
    s_lo, s_hi = slope(lo), slope(hi)
    if s_hi >= 0:
        return hi
    return lo + (hi - lo) * s_lo / (s_lo - s_hi)     # linear between breakpoints


#: Iterations :func:`solve` may take. Most problems converge in tens; a
#: three-component model with a parallel and a series journey both binding
#: took 364 (a plan 0.04% dearer than the optimum at 300, found by the
#: tests' comparison with scipy's SLSQP).
MAX_ITER = 1000


def solve(problem, x0, *, max_iter=MAX_ITER, tol=1e-9, mu0=None, newton=True):
    """Minimise ``problem.objective`` from the feasible point ``x0``.

    Parameters
    ----------
    problem : Problem
    x0 : ndarray
        Feasible: within the bounds, every constraint met.
    max_iter : int
    tol : float
        Stop when the KKT residual is below ``tol``; a point where no step
        lowers the objective any more counts as converged when its residual
        is below ``1000 tol``.
    newton : bool, default True
        Take Newton steps on the face the subproblem identifies
        (:func:`_newton_step`); the subproblem's own step otherwise, or when
        Newton's fails.

    Returns
    -------
    Solution
    """
    low, high, tau = problem.low, problem.high, problem.tau
    x = np.clip(np.asarray(x0, dtype=np.float64), low, high)
    m = len(tau)
    f, g, Hf = problem.objective(x)
    h, G, D = problem.constraints(x, True)
    evaluations = 1
    if mu0 is not None:
        mu = np.asarray(mu0, dtype=np.float64)
    else:
        mu = _least_squares_multipliers(g, G, x, low, high)
    scale = float(np.max(np.abs(g))) if g.size else 0.0
    delta = 1.0
    residual = np.inf
    message = "iteration limit reached"
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        H = Hf + (D.T @ mu if m else 0.0)
        # where neither the objective nor a constraint curves, the trust
        # region alone bounds the step
        H = np.maximum(H, 1e-9 * max(float(np.max(np.abs(g))), 1e-300))
        a = np.maximum(low - x, -delta)
        b = np.minimum(high - x, delta)
        d, mu_new = dual_qp(g, H, G, tau - h, a, b, mu)
        residual = kkt_residual(g, G, mu_new, h, tau, x, low, high, scale)
        step = float(np.max(np.abs(d))) if d.size else 0.0
        if residual <= tol:
            mu, converged, message = mu_new, True, "KKT conditions hold"
            break
        if step <= tol and residual > 1e3 * tol:
            # where neither the objective nor the constraints curve, the
            # subproblem is nearly a linear programme and its dual too flat
            # to steer: solve the linear programme itself
            lp = _lp_step(g, G, tau - h, a, b)
            if lp is not None and float(np.max(np.abs(lp[0]))) > tol:
                d, mu_new = lp
                step = float(np.max(np.abs(d)))
        if step <= tol:
            mu = mu_new
            converged = residual <= 1e3 * tol
            message = ("KKT conditions hold" if converged else
                       "steps too small to reduce the KKT residual further")
            break
        accepted = None
        candidates = []
        if newton:
            steps, _, used = _newton_step(problem, x, g, G, mu_new, H, h, tau,
                                          low, high, d, delta)
            evaluations += used
            if steps is not None:
                candidates.extend(steps)
        # the subproblem's own step: alone, or when Newton's fails
        candidates.append((d, -float(g @ d + 0.5 * (H * d) @ d)))
        # near the solution the predicted gain falls below the rounding of
        # f: a step is then accepted if f does not grow past that rounding
        noise = 16 * np.finfo(float).eps * abs(f)
        for dn, predicted in candidates:
            xt, used = _restore(problem, x + dn, dn, G, mu_new, low, high, tau, H)
            evaluations += used
            if xt is not None:
                ft, gt, Ht = problem.objective(xt)
                if ft < f or (predicted <= noise and ft <= f + noise):
                    accepted = (xt, ft, gt, Ht)
                    break
            if _TRACE:
                gain = "no restoration" if xt is None else f"{f - ft:.3g}"
                print(f"   rejected |d| {np.max(np.abs(dn)):.3g} pred {predicted:.3g} "
                      f"gain {gain}")
        size = float(np.max(np.abs(dn)))
        if accepted is None:
            delta = max(size / 4.0, 1e-14)
            if delta <= 1e-14:
                mu = mu_new
                message = "no step lowers the objective"
                converged = residual <= 1e3 * tol
                break
            continue
        ratio = (f - accepted[1]) / predicted if predicted > 0 else 1.0
        if ratio > 0.75 and size >= 0.99 * delta:
            delta = min(2.0 * delta, 8.0)
        elif ratio < 0.25:
            delta = max(size / 4.0, 1e-14)
        if _TRACE:
            print(f"it {it} f {f:.12g} -> {accepted[1]:.12g} res {residual:.3g} "
                  f"ratio {ratio:.3g} delta {delta:.3g} evaluations {evaluations}")
        x, f, g, Hf = accepted
        mu = mu_new
        h, G, D = problem.constraints(x, True)
        evaluations += 1
    return Solution(x=x, f=f, multipliers=mu, kkt_residual=residual, iterations=it,
                    evaluations=evaluations, converged=converged, message=message)


def _newton_step(problem, x, g, G, mu, H, h, tau, low, high, d_qp, delta, *,
                 max_cg=30):
    """Newton's step, within the trust region, on the subproblem's face.

    The variables the subproblem's step ``d_qp`` takes to a bound go there;
    on the others, minimises ``g.d + d.W.d / 2`` subject to the active
    targets held to first order (``G_A d = tau_A - h_A``) and ``|d| <=
    delta``, with ``W`` the Hessian of the Lagrangian at multipliers
    ``mu``, by projected conjugate gradients preconditioned by the diagonal
    model ``H`` (Steihaug's method: stop at the trust region's boundary, or
    go to it along a direction of negative curvature); each product ``W v``
    is a difference of the Lagrangian's exact gradients at ``x`` and
    ``x + eps v`` (one evaluation with derivatives). Variables the step
    takes past a bound stop at it, or the whole step stops at the first
    bound. Returns ``(steps or None, None, evaluations)``, ``steps`` a list
    of ``(d, predicted decrease)`` to try in order.
    """
    n = len(x)
    target = x + d_qp
    bound = (target <= low + 1e-12) | (target >= high - 1e-12)
    free = ~bound
    out = np.where(bound, d_qp, 0.0)
    rest = g - (G.T @ mu if len(mu) else 0.0)
    predicted = -float(rest[bound] @ d_qp[bound])
    if not free.any():
        return ([(out, predicted)] if np.any(out) else None), None, 0
    act = mu > 0
    A = G[np.ix_(act, free)]                      # active rows on the free set
    need = (tau - h)[act] - G[np.ix_(act, bound)] @ d_qp[bound]
    P = 1.0 / H[free]                             # the preconditioner, inverted
    if A.size:
        K = (A * P) @ A.T
        K += 1e-14 * max(float(np.trace(K)), 1e-300) * np.eye(len(K))
        try:
            K_inv = np.linalg.inv(K)
        except np.linalg.LinAlgError:
            return None, None, 0

        def project(v):                           # P v on the null space of A
            pv = P * v
            return pv - P * (A.T @ (K_inv @ (A @ pv)))
        d = P * (A.T @ (K_inv @ need))            # meets the active targets
    else:
        def project(v):
            return P * v
        d = np.zeros(int(free.sum()))
    evaluations = 0

    def lagrangian_gradient(y):
        _, gy, _ = problem.objective(y)
        _, Gy, _ = problem.constraints(y, True)
        return gy - (Gy.T @ mu if len(mu) else 0.0)

    def hess(v):
        nonlocal evaluations
        full = np.zeros(n)
        full[free] = v
        eps = 1e-7 / max(float(np.max(np.abs(v))), 1e-300)
        y = x + eps * full
        if np.any(y < low) or np.any(y > high):
            eps = -eps                            # the other side stays inside
            y = np.clip(x + eps * full, low, high)
        evaluations += 1
        return (lagrangian_gradient(y)[free] - rest[free]) / eps

    lo, hi = -delta * np.ones(int(free.sum())), delta * np.ones(int(free.sum()))
    if np.any(d < lo) or np.any(d > hi):
        return None, None, evaluations
    Wd = hess(d) if np.any(d) else np.zeros_like(d)
    r = rest[free] + Wd                           # the model's gradient at d
    model = float(rest[free] @ d + 0.5 * d @ Wd)  # the model's change at d
    z = project(r)
    p = -z
    rz = float(r @ z)
    rz0 = rz
    # inexact Newton: the residual need only shrink by a factor that tends
    # to zero with the KKT residual (Eisenstat and Walker's forcing term)
    scale = max(float(np.max(np.abs(g))), 1e-300)
    eta = min(0.1, float(np.max(np.abs(z * H[free]))) / scale) ** 2
    for _ in range(max_cg):
        if rz <= eta * rz0 or rz <= 0:
            break
        Wp = hess(p)
        curv = float(p @ Wp)
        t_box = _to_box(d, p, lo, hi, np.inf)
        if curv <= 0:                             # to the boundary, downhill
            t = t_box
        else:
            t = min(rz / curv, t_box)
        model += t * float(r @ p) + 0.5 * t * t * curv
        d = d + t * p
        if curv <= 0 or t >= t_box:
            break
        r = r + t * Wp
        z = project(r)
        rz_new = float(r @ z)
        if rz_new <= eta * rz0:
            break
        p = -z + (rz_new / rz) * p
        rz = rz_new
    # the box: a step past a bound either stops every variable at its bound
    # (projected) or stops as a whole where the first variable meets one
    # (truncated, keeping its direction); the caller tries both
    lo_box, hi_box = (low - x)[free], (high - x)[free]
    projected = out.copy()
    projected[free] = np.clip(d, lo_box, hi_box)
    if not np.any(projected):
        return None, None, evaluations
    steps = [(projected, predicted - model)]
    if not np.array_equal(projected[free], d):
        t = _to_box(np.zeros_like(d), d, lo_box, hi_box, 1.0)
        if t > 0:
            truncated = out.copy()
            truncated[free] = t * d
            steps.append((truncated, predicted - model * t))
    return steps, None, evaluations


def _to_box(d, p, lo, hi, t):
    """The largest ``s <= t`` with ``lo <= d + s p <= hi``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(p > 0, (hi - d) / p, np.inf)
        down = np.where(p < 0, (lo - d) / p, np.inf)
    return max(0.0, min(t, float(np.min(up)), float(np.min(down))))


def _least_squares_multipliers(g, G, x, low, high):
    """Non-negative multipliers that best balance the objective's slope on
    the variables off their bounds: a start for the first subproblem."""
    if not len(G):
        return np.zeros(0)
    from scipy.optimize import nnls

    inside = (x > low) & (x < high)
    if not inside.any():
        inside = np.ones(len(x), dtype=bool)
    mu, _ = nnls(G[:, inside].T, g[inside])
    return mu


def _restore(problem, x, d, G, mu, low, high, tau, H):
    """``x`` moved up along the constraints' gradients until every target
    holds again: ``(point or None, evaluations)``.

    The direction is the constraints' gradients weighed by their
    multipliers (by one, for a violated constraint without one), scaled by
    the inverse of the model's curvature ``H`` (the cheapest way up, to
    second order), and zero for variables at a bound; constraints are
    non-decreasing in every variable, so the least multiple of it that
    restores them is the root of a monotone function of one variable,
    found by regula falsi (Illinois) from a bracket, on the feasible side.
    """
    x = np.clip(x, low, high)
    h = problem.constraints(x)
    evaluations = 1
    short = tau - h
    if np.all(short <= 0):
        return x, evaluations
    w = np.where(short > 0, np.maximum(mu, 1.0), mu)
    # (a variable the model sees no curvature in must not take the whole
    # direction: the curvature is floored at a tenth of the typical one)
    s = (G.T @ w) / np.maximum(H, 0.1 * float(np.median(H)))
    inside = (x > low) & (x < high)
    s = np.where(inside, np.maximum(s, 0.0), 0.0)
    if not np.any(s > 0):        # only variables at their floor can help
        s = np.where(x < high, np.maximum(G.T @ w, 0.0), 0.0)
    if not np.any(s > 0):
        return None, evaluations
    s /= np.max(s)

    def worst(t):
        return float(np.min(problem.constraints(np.minimum(x + t * s, high)) - tau))

    # a bracket: f_lo < 0 <= f_hi, starting from the linearised estimate
    t_lo, f_lo = 0.0, float(np.min(-short))
    rate = G @ s
    want = short > 0
    guess = float(np.max(short[want] / np.maximum(rate[want], 1e-300)))
    t_hi = min(max(guess, 1e-15), 64.0)
    f_hi = worst(t_hi)
    evaluations += 1
    while f_hi < 0:
        t_lo, f_lo = t_hi, f_hi
        t_hi = 2.0 * t_hi
        if t_hi > 64.0:
            return None, evaluations
        f_hi = worst(t_hi)
        evaluations += 1
    side = 0
    for _ in range(100):
        if t_hi - t_lo <= 1e-14 * max(1.0, t_hi) or f_hi <= 1e-13:
            break
        t = (t_lo * f_hi - t_hi * f_lo) / (f_hi - f_lo)
        if not t_lo < t < t_hi:
            t = 0.5 * (t_lo + t_hi)
        f = worst(t)
        evaluations += 1
        if f >= 0:
            t_hi, f_hi = t, f
            if side == 1:
                f_lo *= 0.5
            side = 1
        else:
            t_lo, f_lo = t, f
            if side == -1:
                f_hi *= 0.5
            side = -1
    return np.minimum(x + t_hi * s, high), evaluations
