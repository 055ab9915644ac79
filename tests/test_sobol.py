"""Tests of slosim.sobol: the ANOVA of a journey's state, exactly.

The oracle is the definition: every state of the random events is
enumerated (tests/oracle.py), the journey's state is expanded in the
orthonormal basis of the independent events (its Fourier-Walsh
coefficients), and each subset's variance is its coefficient squared.
First-order, total, pair and Shapley indices are sums of those.
"""

import itertools
import json

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss

from oracle import children, name_map, postorder
from strategies import build_with_shocks, dags, models_with_shocks

C = ss.Component
PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def anova(model):
    """{journey: (names, {subset (tuple of names): variance})} by enumeration."""
    names = name_map(model)
    order = postorder([j.node for j in model.journeys], names)
    leaves = [n for n in order if isinstance(n, (ss.Component, ss.Service))
              and 0.0 < n.unavailability < 1.0]
    n = len(leaves)
    states = np.arange(1 << n)
    down = {id(leaf): ((states >> i) & 1).astype(bool) for i, leaf in enumerate(leaves)}
    q = np.array([leaf.unavailability for leaf in leaves])
    w = np.ones(1 << n)
    for i in range(n):
        w *= np.where(down[id(leaves[i])], q[i], 1 - q[i])
    value = {}
    for node in order:
        if isinstance(node, ss.Component):
            u = node.unavailability
            value[id(node)] = down[id(node)] if 0 < u < 1 else np.full(1 << n, u == 1.0)
            continue
        kids = [value[id(c)] for c in children(node, names)]
        if isinstance(node, ss.Service):
            u = node.unavailability
            own = down[id(node)] if 0 < u < 1 else np.full(1 << n, u == 1.0)
            value[id(node)] = np.logical_or.reduce([own, *kids])
        else:
            ups = sum((~k).astype(int) for k in kids)
            value[id(node)] = ups < node.k
    phi = [(down[id(leaf)] - q[i]) / np.sqrt(q[i] * (1 - q[i]))
           for i, leaf in enumerate(leaves)]
    out = {}
    for j in model.journeys:
        y = value[id(j.node)].astype(float)
        variances = {}
        for size in range(1, n + 1):
            for subset in itertools.combinations(range(n), size):
                basis = np.prod([phi[i] for i in subset], axis=0)
                variances[tuple(leaves[i].name for i in subset)] = float(
                    np.sum(w * y * basis)) ** 2
        out[j.name] = ([leaf.name for leaf in leaves], variances)
    return out


@PROPERTY
@given(spec=dags(max_leaves=6, max_gates=6, q=st.one_of(
    st.floats(1e-3, 0.999), st.sampled_from([1e-3, 0.5, 0.999]))))
def test_indices_are_the_anova_of_the_journey(spec):
    # (the oracle's basis functions overflow for probabilities near 1e-300)
    model = spec.build()
    res = ss.sobol(model, second_order=True)
    for j, (names, variances) in anova(model).items():
        r = res[j]
        V = r.variance
        assert sum(variances.values()) == pytest.approx(V, rel=1e-9, abs=1e-15)
        if V < 1e-12:
            continue
        for name in names:
            i = r.events.index(name)
            first = variances[(name,)]
            total = sum(v for s, v in variances.items() if name in s)
            shap = sum(v / len(s) for s, v in variances.items() if name in s)
            assert r.S1[i] * V == pytest.approx(first, rel=1e-7, abs=1e-14)
            assert r.ST[i] * V == pytest.approx(total, rel=1e-7, abs=1e-14)
            assert r.shapley[i] * V == pytest.approx(shap, rel=1e-7, abs=1e-13)
            for other in names:
                if other != name:
                    pair = variances[tuple(sorted((name, other), key=names.index))]
                    assert r.S2[i, r.events.index(other)] * V == pytest.approx(
                        pair, rel=1e-6, abs=1e-14)


@PROPERTY
@given(case=models_with_shocks())
def test_shapley_lies_between_first_and_total_and_sums_to_one(case):
    spec, shocks = case
    res = ss.sobol(build_with_shocks(spec, shocks))
    exact = ss.exact(build_with_shocks(spec, shocks))
    for j, r in res.items():
        if not r.variance > 1e-12:
            continue
        tol = 1e-9
        assert np.all(r.S1 <= r.shapley + tol) and np.all(r.shapley <= r.ST + tol)
        assert float(np.sum(r.shapley)) == pytest.approx(1.0, abs=1e-9)
        assert float(np.sum(r.S1)) <= 1 + 1e-9 <= float(np.sum(r.ST)) + 2e-9
        # S1 / ST is the Birnbaum importance, for coherent logic
        live = r.ST > 1e-12
        assert np.allclose((r.S1 / np.where(live, r.ST, 1))[live],
                           exact[j].birnbaum[live], rtol=1e-9, atol=1e-12)


def test_redundancy_is_interaction():
    a, b = C("a", unavailability=0.01), C("b", unavailability=0.01)
    r = ss.sobol(ss.parallel(a, b, name="pair"), second_order=True)["pair"]
    V = 1e-4 * (1 - 1e-4)
    assert r.variance == pytest.approx(V, rel=1e-14)
    assert r.S1[0] == pytest.approx(0.99 * 0.01 * 0.01 ** 2 / V, rel=1e-12)
    assert r.interaction > 0.98
    assert r.S2[0, 1] == pytest.approx(r.interaction, rel=1e-12)
    assert r.shapley.tolist() == pytest.approx([0.5, 0.5], rel=1e-12)
    assert np.all(r.S2 == r.S2.T) and np.all(np.diag(r.S2) == 0)


def test_a_series_has_no_interaction_to_speak_of():
    parts = [C(f"c{i}", unavailability=1e-4 * (i + 1)) for i in range(4)]
    r = ss.sobol(ss.series(*parts, name="s"))["s"]
    assert r.interaction < 1e-3


def test_given_and_constants():
    a, b = C("a", unavailability=0.1), C("b", unavailability=0.2)
    r = ss.sobol(ss.series(a, b, name="j"), given={"a": "up"})["j"]
    assert r.given == {"a": "up"}
    assert r.S1.tolist() == [0.0, pytest.approx(1.0)]
    never = ss.sobol(ss.series(a, b, name="j"), given={"a": "down"})["j"]
    assert never.variance == 0.0 and np.isnan(never.S1).all()


def test_copulas_are_refused():
    a, b = C("a", unavailability=0.1), C("b", unavailability=0.2)
    model = ss.Model(ss.Journey(ss.parallel(a, b), name="j"),
                     copulas=[ss.GaussianCopula("z", [a, b], loadings=[0.5, 0.5])])
    with pytest.raises(ss.ExactUnsupportedError, match="copula 'z'"):
        ss.sobol(model)


def test_pair_budget():
    xs = [C(f"x{i}", unavailability=0.1) for i in range(12)]
    with pytest.raises(ss.DiagramTooLargeError, match="max_pairs=3.*shapley=False"):
        ss.sobol(ss.k_of_n(6, xs, name="half"), max_pairs=3)


def test_without_shapley_the_brackets_stay_exact():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [C(f"x{i}", unavailability=0.05 * (i + 1)) for i in range(8)]
    model = ss.k_of_n(4, xs, name="half")
    full = ss.sobol(model)["half"]
    res = ss.sobol(model, shapley=False, max_pairs=3)
    r = res["half"]
    assert r.shapley is None and r.ranking == "ST"
    assert r.S1.tolist() == full.S1.tolist() and r.ST.tolist() == full.ST.tolist()
    assert np.all((r.S1 <= full.shapley + 1e-12) & (full.shapley <= r.ST + 1e-12))
    assert [n for n, _ in r.top(n=3)] == [xs[i].name for i in np.argsort(-r.ST)[:3]]
    with pytest.raises(ValueError, match="shapley=False"):
        r.top("shapley")
    d = res.to_dict()
    assert json.loads(json.dumps(d)) == d and d["journeys"]["half"]["shapley"] is None
    assert f"largest ST: {xs[int(np.argmax(r.ST))].name}" in repr(res)
    assert "sorted by" not in repr(r) and "nan" in repr(r)
    assert np.isnan(r.to_frame()["shapley"]).all()
    ax = r.plot(top=5)
    assert len(ax.patches) == 0 and len(ax.collections) == 1    # brackets, no bars
    assert "S1 and ST" in ax.get_title()
    plt.close("all")


@pytest.mark.parametrize("n, k", [(3, 2), (9, 5), (14, 7)])
def test_the_integral_over_the_coupling_is_exact_by_degree(n, k):
    # the integrand is a polynomial of degree below `levels`: the exact
    # rule and a much larger one agree to rounding
    from slosim.engines import ExactDiagram, PairMoments

    xs = [C(f"x{i}", unavailability=0.03 * (i + 1)) for i in range(n)]
    d = ExactDiagram(ss.k_of_n(k, xs, name="j"))
    pm = PairMoments(d, 0)
    assert pm.levels == n
    q = d.structure.q
    m = np.c_[q, 1 - q]
    independent = m[:, :, None] * m[:, None, :]
    same = np.zeros_like(independent)
    same[:, 0, 0], same[:, 1, 1] = q, 1 - q
    x, w = np.polynomial.legendre.leggauss(64)
    reference = sum(wi / 2 * pm.evaluate(r * same + (1 - r) * independent)[1]
                    for r, wi in zip((x + 1) / 2, w))
    got = pm.integrate(same, independent, rtol=0.0)     # only the exact rule stops it
    assert got == pytest.approx(reference, rel=1e-12, abs=1e-15)


def test_a_capped_rule_that_has_not_converged_warns(monkeypatch):
    from slosim.engines import ExactDiagram, PairMoments, _pairs

    xs = [C(f"x{i}", unavailability=0.3) for i in range(20)]
    d = ExactDiagram(ss.k_of_n(10, xs, name="j"))
    pm = PairMoments(d, 0)
    q = d.structure.q
    m = np.c_[q, 1 - q]
    independent = m[:, :, None] * m[:, None, :]
    same = np.zeros_like(independent)
    same[:, 0, 0], same[:, 1, 1] = q, 1 - q
    monkeypatch.setattr(_pairs, "MAX_RULE", 8)
    with pytest.warns(ss.PrecisionWarning, match="8 Gauss-Legendre nodes \\(10 would be exact\\)"):
        pm.integrate(same, independent, rtol=0.0)


def test_result_serialises_frames_and_plots():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    web = C("web", availability=0.999)
    db = ss.parallel(C("db-a", availability=0.99), C("db-b", availability=0.99))
    res = ss.sobol(ss.Model(ss.Journey(ss.series(web, db), name="checkout")),
                   second_order=True)
    d = res.to_dict()
    assert json.loads(json.dumps(d)) == d
    frame = res["checkout"].to_frame()
    assert list(frame.columns) == ["S1", "shapley", "ST"]
    assert res.to_frame().index.names == ["journey", "event"]
    r = res["checkout"]
    ax = r.plot(top=2)
    assert len(ax.patches) == 2
    assert [t.get_text() for t in ax.get_yticklabels()] == [n for n, _ in r.top("shapley", 2)][::-1]
    bars = sorted(ax.patches, key=lambda p: p.get_y())
    assert bars[-1].get_width() == pytest.approx(r.shapley[0])
    plt.close("all")
    with pytest.raises(ValueError, match="unknown index"):
        r.top("S3")


def test_bad_parameters():
    with pytest.raises(TypeError, match="second_order"):
        ss.sobol(C("a", unavailability=0.1), second_order="yes")
    with pytest.raises(TypeError, match="shapley"):
        ss.sobol(C("a", unavailability=0.1), shapley=1)
    with pytest.raises(ValueError, match="max_pairs"):
        ss.sobol(C("a", unavailability=0.1), max_pairs=0)
