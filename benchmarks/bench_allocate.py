"""``slosim.allocate(method="cost")`` beside the naive way, in the same run.

The naive way poses the same problem, in the same variables (the nines
``n_i = -log10(q_i)`` of every component), to SciPy's SLSQP, with the
constraints ``h_j(n) = -log10(U_j(n)) >= -log10(1 - T_j)`` evaluated by
building the model at ``n`` (``model.replace(unavailabilities=...)``) and
calling :func:`slosim.exact`, and their gradient by forward differences
(one more such evaluation per component). The objective, ``sum_i a_i n_i``
(costs ``per_nine(a_i)``), is linear, so it gets its exact gradient, scaled
by ``1 / sum_i a_i`` (unscaled, SLSQP stops early at an infeasible point).

The models (:data:`CASES`, built by :mod:`allocate_models`):

* ``A``: the issue's model, :func:`allocate_models.convex_service_graph`
  with 1,000 components, 100 shared, 20 journeys: convex, so
  ``status == 'optimal'``;
* ``B``: the same kind with 200 components, 20 shared, 5 journeys, small
  enough for the naive way to finish;
* ``C``: :func:`exact_models.service_graph` with 1,000 components (k-of-n
  pools, multi-region deployments), not convex, every component's
  availability floored at 0.99: ``status == 'local'`` (best of 4 starts).

Every journey's target halves its current unavailability; costs are drawn
per service (:func:`allocate_models.service_costs`, seed :data:`SEED`).

Groups, one per model, ``allocate (X: ...)``:

* ``slosim``: :func:`slosim.allocate` (every model);
* ``naive slsqp``: SLSQP to convergence (``ftol`` 1e-10) on ``B``;
* ``naive gradient (sample)``: on ``A`` and ``C``, where the naive way is
  far too slow to run to the end: :data:`GRADIENT_SAMPLE` of the
  finite-difference evaluations of one gradient, timed and scaled to all
  of them. SLSQP needs many gradients (one per iteration; 150 to 200 on
  ``B``), so one gradient over slosim's whole solve is a lower bound on the
  ratio naive / slosim.

Answers are checked, a fast wrong answer fails: slosim's status, every
target met when the plan is applied (:func:`slosim.exact` of
``plan.apply()``), the KKT residual; the naive run reaches a feasible plan
no cheaper than slosim's (beyond 1e-6); the naive finite differences agree
with the exact derivatives (criticality importances from
:func:`slosim.exact`). Times are recorded, never asserted: the end of the
session prints them with the ratios and the verdicts on the goals: on
``A``, ``allocate`` under :data:`GOAL_S` seconds, and at least
:data:`GOAL_RATIO` times faster than the naive way.
"""

from dataclasses import dataclass
import math
import time

import numpy as np
import pytest
from scipy.optimize import minimize

import slosim as ss

from . import allocate_models as am, exact_models as em

SEED = 1

#: The goals: ``allocate(method="cost")`` on model A under GOAL_S seconds,
#: and at least GOAL_RATIO times faster than the naive way.
GOAL_S = 2.0
GOAL_RATIO = 20.0

#: A target counts as met when the plan's unavailability is at most
#: ``(1 - target) * (1 + TARGET_RTOL)``.
TARGET_RTOL = 1e-9

#: Largest KKT residual slosim's plan may report.
KKT_MAX = 1e-6

#: slosim's cost may exceed the naive plan's by this much (relative).
COST_RTOL = 1e-6

#: The naive SLSQP: ``ftol`` and most iterations (it converges in about
#: 170 on model B, some 135 s on one idle core), and a wall-clock cap (s)
#: for a slow or busy machine, after which it stops (recorded as not
#: converged, its time, so the ratio, a lower bound).
NAIVE_FTOL = 1e-10
NAIVE_MAXITER = 300
NAIVE_TIME_CAP_S = 240.0

#: Finite-difference evaluations timed per round for one naive gradient on
#: the 1,000-component models (every ``n / GRADIENT_SAMPLE``-th component).
GRADIENT_SAMPLE = 50

#: The ceiling, in nines, of a component without one (slosim's default,
#: :data:`slosim.analysis._allocate.MAX_NINES`).
CEILING_NINES = 15.0


@dataclass(frozen=True)
class Case:
    """A benchmark model: ``floor`` the availability floor of every
    component (None: none); ``status`` what allocate must report."""

    name: str
    label: str
    build: object
    note: str
    status: str
    floor: float | None = None
    slosim_rounds: int = 5
    warmup_rounds: int = 1


CASES = [
    Case("A", "convex-1000",
         lambda: am.convex_service_graph(1000, n_shared=100, n_journeys=20, seed=SEED),
         "the issue's model: 1000 components, 100 shared, 20 journeys; replica "
         "pools (parallel) and chains: convex", "optimal", slosim_rounds=5),
    Case("B", "convex-200",
         lambda: am.convex_service_graph(200, n_shared=20, n_journeys=5, seed=SEED),
         "the same kind, 200 components, 20 shared, 5 journeys", "optimal",
         slosim_rounds=10),
    Case("C", "nonconvex-1000",
         lambda: am.nonconvex_service_graph(1000, n_shared=100, n_journeys=20, seed=SEED),
         "exact_models.service_graph: 1000 components, k-of-n pools and 3 "
         "regions, 20 journeys, floors 0.99: not convex", "local", floor=0.99,
         slosim_rounds=3, warmup_rounds=0),
]
_BY_NAME = {c.name: c for c in CASES}

#: Where the naive way runs to the end, and where one gradient is timed.
NAIVE_SLSQP = ["B"]
NAIVE_GRADIENT = ["A", "C"]


@dataclass
class Prepared:
    case: Case
    model: ss.Model
    cost: dict
    bounds: dict | None
    description: dict

    def allocate(self):
        return ss.allocate(self.model, method="cost", cost=self.cost, bounds=self.bounds)


_PREPARED = {}


@pytest.fixture(scope="session")
def prepare():
    """``prepare(case)``: the model, its costs and bounds, built once."""
    def get(case):
        if case.name not in _PREPARED:
            model = case.build()
            bounds = am.floor_bounds(model, case.floor) if case.floor is not None else None
            _PREPARED[case.name] = Prepared(case, model, am.service_costs(model, seed=SEED),
                                            bounds, em.describe(model))
        return _PREPARED[case.name]
    return get


def _group(case):
    return f"allocate ({case.name}: {case.label})"


def _ids(names):
    return [pytest.param(_BY_NAME[n], id=n) for n in names]


def check_targets(model, unavailability):
    """Every journey's ``unavailability`` (name -> U) meets its target."""
    for j in model.journeys:
        u, allowed = unavailability[j.name], 1.0 - j.target
        assert u <= allowed * (1 + TARGET_RTOL), (
            f"journey {j.name!r}: unavailability {u!r} above the target's {allowed!r}")


def _unavailabilities(model):
    res = ss.exact(model)
    return {j.name: res[j.name].unavailability for j in model.journeys}


# --- the naive way ---------------------------------------------------------------


class NaiveProblem:
    """The allocation as the naive way poses it, in every component's nines.

    ``slack(x)``: ``h_j(x) - tau_j`` for every journey, each evaluation
    ``ss.exact(model.replace(unavailabilities={name: 10**-x}))``; the last
    point is cached (SLSQP asks for the value and the gradient at the same
    point). ``jacobian(x)``: forward differences, one evaluation per
    component, step ``sqrt(eps) * max(1, |x_i|)`` (SciPy's default),
    backwards at a ceiling. The time spent building models and in
    :func:`slosim.exact` is counted.
    """

    def __init__(self, model, cost, bounds=None):
        self.model = model
        self.names = list(model.components)
        self.journeys = [j.name for j in model.journeys]
        self.tau = np.array([-math.log10(1.0 - j.target) for j in model.journeys])
        a = []
        for n in self.names:
            c = cost[n]
            if c.curvature(1.0) != 0.0 or c.curvature(5.0) != 0.0:
                raise ValueError(f"the naive objective needs costs linear in nines ({n!r})")
            a.append(c.slope(1.0))
        self.a = np.array(a)
        self.scale = 1.0 / float(self.a.sum())
        bounds = bounds or {}
        self.low = np.array([-math.log10(1.0 - bounds[n][0]) if n in bounds else 0.0
                             for n in self.names])
        self.high = np.full(len(self.names), CEILING_NINES)
        self.x0 = np.array([-math.log10(model.components[n].unavailability)
                            for n in self.names])
        self.evaluations = 0
        self.replace_s = 0.0
        self.exact_s = 0.0
        self._last = (None, None)

    def cost(self, x):
        return float(self.a @ x)

    def objective(self, x):
        return self.scale * float(self.a @ x)

    def objective_gradient(self, x):
        return self.scale * self.a

    def plan_model(self, x):
        return self.model.replace(
            unavailabilities={n: float(10.0 ** -v) for n, v in zip(self.names, x.tolist())})

    def _slack(self, x):
        t0 = time.perf_counter()
        m = self.plan_model(x)
        t1 = time.perf_counter()
        res = ss.exact(m)
        t2 = time.perf_counter()
        self.evaluations += 1
        self.replace_s += t1 - t0
        self.exact_s += t2 - t1
        with np.errstate(divide="ignore"):
            h = -np.log10([res[j].unavailability for j in self.journeys])
        return h - self.tau

    def slack(self, x):
        x = np.asarray(x, dtype=np.float64)
        key = x.tobytes()
        if self._last[0] != key:
            self._last = (key, self._slack(x))
        return self._last[1]

    def columns(self, x, base, indices):
        """Forward-difference columns ``indices`` of the Jacobian at ``x``
        (``base`` the slack there)."""
        out = np.empty((len(self.tau), len(indices)))
        for k, i in enumerate(indices):
            step = math.sqrt(np.finfo(float).eps) * max(1.0, abs(x[i]))
            xi = x.copy()
            xi[i] = x[i] + step if x[i] + step <= self.high[i] else x[i] - step
            out[:, k] = (self._slack(xi) - base) / (xi[i] - x[i])
        return out

    def jacobian(self, x):
        x = np.asarray(x, dtype=np.float64)
        return self.columns(x, self.slack(x), range(len(x)))

    def feasible(self, x):
        """Every target met to :data:`TARGET_RTOL` (in nines)."""
        return bool(np.min(self.slack(x)) >= -math.log10(1 + TARGET_RTOL))


@dataclass
class NaiveRun:
    converged: bool
    stopped: str | None     # why the run was cut short, if it was
    message: str
    iterations: int
    evaluations: int
    seconds: float
    replace_s: float        # of which building models
    exact_s: float          # and in slosim.exact
    best_x: np.ndarray | None   # the cheapest feasible iterate
    best_cost: float | None
    final_cost: float
    final_feasible: bool


def run_slsqp(problem, *, maxiter=NAIVE_MAXITER, ftol=NAIVE_FTOL,
              time_cap=NAIVE_TIME_CAP_S):
    """SLSQP from the model's own nines; keeps the cheapest feasible iterate."""
    best = {"cost": None, "x": None}
    iterations = [0]
    stopped = [None]

    def consider(x):
        if problem.feasible(x):
            c = problem.cost(x)
            if best["cost"] is None or c < best["cost"]:
                best.update(cost=c, x=np.array(x))

    start = time.perf_counter()

    def callback(xk):
        iterations[0] += 1
        consider(xk)
        if time.perf_counter() - start > time_cap:
            stopped[0] = f"time cap {time_cap:.0f} s"
            raise StopIteration

    res = minimize(problem.objective, problem.x0, jac=problem.objective_gradient,
                   method="SLSQP", bounds=list(zip(problem.low, problem.high)),
                   constraints=[{"type": "ineq", "fun": problem.slack,
                                 "jac": problem.jacobian}],
                   options={"ftol": ftol, "maxiter": maxiter}, callback=callback)
    seconds = time.perf_counter() - start
    consider(res.x)
    return NaiveRun(converged=bool(res.success), stopped=stopped[0], message=str(res.message),
                    iterations=int(res.nit), evaluations=problem.evaluations,
                    seconds=seconds, replace_s=problem.replace_s,
                    exact_s=problem.exact_s, best_x=best["x"], best_cost=best["cost"],
                    final_cost=problem.cost(res.x), final_feasible=problem.feasible(res.x))


def exact_jacobian(model, names):
    """``dh_j/dn_i`` from :func:`slosim.exact`: the criticality importance
    ``q_i (U_j(i down) - U_j(i up)) / U_j``; journeys x ``names``."""
    res = ss.exact(model)
    rows = []
    for j in model.journeys:
        r = res[j.name]
        pos = {c: k for k, c in enumerate(r.components)}
        k = np.array([pos[n] for n in names])
        q = np.array([model.components[n].unavailability for n in names])
        rows.append(q * (r.unavailability_if_down[k] - r.unavailability_if_up[k])
                    / r.unavailability)
    return np.array(rows)


# --- slosim ------------------------------------------------------------------------


@pytest.mark.parametrize("case", _ids([c.name for c in CASES]))
def test_allocate(benchmark, record_allocate, prepare, case):
    p = prepare(case)
    benchmark.group = _group(case)
    plan = benchmark.pedantic(p.allocate, rounds=case.slosim_rounds, iterations=1,
                              warmup_rounds=case.warmup_rounds)
    assert plan.status == case.status, (plan.status, plan.message)
    check_targets(p.model, _unavailabilities(plan.apply()))
    assert plan.kkt_residual is not None and plan.kkt_residual < KKT_MAX, (
        plan.kkt_residual, plan.message)
    values = dict(status=plan.status, iterations=plan.iterations, starts=plan.starts,
                  cost=plan.cost, kkt_residual=plan.kkt_residual,
                  binding=len(plan.binding), message=plan.message)
    if benchmark.stats is None:  # --benchmark-disable: checked, not timed
        return
    st = benchmark.stats.stats
    benchmark.extra_info.update(implementation="slosim", model=case.name,
                                seconds=st.median, min_s=st.min, **values,
                                **p.description)
    record_allocate(case.name, "slosim", median=st.median, min=st.min,
                    description=p.description, note=case.note, label=case.label,
                    **values)


# --- the naive way -------------------------------------------------------------------


@pytest.mark.parametrize("case", _ids(NAIVE_SLSQP))
def test_naive_slsqp(benchmark, record_allocate, prepare, case):
    p = prepare(case)
    benchmark.group = _group(case)
    runs = []

    def fn():
        runs.append(run_slsqp(NaiveProblem(p.model, p.cost, p.bounds)))

    benchmark.pedantic(fn, rounds=1, iterations=1, warmup_rounds=0)
    run = runs[-1]
    values = dict(converged=run.converged, stopped=run.stopped, message=run.message,
                  iterations=run.iterations, evaluations=run.evaluations,
                  seconds=run.seconds, replace_s=run.replace_s, exact_s=run.exact_s,
                  cost=run.best_cost, final_cost=run.final_cost,
                  final_feasible=run.final_feasible)
    benchmark.extra_info.update(implementation="naive slsqp", model=case.name, **values)
    record_allocate(case.name, "naive-slsqp", **values)
    assert run.best_x is not None, (
        f"the naive SLSQP reached no feasible plan in {run.iterations} iterations: "
        f"{run.message}")
    check_targets(p.model, _unavailabilities(
        NaiveProblem(p.model, p.cost, p.bounds).plan_model(run.best_x)))
    plan = p.allocate()  # not timed
    assert plan.cost <= run.best_cost * (1 + COST_RTOL), (
        f"slosim's plan costs {plan.cost!r}, the naive SLSQP's best feasible "
        f"iterate {run.best_cost!r}")


@pytest.mark.parametrize("case", _ids(NAIVE_GRADIENT))
def test_naive_gradient(benchmark, record_allocate, prepare, case):
    """:data:`GRADIENT_SAMPLE` finite-difference evaluations of one naive
    gradient at the model's own nines, every ``n / GRADIENT_SAMPLE``-th
    component, scaled to all ``n``."""
    p = prepare(case)
    benchmark.group = _group(case)
    problem = NaiveProblem(p.model, p.cost, p.bounds)
    x = problem.x0
    base = problem.slack(x)
    n = len(x)
    idx = np.linspace(0, n - 1, GRADIENT_SAMPLE).round().astype(int).tolist()
    out = []
    before = (problem.evaluations, problem.replace_s, problem.exact_s)
    benchmark.pedantic(lambda: out.append(problem.columns(x, base, idx)), rounds=3,
                       iterations=1, warmup_rounds=0)
    evals = problem.evaluations - before[0]
    # the naive derivatives are right: they match the exact ones
    want = exact_jacobian(p.model, [problem.names[i] for i in idx])
    err = float(np.max(np.abs(out[-1] - want)))
    assert err <= 1e-5, f"finite differences off the exact derivatives by {err:.3g}"
    if benchmark.stats is None:
        return
    st = benchmark.stats.stats
    scale = n / len(idx)
    values = dict(gradient_s=st.median * scale, gradient_min_s=st.min * scale,
                  evaluations_per_gradient=n, sampled=len(idx),
                  replace_s=(problem.replace_s - before[1]) / evals * n,
                  exact_s=(problem.exact_s - before[2]) / evals * n,
                  max_abs_error=err)
    benchmark.extra_info.update(implementation="naive gradient (sample)",
                                model=case.name, **values)
    record_allocate(case.name, "naive-gradient", **values)


# --- the session summary (printed by conftest.py) -------------------------------------


def summary(records):
    """Per model slosim's time and plan, the naive way's time and the ratio;
    the verdicts on the goals. ``records``: ``{model: {kind: values}}`` as
    ``record_allocate`` stores them (kinds ``slosim``, ``naive-slsqp``,
    ``naive-gradient``)."""
    out = {"models": {}}
    for name in sorted(records):
        rec = records[name]
        s, ns, ng = rec.get("slosim"), rec.get("naive-slsqp"), rec.get("naive-gradient")
        row = {}
        if s:
            row.update(label=s["label"], components=s["description"]["components"],
                       journeys=s["description"]["journeys"], slosim_s=s["median"],
                       slosim_min_s=s["min"], status=s["status"],
                       iterations=s["iterations"], starts=s["starts"], cost=s["cost"],
                       kkt_residual=s["kkt_residual"])
        if ns:
            row.update(naive_s=ns["seconds"], naive_iterations=ns["iterations"],
                       naive_evaluations=ns["evaluations"],
                       naive_converged=ns["converged"], naive_stopped=ns["stopped"],
                       naive_message=ns["message"], naive_cost=ns["cost"])
            if s:
                row["ratio"] = ns["seconds"] / s["median"]
                row["ratio_exact_only"] = ns["exact_s"] / s["median"]
                # cut short: the naive time, so the ratio, is a lower bound
                row["ratio_is_lower_bound"] = bool(ns["stopped"]) or (
                    not ns["converged"] and ns["iterations"] >= NAIVE_MAXITER)
                if ns["cost"]:
                    row["cost_vs_naive"] = s["cost"] / ns["cost"] - 1
        if ng:
            row.update(naive_gradient_s=ng["gradient_s"],
                       naive_gradient_replace_s=ng["replace_s"],
                       naive_gradient_exact_s=ng["exact_s"])
            if s and "ratio" not in row:
                row["ratio"] = ng["gradient_s"] / s["median"]
                row["ratio_exact_only"] = ng["exact_s"] / s["median"]
                row["ratio_is_lower_bound"] = True
        out["models"][name] = row
    a = out["models"].get("A", {})
    out["goal_time"] = {"model": "A", "slosim_s": a.get("slosim_s"), "goal_s": GOAL_S,
                        "met": a["slosim_s"] < GOAL_S if "slosim_s" in a else None}
    judged = {n: r["ratio"] for n, r in out["models"].items()
              if n in ("A", "B") and "ratio" in r}
    out["goal_ratio"] = {"ratios": judged, "goal": GOAL_RATIO,
                         "met": all(v >= GOAL_RATIO for v in judged.values())
                         if judged else None}
    return out


def summary_lines(records):
    """The summary as lines of text."""
    s = summary(records)
    lines = ["times in seconds (slosim: median of its rounds); ratio = naive / slosim, "
             "'>=' a lower bound (one naive gradient over slosim's whole solve)"]
    lines.append(f"{'model':<18}{'comps':>6}{'jrnys':>6}{'slosim':>9}  {'status':<9}"
                 f"{'iters':>6}{'starts':>7}{'cost':>11}{'KKT':>9}  naive")
    for name, r in s["models"].items():
        if "slosim_s" in r:
            line = (f"{name + ' ' + r['label']:<18}{r['components']:>6}{r['journeys']:>6}"
                    f"{r['slosim_s']:>9.3f}  {r['status']:<9}{r['iterations']:>6}"
                    f"{r['starts']:>7}{r['cost']:>11.2f}{r['kkt_residual']:>9.1e}  ")
        else:
            line = f"{name:<18}{'(slosim did not run)':<67}  "
        parts = []
        if "naive_s" in r:
            how = ("converged" if r["naive_converged"]
                   else f"NOT converged ({r['naive_stopped'] or r['naive_message']})")
            parts.append(f"SLSQP {r['naive_s']:.1f} s, {r['naive_iterations']} it, "
                         f"{r['naive_evaluations']} exact calls, {how}")
            if r.get("naive_cost") is not None and "cost_vs_naive" in r:
                parts.append(f"cost {r['naive_cost']:.2f} (slosim "
                             f"{r['cost_vs_naive']:+.1e})")
        if "naive_gradient_s" in r:
            parts.append(f"one gradient {r['naive_gradient_s']:.1f} s (replace "
                         f"{r['naive_gradient_replace_s']:.1f} + exact "
                         f"{r['naive_gradient_exact_s']:.1f})")
        if "ratio" in r:
            ge = ">= " if r["ratio_is_lower_bound"] else ""
            parts.append(f"ratio {ge}{r['ratio']:.0f}x (its exact calls alone: "
                         f"{ge}{r['ratio_exact_only']:.0f}x)")
        lines.append(line + ("; ".join(parts) if parts else "-"))
    verdict = {True: "met", False: "NOT met", None: "not judged (did not run)"}
    g = s["goal_time"]
    lines.append(f"goal: allocate(method='cost') under {GOAL_S:.0f} s on model A: "
                 f"{verdict[g['met']]}"
                 + (f" ({g['slosim_s']:.3f} s)" if g["slosim_s"] is not None else ""))
    g = s["goal_ratio"]
    shown = ", ".join(
        f"{n} {'>= ' if s['models'][n]['ratio_is_lower_bound'] else ''}{v:.0f}x"
        for n, v in g["ratios"].items())
    lines.append(f"goal: at least {GOAL_RATIO:.0f}x faster than the naive way: "
                 f"{verdict[g['met']]}" + (f" ({shown})" if shown else ""))
    return lines
