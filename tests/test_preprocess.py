"""Preprocessing never changes an answer; modules, bounds, big models.

:func:`slosim.exact` preprocesses the lowered graph (single-child and
constant gates, coalescing) and, when one diagram of the whole model would
be large, cuts it at its modules (``engines/_preprocess.py``,
``engines/_modular.py``). Here, on random fault trees with AND, OR, k-of-n
and NOT gates and shared events (and shocks, common-cause groups and a
copula), the exact results with preprocessing off, on, and cut into as many
modules as possible agree to 1e-12, and with brute-force enumeration; the
module finder agrees with the definition; and a model too large for the
node budget gets bounds that hold, or none when its logic is not coherent.
"""

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest
from test_ordering import same_results

import slosim as ss
from slosim.engines import _exact, _modular, _preprocess
from slosim.model import lower

from oracle import unavailability as brute_force

PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                     HealthCheck.function_scoped_fixture])


@pytest.fixture
def modules_always(monkeypatch):
    """Make exact cut every model at every module, however small."""
    monkeypatch.setattr(_exact, "_FLAT_FIRST", False)
    monkeypatch.setattr(_modular, "MIN_MODULE_EVENTS", 1)


def _with_modules(fn):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_exact, "_FLAT_FIRST", False)
        mp.setattr(_modular, "MIN_MODULE_EVENTS", 1)
        return fn()


@st.composite
def fault_trees(draw, max_events=12, negation=True):
    """A random fault tree: nested AND / OR / k-of-n gates (and NOT) over
    events, some events shared between subtrees, some gates shared, up to
    three journeys. Returns ``(model, n_events)``."""
    q = st.sampled_from([0.0, 1.0, 1e-9, 1e-4, 0.01, 0.1, 0.3, 0.5, 0.9, 1 - 1e-7])
    n = draw(st.integers(2, max_events))
    events = [ss.Component(f"e{i}", unavailability=draw(q)) for i in range(n)]
    made = []
    fresh = iter(range(n))

    def gate(depth):
        width = draw(st.integers(1, 4))
        kids = []
        for _ in range(width):
            pick = draw(st.integers(0, 9))
            if pick < 4 and depth < 3:
                kids.append(gate(depth + 1))
            elif pick < 6 or not made:
                i = next(fresh, None)
                kids.append(events[i] if i is not None else
                            events[draw(st.integers(0, n - 1))])
            elif pick < 8:
                kids.append(events[draw(st.integers(0, n - 1))])   # shared event
            else:
                kids.append(made[draw(st.integers(0, len(made) - 1))])   # shared gate
        kind = draw(st.sampled_from(["series", "parallel", "k_of_n"]))
        if kind == "series":
            g = ss.series(*kids)
        elif kind == "parallel":
            g = ss.parallel(*kids)
        else:
            g = ss.k_of_n(draw(st.integers(1, len(kids))), kids)
        if negation and draw(st.integers(0, 5)) == 0:
            g = ss.negate(g)
        made.append(g)
        return g

    top = gate(0)
    rest = [e for e in events if not _reaches(top, e)]
    if rest:
        top = ss.series(top, ss.parallel(*rest))
    journeys = [ss.Journey(top, name="top")]
    for j in range(draw(st.integers(0, 2))):
        journeys.append(ss.Journey(made[draw(st.integers(0, len(made) - 1))],
                                   name=f"j{j}"))
    return ss.Model(journeys), n


@st.composite
def distributive_trees(draw):
    """A random graph rich in distributive structure: series and parallel
    gates over gates of the other kind, all over a few events (so that
    siblings share children), with some k-of-n gates and negations."""
    n = draw(st.integers(2, 7))
    events = [ss.Component(f"e{i}", unavailability=0.1 + 0.1 * i) for i in range(n)]
    pool = list(events)

    def gate(kind, depth):
        kids = []
        for _ in range(draw(st.integers(2, 4))):
            if depth < 2 and draw(st.booleans()):
                kids.append(gate("parallel" if kind == "series" else "series", depth + 1))
            else:
                kids.append(pool[draw(st.integers(0, len(pool) - 1))])
        if draw(st.integers(0, 5)) == 0:
            g = ss.k_of_n(draw(st.integers(1, len(kids))), kids)
        else:
            g = getattr(ss, kind)(*kids)
        if draw(st.integers(0, 7)) == 0:
            g = ss.negate(g)
        pool.append(g)
        return g

    tops = [gate(draw(st.sampled_from(["series", "parallel"])), 0)
            for _ in range(draw(st.integers(1, 2)))]
    return ss.Model([ss.Journey(t, name=f"j{i}") for i, t in enumerate(tops)])


def _reaches(node, target):
    stack, seen = [node], set()
    while stack:
        x = stack.pop()
        if x is target:
            return True
        if id(x) in seen:
            continue
        seen.add(id(x))
        stack.extend(getattr(x, "children", ()))
    return False


@settings(PROPERTY, max_examples=150)
@given(tree=fault_trees())
def test_preprocessing_never_changes_an_answer(tree):
    """Off, on (one diagram) and cut at every module: identical to 1e-12,
    conditionals included; and equal to brute-force enumeration."""
    model, _ = tree
    off = ss.exact(model, _preprocess=False)
    same_results(ss.exact(model), off)
    same_results(_with_modules(lambda: ss.exact(model)), off)
    want = brute_force(model)
    for j, u in want.items():
        assert abs(off[j].unavailability - u) <= 1e-12 * u + 1e-300, (j, u)


@settings(PROPERTY, max_examples=80)
@given(tree=st.one_of(fault_trees(), distributive_trees().map(lambda m: (m, None))),
       share=st.sampled_from([0.0, 0.5, 1.01]))
def test_past_the_quick_attempt_either_way_is_exact(tree, share):
    """The quick first attempt overflows; then modules, or one diagram when
    a part would hold over ``share`` of the events: the same answers."""
    model, _ = tree
    off = ss.exact(model, _preprocess=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_modular, "MIN_FIRST_BUDGET", 3)
        mp.setattr(_exact, "_QUICK_BUDGET_FACTOR", 0)
        mp.setattr(_modular, "MIN_MODULE_EVENTS", 1)
        mp.setattr(_exact, "_MODULES_MAX_SHARE", share)
        same_results(ss.exact(model), off)


@pytest.mark.parametrize("share, modules", [(0.0, False), (1.01, True)])
def test_a_short_first_attempt_gives_way_to_modules_or_goes_on(monkeypatch, share, modules):
    """A graph of ``_QUICK_SHORT_SIZE`` or more first gets a short attempt;
    past it, its modules when it has some worth cutting, else the same
    attempt goes on (from where it stopped) to the full quick budget."""
    model = _wide(n_modules=3, width=6)
    want = ss.exact(model, _preprocess=False)
    calls, cut = [], []
    real_flat, real_build = _exact._flat, _modular.ModularDiagram.build
    monkeypatch.setattr(_exact, "_flat", lambda *a, **k: calls.append(k) or real_flat(*a, **k))
    monkeypatch.setattr(_modular.ModularDiagram, "build",
                        lambda self: cut.append(self) or real_build(self))
    monkeypatch.setattr(_exact, "_QUICK_SHORT_SIZE", 0)
    monkeypatch.setattr(_exact, "_QUICK_SHORT_FACTOR", 0)       # it stops at once
    monkeypatch.setattr(_exact, "_MODULES_MAX_SHARE", share)
    same_results(ss.exact(model), want)
    assert bool(cut) is modules
    assert calls[0]["quick"] == 0 and calls[0].get("resume") is None
    if modules:
        assert len(calls) == 1
    else:
        assert calls[1]["quick"] >= _modular.MIN_FIRST_BUDGET
        assert calls[1]["resume"] is not None


@settings(PROPERTY, max_examples=80)
@given(tree=st.one_of(fault_trees(), distributive_trees().map(lambda m: (m, None))))
def test_one_diagram_of_the_optimised_graph_is_exact(tree):
    """When the rewriting removed enough of the graph, the quick attempt
    builds one diagram of the rewritten graph (optimised, distributed,
    optimised again) in its own order: the same answers, and the rewritten
    graph is the one built."""
    model, _ = tree
    off = ss.exact(model, _preprocess=False)
    firsts = []
    real = _exact._flat
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_exact, "_OPTIMIZED_FIRST", -np.inf)     # always
        mp.setattr(_exact, "_flat", lambda s, r, *a, **k: firsts.append(r) or real(s, r, *a, **k))
        same_results(ss.exact(model), off)
    R = _preprocess.reduce(lower(model), coalesce=False)
    O = _preprocess.optimize(R)
    D = _preprocess.distribute(O)
    if D is not O:
        O = _preprocess.optimize(D)    # distributed (its edges under "always")
    assert firsts[0].kids == O.kids and firsts[0].outputs == O.outputs


@pytest.mark.parametrize("share, modules", [(0.0, False), (1.01, True)])
def test_a_part_of_most_of_the_model_is_built_as_one_diagram(monkeypatch, share, modules):
    """Past the quick attempt, modules are cut only when no part holds
    ``_MODULES_MAX_SHARE`` of the events or more."""
    model = _wide(n_modules=3, width=6)
    built = []
    real = _modular.ModularDiagram.build
    monkeypatch.setattr(_modular.ModularDiagram, "build",
                        lambda self: built.append(self.largest_share) or real(self))
    monkeypatch.setattr(_modular, "MIN_FIRST_BUDGET", 3)
    monkeypatch.setattr(_exact, "_QUICK_BUDGET_FACTOR", 0)
    monkeypatch.setattr(_exact, "_MODULES_MAX_SHARE", share)
    same_results(ss.exact(model), ss.exact(model, _preprocess=False))
    assert bool(built) is modules
    if modules:
        assert 0.0 < built[0] < 1.0


@settings(PROPERTY, max_examples=40)
@given(tree=fault_trees(negation=False), data=st.data())
def test_modules_keep_shocks_exact(tree, data):
    """Shocks are more events: modules that share a shock's members merge."""
    model, n = tree
    comps = list(model.components.values())
    shocks = []
    for s in range(data.draw(st.integers(1, 3))):
        members = data.draw(st.lists(st.sampled_from(comps), min_size=1, max_size=3,
                                     unique_by=id))
        shocks.append(ss.Shock(f"s{s}", data.draw(st.sampled_from([1e-3, 0.1, 0.5])),
                               members=members))
    shocked = ss.Model(model.journeys, shocks=shocks)
    off = ss.exact(shocked, _preprocess=False)
    same_results(_with_modules(lambda: ss.exact(shocked)), off)
    same_results(ss.exact(shocked), off)


def _pumps_and_valves(**ccf):
    pumps = [ss.Component(f"pump-{i}", unavailability=1e-3) for i in range(3)]
    valves = [ss.Component(f"valve-{i}", unavailability=2e-3) for i in range(3)]
    trains = [ss.series(p, v, name=f"train-{i}")
              for i, (p, v) in enumerate(zip(pumps, valves))]
    system = ss.k_of_n(2, trains, name="system")
    other = ss.parallel(*[ss.Component(f"x{i}", unavailability=0.01) for i in range(4)],
                        name="other")
    top = ss.series(system, other, name="top")
    return ss.Model(ss.Journey(top, name="top"), **ccf), pumps


def test_modules_keep_shocks_and_copulas_exact(modules_always):
    """A one-factor copula couples its members through the factor; given
    the factor, the modules are independent, and the factor is integrated
    over the cut model as over the whole."""
    model, pumps = _pumps_and_valves()
    zone = ss.Shock("zone", 1e-3, members=pumps[:2])
    cop = ss.GaussianCopula("day", pumps, loadings=[0.5, 0.6, 0.7])
    for m in (model, ss.Model(model.journeys, shocks=[zone]),
              ss.Model(model.journeys, copulas=[cop])):
        same_results(ss.exact(m), ss.exact(m, _preprocess=False), rel=1e-10)


def test_a_module_orders_its_shocks_as_shocks(monkeypatch):
    """A part's local leaves are its components, its sub-modules, then its
    shocks; its orders treat those last as shocks (each just before what
    it hits), so the part's graph counts the others as components."""
    monkeypatch.setattr(_modular, "MIN_MODULE_EVENTS", 1)
    model, pumps = _pumps_and_valves()
    s = lower(ss.Model(model.journeys, shocks=[ss.Shock("zone", 1e-3, members=pumps[:2])]))
    R = _preprocess.group_leaves(_preprocess.reduce(s, coalesce=False))
    md = _modular.ModularDiagram(s, R, _modular.choose_modules(R, _preprocess.find_modules(R)),
                                 10**6)
    C = s.n_components
    mixed = 0
    for p in map(md._part, range(md.n_parts)):
        shocks = int(np.count_nonzero(p.events >= C))
        assert md._n_comp_leaves(p, C) == p.n_leaves - shocks
        mixed += bool(shocks and p.subs)
    assert mixed        # a part with both sub-modules and shocks


def test_ccf_models_of_the_openpsa_tests(modules_always):
    """SCRAM's CCF test models and the non-coherent one: the same numbers
    cut into modules as in one diagram."""
    from pathlib import Path

    from slosim.io import read_openpsa

    data = Path(__file__).parent / "data" / "openpsa"
    files = sorted(data.glob("ccf-trains-*.xml")) + sorted(data.glob("not*.xml"))
    assert files
    for path in files:
        model = read_openpsa(path)
        same_results(ss.exact(model), ss.exact(model, _preprocess=False), rel=1e-10)


# --- the module finder ---------------------------------------------------------


def _modules_by_definition(R):
    """Gates no path from outside reaches below: every parent of every node
    below the gate is the gate or below it (an output counts as reached
    from outside)."""
    L = R.n_leaves
    parents = {}
    for g, kids in enumerate(R.kids):
        for c in kids:
            parents.setdefault(c, set()).add(L + g)
    for o in R.outputs:
        parents.setdefault(o, set()).add(-1)
    out = []
    for g in range(len(R.kids)):
        below, stack = set(), list(R.kids[g])
        while stack:
            x = stack.pop()
            if x in below:
                continue
            below.add(x)
            if x >= L:
                stack.extend(R.kids[x - L])
        inside = below | {L + g}
        reached = any(_reach(R, o, L + g) for o in R.outputs)
        out.append(reached and all(parents.get(d, set()) <= inside for d in below))
    return out


def _reach(R, start, target):
    L, stack, seen = R.n_leaves, [start], set()
    while stack:
        x = stack.pop()
        if x == target:
            return True
        if x in seen or x < L:
            continue
        seen.add(x)
        stack.extend(R.kids[x - L])
    return False


@settings(PROPERTY, max_examples=150)
@given(tree=fault_trees())
def test_modules_are_the_definitions(tree):
    model, _ = tree
    R = _preprocess.reduce(lower(model))
    assert _preprocess.find_modules(R) == _modules_by_definition(R)
    G = _preprocess.group_leaves(R)
    assert _preprocess.find_modules(G) == _modules_by_definition(G)


def test_single_use_events_are_grouped():
    e = [ss.Component(f"e{i}", unavailability=0.1) for i in range(5)]
    shared = e[4]
    top = ss.parallel(ss.series(e[0], e[1], shared), ss.series(e[2], e[3], shared),
                      name="top")
    s = lower(top)
    G = _preprocess.group_leaves(_preprocess.reduce(s))
    names = list(s.events) + [f"gate{g}" for g in range(G.n_gates)]
    gates = [(op, sorted(names[c] for c in k)) for op, k in zip(G.ops, G.kids)]
    assert gates[0] == (0, ["e0", "e1"]) and gates[2] == (0, ["e2", "e3"])
    assert all(_preprocess.find_modules(G)[g] for g in (0, 2))


def _evaluate(R, up):
    """Each output of the Reduced graph ``R`` with leaves ``up`` (bools)."""
    from slosim.model import K_OF_N, NOT, PARALLEL, SERIES

    val = list(up)
    for op, k, kids in zip(R.ops, R.ks, R.kids):
        n_up = sum(val[c] for c in kids)
        val.append(not val[kids[0]] if op == NOT else
                   n_up == len(kids) if op == SERIES else
                   n_up >= 1 if op == PARALLEL else n_up >= k)
        assert op in (SERIES, PARALLEL, K_OF_N, NOT)
    return [val[o] for o in R.outputs]


def _well_formed(R):
    """Gates list earlier nodes; series and parallel gates each child once
    (at least two), and need all of them or one."""
    from slosim.model import PARALLEL, SERIES

    for g, (op, k, kids) in enumerate(zip(R.ops, R.ks, R.kids)):
        assert all(0 <= c < R.n_leaves + g for c in kids)
        if op in (SERIES, PARALLEL):
            assert len(set(kids)) == len(kids) >= 2
            assert k == (len(kids) if op == SERIES else 1)


def _same_functions(O, R):
    """Every output of ``O`` equals ``R``'s for every state of the events."""
    import itertools

    for up in itertools.product((False, True), repeat=R.n_leaves):
        assert _evaluate(O, up) == _evaluate(R, up), up


@pytest.mark.parametrize("decompose", [True, False])
@settings(PROPERTY, max_examples=200)
@given(tree=fault_trees(max_events=9))
def test_boolean_optimisation_keeps_every_function(tree, decompose):
    """Every output of the optimised graph equals the original's for every
    state of the events, and the graph is no larger."""
    model, _ = tree
    R = _preprocess.reduce(lower(model), coalesce=False)
    O = _preprocess.optimize(R, decompose=decompose)
    assert sum(map(len, O.kids)) <= sum(map(len, R.kids))
    _same_functions(O, R)


@pytest.mark.parametrize("outer, inner", [(ss.series, ss.parallel), (ss.parallel, ss.series)])
def test_boolean_optimisation_absorbs(outer, inner):
    """x and (x or y) = x, x or (x and y) = x: y drops out, and a gate of
    many such uses keeps only what matters."""
    x, y, z = (ss.Component(n, unavailability=0.1) for n in "xyz")
    R = _preprocess.reduce(lower(ss.Model(ss.Journey(outer(x, inner(x, y)), name="t"))))
    O = _preprocess.optimize(R)
    assert O.outputs == [0] and O.ops == []          # the journey is x itself
    # z, x or y, x, x or z: only x and z matter
    s = lower(ss.Model(ss.Journey(outer(z, inner(x, y), outer(x, inner(x, z))), name="t")))
    O = _preprocess.optimize(_preprocess.reduce(s))
    used = {s.events[c] for kids in O.kids for c in kids if c < O.n_leaves}
    assert used == {"x", "z"} and len(O.ops) == 1
    assert O.ops[0] == lower(outer(x, z, name="xz")).gate_op[0]


def test_boolean_optimisation_moves_a_deciding_event_up():
    """top = (x or a or (b and c)) or (x or d or e): x up brings the top up
    through either side, so x moves to the top gate and each side, without
    x, is a module of its own (neither was one before)."""
    x, a, b, c, d, e = (ss.Component(n, unavailability=0.1) for n in "xabcde")
    left = ss.parallel(x, a, ss.series(b, c), name="left")
    right = ss.parallel(x, d, e, name="right")
    s = lower(ss.Model(ss.Journey(ss.parallel(left, right, name="top"), name="t")))
    R = _preprocess.reduce(s, coalesce=False)
    names = list(s.events)
    sides = [g for g, kids in enumerate(R.kids) if names.index("x") in kids]
    assert len(sides) == 2 and not any(_preprocess.find_modules(R)[g] for g in sides)
    O = _preprocess.optimize(R)
    top = O.outputs[0] - O.n_leaves
    assert [names[c] for c in O.kids[top] if c < O.n_leaves] == ["x"]
    sides = [c - O.n_leaves for c in O.kids[top] if c >= O.n_leaves]
    assert len(sides) == 2 and all(_preprocess.find_modules(O)[g] for g in sides)
    below = {names[c] for g in range(top) for c in O.kids[g] if c < O.n_leaves}
    assert below == set("abcde")
    _same_functions(O, R)


@settings(PROPERTY, max_examples=300)
@given(model=distributive_trees(), optimized=st.booleans())
def test_distributivity_keeps_every_function(model, optimized):
    """Every output of the distributed graph equals the original's for
    every state of the events; gates list earlier nodes, series and
    parallel gates each child once, with the right number needed."""
    R = _preprocess.reduce(lower(model), coalesce=False)
    R = _preprocess.optimize(R) if optimized else R
    D = _preprocess.distribute(R)
    _same_functions(D, R)
    _well_formed(D)


@pytest.mark.parametrize("outer, inner", [(ss.parallel, ss.series), (ss.series, ss.parallel)])
def test_distributivity_takes_a_shared_event_out(outer, inner):
    """(x and a) or (x and b and c) or d is (x and (a or (b and c))) or d:
    x has one use, and what was left of the two gates is a module, which
    it was not before (x was shared). Nothing to distribute: the graph
    itself."""
    x, a, b, c, d = (ss.Component(n, unavailability=0.1) for n in "xabcd")
    s = lower(ss.Model(ss.Journey(outer(inner(x, a), inner(x, b, c), d), name="t")))
    R = _preprocess.reduce(s, coalesce=False)
    D = _preprocess.distribute(R)
    names = list(s.events)
    uses = [c for kids in D.kids for c in kids if c < D.n_leaves]
    assert sorted(names[c] for c in uses) == sorted("xabcd")
    top = D.outputs[0] - D.n_leaves
    assert [names[c] for c in D.kids[top] if c < D.n_leaves] == ["d"]
    (shared,) = [c - D.n_leaves for c in D.kids[top] if c >= D.n_leaves]
    assert D.ops[shared] != D.ops[top] and names.index("x") in D.kids[shared]
    (rest,) = [c - D.n_leaves for c in D.kids[shared] if c >= D.n_leaves]
    assert D.ops[rest] == D.ops[top] and _preprocess.find_modules(D)[rest]
    assert not any(_preprocess.find_modules(R)[g] for g in range(R.n_gates)
                   if names.index("x") in R.kids[g])
    _same_functions(D, R)
    plain = lower(ss.Model(ss.Journey(outer(inner(x, a), inner(b, c), d), name="t")))
    R = _preprocess.reduce(plain, coalesce=False)
    assert _preprocess.distribute(R) is R


@settings(PROPERTY, max_examples=300)
@given(model=st.one_of(distributive_trees(), fault_trees(max_events=9).map(lambda t: t[0])),
       optimized=st.booleans())
def test_merging_common_children_keeps_every_function(model, optimized):
    """Every output of the merged graph equals the original's for every
    state of the events; gates list earlier nodes, series and parallel
    gates each child once (at least two), with the right number needed."""
    R = _preprocess.reduce(lower(model), coalesce=False)
    R = _preprocess.optimize(R, decompose=False) if optimized else R
    M = _preprocess.merge_common(R)
    _same_functions(M, R)
    _well_formed(M)


@pytest.mark.parametrize("kind", [ss.series, ss.parallel])
def test_merging_common_children_makes_a_module(kind):
    """(a, b, c) and (a, b, d) of one kind share a and b, which nothing
    else uses: they become one gate (a, b) under both, a module; a gate
    that is nothing but the shared children becomes the new gate."""
    a, b, c, d, e = (ss.Component(n, unavailability=0.1) for n in "abcde")
    top = ss.Journey(ss.k_of_n(2, [kind(a, b, c), kind(b, d, a), kind(a, b), e]), name="t")
    s = lower(ss.Model(top))
    R = _preprocess.reduce(s, coalesce=False)
    M = _preprocess.merge_common(R)
    names = list(s.events)
    (ab,) = [g for g, kids in enumerate(M.kids)
             if sorted(names[x] if x < M.n_leaves else "" for x in kids) == ["a", "b"]]
    users = [g for g, kids in enumerate(M.kids) if M.n_leaves + ab in kids]
    assert len(users) == 3      # the other two gates and the top, once each
    assert sum(names.index("a") in kids for kids in M.kids) == 1
    assert _preprocess.find_modules(M)[ab]
    _same_functions(M, R)
    assert _preprocess.merge_common(M) is M          # nothing left to merge


def test_boolean_optimisation_leaves_a_constant_output_alone():
    """x and not x is constant: the graph is returned unchanged (a journey
    keeps a diagram of its own)."""
    x = ss.Component("x", unavailability=0.1)
    R = _preprocess.reduce(lower(ss.Model([ss.Journey(ss.series(x, ss.negate(x)), name="t"),
                                            ss.Journey(ss.parallel(x, ss.negate(x)), name="u")])))
    assert _preprocess.optimize(R) is R
    res = ss.exact(ss.Model([ss.Journey(ss.series(x, ss.negate(x)), name="t")]))
    assert res["t"].availability == 0.0


def test_coalescing_flattens_single_parent_gates():
    e = [ss.Component(f"e{i}", unavailability=0.1) for i in range(6)]
    inner = ss.series(e[0], e[1])
    shared = ss.parallel(e[2], e[3])
    top = ss.series(inner, ss.series(e[4], shared), ss.parallel(shared, e[5]),
                    ss.negate(ss.negate(e[5])), name="top")
    s = lower(top)
    R = _preprocess.reduce(s)
    names = list(s.events) + ["shared", "other"]
    ops = [(op, sorted(names[c] for c in k)) for op, k in zip(R.ops, R.kids)]
    # the shared parallel gate stays a gate of its own; the nested series
    # gates and the double negation are gone
    assert ops == [(1, ["e2", "e3"]), (1, ["e5", "shared"]),
                   (0, ["e0", "e1", "e4", "e5", "other", "shared"])]


# --- big models: bounds --------------------------------------------------------


def _wide(n_modules=6, width=12, negation=False, seed=3):
    """Modules of k-of-n gates over shared events, in series: each too large
    for a tiny budget, all independent of each other."""
    rng = np.random.default_rng(seed)
    mods = []
    for m in range(n_modules):
        ev = [ss.Component(f"m{m}-{i}", unavailability=float(rng.uniform(1e-3, 0.05)))
              for i in range(width)]
        gates = [ss.k_of_n(3, [ev[(i + j) % width] for j in range(5)])
                 for i in range(0, width, 2)]
        g = ss.k_of_n(len(gates) - 1, gates, name=f"module-{m}")
        mods.append(ss.negate(g) if negation and m == 0 else g)
    return ss.Model(ss.Journey(ss.series(*mods, name="top"), name="top"))


def test_a_model_too_large_gets_bounds_that_hold():
    model = _wide()
    res = ss.exact(model)
    with pytest.raises(ss.DiagramTooLargeError, match="bounds on the unavailability") as info:
        ss.exact(model, max_nodes=1500)
    lo, hi = info.value.bounds["top"]
    u = res["top"].unavailability
    assert 0.0 <= lo <= u <= hi <= 1.0 and hi < 1.0
    assert "diagrams of the model's modules were built exactly" in str(info.value)


@pytest.mark.parametrize("modules", [False, True])
def test_bounds_after_a_long_race_hold(monkeypatch, modules):
    """Many rounds of the order race, then bounds from the furthest
    attempt's partial diagram: the exact answer lies within them."""
    model = _wide(n_modules=2, width=14)
    u = ss.exact(model)["top"].unavailability
    monkeypatch.setattr(_modular, "_GIVEN_BUDGET_FACTOR", 0)
    monkeypatch.setattr(_modular, "MIN_FIRST_BUDGET", 8)
    if modules:
        monkeypatch.setattr(_exact, "_FLAT_FIRST", False)
    else:
        monkeypatch.setattr(_modular, "MIN_MODULE_EVENTS", 10**6)
    for budget in (50, 200, 700, 2000):
        try:
            ss.exact(model, max_nodes=budget)
        except ss.DiagramTooLargeError as exc:
            lo, hi = exc.bounds["top"]
            assert lo * (1 - 1e-12) <= u <= hi * (1 + 1e-12), (budget, lo, u, hi)


def test_a_non_coherent_model_too_large_gets_no_bounds():
    model = _wide(negation=True)
    ss.exact(model)
    with pytest.raises(ss.DiagramTooLargeError, match="no bounds: the logic is not "
                       "coherent") as info:
        ss.exact(model, max_nodes=1500)
    assert info.value.bounds is None


def test_the_error_pickles_with_its_bounds():
    import pickle

    err = ss.DiagramTooLargeError("too large", 10, bounds={"top": (0.1, 0.2)})
    back = pickle.loads(pickle.dumps(err))
    assert back.bounds == {"top": (0.1, 0.2)} and back.nodes == 10


@settings(PROPERTY, max_examples=60)
@given(tree=fault_trees(negation=False), budget=st.integers(4, 60),
       modules=st.booleans())
def test_bounds_hold_for_any_budget(tree, budget, modules):
    """Whatever did not fit (one diagram, or modules), the exact
    unavailability lies within the bounds."""
    model, _ = tree
    want = ss.exact(model, _preprocess=False)

    def solve():
        try:
            return ss.exact(model, max_nodes=budget)
        except ss.DiagramTooLargeError as exc:
            return exc

    got = _with_modules(solve) if modules else solve()
    if isinstance(got, ss.DiagramTooLargeError):
        if got.bounds is None:
            return
        for j, (lo, hi) in got.bounds.items():
            u = want[j].unavailability
            assert lo * (1 - 1e-12) <= u <= hi * (1 + 1e-12) + 1e-300, (j, lo, u, hi)
    else:
        same_results(got, want)
