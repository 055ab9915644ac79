"""Target allocation: from journey targets to per-component targets.

:func:`allocate` answers the inverse of :func:`~slosim.exact`: given each
journey's availability target, which availability must each component be
given so that every target holds, by a simple rule or at the least cost,
and, if none does, what caps the journey.

Everything is computed in *nines*, ``n = -log10(1 - r)``: availabilities
near 1 are badly conditioned, nines are not. Every journey's availability
and its derivatives come from one decision diagram of the model, built
once and evaluated at each trial allocation: a journey's nines ``h_j``
has the derivative ``dh_j/dn_i = C_ij``, the criticality importance
``q_i B_ij / U_j`` of component ``i`` (its share of the journey's
unavailability), and the second derivative ``-ln(10) C_ij (1 - C_ij)``.
"""

import math
import numbers

import numpy as np

from .._errors import InfeasibleTargetError
from .._validation import check_int, check_real, param_error
from ..cost import Cost, CostStack, per_nine
from ..engines import DEFAULT_MAX_NODES, ExactDiagram
from ..model import PARALLEL, SERIES, as_model, lower
from ..results import AllocationResult
from ._common import journey_targets, unknown
from ._sqp import LN10, Problem, solve

__all__ = ["allocate", "METHODS", "MAX_NINES"]

#: The allocation methods of :func:`allocate`.
METHODS = ("equal", "proportional", "min_effort", "cost")

#: Ceiling, in nines, of a free component given no ceiling (availability
#: 1 - 1e-15): beyond it an unavailability is not a number anyone measures.
MAX_NINES = 15.0

_FUNC = "allocate"


def allocate(model, *, method="cost", targets=None, fixed=(), bounds=None, cost=None,
             weights=None, loss=None, symmetric=True, starts=4,
             max_nodes=DEFAULT_MAX_NODES):
    """Per-component target availabilities that meet every journey's target.

    Parameters
    ----------
    model : Model, Node or Journey
        Its journeys' targets (``Journey(target=)``) are the constraints.
    method : {'cost', 'equal', 'proportional', 'min_effort'}, default 'cost'
        * ``'equal'``: every free component gets one common availability,
          the least that meets every target (clipped to each component's
          bounds);
        * ``'proportional'``: the ARINC rule: each free component's hazard
          ``-ln r_i`` is proportional to its weight, scaled by one factor
          until the binding journey meets its target;
        * ``'min_effort'``: the minimum-effort rule: the free components
          below a common level are raised to it and the others left as
          they are, the level the least that meets every target (on a
          series, the method of MIL-HDBK-338B);
        * ``'cost'``: the least total cost (``cost``), subject to every
          target and the bounds.
    targets : dict, optional
        Journey name -> target availability in (0, 1), replacing the
        journeys' own targets; journeys with neither have no constraint.
    fixed : iterable of str
        Components whose availability is given (third parties); shocks are
        always fixed, and so must be every member of a copula.
    bounds : dict, optional
        Component name -> ``(floor, ceiling)`` availabilities,
        ``0 <= floor < ceiling <= 1``; by default ``(0, 1)``, with the
        ceiling held at :data:`MAX_NINES` nines.
    cost : Cost or dict, optional
        The cost of each free component's availability
        (:mod:`slosim.cost`): one :class:`~slosim.cost.Cost` for all, or
        a dict component name -> Cost naming every free component; default
        ``per_nine(1.0)`` for all (cost linear in nines). Every method
        reports the plan's total cost under it.
    weights : dict, optional
        For ``'proportional'``: component name -> positive weight; by
        default each free component's current unavailability.
    loss : dict, optional
        Journey name -> cost of one unit of unavailability (for example
        revenue lost per unit of time the journey is down, times the
        period). With ``method='cost'``, the plan minimises engineering
        cost plus expected loss; journeys need no target then, and the
        plan reports the economically best availability of each.
    symmetric : bool, default True
        For ``'cost'``: components that are exchangeable in the model (the
        same gates above them, the same shocks and requirements, the same
        cost function and bounds: the replicas of a pool) get one common
        target, as engineers give identical replicas. For a convex problem
        this loses nothing (a symmetric optimum exists); where it is not
        convex, ``symmetric=False`` lets each replica have its own target,
        which can cost a little less.
    starts : int, default 4
        Starting points for ``'cost'`` when the problem is not convex
        (parallel or k-of-n gates above a free component, a cost not
        convex in nines, or a loss): the best local optimum is kept.
        Convex problems take one start.
    max_nodes : int
        Decision-diagram node budget (see :func:`~slosim.exact`).

    Returns
    -------
    AllocationResult
        Mapping component name -> target availability, with every
        journey's exact availability under the plan, the binding journeys,
        the shadow prices and the total cost.

    Raises
    ------
    InfeasibleTargetError
        When a journey misses its target with every free component at its
        ceiling: the message names the journey, the highest availability
        it reaches, and the fixed components or shocks that cap it.
    ModelError, TypeError, ValueError
        For unknown names, bounds outside [0, 1] or reversed, a fixed
        component with bounds, a cost that is not increasing, a copula
        member left free, no target to meet.

    See Also
    --------
    exact : the availability of every journey at given availabilities.

    Notes
    -----
    ``'cost'`` solves ``min sum_i c_i(n_i)`` subject to
    ``h_j(n) >= -log10(1 - T_j)`` for every journey with a target and the
    bounds, in the nines ``n_i`` of the free components, by sequential
    quadratic programming with exact gradients (the criticality
    importances) and every iterate feasible (:mod:`slosim.analysis._sqp`).
    When every journey is a series over its free components (shared
    components allowed, any structure among the fixed ones) and every cost
    is convex in nines, the problem is convex and the result is the global
    optimum (``status='optimal'``); otherwise the best of ``starts``
    local optima (``status='local'``). The reported KKT residual says how
    well the optimality conditions hold. The shadow price of a journey is
    the multiplier of its target: the marginal cost of one more nine on it.

    For a series with costs linear in nines, ``c_i = a_i n_i``, the
    optimum has ``q_i / (1 - q_i) = a_i c`` with ``c`` the root of
    ``sum_i ln(1 + a_i c) = -ln T``: cheap nines are bought first.

    Examples
    --------
    >>> import slosim as ss
    >>> services = [ss.Component(f"s{i}", availability=0.999) for i in range(4)]
    >>> model = ss.Model(ss.Journey(ss.series(*services, name="j"), target=0.999))
    >>> plan = ss.allocate(model, method="equal")
    >>> round(plan["s0"], 10)                    # 0.999 ** (1 / 4)
    0.9997499062
    >>> cost = {"s0": ss.cost.per_nine(4.0), **{f"s{i}": ss.cost.per_nine(1.0)
    ...                                         for i in range(1, 4)}}
    >>> plan = ss.allocate(model, cost=cost)
    >>> plan.status, plan.binding
    ('optimal', ('j',))
    >>> [round(plan.nines[f"s{i}"], 3) for i in range(4)]
    [3.243, 3.845, 3.845, 3.845]
    >>> round(plan.journeys["j"], 12)
    0.999
    """
    setup = _Setup(model, method, targets, fixed, bounds, cost, weights, loss, symmetric,
                   starts, max_nodes)
    return setup.run()


class _Setup:
    """The checked problem and the methods that solve it."""

    def __init__(self, model, method, targets, fixed, bounds, cost, weights, loss,
                 symmetric, starts, max_nodes):
        self.model = model = as_model(model, _FUNC)
        if method not in METHODS:
            raise param_error("method", _FUNC, f"one of {', '.join(map(repr, METHODS))}",
                              method)
        self.method = method
        self.starts = check_int(starts, "starts", _FUNC, low=1)
        if not isinstance(symmetric, bool):
            raise param_error("symmetric", _FUNC, "a bool", symmetric, TypeError)
        self.symmetric = symmetric
        s = self.structure = lower(model)
        # the start, the bounds and convexity all rest on availability
        # rising with each component's: refuse a model where it may fall
        s.refuse_negation(_FUNC)
        C = s.n_components
        self.components = s.events[:C]
        index = {name: i for i, name in enumerate(self.components)}
        shocks = set(s.events[C:])
        self.targets = self._targets(targets, s)
        self.loss = self._loss(loss, s)
        fixed = self._names(fixed, "fixed", index, shocks, allow_shocks=True)
        members = {}
        for cop in s.copulas:
            for e in cop.events.tolist():
                members[s.events[e]] = cop.name
        free = [i for i, name in enumerate(self.components) if name not in fixed]
        for i in free:
            name = self.components[i]
            if name in members:
                raise param_error(
                    "fixed", _FUNC,
                    f"a list naming every member of a copula (component {name!r} is "
                    f"in copula {members[name]!r}: its availability cannot be "
                    f"allocated with exact gradients)", sorted(fixed))
        self.free = np.asarray(free, dtype=np.intp)
        self.free_names = tuple(self.components[i] for i in free)
        self.fixed_names = tuple(n for n in self.components if n in fixed)
        self.low, self.high = self._bounds(bounds, index, fixed, shocks)
        self.costs = self._costs(cost, index, fixed, shocks)
        self.weights = self._weights(weights, index, fixed, shocks) \
            if method == "proportional" else None
        if not self.targets and not (method == "cost" and self.loss):
            raise ValueError(
                "allocate needs a target to meet: no journey of the model has one; "
                "give Journey(target=) or targets={journey: availability}"
                + (", or loss= with method='cost'" if method == "cost" else ""))
        self.diagram = ExactDiagram(s, max_nodes=max_nodes, _func=_FUNC)
        self.current = _nines(s.q[self.free])
        self.problem = _AllocationProblem(self)

    # -- checking the parameters -----------------------------------------------

    def _targets(self, targets, s):
        return journey_targets(s.journeys, s.targets, targets, _FUNC, high_open=True)

    def _loss(self, loss, s):
        if loss is None:
            return {}
        if self.method != "cost":
            raise param_error("loss", _FUNC, "None unless method='cost'", loss)
        if not hasattr(loss, "items"):
            raise param_error("loss", _FUNC, "a dict of journey name -> loss", loss,
                              TypeError)
        out = {}
        for j, v in loss.items():
            if j not in s.journeys:
                raise _unknown("loss", "journey", j, s.journeys)
            out[j] = check_real(v, f"loss[{j!r}]", _FUNC, low=0)
        return out

    def _names(self, names, key, index, shocks, allow_shocks=False):
        if isinstance(names, str):
            names = [names]
        try:
            names = list(names)
        except TypeError:
            raise param_error(key, _FUNC, "an iterable of component names", names,
                              TypeError) from None
        out = set()
        for name in names:
            if name in shocks and allow_shocks:
                continue            # shocks are fixed anyway
            if name not in index:
                raise _unknown(key, "component", name, list(index))
            out.add(name)
        return out

    def _per_component(self, mapping, key, index, fixed, shocks, what):
        if mapping is None:
            return {}
        if not hasattr(mapping, "items"):
            raise param_error(key, _FUNC, f"a dict of component name -> {what}",
                              mapping, TypeError)
        for name in mapping:
            if name in shocks:
                raise param_error(key, _FUNC, f"a dict over free components ({name!r} "
                                  f"is a shock, always fixed)", name)
            if name not in index:
                raise _unknown(key, "component", name, list(index))
            if name in fixed:
                raise param_error(key, _FUNC, f"a dict over free components ({name!r} "
                                  f"is fixed)", name)
        return mapping

    def _bounds(self, bounds, index, fixed, shocks):
        bounds = self._per_component(bounds, "bounds", index, fixed, shocks,
                                     "(floor, ceiling)")
        low = np.zeros(len(self.free))
        high = np.full(len(self.free), MAX_NINES)
        for k, name in enumerate(self.free_names):
            if name not in bounds:
                continue
            pair = bounds[name]
            if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
                raise param_error(f"bounds[{name!r}]", _FUNC, "a pair (floor, ceiling)",
                                  pair, TypeError)
            lo = check_real(pair[0], f"bounds[{name!r}] floor", _FUNC, low=0, high=1)
            hi = check_real(pair[1], f"bounds[{name!r}] ceiling", _FUNC, low=0, high=1)
            if not lo < hi:
                raise ValueError(f"bounds[{name!r}] = ({lo!r}, {hi!r}): the floor must be "
                                 f"below the ceiling")
            low[k] = _nines(1.0 - lo)
            high[k] = min(_nines(1.0 - hi), math.inf)
            if high[k] == math.inf:
                high[k] = MAX_NINES if low[k] < MAX_NINES else low[k] + 1.0
        return low, high

    def _costs(self, cost, index, fixed, shocks):
        default = per_nine(1.0)
        if cost is None or isinstance(cost, Cost):
            costs = [cost or default] * len(self.free)
        elif hasattr(cost, "items"):
            self._per_component(cost, "cost", index, fixed, shocks, "Cost")
            costs = [cost.get(name) for name in self.free_names]
        else:
            raise param_error("cost", _FUNC, "a slosim.cost.Cost or a dict of component "
                              "name -> Cost", cost, TypeError)
        for name, c in cost.items() if hasattr(cost, "items") else ():
            if not isinstance(c, Cost):
                raise param_error(f"cost[{name!r}]", _FUNC, "a slosim.cost.Cost", c,
                                  TypeError)
        missing = [name for name, c in zip(self.free_names, costs) if c is None]
        if missing:
            shown = ", ".join(map(repr, missing[:8])) + (", ..." if len(missing) > 8 else "")
            raise ValueError(
                f"cost of allocate gives no cost for {len(missing)} free "
                f"component{'s' if len(missing) > 1 else ''} ({shown}): a dict must give "
                f"every free component's cost (or fix the component with fixed=)")
        for k, (name, c) in enumerate(zip(self.free_names, costs)):
            if not isinstance(c, Cost):
                raise param_error(f"cost[{name!r}]", _FUNC, "a slosim.cost.Cost", c,
                                  TypeError)
            lo, hi = c.domain
            # a cost is defined on its domain: the bounds keep inside it
            self.low[k] = max(self.low[k], lo)
            if hi < self.high[k]:
                self.high[k] = np.nextafter(hi, -np.inf) if not np.isfinite(
                    c.value(np.array([hi]))[0]) else hi
            if self.low[k] >= self.high[k]:
                raise ValueError(f"cost of {name!r} ({c!r}) is defined only where its "
                                 f"bounds exclude every availability")
            if not c.increasing_on(self.low[k], self.high[k]):
                raise param_error(f"cost[{name!r}]", _FUNC,
                                  "a cost increasing in availability over the "
                                  "component's bounds", c)
        return costs

    def _weights(self, weights, index, fixed, shocks):
        weights = self._per_component(weights, "weights", index, fixed, shocks, "weight")
        q = self.structure.q[self.free]
        out = np.array([
            check_real(weights[n], f"weights[{n!r}]", _FUNC, low=0, low_open=True)
            if n in weights else float(q[k]) for k, n in enumerate(self.free_names)])
        if not np.any(out > 0):
            raise param_error("weights", _FUNC, "positive weights (every free component "
                              "is perfect now, so the default weights are all zero)",
                              weights)
        return out

    # -- solving ------------------------------------------------------------------

    def run(self):
        self._check_feasible()
        if not len(self.free):
            x, info = np.zeros(0), _info("no free component: the plan is the model",
                                          "fixed")
        elif self.method == "cost":
            x, info = self._cost()
        else:
            rule = {"equal": self._equal, "proportional": self._proportional,
                    "min_effort": self._min_effort}[self.method]
            x = rule()
            info = _info(f"the {self.method} rule", "rule")
        return self._result(x, info)

    def _journey_slack(self, x):
        h = self.problem.constraints(x)
        return h - self.problem.tau

    def _check_feasible(self):
        """Raise InfeasibleTargetError unless the ceilings meet every target."""
        p = self.problem
        if not len(p.tau):
            return
        x = p.high.copy()
        slack = self._journey_slack(x)
        if np.all(slack >= 0):
            return
        k = int(np.argmin(slack))
        j = p.journey_index[k]
        name = self.structure.journeys[j]
        q = p.q_of(x)
        ev = self.diagram.evaluate(q)
        u = float(ev.unavailability[j])
        share = q * (ev.unavailability_if_down[j] - ev.unavailability_if_up[j]) / u
        is_free = np.zeros(self.structure.n_events, dtype=bool)
        is_free[self.free] = True
        order = np.argsort(-share)
        limits = [(self.structure.events[e], float(1.0 - q[e])) for e in order
                  if share[e] >= 0.01 and not is_free[e]][:3]
        bounded = [self.structure.events[e] for e in order
                   if share[e] >= 0.01 and is_free[e]]
        if len(bounded) > 3:
            bounded = bounded[:3] + [f"{len(bounded) - 3} more"]
        target = self.targets[name]
        reachable = float(ev.availability[j])
        parts = []
        if limits:
            shocks = [n for n, _ in limits if self.structure.events.index(n)
                      >= self.structure.n_components]
            comps = [(n, a) for n, a in limits if n not in shocks]
            if comps:
                noun = "component" if len(comps) == 1 else "components"
                listed = _and([f"{n} ({_fmt(a)})" for n, a in comps])
                parts.append(f"the fixed {noun} {listed}")
            if shocks:
                noun = "shock" if len(shocks) == 1 else "shocks"
                listed = _and([f"{n} ({_fmt(1 - a)})" for n, a in limits if n in shocks])
                parts.append(f"the {noun} {listed}")
        if bounded:
            parts.append("the ceilings of " + _and(bounded))
        verb = "caps" if len(parts) == 1 and len(limits) <= 1 and not bounded else "cap"
        if len(parts) > 2 or (len(parts) == 2 and " and " in parts[0]):
            listed = ", ".join(parts[:-1]) + ", and " + parts[-1]
        else:
            listed = _and(parts) if parts else ""
        cause = f"; {listed} {verb} it" if parts else ""
        raise InfeasibleTargetError(
            f"target {target!r} for journey {name!r} is unreachable: with every free "
            f"component at its ceiling it reaches at most {_fmt(reachable)}{cause}",
            name, target, reachable, limits)

    def _least(self, at):
        """The least ``t`` with every target met at ``x = at(t)``, ``at``
        non-decreasing in ``t`` between ``at(-inf)`` and ``at(+inf)``
        (both finite points); returns that ``x``."""
        from scipy.optimize import brentq

        low, high = -1.0, 1.0
        if np.all(self._journey_slack(at(-math.inf)) >= 0):
            return at(-math.inf)

        def worst(t):
            return float(np.min(self._journey_slack(at(t))))

        while worst(low) >= 0:
            low *= 2.0
        while worst(high) < 0:
            low, high = high, high * 2.0
            if high > 1e6:
                break
        t = brentq(worst, low, high, xtol=1e-14, rtol=4 * np.finfo(float).eps,
                   maxiter=200)
        # the feasible side of the root
        for _ in range(64):
            if worst(t) >= 0:
                break
            t = np.nextafter(t, math.inf) if abs(t) > 1e-300 else 1e-300
            t += abs(t) * 1e-15
        return at(t)

    def _equal(self):
        low, high = self.problem.low, self.problem.high

        def at(t):
            return np.clip(np.full(len(low), t), low, high)
        return self._least(at)

    def _min_effort(self):
        low, high = self.problem.low, self.problem.high
        current = np.clip(self.current, low, high)

        def at(t):
            return np.clip(np.maximum(current, t), low, high)
        return self._least(at)

    def _proportional(self):
        low, high = self.problem.low, self.problem.high
        w = self.weights

        def at(t):
            # hazards -ln r_i = w_i exp(-t): t up, availabilities up
            with np.errstate(over="ignore", under="ignore"):
                q = -np.expm1(-w * math.exp(-t)) if t < 700 else w * 0.0
            return np.clip(_nines(q), low, high)
        return self._least(at)

    def _cost(self):
        p = self.problem
        convex = self._convex()
        starts = [self._apportioned()]
        if not convex:
            starts.append(self._equal())
            more = [self._min_effort]
            if np.any(self.structure.q[self.free] > 0):
                self.weights = self.structure.q[self.free].copy()
                more.insert(0, self._proportional)
            rng = np.random.default_rng(20260101)    # starts are deterministic
            for rule in more[:max(0, self.starts - 2)]:
                starts.append(rule())
            starts = starts[:self.starts]
            while len(starts) < self.starts:
                self.weights = rng.uniform(0.1, 10.0, len(self.free))
                starts.append(self._proportional())
        tied = _Tied(p, self._exchangeable() if self.symmetric
                     else np.arange(len(self.free)))
        best = None
        for x0 in starts:
            sol = solve(tied, tied.reduce(x0))
            # every iterate meets every target: the cheapest plan wins,
            # whether or not its run converged
            if best is None or sol.f < best.f:
                best = sol
        best.x = tied.expand(best.x)
        if convex:
            status = "optimal" if best.converged else "not converged"
        else:
            status = "local" if best.converged else "not converged"
        message = best.message
        if not convex:
            message += f"; best of {len(starts)} starts (the problem is not convex)"
        return best.x, _info(message, status, best.kkt_residual, best.multipliers,
                             len(starts), best.iterations, best.evaluations)

    def _apportioned(self):
        """A start that follows the structure: each journey's unavailability
        budget split down its gates (equally over a series gate's children,
        as the n-th root over a parallel gate's, the equal share of a k-of-n
        gate's), each free component given the least of the shares it gets,
        then every free component raised by one common number of nines
        until every target holds."""
        s = self.structure
        E = s.n_events
        p = self.problem
        share = np.full(s.n_nodes, np.inf)          # nines each node may lose
        ptr, idx = s.child_ptr.tolist(), s.child_idx.tolist()
        ops, ks = s.gate_op.tolist(), s.gate_k.tolist()
        for j, tau in zip(p.journey_index, p.tau.tolist()):
            out = int(s.outputs[j])
            share[out] = min(share[out], tau)
        for g in reversed(range(s.n_gates)):
            nines = share[E + g]
            if not math.isfinite(nines):
                continue
            kids = idx[ptr[g]:ptr[g + 1]]
            n, k = len(kids), ks[g]
            if ops[g] == SERIES or k == n:          # each child 1/n of the failures
                child = nines + math.log10(n)
            elif k == 1:                            # the n-th root
                child = nines / n
            else:                                   # n - k + 1 must fail
                m = n - k + 1
                child = (nines + math.log10(math.comb(n, m))) / m
            for c in kids:
                share[c] = min(share[c], child)
        x = share[self.free]
        x = np.where(np.isfinite(x), x, self.low)
        base = np.clip(x, self.low, self.high)

        def at(t):
            return np.clip(base + t, self.low, self.high)
        return self._least(at)

    def _exchangeable(self):
        """The group of each free component: exchangeable components (the
        same gates above them, or own gates alike but for the component;
        the same cost and bounds) share one."""
        s = self.structure
        E = s.n_events
        parents = {}
        for g in range(s.n_gates):
            for c in s.children(g).tolist():
                parents.setdefault(c, []).append(g)
        for j, o in enumerate(s.outputs.tolist()):
            parents.setdefault(o, []).append(-1 - j)
        own = {name: g for g, name in enumerate(s.gate_names) if name is not None}
        signature = {}
        group = np.empty(len(self.free), dtype=np.intp)
        for k, e in enumerate(self.free.tolist()):
            g = own.get(s.events[e])
            if g is not None:
                others = tuple(c for c in s.children(g).tolist() if c != e)
                place = ("gate", others, int(s.gate_op[g]), int(s.gate_k[g]),
                         tuple(sorted(parents.get(E + g, ()))))
            else:
                place = ("event", tuple(sorted(parents.get(e, ()))))
            key = (place, self.costs[k], float(self.low[k]), float(self.high[k]))
            group[k] = signature.setdefault(key, len(signature))
        return group

    def _convex(self):
        """Whether the problem is convex in nines: every cost convex, no
        loss, and every journey with a target, as a function of the free
        components, a series-parallel tree.

        In nines, a parallel gate's unavailability is the product of its
        children's (its nines the sum), and a series gate's nines a concave
        non-decreasing function of its children's; so the journey's nines
        are concave in the free components' when every gate above a free
        component is a series or a parallel gate and no node above one is
        reached twice below a parallel gate (one reached twice through
        series gates only counts once: ``x and x`` is ``x``). Fixed
        components and shocks, shared or not, keep this (conditioned on
        them, the journey is such a tree; mixtures keep log-convexity). k-of-n
        gates strictly between series and parallel, or a free component
        shared below a parallel gate, make the problem not convex in
        general.
        """
        if self.loss or not all(c.convex for c in self.costs):
            return False
        s = self.structure
        E = s.n_events
        has_free = np.zeros(s.n_nodes, dtype=bool)
        has_free[self.free] = True
        ptr, idx = s.child_ptr.tolist(), s.child_idx.tolist()
        ops, ks = s.gate_op.tolist(), s.gate_k.tolist()
        series = [False] * s.n_gates
        for g in range(s.n_gates):
            kids = idx[ptr[g]:ptr[g + 1]]
            n = len(kids)
            series[g] = ops[g] == SERIES or ks[g] == n
            if any(has_free[c] for c in kids):
                has_free[E + g] = True
                if not (series[g] or ops[g] == PARALLEL or ks[g] == 1):
                    return False
        for j in self.problem.journey_index:
            seen = {}                 # node -> reached below a parallel gate
            stack = [(int(s.outputs[j]), False)]
            while stack:
                node, below = stack.pop()
                if not has_free[node]:
                    continue
                if node in seen:
                    if below or seen[node]:
                        return False
                    continue
                seen[node] = below
                if node >= E:
                    g = node - E
                    deeper = below or not series[g]
                    stack.extend((c, deeper) for c in idx[ptr[g]:ptr[g + 1]])
        return True

    def _result(self, x, info):
        p = self.problem
        s = self.structure
        q = p.q_of(x)
        ev = self.diagram.evaluate(q, conditionals=False)
        cost = float(CostStack(self.costs).value(x).sum()) if len(x) else 0.0
        journeys = dict(zip(s.journeys, (float(a) for a in ev.availability)))
        unavail = dict(zip(s.journeys, (float(u) for u in ev.unavailability)))
        slack = self._journey_slack(x) if len(p.tau) else np.zeros(0)
        binding = tuple(s.journeys[j] for j, sl in zip(p.journey_index, slack)
                        if sl <= 1e-9)
        shadow = None
        if info["multipliers"] is not None:
            shadow = {j: 0.0 for j in self.targets}
            for j, mu in zip(p.journey_index, info["multipliers"]):
                shadow[s.journeys[j]] = float(mu)
        loss = None
        if self.loss:
            loss = float(sum(v * unavail[j] for j, v in self.loss.items()))
        C = s.n_components
        return AllocationResult(
            model=self.model,
            method=self.method,
            status=info["status"],
            unavailability=dict(zip(s.events[:C], (float(v) for v in q[:C]))),
            current=dict(zip(s.events[:C], (float(v) for v in s.q[:C]))),
            free=self.free_names,
            targets=dict(self.targets),
            journeys=journeys,
            journey_unavailability=unavail,
            binding=binding,
            shadow_prices=shadow,
            cost=cost,
            expected_loss=loss,
            kkt_residual=info["kkt_residual"],
            starts=info["starts"],
            iterations=info["iterations"],
            message=info["message"],
        )


class _AllocationProblem(Problem):
    """The nines of the free components as an SQP problem."""

    def __init__(self, setup):
        s = setup.structure
        self.setup = setup
        self.diagram = setup.diagram
        self.free = setup.free
        self.base = np.array(s.q, dtype=np.float64)
        self.low, self.high = setup.low, setup.high
        self.journey_index = [s.journeys.index(j) for j in setup.targets]
        self.tau = np.array([_nines(1.0 - t) for t in setup.targets.values()])
        self.loss = np.zeros(len(s.journeys))
        for j, v in setup.loss.items():
            self.loss[s.journeys.index(j)] = v
        self.costs = CostStack(setup.costs)
        self.current = setup.current
        self._last = (None, None)

    def q_of(self, x):
        """Every event's probability with the free components at ``x``
        nines (one left at its current nines keeps its exact value)."""
        x = np.asarray(x, dtype=np.float64)
        q = self.base.copy()
        q[self.free] = np.where(x == self.current, q[self.free], 10.0 ** -x)
        return q

    def _evaluate(self, x, conditionals):
        key = (np.asarray(x).tobytes(), conditionals)
        if self._last[0] == key or (not conditionals and self._last[0] == (key[0], True)):
            return self._last[1]
        q = self.q_of(x)
        ev = self.diagram.evaluate(q, conditionals=conditionals)
        if conditionals:
            u = ev.unavailability[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                crit = q[self.free][None, :] * (
                    ev.unavailability_if_down[:, self.free]
                    - ev.unavailability_if_up[:, self.free]) / u
            crit = np.where(u > 0, np.clip(crit, 0.0, 1.0), 0.0)
            out = (ev, crit)
        else:
            out = (ev, None)
        self._last = (key, out)
        return out

    def constraints(self, x, derivatives=False):
        ev, crit = self._evaluate(x, derivatives)
        j = self.journey_index
        with np.errstate(divide="ignore"):
            h = -np.log10(ev.unavailability[j])
        if not derivatives:
            return h
        G = crit[j]
        # the curvature the subproblem uses: on the tangent space of an
        # active target, ln(10) C_ij per unit of its multiplier (the part of
        # the Hessian along the gradient, ln(10) C C^T, drops out there)
        return h, G, LN10 * G

    def objective(self, x):
        x = np.asarray(x, dtype=np.float64)
        f = float(self.costs.value(x).sum())
        g = self.costs.slope(x)
        H = self.costs.curvature(x)
        if np.any(self.loss > 0):
            ev, crit = self._evaluate(x, True)
            u = ev.unavailability
            f += float(self.loss @ u)
            lu = (self.loss * u)[:, None]
            g = g - LN10 * (lu * crit).sum(axis=0)
            H = H + LN10 ** 2 * (lu * crit).sum(axis=0)
        return f, g, np.maximum(H, 0.0)


class _Tied(Problem):
    """An allocation problem over groups of components that share a target:
    ``x = y[group]``; derivatives sum over each group."""

    def __init__(self, problem, group):
        self.problem = problem
        self.group = group
        self.n = int(group.max()) + 1 if len(group) else 0
        first = np.zeros(self.n, dtype=np.intp)
        first[group[::-1]] = np.arange(len(group))[::-1]
        self.first = first
        self.low, self.high = problem.low[first], problem.high[first]
        self.tau = problem.tau

    def expand(self, y):
        return np.asarray(y, dtype=np.float64)[self.group]

    def reduce(self, x):
        """A point of the groups from one of the components (each group's
        largest nines, so that every target still holds)."""
        y = np.full(self.n, -np.inf)
        np.maximum.at(y, self.group, np.asarray(x, dtype=np.float64))
        return y

    def _sum(self, v):
        return np.bincount(self.group, weights=v, minlength=self.n)

    def objective(self, y):
        f, g, H = self.problem.objective(self.expand(y))
        return f, self._sum(g), self._sum(H)

    def constraints(self, y, derivatives=False):
        out = self.problem.constraints(self.expand(y), derivatives)
        if not derivatives:
            return out
        h, G, D = out
        sum_rows = np.stack([self._sum(row) for row in G]) if len(G) else G[:, :self.n]
        sum_d = np.stack([self._sum(row) for row in D]) if len(D) else D[:, :self.n]
        return h, sum_rows, sum_d


def _nines(q):
    """``-log10(q)``, elementwise (``inf`` at 0)."""
    with np.errstate(divide="ignore"):
        return -np.log10(q)


def _info(message, status, kkt=None, multipliers=None, starts=1, iterations=0,
          evaluations=0):
    return dict(message=message, status=status, kkt_residual=kkt,
                multipliers=multipliers, starts=starts, iterations=iterations,
                evaluations=evaluations)


def _unknown(key, what, name, known):
    return unknown(_FUNC, key, what, name, known)


def _and(items):
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _fmt(a):
    """An availability with the digits that matter (its nines + 4)."""
    if a >= 1.0:
        return "1"
    nines = -math.log10(1.0 - a)
    return f"{a:.{max(4, min(15, int(nines) + 4))}g}"


def _is_number(x):
    return isinstance(x, numbers.Real) and not isinstance(x, bool)
