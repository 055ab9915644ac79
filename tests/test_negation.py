"""Negation (``ss.negate``): a gate up exactly when its one child is down.

* Both engines against the brute-force oracle on random small models with
  negations anywhere (over components, gates, constants, other negations):
  ``exact`` to rounding, ``simulate`` within exact binomial bounds.
* The compiler folds ``not(constant)`` to the other constant and
  ``not(not(x))`` to ``x``; the kernel evaluates every sub-block of a
  program with a NOT gate (a sub-block where every leaf is up is not all
  up then: the key test is a negated rare component).
* Open-PSA MEF: ``not``, ``nand``, ``nor``, ``xor``, ``iff`` and ``imply``
  read with their truth tables; the writer writes ``<not>``, and a round
  trip keeps the logic.
* What needs coherent logic refuses a negation with a clear error (cut
  sets, allocation, choose, the timeline engine); importance stays exact,
  with a negative Birnbaum where failing helps and no Fussell-Vesely.
"""

import io

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim.engines import CONST_DOWN, CONST_UP, compile_model
from slosim.io import read_openpsa, write_openpsa

import oracle
from strategies import DagSpec, probabilities

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def negated_dags(draw, max_leaves=8, max_gates=8, max_children=4):
    """A random :class:`DagSpec` whose gates include negations."""
    n = draw(st.integers(1, max_leaves))
    nodes = [("component", f"c{i}", draw(probabilities())) for i in range(n)]
    for g in range(draw(st.integers(1, max_gates))):
        kind = draw(st.sampled_from(("not", "not", "series", "parallel", "k_of_n")))
        pool = len(nodes)
        size = 1 if kind == "not" else draw(st.integers(1, max_children))
        kids = tuple((draw(st.integers(0, pool - 1)), False) for _ in range(size))
        k = {"series": size, "parallel": 1, "not": 1}.get(kind)
        if k is None:
            k = draw(st.integers(1, size))
        nodes.append(("gate", kind, k, kids, draw(st.sampled_from((None, f"g{g}")))))
    last = len(nodes) - 1
    journeys = ((last, "j0"),) + tuple(
        (draw(st.integers(0, last)), f"j{j}") for j in range(1, draw(st.integers(1, 3))))
    return DagSpec(tuple(nodes), journeys)


@SETTINGS
@given(negated_dags())
def test_exact_matches_the_oracle(spec):
    model = spec.build()
    res = ss.exact(model)
    down, up = oracle.unavailability(model), oracle.availability(model)
    for name in down:
        assert res[name].unavailability == pytest.approx(down[name], rel=1e-9, abs=1e-300)
        assert res[name].availability == pytest.approx(up[name], rel=1e-9, abs=1e-300)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(negated_dags(), st.integers(0, 2**32 - 1))
def test_simulate_agrees_with_the_oracle(spec, seed):
    model = spec.build()
    samples = 20_000
    res = oracle.checked_simulate(model, samples, rng=seed)
    exact = ss.exact(model)
    for name, p in oracle.unavailability(model).items():
        if res[name].exact:
            assert res[name].unavailability == p
            continue
        oracle.assert_consistent(res[name].failures, samples, p, what=name)
        oracle.assert_consistent(res[name].failures, samples,
                                 exact[name].unavailability, what=name)


def test_a_negated_rare_component_is_almost_always_up():
    # Every sub-block where no leaf is down must still be evaluated: the
    # negation is down there. Skipping them (as a coherent program may)
    # would count no failures at all.
    rare = ss.Component("rare", unavailability=1e-6)
    model = ss.Model(ss.negate(rare, name="j"))
    samples = 10**6
    res = ss.simulate(model, samples, rng=7)["j"]
    oracle.assert_consistent(res.failures, samples, 1.0 - 1e-6, what="j")
    assert ss.exact(model)["j"].availability == pytest.approx(1e-6, rel=1e-12)


def test_negations_of_constants_fold():
    up = ss.Component("up", unavailability=0.0)
    down = ss.Component("down", unavailability=1.0)
    a = ss.Component("a", unavailability=0.25)
    model = ss.Model([ss.negate(up, name="j-down"), ss.negate(down, name="j-up"),
                      ss.series(a, ss.negate(up), name="j-series")])
    program = compile_model(model)
    assert program.outputs.tolist()[:2] == [CONST_DOWN, CONST_UP]
    res = ss.simulate(model, 1000, rng=1)
    assert res["j-down"].exact and res["j-down"].availability == 0.0
    assert res["j-up"].exact and res["j-up"].availability == 1.0
    assert res["j-series"].exact and res["j-series"].availability == 0.0


def test_a_double_negation_is_its_child():
    a = ss.Component("a", unavailability=0.25)
    b = ss.Component("b", unavailability=0.5)
    inner = ss.parallel(a, b)
    program = compile_model(ss.Model(ss.negate(ss.negate(inner), name="j")))
    assert program.n_gates == 1 and program.gate_op.tolist() == [
        compile_model(ss.Model(ss.parallel(a, b, name="p"))).gate_op[0]]


def test_the_kernel_complements_the_child():
    a = ss.Component("a", unavailability=0.5)
    program = compile_model(ss.Model([ss.negate(a, name="j"), ss.Journey(a, name="a")]))
    from slosim._core import _kernels as K
    assert program.gate_op.tolist() == [K.OP_NOT]
    res = ss.simulate(ss.Model([ss.negate(a, name="j"), ss.Journey(a, name="a")]),
                      4096 + 17, rng=3)
    # the negation is down exactly where the component is up
    assert res["j"].failures + res["a"].failures == 4096 + 17


def test_negate_and_its_gate():
    a = ss.Component("a", availability=0.9)
    g = ss.negate(a, name="na")
    assert (g.kind, g.k, g.children, repr(g)) == ("not", 1, (a,), "negate('a', name='na')")
    assert ss.model.lower(ss.Model(g)).gate(0) == ("na", "not", 1, (0,))
    with pytest.raises(ss.GateArityError, match="a negation has exactly one child, got 2"):
        ss.Gate("not", (a, a), 1)
    with pytest.raises(ss.ModelError, match="the child must be a Component"):
        ss.negate(3)
    assert ss.exact(ss.Model(ss.negate("a", name="j"), nodes=[a]))["j"].availability == (
        pytest.approx(0.1, rel=1e-15))


# --- analyses ------------------------------------------------------------

def _model():
    a = ss.Component("a", unavailability=0.3)
    b = ss.Component("b", unavailability=0.2)
    return ss.Model(ss.Journey(ss.series(ss.negate(a, name="na"), b, name="j"),
                               target=0.1))


def test_importance_is_exact_and_may_be_negative():
    res = ss.importance(_model())["j"]
    # R = P(a down) P(b up): a failing helps (B_a = 0 - 0.8), b failing hurts
    assert res.birnbaum == pytest.approx([-0.8, 0.3], rel=1e-12)
    assert res.fussell_vesely is None
    exact = ss.exact(_model())["j"]
    assert exact.birnbaum == pytest.approx([-0.8, 0.3], rel=1e-12)


def test_sobol_and_closed_form_uncertainty_refuse_a_negation():
    with pytest.raises(ss.ModelError, match="sobol needs coherent logic"):
        ss.sobol(_model())
    a = ss.Component("a", availability=ss.model.Beta.from_counts(90, 10))
    model = ss.Model(ss.negate(a, name="na"))
    with pytest.raises(ss.ModelError, match=r"uncertainty\(method='closed form'\) needs"):
        ss.uncertainty(model, 200, rng=1, method="closed form")
    res = ss.uncertainty(model, 200, rng=1, bootstrap=10)["na"]
    assert res.mean == pytest.approx(0.1, abs=0.05)


@pytest.mark.parametrize("call", [
    lambda m: ss.cut_sets(m),
    lambda m: ss.allocate(m),
    lambda m: ss.timeline(m),
])
def test_coherent_analyses_refuse_a_negation(call):
    with pytest.raises(ss.ModelError, match=(
            r"needs coherent logic \(no negation\), but the model has the negation "
            r"'na': bringing a component down can bring a journey up")) as info:
        call(_model())
    assert info.value.node == "na"


def test_choose_refuses_a_negation():
    a = ss.Component("a", unavailability=0.3)
    b = ss.Component("b", unavailability=0.2)
    zone = ss.Choice("zone", [ss.Option("one", ss.negate(a)), ss.Option("two", b)])
    model = ss.Model(ss.Journey(ss.series(zone, b, name="j"), target=0.1))
    with pytest.raises(ss.ModelError, match="choose needs coherent logic"):
        ss.choose(model, minimize="cost")


# --- Open-PSA MEF ------------------------------------------------------------

def _mef(body):
    return read_openpsa(io.StringIO(f"""<opsa-mef>
  <define-fault-tree name="ft">
    <define-gate name="top">
      {body}
    </define-gate>
  </define-fault-tree>
  <model-data>
    <define-basic-event name="a"><float value="0.3"/></define-basic-event>
    <define-basic-event name="b"><float value="0.2"/></define-basic-event>
  </model-data>
</opsa-mef>"""))


# failed(a, b) -> top failed, over failure states
TRUTH = {
    "not": lambda a, b: not a,
    "nand": lambda a, b: not (a and b),
    "nor": lambda a, b: not (a or b),
    "xor": lambda a, b: a != b,
    "iff": lambda a, b: a == b,
    "imply": lambda a, b: (not a) or b,
}


@pytest.mark.parametrize("tag", sorted(TRUTH))
def test_mef_connectives_read_with_their_truth_tables(tag):
    args = '<basic-event name="a"/>' + ('' if tag == "not" else '<basic-event name="b"/>')
    model = _mef(f"<{tag}>{args}</{tag}>")
    expected = sum((0.3 if fa else 0.7) * (0.2 if fb else 0.8)
                   for fa in (False, True) for fb in (False, True) if TRUTH[tag](fa, fb))
    assert ss.exact(model)["top"].unavailability == pytest.approx(expected, rel=1e-12)
    assert oracle.unavailability(model)["top"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("tag, n", [("not", 2), ("xor", 3), ("iff", 1), ("imply", 3)])
def test_mef_connectives_refuse_a_wrong_arity(tag, n):
    args = "".join(f'<basic-event name="{x}"/>' for x in "aba"[:n])
    with pytest.raises(ss.io.OpenPSAError, match=f"<{tag}> in gate 'top' needs exactly"):
        _mef(f"<{tag}>{args}</{tag}>")


@SETTINGS
@given(negated_dags(max_leaves=6, max_gates=6))
def test_mef_round_trip_keeps_the_logic(spec):
    model = spec.build()
    buffer = io.StringIO()
    write_openpsa(model, buffer)
    text = buffer.getvalue()
    back = read_openpsa(io.StringIO(text))
    before, after = oracle.unavailability(model), oracle.unavailability(back)
    for name, p in before.items():
        assert after[name] == pytest.approx(p, rel=1e-12, abs=1e-300), name
    has_not = bool(np.any(ss.model.lower(model).gate_op == ss.model.NOT))
    assert ("<not>" in text) == has_not
