"""Tests of slosim.importance and of given= (what-if) in the engines.

The oracle is brute force: a journey's unavailability with an event forced
down and forced up, by enumerating every state (tests/oracle.py, which
shares no code with slosim), gives every measure by its definition. The
identities between measures hold on random models with shocks; Birnbaum
is the derivative of the unavailability (a central difference, exact for a
multilinear function); measures follow the events when they are renamed;
Monte Carlo measures cover the exact ones within their intervals (at a
confidence high enough to pass for any seed), copula members included.
"""

import json
import math

from hypothesis import HealthCheck, assume, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim.engines import ExactDiagram

from oracle import unavailability
from strategies import build_with_shocks, dags, models_with_shocks, open_probabilities

C = ss.Component
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
SURE = 1 - 1e-6      # interval confidence in statistical tests: passes for any seed


def checkout():
    web = C("web", availability=0.999)
    db = ss.parallel(C("db-a", availability=0.99), C("db-b", availability=0.99), name="db")
    return ss.Model(ss.Journey(ss.series(web, db), name="checkout", target=0.998))


def close(a, b, rel=1e-9, abs_=1e-15):
    a, b = np.asarray(a, float), np.asarray(b, float)
    both_inf = np.isinf(a) & np.isinf(b) & (np.sign(a) == np.sign(b))
    both_nan = np.isnan(a) & np.isnan(b)
    ok = both_inf | both_nan | np.isclose(a, b, rtol=rel, atol=abs_)
    return bool(np.all(ok))


# --- the definitions, by brute force ------------------------------------------------


@PROPERTY
@given(spec=dags(max_leaves=7, max_gates=6, q=open_probabilities()))
def test_measures_are_their_definitions(spec):
    model = spec.build()
    res = ss.importance(model)
    base = unavailability(model)
    for name in spec.leaf_names:
        down = unavailability(spec.build(q={name: 1.0}))
        up = unavailability(spec.build(q={name: 0.0}))
        q = spec.leaf_q()[name]
        for j, r in res.items():
            i = r.events.index(name)
            U, b = base[j], down[j] - up[j]
            assert r.unavailability == pytest.approx(U, rel=1e-9, abs=1e-15)
            assert r.birnbaum[i] == pytest.approx(b, rel=1e-7, abs=1e-12)
            assert r.improvement_potential[i] == pytest.approx(q * b, rel=1e-7, abs=1e-12)
            if U > 1e-12:
                assert r.raw[i] == pytest.approx(down[j] / U, rel=1e-7)
                assert r.failure_share[i] == pytest.approx(q * down[j] / U, rel=1e-7)
                assert r.criticality[i] == pytest.approx(q * b / U, rel=1e-6, abs=1e-9)
                if up[j] > 1e-12 * U:
                    assert r.rrw[i] == pytest.approx(U / up[j], rel=1e-6)


@PROPERTY
@given(case=models_with_shocks())
def test_identities_between_measures(case):
    spec, shocks = case
    res = ss.importance(build_with_shocks(spec, shocks))
    for r in res.values():
        q, U, b = r.probability, r.unavailability, r.birnbaum
        if not 1e-12 < U < 1:
            continue
        # RRW = 1 / (1 - criticality) is ill-conditioned as the criticality nears 1
        inner = (q > 0) & (q < 1) & (r.criticality < 1 - 1e-6)
        assert close(r.raw, 1 + (1 - q) * b / U, rel=1e-7, abs_=1e-9)
        assert close(r.failure_share, q * r.raw, rel=1e-7, abs_=1e-12)
        assert close(r.improvement_potential, q * b)
        with np.errstate(divide="ignore"):
            assert close(r.rrw[inner], 1 / (1 - r.criticality[inner]), rel=1e-6)
        assert np.all(r.failure_share <= 1 + 1e-12) and np.all(r.birnbaum >= 0)
        assert np.all(r.raw >= 1 - 1e-9) and np.all(r.rrw >= 1 - 1e-9)


@PROPERTY
@given(case=models_with_shocks(), data=st.data())
def test_birnbaum_is_the_derivative(case, data):
    spec, shocks = case
    model = build_with_shocks(spec, shocks)
    d = ExactDiagram(model)
    q = d.structure.q
    e = data.draw(st.integers(0, len(q) - 1))
    h = min(1e-3, q[e] / 2, (1 - q[e]) / 2)
    # a step of a subnormal q (1e-323) is all rounding: no difference to take
    assume(h >= 1e-100)
    hi, lo = q.copy(), q.copy()
    hi[e] += h
    lo[e] -= h
    fd = (d.evaluate(hi, conditionals=False).unavailability
          - d.evaluate(lo, conditionals=False).unavailability) / (2 * h)
    res = ss.importance(model)
    for j, r in enumerate(res.values()):
        # multilinear in q: the central difference is exact but for rounding
        assert r.birnbaum[e] == pytest.approx(fd[j], rel=1e-6, abs=1e-9 / h * 1e-6)


@PROPERTY
@given(spec=dags(max_leaves=7, max_gates=6))
def test_measures_follow_their_events_when_renamed(spec):
    a = ss.importance(spec.build())
    b = ss.importance(spec.build(prefix="x-"))
    for (ja, ra), (jb, rb) in zip(a.items(), b.items()):
        assert jb == "x-" + ja
        assert rb.events == tuple("x-" + e for e in ra.events)
        for m, values in ra.measures().items():
            assert close(values, getattr(rb, m), rel=0, abs_=0), m


def test_rrw_is_infinite_for_an_event_in_every_cut_set():
    a, b = C("a", unavailability=0.01), C("b", unavailability=0.02)
    r = ss.importance(ss.parallel(a, b, name="pair"))["pair"]
    assert r.rrw.tolist() == [math.inf, math.inf]
    r = ss.importance(ss.series(C("c", unavailability=0.1),
                                ss.parallel(a, b), name="j"))["j"]
    assert np.all(np.isfinite(r.rrw))


def test_checkout_by_hand():
    r = ss.importance(checkout())["checkout"]
    q = np.array([1e-3, 1e-2, 1e-2])
    U = 1 - 0.999 * (1 - 1e-4)
    b = np.array([1 - 1e-4, 0.999 * 0.01, 0.999 * 0.01])
    assert r.unavailability == pytest.approx(U, rel=1e-14)
    assert close(r.birnbaum, b, rel=1e-13)
    assert close(r.criticality, q * b / U, rel=1e-12)
    assert r.top("criticality", 1)[0][0] == "web"
    assert r.target == 0.998


def test_a_journey_that_never_fails_has_no_ratios():
    r = ss.importance(ss.series(C("a", unavailability=0.0), name="j"))["j"]
    assert r.unavailability == 0.0
    assert np.isnan(r.criticality).all() and np.isnan(r.raw).all()
    assert r.birnbaum.tolist() == [1.0]
    assert "nan" in repr(r)


# --- copulas: conditioning -----------------------------------------------------------


def copula_model():
    a, b, c = (C(n, unavailability=u) for n, u in (("a", 0.02), ("b", 0.03), ("c", 0.01)))
    return ss.Model(ss.Journey(ss.series(ss.parallel(a, b), c, name="j")),
                    copulas=[ss.GaussianCopula("zone", [a, b], loadings=[0.8, 0.7])])


def test_copula_members_are_conditioned(seed):
    """For a copula member, U(i down) is P(J down | i down): the failure
    share counted by simulation, not the forced value."""
    model = copula_model()
    exact = ss.importance(model)["j"]
    forced = ss.exact(model)["j"]
    i = exact.events.index("a")
    assert exact.raw[i] > 2 * forced.unavailability_if_down[i] / forced.unavailability
    sim = ss.importance(model, method="simulate", samples=2 * 10**6, rng=seed,
                        confidence=SURE)["j"]
    for m in ("failure_share", "criticality", "raw", "rrw", "birnbaum",
              "improvement_potential"):
        lo, hi = sim.intervals[m]
        values = getattr(exact, m)
        assert np.all((lo <= values + 1e-12) & (values - 1e-12 <= hi)), (m, lo, values, hi)


# --- Monte Carlo ---------------------------------------------------------------------


def pool_model():
    workers = [C(f"w{i}", unavailability=0.05) for i in range(4)]
    return ss.Model([ss.Journey(ss.k_of_n(2, workers), name="pool"),
                     ss.Journey(ss.series(C("lb", unavailability=0.01), workers[0]),
                                name="direct")])


@pytest.mark.parametrize("build", [
    checkout,
    pool_model,
    lambda: ss.Model(ss.Journey(ss.parallel(C("a", unavailability=0.1),
                                            C("b", unavailability=0.2)), name="j"),
                     shocks=[ss.Shock("zone", 0.02, members=["a", "b"])]),
])
def test_simulated_intervals_cover_the_exact_measures(build, seed):
    model = build()
    exact = ss.importance(model)
    sim = ss.importance(model, method="simulate", samples=10**6, rng=seed,
                        confidence=SURE)
    assert sim.method == "simulate"
    for j, e in exact.items():
        s = sim[j]
        assert s.fussell_vesely is None and s.samples == 10**6
        assert s.failures == ss.simulate(model, 10**6, rng=seed)[j].failures
        for m, (lo, hi) in s.intervals.items():
            values = getattr(e, m)
            ok = (lo <= values * (1 + 1e-12) + 1e-15) & (values * (1 - 1e-12) - 1e-15 <= hi)
            ok |= np.isnan(lo) & np.isnan(values)
            assert np.all(ok), (j, m, lo, values, hi)
            assert np.all((lo <= getattr(s, m) + 1e-12) | np.isnan(lo))


def test_interval_widths_shrink_with_samples(seed):
    model = checkout()
    small = ss.importance(model, method="simulate", samples=10**5, rng=seed)["checkout"]
    large = ss.importance(model, method="simulate", samples=10**7, rng=seed)["checkout"]
    lo1, hi1 = small.intervals["criticality"]
    lo2, hi2 = large.intervals["criticality"]
    assert np.all(hi2 - lo2 < (hi1 - lo1) / 3)


def test_simulated_constant_journeys():
    down = ss.importance(ss.Model(ss.Journey(ss.series(C("a", unavailability=1.0),
                                                       C("b", unavailability=0.1)),
                                             name="j")), method="simulate",
                         samples=1000, rng=1)["j"]
    assert down.unavailability == 1.0 and down.failures == 1000
    assert down.failure_share.tolist() == [1.0, 0.1]
    up = ss.importance(ss.Model(ss.Journey(ss.parallel(C("a", unavailability=0.0),
                                                       C("b", unavailability=0.1)),
                                           name="j")), method="simulate",
                       samples=1000, rng=1)["j"]
    assert up.unavailability == 0.0 and np.isnan(up.failure_share).all()


def test_given_and_fussell_vesely():
    web = C("web", availability=0.999)
    db = ss.parallel(C("db-a", availability=0.99), C("db-b", availability=0.99))
    model = ss.Model(ss.Journey(ss.series(web, db), name="checkout"))
    imp = ss.importance(model, given={"web": True})["checkout"]
    assert imp.given == {"web": "up"}
    assert imp.unavailability == pytest.approx(1e-4, rel=1e-12)
    assert imp.criticality[1] == pytest.approx(1.0, rel=1e-12)
    r = ss.importance(model)["checkout"]
    # the minimal cut sets are {web} and {db-a, db-b}
    U = r.unavailability
    assert r.fussell_vesely.tolist() == pytest.approx([1e-3 / U, 1e-4 / U, 1e-4 / U],
                                                      rel=1e-12)
    assert np.all(r.fussell_vesely <= r.failure_share * (1 + 1e-12))


@PROPERTY
@given(case=models_with_shocks())
def test_fussell_vesely_never_exceeds_the_failure_share(case):
    spec, shocks = case
    for r in ss.importance(build_with_shocks(spec, shocks)).values():
        if r.unavailability > 0:
            assert np.all(r.fussell_vesely <= r.failure_share * (1 + 1e-9) + 1e-15)


# --- the result ----------------------------------------------------------------------


def test_result_serialises_and_frames():
    res = ss.importance(checkout())
    d = res.to_dict()
    assert json.loads(json.dumps(d)) == d
    r = res["checkout"]
    frame = r.to_frame()
    assert list(frame.index) == ["web", "db-a", "db-b"]
    assert {"birnbaum", "criticality", "raw", "rrw", "failure_share"} <= set(frame.columns)
    both = res.to_frame()
    assert both.index.names == ["journey", "event"]
    sim = ss.importance(checkout(), method="simulate", samples=10**5, rng=2)
    assert "criticality_low" in sim["checkout"].to_frame().columns
    d = sim.to_dict()
    assert json.loads(json.dumps(d)) == d


def test_infinite_rrw_serialises():
    d = ss.importance(ss.parallel(C("a", unavailability=0.1), C("b", unavailability=0.1),
                                  name="p")).to_dict()
    assert d["journeys"]["p"]["rrw"] == ["inf", "inf"]


def test_plot_draws_the_ranked_bars():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = ss.importance(checkout())["checkout"]
    ax = r.plot("failure_share")
    bars = ax.patches
    assert len(bars) == 3
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "web"                    # largest at the top
    assert bars[-1].get_width() == pytest.approx(r.failure_share[0])
    plt.close("all")
    sim = ss.importance(checkout(), method="simulate", samples=10**5, rng=3)["checkout"]
    ax = sim.plot("criticality", top=2)
    assert len(ax.patches) == 2 and ax.containers and ax.lines or ax.collections
    with pytest.raises(ValueError, match="not available from method='simulate'"):
        sim.plot("fussell_vesely")
    with pytest.raises(ValueError, match="unknown measure"):
        r.plot("fame")
    plt.close("all")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"method": "guess"}, ValueError, "method"),
    ({"samples": 10}, ValueError, "samples"),
    ({"rng": 1}, ValueError, "rng"),
    ({"method": "simulate", "samples": 0}, ValueError, "samples"),
    ({"method": "simulate", "confidence": 1.0}, ValueError, "confidence"),
])
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        ss.importance(checkout(), **kwargs)
