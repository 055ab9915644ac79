"""Tests of slosim.model.lower: the Structure both engines read.

The Structure's logic equals the model's (checked against the oracle's own
walk of the node objects, with shocks, on random models and event states);
its events, probabilities, shock members, copulas, journeys and targets are
the model's; the model's rules (a Service is its event, shocks and
requirements in series; a component with shocks a series gate) have the
documented shapes; it is built once per model, and read-only.
"""

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim.model import K_OF_N, PARALLEL, SERIES, Structure, lower

import oracle
from strategies import build_with_shocks, dags, models_with_shocks

PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def structure_down(s, down):
    """Each journey's state (True = down) from the Structure's gates, for
    event states ``down`` (bool arrays, one per event)."""
    state = list(down)
    for g in range(s.n_gates):
        up = sum((~state[c]).astype(np.int64) for c in s.children(g).tolist())
        state.append(up < s.gate_k[g])
    return {j: state[o] for j, o in zip(s.journeys, s.outputs.tolist())}


@PROPERTY
@given(case=models_with_shocks(), salt=st.integers(0, 2**32 - 1))
def test_the_structure_has_the_models_logic(seed, case, salt):
    model = build_with_shocks(*case)
    s = lower(model)
    rng = np.random.default_rng([seed, salt])
    down = [rng.random(256) < 0.5 for _ in range(s.n_events)]
    want = oracle.journey_down(model, dict(zip(s.events, down)))
    got = structure_down(s, down)
    assert list(got) == list(want)
    for j in want:
        np.testing.assert_array_equal(got[j], want[j], err_msg=j)


@PROPERTY
@given(spec=dags(max_leaves=30, max_gates=20, max_journeys=4))
def test_events_are_the_models_basic_events(spec):
    model = spec.build()
    s = lower(model)
    assert s.events == tuple(e.name for e in model.basic_events())
    assert s.n_components == len(model.components) == s.n_events
    np.testing.assert_array_equal(s.q, [c.unavailability for c in model.leaves()])
    assert s.journeys == tuple(j.name for j in model.journeys)
    assert s.targets == tuple(j.target for j in model.journeys)
    # topological: every child before its gate; every node reached
    E = s.n_events
    for g in range(s.n_gates):
        assert all(0 <= c < E + g for c in s.children(g).tolist())
        assert 1 <= s.gate_k[g] <= len(s.children(g))
    assert all(0 <= o < s.n_nodes for o in s.outputs.tolist())


def test_shocks_and_their_members():
    a, b, c = (ss.Component(n, unavailability=0.1) for n in "abc")
    web = ss.Service("web", unavailability=0.01, requires=[ss.parallel(a, b, name="ab"), c])
    zone = ss.Shock("zone", 0.05, members=[b, a])
    deploy = ss.Shock("deploy", 1e-3, members=["web"])
    s = lower(ss.Model(web, shocks=[zone, deploy]))
    assert s.events == ("a", "b", "c", "web", "zone", "deploy")
    assert s.n_components == 4
    assert s.q.tolist() == [0.1, 0.1, 0.1, 0.01, 0.05, 1e-3]
    assert s.members(0).tolist() == [1, 0] and s.members(1).tolist() == [3]
    # a component hit by shocks: a series gate over its event and shocks,
    # named after it; a service: one series gate over its own event, its
    # shocks and its requirements
    assert [s.gate(g) for g in range(s.n_gates)] == [
        ("a", "series", 2, (0, 4)),
        ("b", "series", 2, (1, 4)),
        ("ab", "parallel", 1, (6, 7)),
        ("web", "series", 4, (3, 5, 8, 2)),
    ]
    assert s.outputs.tolist() == [9]


def test_a_service_with_nothing_else_is_its_event():
    web = ss.Service("web", availability=0.999)
    s = lower(ss.Model([web, ss.series(web, name="j")]))
    assert s.n_gates == 1 and s.outputs.tolist() == [0, 1]
    assert s.gate(0) == ("j", "series", 1, (0,))


def test_gate_kinds_and_k_are_the_models():
    xs = [ss.Component(f"x{i}", unavailability=0.1) for i in range(4)]
    model = ss.Model([ss.series(*xs, name="s"), ss.parallel(*xs, name="p"),
                      ss.k_of_n(3, xs, name="k"), ss.k_of_n(4, xs, name="all")])
    s = lower(model)
    assert s.gate_op.tolist() == [SERIES, PARALLEL, K_OF_N, K_OF_N]
    assert s.gate_k.tolist() == [4, 1, 3, 4]
    assert [s.gate(g)[1] for g in range(4)] == ["series", "parallel", "k_of_n", "k_of_n"]


def test_repeated_children_are_kept():
    a, b = ss.Component("a", unavailability=0.1), ss.Component("b", unavailability=0.2)
    s = lower(ss.k_of_n(2, [a, a, b], name="g"))
    assert s.children(0).tolist() == [0, 0, 1]


def test_copulas_name_their_member_events():
    a, b, c = (ss.Component(n, unavailability=1e-3) for n in "abc")
    one = ss.GaussianCopula("one", [c, a], loadings=[0.5, 0.7])
    model = ss.Model(ss.parallel(a, b, c, name="j"), copulas=[one])
    (group,) = lower(model).copulas
    assert group.name == "one" and group.one_factor
    assert group.events.tolist() == [2, 0]
    np.testing.assert_array_equal(group.loadings, [0.5, 0.7])
    np.testing.assert_array_equal(group.correlation, one.correlation)


def test_built_once_per_model_and_read_only():
    model = ss.Model(ss.series(ss.Component("a", unavailability=0.1),
                               ss.Component("b", unavailability=0.2), name="j"))
    s = lower(model)
    assert isinstance(s, Structure) and lower(model) is s
    assert lower(model.journeys[0]) is not s          # another (one-journey) model
    for name in ("q", "gate_op", "gate_k", "child_ptr", "child_idx", "outputs",
                 "shock_ptr", "shock_idx"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(s, name)[...] = 0
    with pytest.raises(AttributeError):
        s.events = ()
    assert repr(s) == "Structure(events=2, components=2, gates=1, journeys=1)"


def test_lower_takes_a_node_or_journey_and_refuses_the_rest():
    a = ss.Component("a", unavailability=0.1)
    assert lower(a).events == ("a",) and lower(ss.Journey(a, name="j")).journeys == ("j",)
    with pytest.raises(TypeError, match="The 'model' parameter of lower must be"):
        lower("a")
