"""Tests of slosim.uncertainty: a journey's availability over uncertain inputs.

Oracles: the ANOVA of a multilinear function by its mixed differences
(``d_S h`` from the exact engine at corner values, independent of the
pair kernel); the pick-freeze estimates within their own intervals; SALib
(a test-only dependency) on the same model and samples; the sample's mean
and spread against the exact ones within their standard errors (at a
level that passes for any seed).
"""

import itertools
import json

import numpy as np
import pytest

import slosim as ss
from slosim.engines import ExactDiagram
from slosim.model import Beta, LogNormal, Uniform, lower

C = ss.Component
Z = 6.0       # standard errors: passes for any seed


def three_services():
    idv = C("idv", availability=Beta.from_counts(1980, 20))
    web = C("web", availability=Beta.from_counts(9990, 10))
    a = C("db-a", unavailability=LogNormal.from_error_factor(2e-3, 3))
    b = C("db-b", unavailability=Uniform(1e-3, 5e-3))
    return ss.Model(ss.Journey(ss.series(web, idv, ss.parallel(a, b)), name="open",
                               target=0.985))


def anova(model):
    """Exact mean, variance and {subset: V_S} over the parameters, from the
    mixed differences of the unavailability at corner values."""
    s = lower(model)
    d = ExactDiagram(s)
    params = s.parameters
    events = [int(p.events[0]) for p in params]
    sigma2 = [p.distribution.var for p in params]

    def h(fixed):
        q = s.q.copy()
        for e, v in fixed.items():
            q[e] = v
        return d.evaluate(q, conditionals=False).unavailability[0]

    out = {}
    for size in range(1, len(params) + 1):
        for subset in itertools.combinations(range(len(params)), size):
            diff = 0.0
            for corner in itertools.product((0.0, 1.0), repeat=size):
                sign = (-1) ** (size - int(sum(corner)))
                diff += sign * h({events[i]: c for i, c in zip(subset, corner)})
            out[subset] = np.prod([sigma2[i] for i in subset]) * diff ** 2
    return h({}), out


def test_closed_form_is_the_anova():
    model = three_services()
    res = ss.uncertainty(model, samples=200, rng=1)["open"]
    assert res.method == "closed form"
    mean, parts = anova(model)
    V = sum(parts.values())
    assert res.mean == pytest.approx(1 - mean, rel=1e-14)
    assert res.std ** 2 == pytest.approx(V, rel=1e-9)
    P = len(res.parameters)
    for i in range(P):
        first = parts[(i,)]
        total = sum(v for s, v in parts.items() if i in s)
        shapley = sum(v / len(s) for s, v in parts.items() if i in s)
        assert res.S1[i] == pytest.approx(first / V, rel=1e-9, abs=1e-15)
        assert res.ST[i] == pytest.approx(total / V, rel=1e-9, abs=1e-15)
        assert res.shapley[i] == pytest.approx(shapley / V, rel=1e-9, abs=1e-15)
    assert float(np.sum(res.shapley)) == pytest.approx(1.0, abs=1e-12)


def test_the_sample_agrees_with_the_exact_moments(seed):
    model = three_services()
    n = 40_000
    res = ss.uncertainty(model, samples=n, rng=seed)["open"]
    assert abs(res.sample_mean - res.mean) <= Z * res.std / np.sqrt(n)
    assert np.std(res.availability) == pytest.approx(res.std, rel=Z * np.sqrt(2 / n) + 0.02)
    assert res.availability.shape == (n,)
    lo, hi = res.p_meets_interval
    assert lo <= res.p_meets <= hi
    assert res.quantiles[0.05] <= res.quantiles[0.5] <= res.quantiles[0.95]


def test_pick_freeze_covers_the_closed_form(seed):
    model = three_services()
    exact = ss.uncertainty(model, samples=100, rng=seed)["open"]
    pf = ss.uncertainty(model, samples=20_000, rng=seed, method="pick-freeze",
                        confidence=1 - 1e-6)["open"]
    assert pf.method == "pick-freeze" and pf.shapley is None
    for name in ("S1", "ST"):
        est, conf, true = getattr(pf, name), getattr(pf, f"{name}_conf"), getattr(exact, name)
        # the bootstrap half-width at 1 - 1e-6, with a margin for the
        # bootstrap's own error
        assert np.all(np.abs(est - true) <= 1.5 * conf + 1e-3), (name, est, conf, true)


def test_salib_gives_the_same_indices():
    """SALib's Saltelli sampling and Sobol analysis, driving the same
    model through ExactDiagram, land on the closed-form indices within
    their intervals."""
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    model = three_services()
    s = lower(model)
    params = s.parameters
    problem = {"num_vars": len(params), "names": [p.name for p in params],
               "bounds": [[0.0, 1.0]] * len(params)}
    u = sobol_sample.sample(problem, 2**12, calc_second_order=False, seed=3)
    x = np.column_stack([p.distribution.ppf(u[:, i]) for i, p in enumerate(params)])
    d = ExactDiagram(s)
    y = np.array([d.evaluate(q, conditionals=False).availability[0]
                  for q in s.event_probabilities(x)])
    out = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=4,
                                conf_level=0.999)
    exact = ss.uncertainty(model, samples=100, rng=1)["open"]
    assert np.all(np.abs(out["S1"] - exact.S1) <= 2 * out["S1_conf"] + 5e-3)
    assert np.all(np.abs(out["ST"] - exact.ST) <= 2 * out["ST_conf"] + 5e-3)


def test_a_common_cause_factor_is_pick_freeze():
    g = ss.beta_factor("db", ["db-0", "db-1"], unavailability=1e-3,
                       beta=LogNormal.from_error_factor(0.05, 3))
    model = ss.Model(ss.Journey(ss.parallel(*g.components), name="db"), shocks=[g])
    res = ss.uncertainty(model, samples=5000, rng=5)["db"]
    assert res.method == "pick-freeze" and res.parameters == ("db.beta",)
    with pytest.raises(ValueError, match="closed form"):
        ss.uncertainty(model, samples=100, rng=5, method="closed form")


def test_results_serialise_and_plot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = ss.uncertainty(three_services(), samples=2000, rng=7)
    d = res.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert list(res["open"].to_frame().columns) == ["S1", "ST", "shapley"]
    assert res.to_frame().index.names == ["journey", "parameter"]
    dist, bars = res["open"].plot(top=3)
    assert len(bars.patches) == 3
    assert any(line.get_xdata()[0] == 0.985 for line in dist.lines)    # the target
    assert sum(p.get_height() for p in dist.patches) == 2000
    plt.close("all")
    assert "P(meets 0.985)" in repr(res["open"])


def test_errors():
    with pytest.raises(ValueError, match="no uncertain parameters|has none"):
        ss.uncertainty(C("a", unavailability=0.1))
    model = three_services()
    for kwargs, match in [({"method": "guess"}, "method"), ({"samples": 1}, "samples"),
                          ({"quantiles": [1.5]}, "quantiles"),
                          ({"confidence": 0}, "confidence"), ({"bootstrap": 0}, "bootstrap")]:
        with pytest.raises(ValueError, match=match):
            ss.uncertainty(model, **kwargs)
