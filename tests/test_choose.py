"""Tests of design choices: Choice, Option, redundancy_options, Model.resolve
and slosim.choose.

The oracle for ``choose`` is enumeration: every design of a small model is
resolved and evaluated by ``exact``; the design ``choose`` returns must meet
every target and limit and its objective must equal the best enumerated one,
whichever method (MILP or branch and bound) found it.
"""

import itertools
import json
import math
import pickle

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

import slosim as ss

C = ss.Component
PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def zones_model(target=0.9995):
    a, b = C("zone-a", availability=0.999), C("zone-b", availability=0.999)
    zones = ss.Choice("zones", [ss.Option("one", a, cost=1.0),
                                ss.Option("two", ss.parallel(a, b), cost=2.0)])
    web = C("web", availability=0.9999)
    return ss.Model(ss.Journey(ss.series(web, zones, name="checkout"), target=target))


# --- the enumeration oracle ---------------------------------------------------------


def enumerate_designs(model, *, minimize=None, maximize=None, limits=None):
    """(best objective, every feasible design with it) by trying them all."""
    slots = list(model.choices.values())
    limits = limits or {}
    targets = {j.name: j.target for j in model.journeys if j.target is not None}
    best, designs = None, []
    for picks in itertools.product(*(s.options for s in slots)):
        totals = {}
        for o in picks:
            for r, v in o.resources.items():
                totals[r] = totals.get(r, 0.0) + v
        if any(totals.get(r, 0.0) > v * (1 + 1e-12) for r, v in limits.items()):
            continue
        labels = {s.name: o.label for s, o in zip(slots, picks)}
        res = ss.exact(model.resolve(labels))
        if any(res[j].unavailability > (1 - t) * (1 + 1e-12) for j, t in targets.items()):
            continue
        value = (-res[maximize].availability if maximize
                 else totals.get(minimize or "cost", 0.0))
        if best is None or value < best - 1e-12 * max(1.0, abs(best)):
            best, designs = value, [labels]
        elif abs(value - best) <= 1e-12 * max(1.0, abs(best)):
            designs.append(labels)
    return best, designs


def check_against_enumeration(model, **kwargs):
    best, designs = enumerate_designs(
        model, minimize=kwargs.get("minimize"), maximize=kwargs.get("maximize"),
        limits=kwargs.get("limits"))
    if best is None:
        bound = ss.exact(model.resolve({}, others="any"))
        if any(bound[j.name].unavailability > (1 - j.target) * (1 + 1e-12)
               for j in model.journeys if j.target is not None):
            with pytest.raises(ss.InfeasibleTargetError, match="whatever the choices"):
                ss.choose(model, **kwargs)
        else:
            with pytest.raises(ValueError, match="no design meets every target"):
                ss.choose(model, **kwargs)
        return None
    design = ss.choose(model, **kwargs)
    assert design.optimal and design.gap == 0.0
    value = -design.value if kwargs.get("maximize") else design.value
    assert value == pytest.approx(best, rel=1e-9, abs=1e-12)
    # the design is feasible, checked afresh
    res = ss.exact(design.apply())
    for j in model.journeys:
        if j.target is not None:
            assert res[j.name].unavailability <= (1 - j.target) * (1 + 1e-12)
        # (the same to the last bits, but for a copula's quadrature)
        assert design.journeys[j.name] == pytest.approx(res[j.name].availability,
                                                        rel=1e-13)
    for r, limit in (kwargs.get("limits") or {}).items():
        assert design.resources[r] <= limit * (1 + 1e-12)
    return design


@st.composite
def factorising_models(draw):
    """A journey in series over a rest and 1-3 choices of fresh components."""
    q = st.floats(1e-4, 0.2)
    rest = [C(f"r{i}", unavailability=draw(q)) for i in range(draw(st.integers(0, 2)))]
    slots = []
    for s in range(draw(st.integers(1, 3))):
        options = []
        for o in range(draw(st.integers(1, 3))):
            units = [C(f"s{s}o{o}u{u}", unavailability=draw(q))
                     for u in range(draw(st.integers(1, 3)))]
            node = units[0] if len(units) == 1 else draw(st.sampled_from(
                [ss.parallel(*units), ss.k_of_n(len(units) - 1 or 1, units)]))
            options.append(ss.Option(f"o{o}", node, cost=draw(st.integers(0, 9)),
                                     weight=draw(st.integers(0, 5))))
        slots.append(ss.Choice(f"s{s}", options))
    target = draw(st.floats(0.3, 0.99999))
    return ss.Model(ss.Journey(ss.series(*rest, *slots, name="j"), target=target))


@st.composite
def tangled_models(draw):
    """Choices that do not factorise: under parallel gates, sharing a
    component between choices, two journeys, a shock across them."""
    q = st.floats(1e-3, 0.3)
    shared = C("shared", unavailability=draw(q))
    other = C("other", unavailability=draw(q))
    slots, used = [], False
    for s in range(draw(st.integers(2, 3))):
        options = []
        for o in range(draw(st.integers(2, 3))):
            own = [C(f"s{s}o{o}u{u}", unavailability=draw(q))
                   for u in range(draw(st.integers(1, 2)))]
            if draw(st.booleans()):
                own.append(shared)
                used = True
            node = own[0] if len(own) == 1 else draw(st.sampled_from(
                [ss.parallel(*own), ss.series(*own)]))
            options.append(ss.Option(f"o{o}", node, cost=draw(st.integers(0, 9))))
        slots.append(ss.Choice(f"s{s}", options))
    first = ss.parallel(slots[0], ss.series(other, slots[1]), name="first")
    journeys = [ss.Journey(ss.series(first, *slots[2:], name="top"),
                           target=draw(st.floats(0.3, 0.999)))]
    if draw(st.booleans()):
        journeys.append(ss.Journey(ss.series(other, slots[1], name="second"),
                                   target=draw(st.floats(0.3, 0.99))))
    shocks = []
    if draw(st.booleans()):
        shocks.append(ss.Shock("power", draw(st.floats(1e-3, 0.05)),
                               members=[other, shared] if used else [other]))
    return ss.Model(journeys, shocks=shocks)


@PROPERTY
@given(model=factorising_models())
def test_milp_finds_the_cheapest_design(model):
    design = check_against_enumeration(model)
    if design is not None:
        assert design.method == "milp"


@PROPERTY
@given(model=factorising_models(), method=st.sampled_from(["milp", "branch and bound"]),
       limit=st.integers(0, 12))
def test_most_available_design_within_a_limit(model, method, limit):
    design = check_against_enumeration(model, maximize="j", limits={"weight": limit},
                                       method=method)
    if design is not None:
        assert design.method == method and design.objective == "maximize j"


@PROPERTY
@given(model=factorising_models())
def test_both_methods_agree(model):
    try:
        milp = ss.choose(model, method="milp", minimize="weight")
    except ValueError:
        with pytest.raises(ValueError):
            ss.choose(model, method="branch and bound", minimize="weight")
        return
    bb = ss.choose(model, method="branch and bound", minimize="weight")
    assert milp.method == "milp" and bb.method == "branch and bound"
    assert milp.value == pytest.approx(bb.value, rel=1e-12, abs=1e-12)


@PROPERTY
@given(model=tangled_models())
def test_branch_and_bound_finds_the_cheapest_design(model):
    design = check_against_enumeration(model)
    if design is not None:
        assert design.method == "branch and bound"


@PROPERTY
@given(model=tangled_models(), limit=st.integers(0, 20))
def test_branch_and_bound_maximizes_within_a_limit(model, limit):
    check_against_enumeration(model, maximize="top", limits={"cost": limit})


def test_tangled_model_refuses_milp():
    a, b = C("a", unavailability=0.01), C("b", unavailability=0.02)
    s = ss.Choice("s", [ss.Option("a", a, cost=1), ss.Option("b", b, cost=2)])
    model = ss.Model(ss.Journey(ss.parallel(s, C("c", unavailability=0.1)), name="j",
                                target=0.99))
    with pytest.raises(ValueError, match="method='branch and bound'"):
        ss.choose(model, method="milp")
    assert ss.choose(model).method == "branch and bound"


def test_shared_component_between_choice_and_rest_does_not_factorise():
    a, b = C("a", unavailability=0.01), C("b", unavailability=0.02)
    s = ss.Choice("s", [ss.Option("a", a, cost=1), ss.Option("ab", ss.parallel(a, b),
                                                               cost=3)])
    model = ss.Model([ss.Journey(ss.series(s, C("c", unavailability=0.001)), name="j",
                                 target=0.995),
                      ss.Journey(a, name="a alone")])
    design = check_against_enumeration(model)
    assert design["s"] == "ab"


def test_shock_inside_an_option_counts():
    """A shock on an option's units is part of that option's availability."""
    u = [C(f"u{i}", unavailability=0.01) for i in range(3)]
    v = [C(f"v{i}", unavailability=0.01) for i in range(2)]
    s = ss.Choice("s", [ss.Option("3u", ss.parallel(*u), cost=3),
                        ss.Option("2v", ss.parallel(*v), cost=4)])
    model = ss.Model(ss.Journey(ss.series(C("w", unavailability=1e-5), s, name="j"),
                                target=0.999),
                     shocks=[ss.Shock("rack", 0.002, members=u)])
    # the three u share a rack: about 0.998 < 0.999 without the shock's
    # 2e-3 it would be 0.99999 and cheaper; the dearer pair of v is the answer
    design = check_against_enumeration(model)
    assert design["s"] == "2v" and design.method == "milp"


def test_copula_across_a_slots_options_counts():
    """Correlated units: an option's availability is its marginal under the
    copula (the pair fails together more often than independence says)."""
    u = [C(f"u{i}", unavailability=0.01) for i in range(3)]
    s = ss.Choice("s", [ss.Option("pair", ss.parallel(u[0], u[1]), cost=2),
                        ss.Option("one", u[2], cost=1)])
    model = ss.Model(ss.Journey(ss.series(C("w", unavailability=1e-4), s, name="j"),
                                target=0.9998),
                     copulas=[ss.GaussianCopula("zone", u, loadings=[0.9] * 3)])
    pair = ss.exact(model.resolve({"s": "pair"}))["j"].unavailability
    assert pair > 1e-4 + 1e-4 * 1.5          # much worse than independent units
    for target in (0.9998, 1 - pair * 1.01, 1 - pair * 0.99):
        m = ss.Model(ss.Journey(model.journeys[0].node, name="j", target=target),
                     copulas=[ss.GaussianCopula("zone", u, loadings=[0.9] * 3)])
        for kwargs in ({}, {"maximize": "j", "limits": {"cost": 1.5}}):
            design = check_against_enumeration(m, **kwargs)
            assert design is None or design.method == "milp"


# --- small cases by hand ------------------------------------------------------------


def test_two_zones_when_one_misses_the_target():
    design = ss.choose(zones_model(0.9995))
    assert dict(design) == {"zones": "two"}
    assert design.resources == {"cost": 2.0}
    assert design.journeys["checkout"] == pytest.approx(0.9999 * (1 - 1e-6), rel=1e-15)


def test_one_zone_when_it_is_enough():
    design = ss.choose(zones_model(0.998))
    assert dict(design) == {"zones": "one"} and design.value == 1.0


def test_target_override():
    design = ss.choose(zones_model(0.9995), targets={"checkout": 0.99})
    assert design["zones"] == "one"


def test_unreachable_target_says_what_it_can_reach():
    with pytest.raises(ss.InfeasibleTargetError, match="checkout") as err:
        ss.choose(zones_model(0.99995))
    assert err.value.reachable == pytest.approx(0.9999 * (1 - 1e-6), rel=1e-12)


def test_no_design_within_the_limits():
    with pytest.raises(ValueError, match=r"no design meets every target.*cost <= 1\.5"):
        ss.choose(zones_model(0.9995), limits={"cost": 1.5})


def test_maximize_within_a_limit():
    design = ss.choose(zones_model(0.99), maximize="checkout", limits={"cost": 1.5})
    assert design["zones"] == "one"
    assert design.value == pytest.approx(0.9999 * 0.999, rel=1e-15)
    design = ss.choose(zones_model(0.99), maximize="checkout", limits={"cost": 2.0})
    assert design["zones"] == "two"


def test_node_limit_reports_a_gap():
    """Stopped early, the design is feasible and the gap honest."""
    comps = {}
    slots = []
    for s in range(6):
        opts = []
        for n, cost in [(1, 1), (2, 2.1), (3, 3.3)]:
            units = [comps.setdefault(f"s{s}u{u}", C(f"s{s}u{u}", unavailability=0.05))
                     for u in range(n)]
            opts.append(ss.Option(f"{n}", ss.parallel(*units), cost=cost))
        slots.append(ss.Choice(f"s{s}", opts))
    model = ss.Model(ss.Journey(ss.parallel(ss.series(*slots[:3]), ss.series(*slots[3:])),
                                name="j", target=0.9999))
    full = ss.choose(model)
    assert full.optimal and full.method == "branch and bound"
    best, _ = enumerate_designs(model)
    assert full.value == pytest.approx(best)
    stopped = ss.choose(model, node_limit=4)
    assert not stopped.optimal and "node limit" in stopped.message
    assert stopped.value >= full.value - 1e-12
    # the bound it reports is below the optimum
    assert 0 < stopped.gap and stopped.value * (1 - stopped.gap) <= full.value + 1e-9
    res = ss.exact(stopped.apply())
    assert res["j"].unavailability <= 1e-4 * (1 + 1e-12)


# --- the result ---------------------------------------------------------------------


def test_design_result_is_a_mapping_and_serialises():
    design = ss.choose(zones_model())
    assert list(design) == ["zones"] and len(design) == 1 and design["zones"] == "two"
    with pytest.raises(KeyError, match="no choice of the design"):
        design["nope"]
    d = design.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["choices"] == {"zones": "two"} and d["optimal"] is True
    assert repr(design).splitlines()[0].startswith("DesignResult(minimize cost = 2.0")
    assert list(design.apply().choices) == []


def test_design_result_frame():
    pytest.importorskip("pandas")
    frame = ss.choose(zones_model()).to_frame()
    assert frame.index.name == "choice" and frame.loc["zones", "option"] == "two"


# --- Choice and Option --------------------------------------------------------------


def test_option_validates_its_resources():
    a = C("a", unavailability=0.1)
    with pytest.raises(ss.ModelError, match="cost must be a finite number >= 0"):
        ss.Option("x", a, cost=-1)
    with pytest.raises(ss.ModelError, match="weight must be a finite number"):
        ss.Option("x", a, weight=math.nan)
    with pytest.raises(ss.ModelError, match="its node must be"):
        ss.Option("x", 3.0)
    assert ss.Option("x", a, cost=2, weight=1).resources == {"cost": 2.0, "weight": 1.0}


def test_choice_validates_its_options():
    a = C("a", unavailability=0.1)
    with pytest.raises(ss.ModelError, match="has no options"):
        ss.Choice("s", [])
    with pytest.raises(ss.ModelError, match="two options are labelled 'x'"):
        ss.Choice("s", [ss.Option("x", a), ss.Option("x", a)])
    with pytest.raises(ss.ModelError, match=r"options\[1\] must be an Option"):
        ss.Choice("s", [ss.Option("x", a), a])
    with pytest.raises(ss.ModelError, match="must be a list of Option"):
        ss.Choice("s", ss.Option("x", a))
    s = ss.Choice("s", [ss.Option("x", a)])
    with pytest.raises(ss.ModelError, match="has no option 'y'"):
        s.option("y")
    assert s.option("x").node is a and s.children == (a,)


def test_option_by_name_resolves_to_a_model_node():
    a = C("a", unavailability=0.1)
    b = C("b", unavailability=0.2)
    s = ss.Choice("s", [ss.Option("a", "a"), ss.Option("b", "b")])
    model = ss.Model(ss.Journey(s, name="j"), nodes=[a, b])
    assert ss.exact(model.resolve({"s": "b"}))["j"].unavailability == pytest.approx(0.2)


def test_engines_refuse_unresolved_choices():
    model = zones_model()
    assert list(model.choices) == ["zones"]
    for run in (ss.exact, lambda m: ss.simulate(m, samples=64, rng=1),
                ss.model.lower):
        with pytest.raises(ss.UnresolvedChoiceError, match="zones"):
            run(model)


def test_resolve_drops_what_only_other_options_used():
    u = [C(f"u{i}", unavailability=0.01) for i in range(3)]
    s = ss.Choice("s", [ss.Option("one", u[0]), ss.Option("three", ss.parallel(*u))])
    model = ss.Model(ss.Journey(ss.series(C("w", unavailability=0.001), s), name="j"),
                     shocks=[ss.Shock("rack", 0.01, members=u[1:])],
                     copulas=[ss.GaussianCopula("c", u, loadings=[0.5] * 3)])
    one = model.resolve({"s": "one"})
    assert sorted(one.components) == ["u0", "w"]
    assert list(one.shocks) == [] and list(one.copulas) == []
    three = model.resolve({"s": "three"})
    assert [m.name for m in three.members(three.shocks["rack"])] == ["u1", "u2"]
    assert len(three.members(three.copulas["c"])) == 3
    assert model.resolve({}) is model


def test_resolve_any_is_an_upper_bound():
    model = zones_model()
    bound = ss.exact(model.resolve({}, others="any"))["checkout"].availability
    for label in ("one", "two"):
        assert ss.exact(model.resolve({"zones": label}))["checkout"].availability <= bound


def test_resolve_errors():
    model = zones_model()
    with pytest.raises(ss.UnknownNodeError, match="'zone' is no choice of the model"):
        model.resolve({"zone": "one"})
    with pytest.raises(ss.ModelError, match="has no option 'three'"):
        model.resolve({"zones": "three"})
    with pytest.raises(ValueError, match="others"):
        model.resolve({}, others="all")


def test_model_with_choices_pickles():
    model = zones_model()
    again = pickle.loads(pickle.dumps(model))
    assert list(again.choices) == ["zones"]
    assert (ss.exact(again.resolve({"zones": "two"}))["checkout"].availability
            == ss.exact(model.resolve({"zones": "two"}))["checkout"].availability)


def test_nested_choices_are_refused():
    a, b = C("a", unavailability=0.1), C("b", unavailability=0.2)
    inner = ss.Choice("inner", [ss.Option("a", a), ss.Option("b", b)])
    outer = ss.Choice("outer", [ss.Option("inner", inner), ss.Option("a", a)])
    model = ss.Model(ss.Journey(outer, name="j", target=0.5))
    with pytest.raises(ss.ModelError, match="inside an option of choice 'outer'"):
        ss.choose(model)
    # resolved by hand, the rest is an ordinary choice
    assert ss.choose(model.resolve({"outer": "inner"}), maximize="j")["inner"] == "a"


def test_choose_needs_choices():
    model = ss.Model(ss.Journey(C("a", unavailability=0.1), name="j"))
    with pytest.raises(ss.ModelError, match="has none"):
        ss.choose(model)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"minimize": "cost", "maximize": "checkout"}, ValueError, "maximize"),
    ({"maximize": "nope"}, ss.UnknownNodeError, "no journey"),
    ({"minimize": "gold"}, ss.UnknownNodeError, "no resource"),
    ({"limits": {"gold": 1}}, ss.UnknownNodeError, "no resource"),
    ({"limits": {"cost": -1}}, ValueError, "limits"),
    ({"limits": [1]}, TypeError, "limits"),
    ({"targets": {"nope": 0.9}}, ss.UnknownNodeError, "no journey"),
    ({"targets": {"checkout": 1.5}}, ValueError, "targets"),
    ({"method": "greedy"}, ValueError, "method"),
    ({"node_limit": 0}, ValueError, "node_limit"),
    ({"time_limit": -1.0}, ValueError, "time_limit"),
])
def test_choose_refuses_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        ss.choose(zones_model(), **kwargs)


# --- redundancy_options -------------------------------------------------------------


@given(n_types=st.integers(1, 3), max_units=st.integers(1, 5), mixed=st.booleans())
@settings(max_examples=20, deadline=None)
def test_redundancy_options_are_every_multiset(n_types, max_units, mixed):
    types = [ss.Option(f"T{t}", C(f"T{t}", unavailability=0.1 * (t + 1)), cost=t + 1,
                       weight=2 * t + 1) for t in range(n_types)]
    options = ss.redundancy_options("s", types, max_units=max_units, mixed=mixed)
    expected = (sum(math.comb(n_types + u - 1, u) for u in range(1, max_units + 1))
                if mixed else n_types * max_units)
    assert len(options) == expected
    assert len({o.label for o in options}) == expected
    for o in options:
        counts = {t.label: 0 for t in types}
        for part in o.label.split("+"):
            c, t = part.split("x")
            counts[t] = int(c)
        assert o.resources["cost"] == sum(counts[f"T{t}"] * (t + 1) for t in range(n_types))
        assert o.resources["weight"] == sum(counts[f"T{t}"] * (2 * t + 1)
                                            for t in range(n_types))
        # the option's availability is that of its units in parallel
        model = ss.Model(ss.Journey(o.node, name="j"))
        q = math.prod(0.1 * (t + 1) for t in range(n_types)
                      for _ in range(counts[f"T{t}"]))
        assert ss.exact(model)["j"].unavailability == pytest.approx(q, rel=1e-12)


def test_redundancy_options_k_of_n_and_names():
    types = [ss.Option("A", C("A", availability=0.9), cost=1)]
    options = ss.redundancy_options("s", types, max_units=4, k=2)
    assert [o.label for o in options] == ["2xA", "3xA", "4xA"]
    model = ss.Model(ss.Journey(options[1].node, name="j"))
    assert sorted(model.components) == ["s/3xA/A-0", "s/3xA/A-1", "s/3xA/A-2"]
    q = 0.1
    assert ss.exact(model)["j"].unavailability == pytest.approx(
        q ** 3 + 3 * q ** 2 * (1 - q), rel=1e-12)


def test_redundancy_options_errors():
    a = ss.Option("A", C("A", availability=0.9))
    with pytest.raises(ss.ModelError, match="max_units must be an int >= 1"):
        ss.redundancy_options("s", [a], max_units=0)
    with pytest.raises(ss.ModelError, match="k must be an int in 1..2"):
        ss.redundancy_options("s", [a], max_units=2, k=3)
    with pytest.raises(ss.ModelError, match="no unit types"):
        ss.redundancy_options("s", [])
    with pytest.raises(ss.ModelError, match=r"types\[0\] must be an Option whose node"):
        ss.redundancy_options("s", [ss.Option("g", ss.parallel(C("x", unavailability=0.1),
                                                                 C("y", unavailability=0.1)))])
