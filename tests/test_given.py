"""Tests of given= (what-if) in exact, simulate and the analyses.

Forcing a basic event up or down is the model with that event's
probability 0 or 1: exact on the forced model, built afresh, is the oracle.
"""

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

import slosim as ss

from strategies import build_with_shocks, models_with_shocks

C = ss.Component
PROPERTY = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
SURE = 1 - 1e-6      # interval confidence in statistical tests: passes for any seed


def checkout():
    web = C("web", availability=0.999)
    db = ss.parallel(C("db-a", availability=0.99), C("db-b", availability=0.99), name="db")
    return ss.Model(ss.Journey(ss.series(web, db), name="checkout", target=0.998))


@PROPERTY
@given(case=models_with_shocks(), data=st.data())
def test_given_forces_events(case, data):
    spec, shocks = case
    model = build_with_shocks(spec, shocks)
    names = [*spec.leaf_names, *(s[0] for s in shocks)]
    picked = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3,
                                unique=True))
    states = {n: data.draw(st.sampled_from([True, False, "up", "down"])) for n in picked}
    down = {n: s in (False, "down") for n, s in states.items()}
    q = {n: 1.0 if d else 0.0 for n, d in down.items() if n in spec.leaf_names}
    forced_shocks = [(name, 1.0 if down[name] else 0.0, m) if name in down else (name, p, m)
                     for name, p, m in shocks]
    reference = ss.exact(build_with_shocks(spec, forced_shocks, q=q))
    res = ss.exact(model, given=states)
    assert res.given == {n: ("down" if down[n] else "up")
                         for n in sorted(down, key=res.components.index)}
    for j, r in res.items():
        assert r.unavailability == pytest.approx(reference[j].unavailability,
                                                 rel=1e-12, abs=1e-300)


def test_given_in_simulate(seed):
    model = checkout()
    sim = ss.simulate(model, 10**5, rng=seed, given={"db-a": "down"})
    exact = ss.exact(model, given={"db-a": "down"})
    assert sim.given == exact.given == {"db-a": "down"}
    assert "given={'db-a': 'down'}" in repr(sim) and "given=" in repr(exact)
    lo, hi = ss.binomial_interval(sim["checkout"].failures, 10**5, SURE)
    assert lo <= exact["checkout"].unavailability <= hi


@pytest.mark.parametrize("given_, error, match", [
    ({"nope": False}, ss.UnknownNodeError, "no component or shock of the model"),
    ({"db": False}, ss.UnknownNodeError, "is a gate"),
    ({"checkout": False}, ss.UnknownNodeError, "is a journey"),
    ({"web": "sideways"}, ValueError, r"given\['web'\]"),
    ({"web": 0.5}, TypeError, r"given\['web'\]"),
    (["web"], TypeError, "given"),
])
def test_given_errors(given_, error, match):
    model = checkout()
    for run in (lambda: ss.exact(model, given=given_),
                lambda: ss.simulate(model, 100, rng=1, given=given_),
                lambda: ss.sobol(model, given=given_)):
        with pytest.raises(error, match=match):
            run()


