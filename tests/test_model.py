"""Tests of slosim.model: building and validating models.

Every model problem is a ModelError subclass (itself a ValueError) whose
message names the offending node; numbers keep the digits the user wrote;
shared dependencies, wide and deep graphs are fine.
"""

from decimal import Decimal
from fractions import Fraction
import math

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

from model_numbers import unavailabilities


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
