"""Minimal cut sets and the exact Fussell-Vesely importance.

The reference enumerates every joint state of a small model's basic events
(components and shocks) with the brute-force structure function of
tests/oracle.py: a journey's minimal cut sets are its failing states none
of whose immediate subsets fails (the structure is coherent), the union of
a family of cut sets is the set of states containing one of them, and a
probability is the sum of the states' weights. Under a one-factor copula
the states' weights are integrated over the factor (scipy's quad_vec).
"""

from collections.abc import Sequence
import json
import math
import sys

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest
from scipy import integrate, special

import slosim as ss
from slosim._core import _bdd
from slosim.analysis._cut_sets import MAX_LISTED, cut_sets
from slosim.engines import ExactDiagram
from slosim.engines._cut_sets import count_cut_sets, fussell_vesely, minimal_cut_sets
from slosim.model import lower
from slosim.results._cut_sets import CutSet, CutSets

from oracle import journey_down
from strategies import build_with_shocks, dags, models_with_shocks

PROPERTY = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


# --- the reference ------------------------------------------------------------


class Brute:
    """Every joint state of a model's basic events, and what follows from it.

    State ``m`` has event ``i`` (``structure.events`` order) happening when
    bit ``i`` of ``m`` is set.
    """

    def __init__(self, model):
        s = self.structure = lower(model)
        self.events = s.events
        n = len(self.events)
        self.index = np.arange(1 << n, dtype=np.int64)
        self.bits = [((self.index >> i) & 1).astype(bool) for i in range(n)]
        down = dict(zip(self.events, self.bits))
        self.fails = journey_down(model, down)
        self.weights = self.weights_at(s.q)

    def weights_at(self, q):
        w = np.ones(len(self.index))
        for bit, qi in zip(self.bits, q):
            w *= np.where(bit, qi, 1.0 - qi)
        return w

    def minimal_cut_sets(self, journey):
        """{frozenset of event names}: failing states no smaller one explains."""
        fail = self.fails[journey]
        minimal = fail.copy()
        for i, bit in enumerate(self.bits):
            minimal &= ~(bit & fail[self.index & ~(1 << i)])
        return {frozenset(e for e, b in zip(self.events, self.bits) if b[m])
                for m in np.flatnonzero(minimal)}

    def occurred(self, sets):
        """Bool array over states: some set of ``sets`` has all its events."""
        out = np.zeros(len(self.index), dtype=bool)
        for c in sets:
            mask = sum(1 << self.events.index(e) for e in c)
            out |= (self.index & mask) == mask
        return out

    def probability(self, states, weights=None):
        w = self.weights if weights is None else weights
        return math.fsum(w[states])


def product(model_q, events):
    return math.prod(model_q[e] for e in events)


def journey_q(structure):
    return dict(zip(structure.events, structure.q.tolist()))


def listed(result):
    return {frozenset(c.events) for c in result}


# --- all cut sets, against brute force ----------------------------------------------


@PROPERTY
@given(models_with_shocks())
def test_cut_sets_of_random_models_with_shocks_are_the_brute_force_ones(case):
    model = build_with_shocks(*case)
    check_against_brute_force(model)


@PROPERTY
@given(dags(max_leaves=10, max_gates=8))
def test_cut_sets_of_random_models_are_the_brute_force_ones(spec):
    check_against_brute_force(spec.build())


def check_against_brute_force(model):
    ref = Brute(model)
    q = journey_q(ref.structure)
    diagram = ExactDiagram(model)
    fv = fussell_vesely(diagram)
    assert diagram.nodes == ExactDiagram(model).nodes        # left as it was
    for j, name in enumerate(ref.structure.journeys):
        expected = ref.minimal_cut_sets(name)
        res = cut_sets(model, name)
        assert listed(res) == expected
        assert res.count == len(expected) == len(res)
        assert not res.truncated
        for c in res:
            assert c.order == len(c.events)
            assert list(c.events) == sorted(c.events, key=ref.events.index)
            assert c.probability == pytest.approx(product(q, c.events), rel=1e-12, abs=1e-300)
        p = [c.probability for c in res]
        assert p == sorted(p, reverse=True)
        # the unavailability is the union of the cut sets, exactly; their
        # sum bounds it (rare-event approximation)
        u = ref.probability(ref.fails[name])
        assert res.unavailability == pytest.approx(u, rel=1e-9, abs=1e-300)
        assert ref.probability(ref.occurred(expected)) == pytest.approx(u, rel=1e-12,
                                                                        abs=1e-300)
        # (subnormal products carry no relative precision, hence the floor)
        assert res.total >= res.unavailability * (1 - 1e-12) - 1e-300
        # Fussell-Vesely: the union of the cut sets containing each event
        # (a ratio of subnormal numbers has no digits to compare)
        assert np.all((fv[j] >= 0) & (fv[j] <= 1))
        if u < 1e-280:
            continue
        for e, event in enumerate(ref.events):
            union = ref.probability(ref.occurred(c for c in expected if event in c))
            # a subnormal union (2.2e-311 * 1e-6) has only its absolute
            # resolution, a few times 5e-324
            assert fv[j, e] == pytest.approx(union / u, rel=1e-9, abs=1e-321 / u)
            both = ref.probability(ref.fails[name] & ref.bits[e])
            assert fv[j, e] <= both / u * (1 + 1e-9) + 1e-300


@PROPERTY
@given(dags(max_leaves=10, max_gates=8))
def test_the_union_of_all_cut_sets_is_the_journey_itself(spec):
    # the union of the minimal cut sets, as a diagram, is the journey's own
    # function: the same node of the canonical diagram
    diagram = ExactDiagram(spec.build())
    z = _bdd.Zdd(diagram.structure.n_events, 10**6)
    roots = _bdd.minimal_solutions(diagram.manager, z,
                                   np.array(diagram.roots, dtype=np.int32))
    whole = np.array([-1], dtype=np.int32)
    for root, zroot in zip(diagram.roots, roots.tolist()):
        assert _bdd.family_functions(diagram.manager, z, zroot, whole).tolist() == [root]


# --- top, cutoff, max_order -------------------------------------------------------


@st.composite
def models_and_asks(draw):
    spec, shocks = draw(models_with_shocks())
    model = build_with_shocks(spec, shocks)
    journey = draw(st.sampled_from([name for _, name in spec.journeys]))
    return model, journey, draw(st.integers(1, 12)), draw(st.integers(1, 4))


@PROPERTY
@given(models_and_asks(), st.data())
def test_top_cutoff_and_max_order_select_from_the_full_list(case, data):
    model, journey, top, max_order = case
    full = cut_sets(model, journey)
    p_full = [c.probability for c in full]

    res = cut_sets(model, journey, top=top)
    assert len(res) == min(top, full.count) and res.top == top
    assert res.count == full.count and res.truncated == (top < full.count)
    assert listed(res) <= listed(full)
    # the top k are the k most probable (ties may go either way)
    assert [c.probability for c in res] == p_full[:top]

    positive = sorted({p for p in p_full if p > 0})
    cutoff = (data.draw(st.sampled_from(positive)) if positive and data.draw(st.booleans())
              else data.draw(st.floats(1e-12, 1.0)))
    res = cut_sets(model, journey, cutoff=cutoff)
    assert listed(res) == {frozenset(c.events) for c in full if c.probability >= cutoff}
    assert res.truncated == (len(res) < full.count)

    res = cut_sets(model, journey, max_order=max_order)
    want = {frozenset(c.events) for c in full if c.order <= max_order}
    assert listed(res) == want
    diagram = ExactDiagram(model)
    j = diagram.structure.journeys.index(journey)
    assert count_cut_sets(diagram, j, max_order=max_order) == len(want)

    res = cut_sets(model, journey, top=top, cutoff=cutoff, max_order=max_order)
    want = [c for c in full if c.probability >= cutoff and c.order <= max_order]
    assert [c.probability for c in res] == [c.probability for c in want][:top]


@PROPERTY
@given(models_and_asks())
def test_the_loose_bound_past_the_table_finds_the_same_sets(case):
    # max_order with a bound table too large for memory falls back on the
    # bound without orders, and checks each path against the queue
    model, journey, top, max_order = case
    diagram = ExactDiagram(model)
    j = diagram.structure.journeys.index(journey)
    z = _bdd.Zdd(diagram.structure.n_events, 10**6)
    root = int(_bdd.minimal_solutions(diagram.manager, z,
                                      np.array([diagram.roots[j]], dtype=np.int32))[0])
    logq = np.empty(diagram.structure.n_events)
    with np.errstate(divide="ignore"):
        logq[diagram.levels] = np.log(diagram.structure.q)
    args = (z, root, logq, top, top, -np.inf, 0.0, max_order)
    table = _bdd.most_probable(*args)
    loose = _bdd.most_probable(*args, max_table=0)
    np.testing.assert_allclose(loose[2], table[2], rtol=1e-12)
    assert len(table[2]) == min(top, _bdd.count(z, root, max_order))


# --- large families: never enumerated -----------------------------------------------


def test_count_and_top_of_an_astronomical_family():
    # at least 101 of 200 events: C(200, 101) ~ 9e58 minimal cut sets
    q = [1e-3 * (1 + (7 * i) % 11) for i in range(200)]
    xs = [ss.Component(f"x{i}", unavailability=q[i]) for i in range(200)]
    model = ss.Model(ss.k_of_n(100, xs, name="quorum"))
    res = cut_sets(model, top=3)
    assert res.count == math.comb(200, 101) > 2**64
    assert res.truncated and len(res) == 3
    best = sorted(range(200), key=lambda i: -q[i])[:101]
    assert res[0].probability == pytest.approx(math.prod(q[i] for i in best), rel=1e-12)
    assert res[0].order == 101
    assert "count=8.96e+58" in repr(res)
    d = ExactDiagram(model)
    assert count_cut_sets(d, 0, max_order=101) == math.comb(200, 101)
    assert count_cut_sets(d, 0, max_order=100) == 0
    assert cut_sets(model, max_order=100).count == math.comb(200, 101)


def test_too_many_to_list_says_how_many():
    xs = [ss.Component(f"x{i}", unavailability=1e-2) for i in range(20)]
    model = ss.Model(ss.k_of_n(10, xs, name="quorum"))      # C(20, 11) = 167960
    with pytest.raises(ValueError, match=r"journey 'quorum' has 167_960 minimal cut "
                                         r"sets.*\(100_000\).*top=.*cutoff="):
        cut_sets(model)
    assert MAX_LISTED == 100_000
    assert len(cut_sets(model, top=5)) == 5
    res = cut_sets(model, max_order=10)                     # all are of order 11
    assert len(res) == 0 and res.count == 167_960 and res.truncated
    with pytest.raises(ValueError, match=r"167_960 minimal cut sets of order 11 or less"):
        cut_sets(model, max_order=11)


# --- shocks and copulas ---------------------------------------------------------------


def test_shocks_are_events_of_the_cut_sets():
    a = ss.Component("a", unavailability=1e-3)
    b = ss.Component("b", unavailability=2e-3)
    zone = ss.Shock("zone", 1e-5, members=[a, b])
    model = ss.Model(ss.parallel(a, b, name="pair"), shocks=[zone])
    res = cut_sets(model)
    assert [(c.events, c.probability) for c in res] == [
        (("zone",), 1e-5), (("a", "b"), 2e-6)]
    fv = fussell_vesely(ExactDiagram(model))
    u = res.unavailability
    assert fv[0].tolist() == pytest.approx([2e-6 / u, 2e-6 / u, 1e-5 / u], rel=1e-12)


def copula_model(loadings):
    q = {"a": 0.02, "b": 0.01, "c": 0.05, "d": 0.03, "e": 0.004}
    c = {n: ss.Component(n, unavailability=v) for n, v in q.items()}
    journey = ss.series(ss.k_of_n(2, [c["a"], c["b"], c["c"]]),
                        ss.parallel(c["d"], c["e"]), name="j")
    cop = ss.GaussianCopula("day", [c[n] for n in "abcd"], loadings=loadings)
    return ss.Model(journey, copulas=[cop]), q, dict(zip("abcd", loadings))


def factor_integral(f_of_q, q, loadings):
    """E over the factor of f at the members' conditional probabilities."""
    names = list(q)

    def integrand(f):
        x = []
        for n in names:
            if n in loadings:
                l = loadings[n]
                x.append(special.ndtr((special.ndtri(q[n]) - l * f) / math.sqrt(1 - l * l)))
            else:
                x.append(q[n])
        return f_of_q(np.array(x)) * math.exp(-f * f / 2) / math.sqrt(2 * math.pi)

    return integrate.quad_vec(integrand, -12, 12, epsrel=1e-12, epsabs=0, points=[0])[0]


@pytest.mark.parametrize("loadings", [(0.6, 0.8, 0.7, 0.5), (0.9, -0.4, 0.3, 0.8)])
def test_copula_cut_sets_have_their_joint_probabilities(loadings):
    model, q, lmap = copula_model(loadings)
    ref = Brute(model)
    res = cut_sets(model)
    assert listed(res) == ref.minimal_cut_sets("j")
    order = list(ref.events)
    for c in res:
        idx = [order.index(e) for e in c.events]
        joint = factor_integral(lambda x, idx=idx: np.prod(x[idx]), q, lmap)
        assert c.probability == pytest.approx(joint, rel=1e-8)
        if sum(e in lmap for e in c.events) >= 2:
            assert c.probability != pytest.approx(product(q, c.events), rel=1e-3)
        else:       # a member's marginal is its own
            assert c.probability == pytest.approx(product(q, c.events), rel=1e-12)
    assert [c.probability for c in res] == sorted((c.probability for c in res),
                                                  reverse=True)
    # top and cutoff choose by the product of the events' own probabilities
    by_product = sorted(res, key=lambda c: -product(q, c.events))
    assert listed(cut_sets(model, top=2)) == listed(by_product[:2])
    # Fussell-Vesely: the union of the cut sets containing each event,
    # integrated over the factor
    expected = ref.minimal_cut_sets("j")
    occ = [ref.occurred(c for c in expected if e in c) for e in order]

    def probabilities(x):
        w = ref.weights_at(x)
        return np.array([math.fsum(w[ref.fails["j"]])] + [math.fsum(w[o]) for o in occ])

    values = factor_integral(probabilities, q, lmap)
    diagram = ExactDiagram(model)
    assert res.unavailability == pytest.approx(values[0], rel=1e-8)
    np.testing.assert_allclose(fussell_vesely(diagram)[0], values[1:] / values[0],
                               rtol=1e-8)


# --- errors ----------------------------------------------------------------------------


def two_journeys():
    a = ss.Component("a", unavailability=1e-3)
    b = ss.Component("b", unavailability=1e-3)
    return ss.Model([ss.series(a, b, name="both"), ss.parallel(a, b, name="either")])


@pytest.mark.parametrize("kwargs, error, match", [
    ({"journey": "nope"}, ss.UnknownNodeError,
     "journey of cut_sets names 'nope', which is no journey of the model "
     r"\(journeys: 'both', 'either'\)"),
    ({}, ValueError, r"The 'journey' parameter of cut_sets must be one of the model's "
                     r"journeys \('both', 'either'\) when it has more than one. Got None"),
    ({"journey": 0}, TypeError, "'journey' parameter of cut_sets must be a journey name"),
    ({"journey": "both", "top": 0}, ValueError,
     r"The 'top' parameter of cut_sets must be an int in the range \[1, inf\]. Got 0"),
    ({"journey": "both", "top": 2.0}, TypeError, "'top' parameter of cut_sets"),
    ({"journey": "both", "cutoff": 0.0}, ValueError,
     r"The 'cutoff' parameter of cut_sets must be a float in the range \(0, 1\]. Got 0.0"),
    ({"journey": "both", "cutoff": 1.5}, ValueError, "'cutoff' parameter"),
    ({"journey": "both", "cutoff": float("nan")}, ValueError, "'cutoff' parameter"),
    ({"journey": "both", "cutoff": "0.1"}, TypeError, "'cutoff' parameter"),
    ({"journey": "both", "max_order": 0}, ValueError, "'max_order' parameter"),
    ({"journey": "both", "max_nodes": 1}, ValueError, "'max_nodes' parameter"),
])
def test_bad_parameters_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        cut_sets(two_journeys(), **kwargs)


def test_a_cutoff_of_one_and_zero_probability_sets():
    a = ss.Component("a", unavailability=0.0)
    b = ss.Component("b", unavailability=1.0)
    c = ss.Component("c", unavailability=0.5)
    model = ss.Model(ss.parallel(ss.series(a, b), c, name="j"))
    res = cut_sets(model)
    assert [(c.events, c.probability) for c in res] == [(("b", "c"), 0.5), (("a", "c"), 0.0)]
    assert listed(cut_sets(model, cutoff=1.0)) == set()
    assert listed(cut_sets(model, cutoff=1e-300)) == {frozenset("bc")}
    assert listed(cut_sets(model, top=2)) == listed(res)


def test_the_cut_set_diagram_has_a_budget():
    xs = [ss.Component(f"x{i}", unavailability=1e-2) for i in range(12)]
    model = ss.Model(ss.k_of_n(6, xs, name="quorum"))
    diagram = ExactDiagram(model)
    with pytest.raises(ss.DiagramTooLargeError,
                       match="minimal cut sets of journey 'quorum' reached the node "
                             "budget max_nodes=10 of their zero-suppressed diagram"):
        count_cut_sets(diagram, 0, max_nodes=10)
    assert count_cut_sets(diagram, 0) == math.comb(12, 7)       # a retry starts afresh
    with pytest.raises(ss.DiagramTooLargeError, match="Fussell-Vesely"):
        fussell_vesely(diagram, max_nodes=diagram.nodes)
    assert fussell_vesely(diagram).shape == (1, 12)


def test_engine_parameters_are_checked():
    diagram = ExactDiagram(two_journeys())
    with pytest.raises(ValueError, match=r"'journey' parameter of minimal_cut_sets must "
                                         r"be an int in the range \[0, 1\]"):
        minimal_cut_sets(diagram, 2)
    with pytest.raises(ValueError, match="'q' parameter"):
        fussell_vesely(diagram, q=[0.1])
    events, p, u = minimal_cut_sets(diagram, 1)
    assert events == [(0, 1)] and p.tolist() == [1e-6] and u == pytest.approx(1e-6)


# --- the kernel --------------------------------------------------------------------------


def test_truncate_leaves_a_diagram_as_it_was():
    xs = [ss.Component(f"x{i}", unavailability=0.1) for i in range(8)]
    diagram = ExactDiagram(ss.k_of_n(4, xs, name="quorum"))
    d = diagram.manager
    size = d.nodes
    before = [a.copy() for a in d.arrays()]
    z = _bdd.Zdd(8, 10**5)
    zroot = int(_bdd.minimal_solutions(d, z, np.array(diagram.roots, dtype=np.int32))[0])
    levels = np.arange(8, dtype=np.int32)
    first = _bdd.family_functions(d, z, zroot, levels)
    assert d.nodes > size
    d.truncate(size)
    assert d.nodes == size
    for a, b in zip(d.arrays(), before):
        np.testing.assert_array_equal(a, b)
    # the same functions again: the same (canonical) nodes
    np.testing.assert_array_equal(_bdd.family_functions(d, z, zroot, levels), first)
    with pytest.raises(ValueError):
        d.truncate(d.nodes + 1)


def test_functions_stop_at_the_budget():
    xs = [ss.Component(f"x{i}", unavailability=0.1) for i in range(8)]
    diagram = ExactDiagram(ss.k_of_n(4, xs, name="quorum"))
    d = diagram.manager
    z = _bdd.Zdd(8, 10**5)
    zroot = int(_bdd.minimal_solutions(d, z, np.array(diagram.roots, dtype=np.int32))[0])
    d.budget = d.nodes + 3
    assert len(_bdd.family_functions(d, z, zroot, np.arange(8, dtype=np.int32))) < 8


def test_a_store_that_cannot_grow_is_a_memory_error():
    xs = [ss.Component(f"x{i}", unavailability=0.1) for i in range(140)]
    diagram = ExactDiagram(ss.k_of_n(70, xs, name="quorum"))
    roots = np.array(diagram.roots, dtype=np.int32)
    assert _bdd.minimal_solutions(diagram.manager, _bdd.Zdd(140, 10**6), roots)[0] > 4096
    with pytest.raises(MemoryError, match="cut-set diagram could not grow past 4096"):
        _bdd.minimal_solutions(diagram.manager, _bdd.Zdd(140, 10**6, max_slots=4096),
                               roots)


# --- the result ----------------------------------------------------------------------------


def test_the_result_reads_well_and_round_trips():
    xs = [ss.Component(f"x{i}", unavailability=1e-3 * (i + 1)) for i in range(8)]
    res = cut_sets(ss.Model(ss.k_of_n(5, xs, name="quorum")), top=30)
    assert isinstance(res, CutSets) and isinstance(res, Sequence)
    assert isinstance(res[0], CutSet)
    assert len(res) == 30 and res.count == math.comb(8, 4) and res.truncated
    assert list(res)[:2] == list(res[:2])
    lines = repr(res).splitlines()
    assert lines[0] == (f"CutSets(journey='quorum', unavailability="
                        f"{res.unavailability:.6g}, count=70, listed=30, top=30, "
                        f"total={res.total:.6g})")
    assert lines[1].split() == ["order", "probability", "events"]
    assert lines[2].split() == ["4", f"{res[0].probability:.4g}", "x4,", "x5,", "x6,", "x7"]
    assert len(lines) == 13 and lines[-1] == "  ... 20 more"
    d = json.loads(json.dumps(res.to_dict()))
    assert d["count"] == 70 and d["truncated"] and d["top"] == 30
    assert d["cut_sets"][0] == {"events": ["x4", "x5", "x6", "x7"],
                                "probability": res[0].probability, "order": 4}
    assert d["total"] == res.total == math.fsum(c.probability for c in res)
    frame = res.to_frame()
    assert list(frame.columns) == ["events", "order", "probability"]
    assert frame.index.name == "rank" and frame.index[0] == 1
    assert frame["probability"].tolist() == [c.probability for c in res]
    with pytest.raises(AttributeError):
        res.count = 1


def test_to_frame_without_pandas(monkeypatch):
    res = cut_sets(two_journeys(), "either")
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"to_frame\(\) needs pandas"):
        res.to_frame()
    assert res.to_dict()["cut_sets"] == [{"events": ["a", "b"], "probability": 1e-6,
                                          "order": 2}]
