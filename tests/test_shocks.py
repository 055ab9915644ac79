"""Common-cause shocks (Marshall-Olkin) in the model, exact and simulate.

The reference (strategies.shock_reference) conditions on the shocks: for
each of the 2**s joint shock states, a member hit by a happening shock is
down for sure, so the model with those members' unavailabilities set to 1
is evaluated by brute-force enumeration (tests/oracle.py), and the states
are weighted by their probabilities, all in exact rational arithmetic.
"""

import json
import warnings

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

import slosim as ss

from model_numbers import probabilities
from oracle import assert_consistent
from strategies import build_with_shocks, models_with_shocks, shock_reference

C = ss.Component


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(models_with_shocks())
def test_exact_equals_conditioned_oracle(case):
    spec, shocks = case
    model = build_with_shocks(spec, shocks)
    ref = shock_reference(spec, shocks)
    res = ss.exact(model)
    for name, q in ref.items():
        r = res[name]
        assert r.unavailability == pytest.approx(float(q), rel=1e-12, abs=1e-300)
        assert r.availability == pytest.approx(float(1 - q), rel=1e-12, abs=1e-300)
        # shocks are basic events of the result, after the components
        assert r.components[-len(shocks):] == tuple(name for name, _, _ in shocks)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(models_with_shocks(), st.integers(0, 2**32 - 1))
def test_simulate_within_error_of_exact(case, draw_seed):
    spec, shocks = case
    model = build_with_shocks(spec, shocks)
    exact = ss.exact(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.FewFailuresWarning)
        res = ss.simulate(model, 2 * 10**5, rng=draw_seed)
    for name, r in res.items():
        assert_consistent(r.failures, r.samples, exact[name].unavailability, what=name)


def test_shock_conditionals_and_birnbaum():
    """R(shock up) is the model without the shock; R(shock down) with every
    member down."""
    a, b = C("a", unavailability=1e-3), C("b", unavailability=2e-3)
    zone = ss.Shock("zone", 1e-4, members=[a, b])
    r = ss.exact(ss.Model(ss.parallel(a, b, name="pair"), shocks=[zone]))["pair"]
    i = r.components.index("zone")
    assert r.components == ("a", "b", "zone")
    assert r.unavailability_if_up[i] == pytest.approx(1e-3 * 2e-3, rel=1e-14)
    assert r.unavailability_if_down[i] == 1.0
    assert r.birnbaum[i] == pytest.approx(1 - 2e-6, rel=1e-14)
    expected = 1e-4 + (1 - 1e-4) * 2e-6
    assert r.unavailability == pytest.approx(expected, rel=1e-14)


def test_adding_a_shock_never_raises_availability():
    xs = [C(f"x{i}", unavailability=0.01 * (i + 1)) for i in range(5)]
    j = ss.k_of_n(3, xs, name="j")
    base = ss.exact(ss.Model(j))["j"].availability
    for members in ([xs[0]], xs[:2], xs):
        shocked = ss.exact(ss.Model(j, shocks=[ss.Shock("s", 0.01, members=members)]))
        assert shocked["j"].availability <= base


def test_beta_like_pair_matches_closed_form():
    """A pair with independent parts (1 - beta) Q and a shared shock beta Q:
    P(both down) = beta Q + (1 - beta Q) ((1 - beta) Q)**2."""
    Q, beta = 1e-3, 0.05
    a = C("a", unavailability=(1 - beta) * Q)
    b = C("b", unavailability=(1 - beta) * Q)
    s = ss.Shock("ccf", beta * Q, members=[a, b])
    r = ss.exact(ss.Model(ss.parallel(a, b, name="pair"), shocks=[s]))["pair"]
    expected = beta * Q + (1 - beta * Q) * ((1 - beta) * Q) ** 2
    assert r.unavailability == pytest.approx(expected, rel=1e-13)
    # a 5% beta makes a 1e-6 pair a 5e-5 pair
    assert r.unavailability > 40 * Q**2


def test_shock_members_by_name_and_services():
    db = C("db", unavailability=1e-3)
    web = ss.Service("web", unavailability=1e-3, requires=[db])
    s = ss.Shock("deploy", 0.5, members=["web"])
    r = ss.exact(ss.Model(web, shocks=[s]))["web"]
    expected = 1 - (1 - 1e-3) * (1 - 1e-3) * 0.5
    assert r.unavailability == pytest.approx(expected, rel=1e-14)


def test_shock_validation():
    a = C("a", unavailability=0.1)
    with pytest.raises(ss.ProbabilityError, match="shock 'z'"):
        ss.Shock("z", 1.5, members=[a])
    with pytest.raises(ss.ModelError, match="no members"):
        ss.Shock("z", 0.1, members=[])
    with pytest.raises(ss.ModelError, match="given twice"):
        ss.Shock("z", 0.1, members=[a, "a"])
    with pytest.raises(ss.ModelError, match="member 0 must be a Component"):
        ss.Shock("z", 0.1, members=[ss.series(a)])
    with pytest.raises(ss.UnknownNodeError, match="'nope'"):
        ss.Model(a, shocks=[ss.Shock("z", 0.1, members=["nope"])])
    other = C("b", unavailability=0.1)
    with pytest.raises(ss.UnknownNodeError, match="not used by any journey"):
        ss.Model(a, shocks=[ss.Shock("z", 0.1, members=[other])])
    with pytest.raises(ss.DuplicateNameError, match="name of a node"):
        ss.Model(a, shocks=[ss.Shock("a", 0.1, members=[a])])
    with pytest.raises(ss.DuplicateNameError, match="another shock"):
        ss.Model(a, shocks=[ss.Shock("z", 0.1, members=[a]),
                            ss.Shock("z", 0.2, members=[a])])
    with pytest.raises(ss.ModelError, match=r"shocks\[0\] must be a Shock"):
        ss.Model(a, shocks=["z"])


def test_shock_repr_and_model_shocks():
    xs = [C(f"x{i}", unavailability=0.1) for i in range(6)]
    s = ss.Shock("zone", 1e-4, members=xs)
    assert repr(s) == "Shock('zone', 0.0001, members=['x0', 'x1', 'x2', 'x3', ... (6 members)])"
    m = ss.Model(ss.series(*xs, name="j"), shocks=[s])
    assert probabilities(m) == {"zone": 1e-4}
    assert json.loads(json.dumps(ss.exact(m).to_dict()))["components"][-1] == "zone"


def test_shocks_with_constant_probabilities_fold():
    a, b = C("a", unavailability=0.1), C("b", unavailability=0.2)
    j = ss.parallel(a, b, name="j")
    never = ss.exact(ss.Model(j, shocks=[ss.Shock("s", 0.0, members=[a, b])]))["j"]
    assert never.unavailability == pytest.approx(0.02, rel=1e-15)
    always = ss.Model(j, shocks=[ss.Shock("s", 1.0, members=[a, b])])
    assert ss.exact(always)["j"].unavailability == 1.0
    res = ss.simulate(always, 1000, rng=0)["j"]
    assert res.exact and res.failures == 1000
