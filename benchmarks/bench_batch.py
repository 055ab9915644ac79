"""Batched diagram evaluation beside its baselines, in the same run.

The job: every journey's availability and unavailability at each of
``K`` vectors of component unavailabilities (the heavy part of
uncertainty propagation), on the diagram of a 1,000-component service
graph, ``exact_models.service_graph(1000, n_shared=100)`` (4 journeys,
seed :data:`SEED`; the diagram is built once, outside the timing). Each
vector draws every component's unavailability lognormal around its own,
with an error factor of 3 (the 95th percentile three times the median),
clipped below 1 (:func:`vectors`, seed :data:`SEED`).

Groups:

* ``batch (service-1000, K vectors)``, K in :data:`SIZES`:

  - ``slosim-1t``, ``slosim-2t``: ``evaluate_many(diagram, q, threads=1 or
    2)``, validation of ``q`` included;
  - ``numpy``: the plain NumPy baseline, :func:`numpy_baseline`: the same
    bottom-up pass, vectorised over the vectors, one node at a time, over
    the nodes the journeys reach, each node's arrays dropped after its
    last parent (transposing ``q`` included);

* ``batch (service-1000, per vector)``: the way without batching, timed on
  a sample of the vectors and scaled:

  - ``evaluate per vector``: ``ExactDiagram.evaluate(q_k,
    conditionals=False)`` on :data:`EVALUATE_SAMPLE` vectors a round;
  - ``exact per vector``: ``ss.exact(model.replace(unavailabilities=...))``
    on :data:`EXACT_SAMPLE` vectors a round (the time split into building
    the model and :func:`slosim.exact`).

Answers are checked, a fast wrong answer fails: ``evaluate_many`` against
``ExactDiagram.evaluate`` and ``ss.exact`` on the sampled vectors, and
against the NumPy baseline on every vector (relative ``1e-13``, both
availability and unavailability); two threads bit for bit as one.

Times are recorded, never asserted: :data:`RECORDS` holds them
(``{implementation: {vectors: values}}``), :func:`summary` and
:func:`summary_lines` give vectors per second, the ratios and the
verdicts on the goals: at ``10**5`` vectors, under :data:`GOAL_S` s on one
core, and at least :data:`GOAL_RATIO` times faster than calling
``ss.exact`` per vector. A session summary prints ``summary_lines(RECORDS)``
(``conftest.py`` wires it); each benchmark's ``extra_info`` holds its own
numbers.
"""

import time

import numpy as np
import pytest

import slosim as ss
from slosim.engines import ExactDiagram
from slosim.engines._batch import evaluate_many

from . import exact_models as em

SEED = 20240601

#: Vectors per benchmark; the goals are judged at the largest.
SIZES = (10_000, 100_000)

#: Error factor of each component's lognormal unavailability.
ERROR_FACTOR = 3.0

#: Vectors timed per round for the per-vector ways (then scaled).
EVALUATE_SAMPLE = 200
EXACT_SAMPLE = 5

#: The goals: ``evaluate_many`` at ``10**5`` vectors under GOAL_S seconds
#: on one core, and at least GOAL_RATIO times faster than ``ss.exact`` per
#: vector.
GOAL_S = 1.0
GOAL_RATIO = 100.0

#: Relative tolerance of every check.
REL = 1e-13

#: ``{implementation: {vectors: values}}``, filled by the benchmarks.
RECORDS = {}

MODEL = "service-1000"


class Prepared:
    """The model, its diagram and the vectors, built once."""

    def __init__(self):
        self.model = em.service_graph(1000, n_shared=100, seed=SEED)
        self.description = em.describe(self.model)
        self.diagram = ExactDiagram(self.model)
        self.q = vectors(self.diagram, max(SIZES), seed=SEED)
        self.answers = {}      # vectors -> BatchEvaluation from slosim-1t

    def sample(self, n):
        """``n`` row indices spread over all the vectors."""
        return np.linspace(0, max(SIZES) - 1, n).round().astype(int)


@pytest.fixture(scope="module")
def prepared():
    return Prepared()


def vectors(diagram, K, *, seed):
    """(K, E): each event's unavailability lognormal around its own, with
    error factor :data:`ERROR_FACTOR`, clipped below 1."""
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((K, diagram.structure.n_events))
    q *= np.log(ERROR_FACTOR) / 1.6448536269514722
    np.exp(q, out=q)
    q *= diagram.structure.q
    np.minimum(q, 0.999, out=q)
    return q


def numpy_baseline(diagram, q):
    """``(availability, unavailability)``, shape (K, J): the bottom-up pass
    in plain NumPy, one node at a time over the nodes the journeys reach,
    vectorised over the vectors; a node's arrays are dropped after its last
    parent (memory: the live nodes times K)."""
    var, lo, hi = diagram.node_arrays()
    roots = list(diagram.roots)
    column = np.argsort(diagram.levels)           # variable -> column of q
    last = {r: len(var) for r in roots}           # node -> its last parent
    order = []
    for n in range(len(var) - 1, 1, -1):
        if n in last:
            order.append(n)
            last.setdefault(int(lo[n]), n)
            last.setdefault(int(hi[n]), n)
    qt = np.ascontiguousarray(q.T)
    up, down = {0: 0.0, 1: 1.0}, {0: 1.0, 1: 0.0}
    for n in reversed(order):
        a = qt[column[var[n]]]
        b = 1.0 - a
        l, h = int(lo[n]), int(hi[n])
        up[n] = a * up[l] + b * up[h]
        down[n] = a * down[l] + b * down[h]
        for c in {l, h}:
            if c >= 2 and last[c] == n:
                del up[c], down[c]
    shape = (len(q),)
    return (np.stack([np.broadcast_to(up[r], shape) for r in roots], axis=1),
            np.stack([np.broadcast_to(down[r], shape) for r in roots], axis=1))


def assert_close(got, want, what):
    err = np.abs(np.asarray(got) - np.asarray(want))
    bad = ~(err <= REL * np.abs(want))
    assert not bad.any(), (f"{what}: {np.count_nonzero(bad)} values off by more than "
                           f"{REL:g} relative, e.g. {np.asarray(got)[bad][:3]} != "
                           f"{np.asarray(want)[bad][:3]}")


def _record(benchmark, impl, K, timed, **values):
    """Vectors/s from the median and fastest rounds; ``timed`` vectors a
    round."""
    if benchmark.stats is None:    # --benchmark-disable: checked, not timed
        return
    st = benchmark.stats.stats
    values.update(vectors=K, timed_vectors=timed, median_s=st.median, min_s=st.min,
                  per_s=timed / st.median, best_per_s=timed / st.min)
    benchmark.extra_info.update(implementation=impl, model=MODEL, **values)
    RECORDS.setdefault(impl, {})[K] = values


def _group(what):
    return f"batch ({MODEL}, {what})"


# --- slosim ---------------------------------------------------------------------


@pytest.mark.parametrize("threads", [1, 2], ids=["1t", "2t"])
@pytest.mark.parametrize("K", SIZES)
def test_slosim(benchmark, prepared, K, threads):
    q = prepared.q[:K]
    benchmark.group = _group(f"{K} vectors")
    res = benchmark.pedantic(evaluate_many, args=(prepared.diagram, q),
                             kwargs={"threads": threads}, rounds=5, iterations=1,
                             warmup_rounds=1)
    rows = prepared.sample(EVALUATE_SAMPLE)
    for k in rows[rows < K][::10].tolist():
        ev = prepared.diagram.evaluate(q[k], conditionals=False)
        assert_close(res.availability[k], ev.availability, f"row {k} availability")
        assert_close(res.unavailability[k], ev.unavailability, f"row {k} unavailability")
    if threads == 1:
        prepared.answers[K] = res
    elif K in prepared.answers:
        one = prepared.answers[K]
        assert res.unavailability.tobytes() == one.unavailability.tobytes()
        assert res.availability.tobytes() == one.availability.tobytes()
    _record(benchmark, f"slosim-{threads}t", K, K, threads=threads,
            diagram_nodes=prepared.diagram.nodes, **prepared.description)


# --- the NumPy baseline ------------------------------------------------------------


@pytest.mark.parametrize("K", SIZES)
def test_numpy(benchmark, prepared, K):
    q = prepared.q[:K]
    benchmark.group = _group(f"{K} vectors")
    up, down = benchmark.pedantic(numpy_baseline, args=(prepared.diagram, q),
                                  rounds=2 if K > 10_000 else 3, iterations=1,
                                  warmup_rounds=0)
    res = prepared.answers.get(K) or evaluate_many(prepared.diagram, q)
    assert_close(res.availability, up, "availability against NumPy")
    assert_close(res.unavailability, down, "unavailability against NumPy")
    _record(benchmark, "numpy", K, K)


# --- one vector at a time ----------------------------------------------------------


def test_evaluate_per_vector(benchmark, prepared):
    d, q = prepared.diagram, prepared.q
    rows = prepared.sample(EVALUATE_SAMPLE).tolist()
    benchmark.group = _group("per vector")
    out = benchmark.pedantic(
        lambda: [d.evaluate(q[k], conditionals=False) for k in rows],
        rounds=3, iterations=1, warmup_rounds=1)
    res = evaluate_many(d, q[rows])
    for i, ev in enumerate(out):
        assert_close(res.availability[i], ev.availability, f"row {rows[i]} availability")
        assert_close(res.unavailability[i], ev.unavailability,
                     f"row {rows[i]} unavailability")
    _record(benchmark, "evaluate per vector", max(SIZES), len(rows))


def test_exact_per_vector(benchmark, prepared):
    model, q = prepared.model, prepared.q
    names = prepared.diagram.structure.events
    assert names == tuple(model.components)
    rows = prepared.sample(EXACT_SAMPLE).tolist()
    spent = {"replace": 0.0, "exact": 0.0, "calls": 0}
    out = []

    def per_vector():
        out.clear()
        for k in rows:
            t0 = time.perf_counter()
            m = model.replace(unavailabilities=dict(zip(names, q[k].tolist())))
            t1 = time.perf_counter()
            out.append(ss.exact(m))
            t2 = time.perf_counter()
            spent["replace"] += t1 - t0
            spent["exact"] += t2 - t1
            spent["calls"] += 1

    benchmark.group = _group("per vector")
    benchmark.pedantic(per_vector, rounds=3, iterations=1, warmup_rounds=0)
    res = evaluate_many(prepared.diagram, q[rows])
    for i, r in enumerate(out):
        for j, name in enumerate(res.journeys):
            assert_close(res.availability[i, j], r[name].availability,
                         f"row {rows[i]} {name} availability")
            assert_close(res.unavailability[i, j], r[name].unavailability,
                         f"row {rows[i]} {name} unavailability")
    calls = spent["calls"]
    _record(benchmark, "exact per vector", max(SIZES), len(rows),
            replace_s_per_vector=spent["replace"] / calls,
            exact_s_per_vector=spent["exact"] / calls)


# --- the session summary ---------------------------------------------------------------


def summary(records=None):
    """Vectors per second of every implementation (from the median round;
    the per-vector ways scaled from their samples), the ratios to slosim on
    one thread, and the verdicts on the goals, as a dict."""
    records = RECORDS if records is None else records
    K = max(SIZES)
    out = {"model": MODEL, "vectors": {}, "ratios": {}}
    for impl, runs in sorted(records.items()):
        for n, v in sorted(runs.items()):
            out["vectors"].setdefault(impl, {})[n] = {
                "per_s": v["per_s"], "best_per_s": v["best_per_s"],
                "seconds": v["median_s"] * n / v["timed_vectors"]}
    rates = {impl: runs.get(K, {}).get("per_s") for impl, runs in out["vectors"].items()}
    s1 = rates.get("slosim-1t")
    for impl, r in rates.items():
        if s1 and r and not impl.startswith("slosim"):
            out["ratios"][f"slosim-1t/{impl}"] = s1 / r
    s2 = rates.get("slosim-2t")
    if s1 and s2:
        out["ratios"]["slosim-2t/slosim-1t"] = s2 / s1
    ex = records.get("exact per vector", {}).get(K)
    if s1 and ex:
        out["ratios"]["slosim-1t/exact per vector (ss.exact alone)"] = \
            s1 * ex["exact_s_per_vector"]
    t1 = out["vectors"].get("slosim-1t", {}).get(K, {}).get("seconds")
    out["goal_time"] = {"vectors": K, "seconds": t1, "goal_s": GOAL_S,
                        "met": None if t1 is None else t1 < GOAL_S}
    ratio = out["ratios"].get("slosim-1t/exact per vector")
    out["goal_ratio"] = {"ratio": ratio, "goal": GOAL_RATIO,
                         "met": None if ratio is None else ratio >= GOAL_RATIO}
    return out


def summary_lines(records=None):
    """The summary as lines of text."""
    s = summary(records)
    lines = [f"model {s['model']}; vectors per second (median round; the per-vector "
             f"ways timed on a sample and scaled), and the time for that many vectors"]
    for impl, runs in s["vectors"].items():
        for n, v in runs.items():
            lines.append(f"  {impl:<22}{n:>8} vectors  {v['per_s']:>12.4g}/s  "
                         f"(best {v['best_per_s']:.4g}/s)  {v['seconds']:>9.3f} s")
    for name, ratio in s["ratios"].items():
        lines.append(f"  {name:<52}{ratio:>10.3g}")
    verdict = {True: "met", False: "NOT met", None: "not judged (did not run)"}
    g = s["goal_time"]
    lines.append(f"goal: {g['vectors']} vectors under {GOAL_S:g} s on one core: "
                 f"{verdict[g['met']]}"
                 + (f" ({g['seconds']:.3f} s)" if g["seconds"] is not None else ""))
    g = s["goal_ratio"]
    lines.append(f"goal: at least {GOAL_RATIO:.0f}x faster than ss.exact per vector: "
                 f"{verdict[g['met']]}"
                 + (f" ({g['ratio']:.0f}x)" if g["ratio"] is not None else ""))
    return lines
