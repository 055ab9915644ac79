"""Tests of slosim.model: building and validating models.

Every model problem is a ModelError subclass (itself a ValueError) whose
message names the offending node; numbers keep the digits the user wrote;
shared dependencies, wide and deep graphs are fine.
"""

from decimal import Decimal
from fractions import Fraction
import math
import warnings

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim import (
    AvailabilitySpecError,
    CycleError,
    DuplicateNameError,
    EmptyGateError,
    GateArityError,
    JourneyError,
    ModelError,
    ProbabilityError,
    UnknownNodeError,
)
from slosim.engines import compile_model

from model_numbers import probabilities as shock_probabilities, unavailabilities
from strategies import build_with_shocks, dags, models_with_shocks, probabilities


def comp(name, q=1e-3):
    return ss.Component(name, unavailability=q)


def raises_model_error(cls, *names):
    """Context: raises ``cls``, a ModelError and ValueError, whose message
    names each of ``names`` (quoted)."""
    return _Raises(cls, names)


class _Raises:
    def __init__(self, cls, names):
        self.names = names
        self.ctx = pytest.raises(cls)

    def __enter__(self):
        self.info = self.ctx.__enter__()
        return self.info

    def __exit__(self, *exc):
        if not self.ctx.__exit__(*exc):
            return False  # another exception: let it through
        err = self.info.value
        assert isinstance(err, ModelError) and isinstance(err, ValueError)
        message = str(err)
        for name in self.names:
            assert repr(name) in message, f"{name!r} not named in: {message}"
        return True


def test_error_hierarchy():
    for cls in (ProbabilityError, AvailabilitySpecError, GateArityError,
                EmptyGateError, CycleError, DuplicateNameError, UnknownNodeError,
                JourneyError):
        assert issubclass(cls, ModelError)
    assert issubclass(ModelError, ValueError)


# --- probabilities ---------------------------------------------------------------

BAD_PROBABILITIES = [
    1.5, -0.1, -1e-300, 1 + 1e-15, 2, -1, math.nan, math.inf, -math.inf,
    np.float64("nan"), np.float64(1.5), "abc", "", "nan", "1.5", "-0.5", "inf",
    Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("1.0001"),
    Fraction(3, 2), Fraction(-1, 3), True, False, 0.5j, [0.5], object(),
]


@pytest.mark.parametrize("key", ["availability", "unavailability"])
@pytest.mark.parametrize("value", BAD_PROBABILITIES, ids=repr)
def test_component_probability_rejected(key, value):
    with raises_model_error(ProbabilityError, "db") as info:
        ss.Component("db", **{key: value})
    assert key in str(info.value)


@pytest.mark.parametrize("key", ["availability", "unavailability"])
@pytest.mark.parametrize("value", [1.5, math.nan, "x", -0.5])
def test_service_probability_rejected(key, value):
    with raises_model_error(ProbabilityError, "api"):
        ss.Service("api", **{key: value}, requires=[comp("db")])


@pytest.mark.parametrize("value", [0, 1, 0.0, 1.0, "0", "1", Decimal(0), Fraction(1),
                                   np.float64(0.5), np.float32(0.25), np.int64(1), 5e-324])
def test_probability_bounds_accepted(value):
    c = ss.Component("c", unavailability=value)
    assert 0.0 <= c.unavailability <= 1.0
    assert c.unavailability == float(Fraction(str(value)) if isinstance(value, str)
                                     else value)


@pytest.mark.parametrize("cls", [ss.Component, ss.Service])
def test_both_or_neither_spec(cls):
    with raises_model_error(AvailabilitySpecError, "x") as info:
        cls("x", availability=0.9, unavailability=0.1)
    assert "both" in str(info.value)
    with raises_model_error(AvailabilitySpecError, "x") as info:
        cls("x")
    assert "neither" in str(info.value)


# --- unavailability stored with its digits ---------------------------------------------

def test_availability_keeps_its_digits():
    # 1 - 0.9999999 in binary is 9.99999993922529e-08, not 1e-07
    assert 1 - 0.9999999 != 1e-07
    assert ss.Component("hsm", availability=0.9999999).unavailability == 1e-07
    assert ss.Component("web", availability=0.9995).unavailability == 0.0005
    assert ss.Component("a", availability=0.99999999999).unavailability == 1e-11


def test_unavailability_is_kept_exactly():
    assert ss.Component("x", unavailability=1e-15).unavailability == 1e-15
    assert ss.Component("x", unavailability=1e-300).unavailability == 1e-300
    assert ss.Component("x", unavailability=5e-324).unavailability == 5e-324
    c = ss.Component("x", unavailability=1e-15)
    assert c.availability == 1.0 - 1e-15


@pytest.mark.parametrize("value", ["0.9999999", " 0.9999999 ", Decimal("0.9999999"),
                                   Fraction(9_999_999, 10**7)])
def test_exact_inputs(value):
    assert ss.Component("x", availability=value).unavailability == 1e-07


def test_exact_inputs_beyond_float():
    # 32 nines: the unavailability is exact, though the availability rounds to 1
    c = ss.Component("x", availability="0." + "9" * 32)
    assert c.unavailability == 1e-32
    assert ss.Component("x", unavailability=Fraction(1, 3)).unavailability == 1 / 3
    assert ss.Component("x", availability=Fraction(1, 3)).unavailability == 2 / 3
    assert ss.Service("s", availability="0.9995").unavailability == 0.0005


def test_component_attributes_and_repr():
    c = ss.Component("web", availability=0.9995)
    assert c.name == "web" and c.kind == "component" and c.children == ()
    assert c.availability == 1 - 0.0005
    assert repr(c) == "Component('web', availability=0.9995)"
    assert "1e-07" in repr(ss.Component("hsm", availability=0.9999999))


# --- gates -----------------------------------------------------------------------------

@pytest.mark.parametrize("k", [0, -1, 4, 100])
def test_k_outside_range(k):
    kids = [comp("a"), comp("b"), comp("c")]
    with raises_model_error(GateArityError, "quorum") as info:
        ss.k_of_n(k, kids, name="quorum")
    assert "1..3" in str(info.value)


@pytest.mark.parametrize("k", [1.5, 2.0, "2", None, True, Fraction(2)])
def test_k_not_an_int(k):
    with raises_model_error(GateArityError, "quorum"):
        ss.k_of_n(k, [comp("a"), comp("b"), comp("c")], name="quorum")


def test_k_numpy_int_accepted():
    g = ss.k_of_n(np.int64(2), [comp("a"), comp("b"), comp("c")])
    assert g.k == 2 and type(g.k) is int


def test_gate_attributes():
    a, b, c = comp("a"), comp("b"), comp("c")
    s = ss.series(a, b, c, name="s")
    p = ss.parallel(a, "b", name="p")
    k = ss.k_of_n(2, [a, b, c])
    assert (s.kind, s.k, s.children, s.name) == ("series", 3, (a, b, c), "s")
    assert (p.kind, p.k, p.children) == ("parallel", 1, (a, "b"))
    assert (k.kind, k.k, k.name) == ("k_of_n", 2, None)
    assert isinstance(s, ss.Gate) and isinstance(s, ss.Node)


@pytest.mark.parametrize("build", [
    lambda: ss.series(name="empty"),
    lambda: ss.parallel(name="empty"),
    lambda: ss.k_of_n(1, [], name="empty"),
])
def test_empty_gate(build):
    with raises_model_error(EmptyGateError, "empty"):
        build()


def test_empty_unnamed_gate_says_what():
    with pytest.raises(EmptyGateError, match="parallel gate has no children"):
        ss.parallel()


def test_bad_child():
    with raises_model_error(ModelError, "g") as info:
        ss.series(comp("a"), 5, name="g")
    assert "child 1" in str(info.value)
    with raises_model_error(ModelError, "g"):
        ss.k_of_n(1, comp("a"), name="g")  # not a sequence of children


@pytest.mark.parametrize("name", ["", "   ", 5, b"x"])
def test_bad_names(name):
    with pytest.raises(ModelError):
        ss.Component(name, unavailability=0.1)
    with pytest.raises(ModelError):
        ss.series(comp("a"), name=name)


# --- model-level validation ------------------------------------------------------------------

def test_cycle_through_names():
    a = ss.series("b", comp("x"), name="a")
    b = ss.series("a", comp("y"), name="b")
    with raises_model_error(CycleError, "a", "b"):
        ss.Model(a, nodes=[b])


def test_self_cycle():
    with raises_model_error(CycleError, "loop"):
        ss.Model(ss.Service("loop", availability=0.9, requires=["loop"]))


def test_long_cycle_through_services():
    n = 50
    services = [ss.Service(f"s{i}", availability=0.999, requires=[f"s{(i + 1) % n}"])
                for i in range(n)]
    with raises_model_error(CycleError, "s0", "s1", "s49"):
        ss.Model(services[0], nodes=services)


def test_cycle_below_the_journey():
    loop = ss.parallel("inner", comp("x"), name="inner")
    with raises_model_error(CycleError, "inner"):
        ss.Model(ss.series(comp("y"), loop, name="top"))


@pytest.mark.parametrize("other", [
    lambda: ss.Component("db", unavailability=0.2),
    lambda: ss.series(comp("z"), name="db"),
    lambda: ss.Service("db", availability=0.9),
])
def test_two_objects_with_one_name(other):
    db = ss.Component("db", unavailability=0.1)
    with raises_model_error(DuplicateNameError, "db"):
        ss.Model(ss.series(db, ss.parallel(other(), comp("w")), name="j"))


def test_duplicate_name_through_extra_nodes():
    with raises_model_error(DuplicateNameError, "db"):
        ss.Model(ss.series(comp("db"), name="j"), nodes=[comp("db")])


def test_duplicate_name_with_journey():
    with raises_model_error(DuplicateNameError, "j"):
        ss.Model(ss.series(comp("j"), comp("k"), name="j"))


def test_unknown_name():
    g = ss.series("nope", comp("a"), name="g")
    with raises_model_error(UnknownNodeError, "nope", "g"):
        ss.Model(g)
    with raises_model_error(UnknownNodeError, "missing"):
        ss.Model("missing")


def test_unknown_name_lists_known_names():
    with pytest.raises(UnknownNodeError, match="known names include: a, g"):
        ss.Model(ss.series("nope", comp("a"), name="g"))


@pytest.mark.parametrize("bad", [42, 3.5, None, object(), [42], [comp("a"), "x", 1.0],
                                 [ss.Journey(comp("b")), 7]])
def test_journey_not_a_node(bad):
    with pytest.raises(JourneyError) as info:
        ss.Model(bad)
    assert "node" in str(info.value)


def test_journey_object_not_a_node():
    with pytest.raises(JourneyError, match="got int 42"):
        ss.Journey(42)


def test_duplicate_journey():
    a = comp("a")
    with raises_model_error(JourneyError, "a"):
        ss.Model([a, a])
    with raises_model_error(JourneyError, "x"):
        ss.Model([ss.Journey(a, name="x"), ss.Journey(comp("b"), name="x")])
    with raises_model_error(JourneyError, "a"):
        ss.Model([a, "a"])


def test_unnamed_gate_as_journey():
    g = ss.series(comp("a"), comp("b"))
    with pytest.raises(JourneyError, match="no name") as info:
        ss.Model(g)
    assert "'a'" in str(info.value) or "a, b" in str(info.value)
    model = ss.Model(ss.Journey(g, name="login"))
    assert [j.name for j in model.journeys] == ["login"]


def test_no_journeys():
    with pytest.raises(JourneyError):
        ss.Model([])


@pytest.mark.parametrize("target", [0, 1.5, -0.1, math.nan, "0.99", True])
def test_bad_target(target):
    with raises_model_error(JourneyError, "a"):
        ss.Journey(comp("a"), target=target)


def test_bad_extra_node():
    with pytest.raises(ModelError, match=r"nodes\[1\]"):
        ss.Model(comp("a"), nodes=[comp("b"), "c"])


# --- well-formed models ---------------------------------------------------------------

def test_shared_dependency_is_allowed():
    db = comp("db", 1e-3)
    web = ss.Service("web", availability=0.999, requires=[db])
    api = ss.Service("api", availability=0.999, requires=[db, "web"])
    model = ss.Model([web, api, ss.series(db, db, name="twice")])
    assert unavailabilities(model) == {"db": 1e-3, "web": 0.001, "api": 0.001}
    assert [j.name for j in model.journeys] == ["web", "api", "twice"]
    assert compile_model(model).n_leaves == 3  # db sampled once, shared


def test_names_resolve_forward_and_through_nodes():
    db = comp("db", 2e-3)
    web = ss.Service("web", availability=0.9995, requires=["db"])
    model = ss.Model([ss.Journey(web, target=0.998), ss.Journey("db", name="data")],
                     nodes=[db])
    assert unavailabilities(model) == {"db": 2e-3, "web": 0.0005}
    assert model.journeys[1].node is db
    assert model.journeys[0].target == 0.998


def test_journey_defaults():
    a = comp("a")
    assert ss.Journey(a).name == "a"
    assert ss.Journey("a").name == "a"
    assert ss.Journey(a, name="home", target=0.999).target == 0.999
    assert repr(ss.Journey(a, name="home", target=0.999)) == "Journey('home', target=0.999)"


def test_components_include_constants():
    model = ss.Model(ss.series(comp("up", 0), comp("down", 1), comp("x", 0.1), name="j"))
    assert unavailabilities(model) == {"up": 0.0, "down": 1.0, "x": 0.1}


def test_reprs_are_bounded_for_wide_gates():
    kids = [comp(f"c{i}") for i in range(10**4)]
    for node in (ss.series(*kids, name="wide"), ss.parallel(*kids),
                 ss.k_of_n(5000, kids, name="quorum"),
                 ss.Service("svc", availability=0.999, requires=kids)):
        text = repr(node)
        assert "\n" not in text and len(text) < 200, text
        assert "10000" in text
    model = ss.Model([ss.series(*kids, name="wide")])
    assert len(repr(model)) < 200


def test_model_repr_bounded_for_many_journeys():
    kids = [comp(f"c{i}") for i in range(1000)]
    text = repr(ss.Model(kids))
    assert "\n" not in text and len(text) < 200, text
    assert "components=1000" in text


def test_deep_graph_builds():
    depth = 10**4
    node = comp("leaf")
    for i in range(depth):
        node = ss.series(node, comp(f"c{i}"), name=f"g{i}")
    model = ss.Model(node)
    assert len(model.components) == depth + 1
    assert model.journeys[0].name == f"g{depth - 1}"
    assert len(repr(node)) < 200


def test_deep_chain_of_name_references_builds():
    depth = 10**4
    services = [ss.Service("s0", availability=0.9999)]
    services += [ss.Service(f"s{i}", availability=0.9999, requires=[f"s{i - 1}"])
                 for i in range(1, depth)]
    model = ss.Model(services[-1], nodes=services)
    assert len(model.components) == depth


def test_deep_cycle_is_reported_without_recursion_error():
    depth = 10**4
    services = [ss.Service(f"s{i}", availability=0.9999, requires=[f"s{(i + 1) % depth}"])
                for i in range(depth)]
    with raises_model_error(CycleError, "s0"):
        ss.Model(services[0], nodes=services)


def test_a_cycle_error_names_a_node_when_the_loop_closes_on_an_unnamed_gate():
    # journey j is an unnamed gate; the loop closes on it through "svc"
    gate = ss.series("svc", comp("x"))
    svc = ss.Service("svc", availability=0.99, requires=[gate])
    with pytest.raises(CycleError) as info:
        ss.Model(ss.Journey(gate, name="j"), nodes=[svc])
    assert info.value.node == "svc"
    assert "dependency cycle: unnamed series('svc', 'x') -> 'svc'" in str(info.value)


# --- the traversal API ------------------------------------------------------------------


def _traversal_model():
    db = comp("db", 1e-3)
    cache = comp("cache", 1e-2)
    web = ss.Service("web", availability=0.999, requires=[db, "cache"])
    api = ss.Service("api", availability=0.999, requires=[db])
    zone = ss.Shock("zone", 1e-4, members=[db, "web"])
    deploy = ss.Shock("deploy", 1e-3, members=["api"])
    day = ss.GaussianCopula("day", ["cache", db], loadings=[0.3, 0.4])
    top = ss.parallel(web, api, name="top")
    return ss.Model([top, ss.Journey(api, name="api-only")], nodes=[cache],
                    shocks=[zone, deploy], copulas=[day])


def test_nodes_are_topological_and_leaves_are_the_components():
    model = _traversal_model()
    order = [n.name for n in model.nodes()]
    assert order == ["db", "cache", "web", "api", "top"]
    for i, n in enumerate(model.nodes()):
        assert all(order.index(c.name) < i for c in model.children(n))
    assert model.leaves() == tuple(model.components.values())
    assert [n.name for n in model.leaves()] == ["db", "cache", "web", "api"]


def test_children_parents_and_node():
    model = _traversal_model()
    db, web = model.node("db"), model.node("web")
    assert model.children(web) == (db, model.node("cache"))   # names resolved
    assert model.children("web") == model.children(web)
    assert model.children(db) == ()
    assert [p.name for p in model.parents(db)] == ["web", "api"]
    assert model.parents("top") == ()
    dup = ss.k_of_n(1, [db, db], name="dup")
    assert ss.Model(dup).parents(db) == (dup,)                   # once, not twice


def test_unknown_nodes_are_refused():
    model = _traversal_model()
    with raises_model_error(UnknownNodeError, "nope"):
        model.node("nope")
    with raises_model_error(UnknownNodeError, "stranger"):
        model.children(comp("stranger"))
    with pytest.raises(TypeError, match="The 'node' parameter of Model.parents must be"):
        model.parents(3)
    with pytest.raises(TypeError, match="The 'name' parameter of Model.node must be"):
        model.node(None)
    unused = comp("unused")
    with raises_model_error(UnknownNodeError, "unused"):
        ss.Model(comp("a"), nodes=[unused]).node("unused")


def test_walk_is_depth_first_from_the_journeys():
    model = _traversal_model()
    assert [n.name for n in model.walk()] == ["top", "web", "db", "cache", "api"]
    assert len(model.walk()) == len(model.nodes())


def test_shocks_copulas_and_members():
    model = _traversal_model()
    db, web, api, cache = (model.node(n) for n in ("db", "web", "api", "cache"))
    zone, deploy = model.shocks["zone"], model.shocks["deploy"]
    assert model.shocks_of(db) == (zone,) and model.shocks_of("web") == (zone,)
    assert model.shocks_of(api) == (deploy,) and model.shocks_of(cache) == ()
    assert model.members(zone) == (db, web) and model.members("deploy") == (api,)
    day = model.copulas["day"]
    assert model.members(day) == (cache, db) and model.members("day") == (cache, db)
    assert model.copula_of("db") is day and model.copula_of(api) is None
    assert model.basic_events() == (db, cache, web, api, zone, deploy)
    with pytest.raises(ValueError, match="The 'leaf' parameter of Model.shocks_of must be"):
        model.shocks_of("top")
    with raises_model_error(UnknownNodeError, "nope"):
        model.members("nope")
    with pytest.raises(ValueError, match="The 'item' parameter of Model.members"):
        model.members(ss.Shock("other", 0.1, members=[db]))
    with pytest.raises(TypeError, match="The 'item' parameter of Model.members"):
        model.members(db)


def test_a_model_is_immutable():
    model = _traversal_model()
    with pytest.raises(AttributeError):
        model.journeys = ()
    with pytest.raises(AttributeError):
        model.extra = 1
    for mapping in (model.components, model.shocks, model.copulas):
        with pytest.raises(TypeError):
            mapping["x"] = 1
    with pytest.raises(KeyError, match="'nope' is no component of the model"):
        model.components["nope"]
    assert model.components == dict(model.components) and "db" in model.components
    assert 3 not in model.components


def test_a_model_pickles_with_its_shared_nodes_shocks_and_copulas(seed):
    import pickle

    model = _traversal_model()
    back = pickle.loads(pickle.dumps(model))
    assert [n.name for n in back.nodes()] == [n.name for n in model.nodes()]
    assert [n.name for n in back.walk()] == [n.name for n in model.walk()]
    assert back.node("web").children[0] is back.node("db")      # still shared
    assert back.members("zone") == (back.node("db"), back.node("web"))
    assert back.copula_of("cache").name == "day"
    assert unavailabilities(back) == unavailabilities(model)
    exact, again = ss.exact(model), ss.exact(back)
    assert [r.unavailability for r in exact.values()] == [
        r.unavailability for r in again.values()]
    with warnings.catch_warnings():      # the counts are compared, not judged
        warnings.simplefilter("ignore", ss.FewFailuresWarning)
        a = ss.simulate(model, 10**5, rng=seed)
        b = ss.simulate(back, 10**5, rng=seed)
    assert [r.failures for r in a.values()] == [r.failures for r in b.values()]


@pytest.mark.parametrize("error", [
    ss.ModelError("bad", "db"), ss.CycleError("loop", "a"), ss.UnknownNodeError("x", "x"),
    ss.DiagramTooLargeError("too large", 300),
])
def test_errors_pickle_with_what_they_carry(error):
    import pickle

    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error) and str(back) == str(error)
    assert getattr(back, "node", None) == getattr(error, "node", None)
    assert getattr(back, "nodes", None) == getattr(error, "nodes", None)


# --- Model.replace: the same model with other probabilities -------------------------

REPLACE_PROPERTY = settings(max_examples=60, deadline=None,
                            suppress_health_check=[HealthCheck.too_slow,
                                                   HealthCheck.data_too_large])


def exact_bits(model):
    """Every number of ``ss.exact(model)``, bit for bit, by journey."""
    return {name: (r.availability.hex(), r.unavailability.hex(), r.target, r.components,
                   r.availability_if_up.tobytes(), r.availability_if_down.tobytes(),
                   r.unavailability_if_up.tobytes(), r.unavailability_if_down.tobytes())
            for name, r in ss.exact(model).items()}


def draw_replacements(data, names):
    """Some of ``names`` with new values, each given as an availability or an
    unavailability: (availabilities, unavailabilities, the q each must give)."""
    picked = data.draw(st.lists(st.sampled_from(names), unique=True), label="replaced")
    avail, unavail, q = {}, {}, {}
    for name in picked:
        value = data.draw(probabilities(), label=name)
        if data.draw(st.booleans(), label=f"{name} as availability"):
            try:
                q[name] = ss.Component(name, availability=value).unavailability
                avail[name] = value
                continue
            except ProbabilityError:  # 1 - value rounds to 1: fine as a q
                pass
        unavail[name] = value
        q[name] = value
    return avail, unavail, q


@REPLACE_PROPERTY
@given(case=models_with_shocks(), data=st.data())
def test_replace_equals_building_with_the_new_numbers(case, data):
    """Replacing components' and shocks' probabilities gives, to the last bit,
    the exact results of the model built with them; the model is unchanged."""
    spec, shocks = case
    model = build_with_shocks(spec, shocks)
    before_bits, before_q = exact_bits(model), unavailabilities(model)
    before_p = shock_probabilities(model)
    avail, unavail, q = draw_replacements(data, spec.leaf_names)
    new_p = {name: data.draw(st.sampled_from([0.0, 1.0, 1e-3, 0.05, 0.3]), label=name)
             for name in data.draw(st.lists(st.sampled_from([s[0] for s in shocks]),
                                            unique=True), label="shocks replaced")}
    new = model.replace(availabilities=avail, unavailabilities=unavail,
                        probabilities=new_p)
    direct = build_with_shocks(spec, [(name, new_p.get(name, p), members)
                                      for name, p, members in shocks], q=q)
    assert unavailabilities(new) == unavailabilities(direct)
    assert list(shock_probabilities(new).items()) == list(
        shock_probabilities(direct).items())
    assert [n.name for n in new.nodes()] == [n.name for n in direct.nodes()]
    assert exact_bits(new) == exact_bits(direct)
    assert exact_bits(model) == before_bits
    assert unavailabilities(model) == before_q
    assert shock_probabilities(model) == before_p


@settings(REPLACE_PROPERTY, max_examples=30)
@given(spec=dags(max_leaves=10, max_journeys=2), data=st.data())
def test_replace_keeps_a_copula_to_the_last_bit(spec, data):
    names = spec.leaf_names
    members = data.draw(st.lists(st.sampled_from(names), min_size=min(2, len(names)),
                                 max_size=min(4, len(names)), unique=True))
    loads = data.draw(st.lists(st.sampled_from([-1.0, -0.6, 0.0, 0.3, 0.8, 0.97, 1.0]),
                               min_size=len(members), max_size=len(members)))

    def build(q=None):
        built = spec.instantiate(q=q)
        by_name = {n.name: n for n in built.nodes if n.name is not None}
        copulas = [ss.GaussianCopula("f", [by_name[m] for m in members], loadings=loads)
                   ] if len(members) >= 2 else []
        return ss.Model(built.journeys, nodes=built.named, copulas=copulas)

    model = build()
    avail, unavail, q = draw_replacements(data, names)
    new = model.replace(availabilities=avail, unavailabilities=unavail)
    assert exact_bits(new) == exact_bits(build(q))
    if len(members) >= 2:
        old_c, new_c = model.copulas["f"], new.copulas["f"]
        assert new.members(new_c) == tuple(new.node(m) for m in members)
        assert (new_c is old_c) == (not q or new == model or all(
            new.node(m) is model.node(m) for m in members))
        assert new_c.loadings is old_c.loadings
        assert new_c.correlation is old_c.correlation


@REPLACE_PROPERTY
@given(spec=dags(max_leaves=14), data=st.data())
def test_replace_rebuilds_exactly_what_it_must(spec, data):
    """A node is a new object exactly when it, or a node below it, is
    replaced; one new object per node, wherever the old one was used."""
    model = spec.build()
    avail, unavail, q = draw_replacements(data, spec.leaf_names)
    new = model.replace(availabilities=avail, unavailabilities=unavail)
    if not q:
        assert new is model
        return
    old_nodes, new_nodes = model.nodes(), new.nodes()
    assert len(old_nodes) == len(new_nodes)
    touched = set(q)
    for old, nn in zip(old_nodes, new_nodes):
        kids = model.children(old)
        if old.name in q or any(c.name in touched or id(c) in touched for c in kids):
            touched.add(old.name if old.name is not None else id(old))
            assert nn is not old
            assert type(nn) is type(old) and nn.name == old.name and nn.kind == old.kind
            if isinstance(old, ss.Gate):
                assert nn.k == old.k
            if isinstance(nn, (ss.Service, ss.Gate)):
                assert nn.children == new.children(nn)      # no names left
        else:
            assert nn is old
        new_kids = new.children(nn)
        assert len(new_kids) == len(kids)
        for c, nc in zip(kids, new_kids):
            # the child at the same place is the same node of the new graph
            assert nc is new_nodes[old_nodes.index(c)]
        if isinstance(old, (ss.Component, ss.Service)):
            assert nn.unavailability == q.get(old.name, old.unavailability)
    assert [(j.name, j.target) for j in new.journeys] == [
        (j.name, j.target) for j in model.journeys]
    for j, nj in zip(model.journeys, new.journeys):
        assert nj.node is new_nodes[old_nodes.index(j.node)]
    assert [n.name for n in new.walk()] == [n.name for n in model.walk()]


def _replace_model(net=True):
    """db under web and api; an untouched branch edge(dns, cache); shocks and
    copulas over both (without copula "net", exact can evaluate it); names
    used as references."""
    db, cache, dns = comp("db", 1e-3), comp("cache", 1e-2), comp("dns", 1e-4)
    web = ss.Service("web", availability=0.999, requires=[db, "cache"])
    api = ss.Service("api", availability=0.999, requires=[db])
    edge = ss.series(dns, "cache", name="edge")
    top = ss.parallel(web, api, name="top")
    shocks = [ss.Shock("zone", 1e-4, members=[db, "web"]),
              ss.Shock("deploy", 1e-3, members=["api"]),
              ss.Shock("resolver", 1e-3, members=["dns", cache])]
    copulas = [ss.GaussianCopula("day", ["cache", db], loadings=[0.3, 0.4])]
    if net:
        copulas.append(ss.GaussianCopula("net", [dns, web],
                                         correlation=[[1.0, 0.25], [0.25, 1.0]]))
    journeys = [ss.Journey(top, target=0.9999), ss.Journey(edge, name="edge-only",
                                                          target=0.999),
                ss.Journey(api, name="api-only")]
    return ss.Model(journeys, nodes=[cache], shocks=shocks, copulas=copulas)


def test_replace_rebuilds_the_nodes_above_and_reuses_the_rest():
    model = _replace_model()
    new = model.replace(availabilities={"db": 0.9999})
    old, nw = ({n.name: n for n in m.nodes()} for m in (model, new))
    for name in ("db", "web", "api", "top"):
        assert nw[name] is not old[name]
    for name in ("cache", "dns", "edge"):
        assert nw[name] is old[name]
    assert nw["db"].unavailability == 1e-4 and old["db"].unavailability == 1e-3
    # shared stays shared: one new db under both services
    assert nw["web"].requires == (nw["db"], old["cache"])     # "cache" resolved
    assert nw["api"].requires == (nw["db"],)
    assert nw["top"].children == (nw["web"], nw["api"])
    assert new.parents("db") == (nw["web"], nw["api"])
    assert (nw["web"].unavailability, nw["api"].unavailability) == (
        old["web"].unavailability, old["api"].unavailability)
    assert (nw["top"].kind, nw["top"].k) == ("parallel", 1)
    # journeys: names, order, targets; an untouched journey's node is the same
    assert [(j.name, j.target) for j in new.journeys] == [
        ("top", 0.9999), ("edge-only", 0.999), ("api-only", None)]
    assert new.journeys[1].node is old["edge"]
    assert new.journeys[2].node is nw["api"]
    # shocks: rebuilt when a member is new, over the new members, in order
    zone, deploy, resolver = (new.shocks[n] for n in ("zone", "deploy", "resolver"))
    assert zone is not model.shocks["zone"] and deploy is not model.shocks["deploy"]
    assert resolver is model.shocks["resolver"]
    assert zone.members == (nw["db"], nw["web"]) and deploy.members == (nw["api"],)
    assert new.members("zone") == zone.members
    assert shock_probabilities(new) == shock_probabilities(model)
    assert list(new.shocks) == list(model.shocks)
    assert new.shocks_of("web") == (zone,) and new.shocks_of(old["dns"]) == (resolver,)
    # copulas: rebuilt over the new members, with the same arrays
    for name, members in (("day", (old["cache"], nw["db"])), ("net", (old["dns"], nw["web"]))):
        c, c_old = new.copulas[name], model.copulas[name]
        assert c is not c_old and c.name == name
        assert new.members(c) == members == c.members
        assert c.correlation is c_old.correlation and c.loadings is c_old.loadings
        assert c.loadings.tobytes() == c_old.loadings.tobytes()
        assert repr(c) == repr(c_old) and c.one_factor
    assert new.copula_of("db") is new.copulas["day"]


@pytest.mark.filterwarnings("ignore::slosim.FewFailuresWarning")
def test_replace_equals_the_model_built_directly(seed):
    """Exact and simulated results, shocks and copulas included, equal those
    of the model built with the new numbers (the same random streams)."""
    for net in (False, True):
        model = _replace_model(net)
        new = model.replace(unavailabilities={"db": 1e-4, "web": "0.002"},
                            probabilities={"resolver": 0.01})
        direct = _replace_model_with(db=1e-4, web=0.002, resolver=0.01, net=net)
        a = ss.simulate(new, 10**5, rng=seed)
        b = ss.simulate(direct, 10**5, rng=seed)
        assert [r.failures for r in a.values()] == [r.failures for r in b.values()]
        if not net:  # exact integrates over one copula's factor only
            assert exact_bits(new) == exact_bits(direct)
            assert exact_bits(model) == exact_bits(_replace_model(net))


def _replace_model_with(db, web, resolver, net):
    """_replace_model built with other numbers."""
    dbc, cache, dns = comp("db", db), comp("cache", 1e-2), comp("dns", 1e-4)
    webs = ss.Service("web", unavailability=web, requires=[dbc, cache])
    api = ss.Service("api", availability=0.999, requires=[dbc])
    return ss.Model(
        [ss.Journey(ss.parallel(webs, api, name="top"), target=0.9999),
         ss.Journey(ss.series(dns, cache, name="edge"), name="edge-only", target=0.999),
         ss.Journey(api, name="api-only")],
        shocks=[ss.Shock("zone", 1e-4, members=[dbc, webs]),
                ss.Shock("deploy", 1e-3, members=[api]),
                ss.Shock("resolver", resolver, members=[dns, cache])],
        copulas=[ss.GaussianCopula("day", [cache, dbc], loadings=[0.3, 0.4])] + ([
            ss.GaussianCopula("net", [dns, webs], correlation=[[1.0, 0.25], [0.25, 1.0]])
        ] if net else []))


def test_replace_a_services_own_part_keeps_its_requirements():
    model = _replace_model()
    new = model.replace(availabilities={"web": Decimal("0.99995")})
    web = new.node("web")
    assert web.unavailability == 5e-05 and web is not model.node("web")
    assert web.requires == (model.node("db"), model.node("cache"))
    for name in ("db", "cache", "dns", "edge", "api"):
        assert new.node(name) is model.node(name)
    assert new.node("top") is not model.node("top")
    assert new.shocks["deploy"] is model.shocks["deploy"]
    assert new.shocks["zone"] is not model.shocks["zone"]
    assert new.copulas["day"] is model.copulas["day"]
    assert new.copulas["net"] is not model.copulas["net"]


def test_replace_probabilities_only_reuses_every_node():
    model = _replace_model()
    new = model.replace(probabilities={"zone": Fraction(1, 1000)})
    assert all(a is b for a, b in zip(new.nodes(), model.nodes()))
    assert len(new.nodes()) == len(model.nodes())
    zone = new.shocks["zone"]
    assert zone is not model.shocks["zone"] and zone.probability == 1e-3
    assert zone.members == model.members("zone")           # names now resolved
    assert new.shocks["deploy"] is model.shocks["deploy"]
    assert all(new.copulas[n] is model.copulas[n] for n in model.copulas)
    assert model.shocks["zone"].probability == 1e-4


def test_replace_with_nothing_is_the_model():
    model = _replace_model()
    assert model.replace() is model
    assert model.replace(availabilities={}, unavailabilities={}, probabilities={}) is model


def test_replace_with_the_same_value_gives_a_new_equal_model():
    model = _replace_model(net=False)
    new = model.replace(unavailabilities={"db": 1e-3})
    assert new is not model and new.node("db") is not model.node("db")
    assert unavailabilities(new) == unavailabilities(model)
    assert exact_bits(new) == exact_bits(model)


def test_replace_reads_values_as_the_constructors_do():
    model = _replace_model()
    values = {0.9999999: 1e-07, "0.9999999": 1e-07, Decimal("0.9995"): 0.0005,
              Fraction(2, 3): ss.Component("x", availability=Fraction(2, 3)).unavailability,
              "0." + "9" * 32: 1e-32, 1: 0.0, 0: 1.0}
    for value, q in values.items():
        assert model.replace(availabilities={"db": value}).node("db").unavailability == q
        assert model.replace(availabilities={"api": value}).node("api").unavailability == q
    assert model.replace(unavailabilities={"db": 1e-300}).node("db").unavailability == 1e-300
    new = model.replace(probabilities={"zone": "1e-5", "deploy": np.float64(0.25)})
    assert new.shocks["zone"].probability == 1e-5
    assert new.shocks["deploy"].probability == 0.25


@pytest.mark.parametrize("key", ["availabilities", "unavailabilities"])
@pytest.mark.parametrize("name, cls", [("db", ss.Component), ("web", ss.Service)])
@pytest.mark.parametrize("value", [1.5, -0.1, math.nan, math.inf, "abc", "1.5",
                                   Decimal("NaN"), Fraction(3, 2), True, None, [0.5],
                                   Fraction(1, 10**400)], ids=repr)
def test_replace_refuses_a_bad_probability_as_the_constructor_does(key, name, cls, value):
    model = _replace_model()
    with pytest.raises(ModelError) as want:
        cls(name, **{key[:-3] + "y": value})
    with raises_model_error(type(want.value), name) as info:
        model.replace(**{key: {name: value}})
    assert str(info.value) == str(want.value)
    assert info.value.node == name


@pytest.mark.parametrize("value", [1.5, -0.1, math.nan, "abc", Fraction(3, 2), True, None,
                                   "1e-400", Fraction(1, 10**400)], ids=repr)
def test_replace_refuses_a_bad_shock_probability_as_shock_does(value):
    model = _replace_model()
    with pytest.raises(ProbabilityError) as want:
        ss.Shock("zone", value, members=["db"])
    with raises_model_error(ProbabilityError, "zone") as info:
        model.replace(probabilities={"zone": value})
    assert str(info.value) == str(want.value)


@pytest.mark.parametrize("kwargs, name, says", [
    ({"availabilities": {"nope": 0.9}}, "nope", "no component or service of the model"),
    ({"unavailabilities": {"top": 0.1}}, "top", "is a parallel gate, not a component"),
    ({"availabilities": {"zone": 0.9}}, "zone", "is a shock of the model, not a component"),
    ({"unavailabilities": {"db": 0.1, "deploy": 0.1}}, "deploy", "give its probability in "
     "probabilities="),
    ({"probabilities": {"db": 0.1}}, "db", "is a component of the model, not a shock"),
    ({"probabilities": {"web": 0.1}}, "web", "is a service of the model, not a shock"),
    ({"probabilities": {"edge": 0.1}}, "edge", "is a series gate of the model, not a shock"),
    ({"probabilities": {"day": 0.1}}, "day", "is a copula of the model, not a shock"),
    ({"probabilities": {"nope": 0.1}}, "nope", "no shock of the model (shocks: 'zone', "
     "'deploy', 'resolver')"),
])
def test_replace_refuses_unknown_names(kwargs, name, says):
    model = _replace_model()
    with raises_model_error(UnknownNodeError, name) as info:
        model.replace(**kwargs)
    assert info.value.node == name
    assert "Model.replace" in str(info.value) and says in str(info.value)


def test_replace_refuses_an_unused_node():
    unused = comp("unused")
    model = ss.Model(comp("a"), nodes=[unused])
    with raises_model_error(UnknownNodeError, "unused") as info:
        model.replace(unavailabilities={"unused": 0.1})
    assert "not used by any journey" in str(info.value)


def test_replace_refuses_a_name_in_both_mappings():
    model = _replace_model()
    with raises_model_error(AvailabilitySpecError, "api") as info:
        model.replace(availabilities={"db": 0.9, "api": 0.99},
                      unavailabilities={"api": 0.01})
    assert "both availabilities= and unavailabilities=" in str(info.value)


@pytest.mark.parametrize("kwargs, param", [
    ({"availabilities": [("db", 0.9)]}, "availabilities"),
    ({"unavailabilities": 0.1}, "unavailabilities"),
    ({"probabilities": "zone"}, "probabilities"),
    ({"availabilities": {1: 0.9}}, "availabilities"),
    ({"probabilities": {("zone",): 0.1}}, "probabilities"),
])
def test_replace_refuses_what_is_not_a_mapping_of_names(kwargs, param):
    model = _replace_model()
    with pytest.raises(TypeError, match=f"The '{param}' parameter of Model.replace must be"):
        model.replace(**kwargs)


def test_replace_in_a_deep_graph_has_no_recursion():
    depth = 10**4
    node = comp("leaf")
    for i in range(depth):
        node = ss.series(node, comp(f"c{i}"), name=f"g{i}")
    model = ss.Model(node)
    new = model.replace(availabilities={"leaf": 0.5})
    assert new.node("leaf").unavailability == 0.5
    assert all(new.node(f"g{i}") is not model.node(f"g{i}") for i in range(depth))
    assert all(new.node(f"c{i}") is model.node(f"c{i}") for i in range(depth))
    assert new.children(f"g{depth - 1}")[0] is new.node(f"g{depth - 2}")
    top = model.replace(unavailabilities={f"c{depth - 1}": 0.5})
    assert top.node(f"g{depth - 2}") is model.node(f"g{depth - 2}")
    assert top.node(f"g{depth - 1}") is not model.node(f"g{depth - 1}")


def test_replace_in_a_deep_chain_of_name_references():
    depth = 10**4
    services = [ss.Service("s0", availability=0.9999)]
    services += [ss.Service(f"s{i}", availability=0.9999, requires=[f"s{i - 1}"])
                 for i in range(1, depth)]
    model = ss.Model(services[-1], nodes=services)
    new = model.replace(availabilities={"s0": 0.99})
    assert new.node("s0").unavailability == 0.01
    for i in range(1, depth):
        s = new.node(f"s{i}")
        assert s.requires == (new.node(f"s{i - 1}"),)          # objects, not names
        assert s.unavailability == services[i].unavailability
    top = model.replace(availabilities={f"s{depth - 1}": 0.99})
    assert top.node(f"s{depth - 2}") is services[depth - 2]      # still by name
    assert top.node(f"s{depth - 1}").requires == (services[depth - 2],)


def test_replace_in_a_model_of_name_references():
    """Every child, shock member and copula member given by name."""
    model = ss.Model(
        [ss.Journey("top", target=0.999)],
        nodes=[ss.parallel("web", "api", name="top"),
               ss.Service("web", availability=0.999, requires=["db", "cache"]),
               ss.Service("api", availability=0.999, requires=["db"]),
               comp("db", 1e-3), comp("cache", 1e-2)],
        shocks=[ss.Shock("zone", 1e-4, members=["db", "web"])],
        copulas=[ss.GaussianCopula("day", ["cache", "db"], loadings=[0.3, 0.4])])
    new = model.replace(unavailabilities={"cache": 0.05})
    web, api, db, cache = (new.node(n) for n in ("web", "api", "db", "cache"))
    assert web.requires == (db, cache) and db is model.node("db")
    assert api is model.node("api") and api.requires == ("db",)   # untouched, by name
    assert new.node("top").children == (web, api)
    assert new.shocks["zone"].members == (db, web)
    assert new.copulas["day"].members == (cache, db)
    assert cache.unavailability == 0.05
    direct = ss.Model(
        [ss.Journey("top", target=0.999)],
        nodes=[ss.parallel("web", "api", name="top"),
               ss.Service("web", availability=0.999, requires=["db", "cache"]),
               ss.Service("api", availability=0.999, requires=["db"]),
               comp("db", 1e-3), comp("cache", 0.05)],
        shocks=[ss.Shock("zone", 1e-4, members=["db", "web"])],
        copulas=[ss.GaussianCopula("day", ["cache", "db"], loadings=[0.3, 0.4])])
    assert exact_bits(new) == exact_bits(direct)


def test_a_copula_with_other_members_keeps_its_arrays():
    a, b, c = comp("a"), comp("b"), comp("c")
    r = [[1.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 1.0]]
    for cop in (ss.GaussianCopula("m", ["a", "b", "c"], correlation=r),
                ss.GaussianCopula("f", ["a", "b", "c"], loadings=[0.5, -0.6, 0.9]),
                ss.GaussianCopula("g", ["a", "b", "c"],
                                  correlation=np.full((3, 3), 0.49) + 0.51 * np.eye(3))):
        moved = cop.with_members([a, b, c])
        assert type(moved) is ss.GaussianCopula and moved is not cop
        assert moved.members == (a, b, c) and cop.members == ("a", "b", "c")
        assert moved.name == cop.name and repr(moved) == repr(cop)
        assert moved.correlation is cop.correlation and moved.loadings is cop.loadings
        assert moved.one_factor == cop.one_factor
        assert not moved.correlation.flags.writeable
    with raises_model_error(ModelError, "g") as info:
        cop.with_members([a, b])
    assert "needs 3 members" in str(info.value)
    with raises_model_error(ModelError, "g"):
        cop.with_members([a, b, a])
    with raises_model_error(ModelError, "g"):
        cop.with_members([a, b, 3])
