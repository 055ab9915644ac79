"""Variable orders of the exact engine (:mod:`slosim.engines._ordering`) and the
order search of :func:`slosim.exact`: every order gives the exact answer
(against brute-force enumeration), orders are permutations, the search
falls back to other orders past the given order's budget, and the node
budget still bounds every diagram."""

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim.engines import _exact, _modular as exact_module, _ordering, _preprocess
from slosim.model import lower

from exact_helpers import assert_close, oracle_conditionals
from strategies import build_with_shocks, dags, models_with_shocks

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NAMES = [name for name, _ in _ordering.candidates(_ordering.Graph(1, [0], [], [0]))]


def lowered_graph(model):
    """(event names, Structure, Graph) of a model."""
    s = lower(model)
    graph = _ordering.Graph(s.n_events, s.child_ptr, s.child_idx, s.outputs.tolist(),
                            n_components=s.n_components)
    return s.events, s, graph


def only(monkeypatch, which):
    """Make :func:`slosim.exact` build with candidate ``which`` alone."""
    real = _ordering.candidates

    def one(graph):
        return [c for c in real(graph) if c[0] == which]

    monkeypatch.setattr(_ordering, "candidates", one)


def fault_tree(n_events, seed):
    """A random fault tree with shared events and shared gates."""
    rng = np.random.default_rng(seed)
    events = [ss.Component(f"e{i}", unavailability=float(rng.uniform(0.01, 0.3)))
              for i in range(n_events)]
    pool = list(events) + [events[i] for i in rng.choice(n_events, n_events // 4)]
    pool = [pool[i] for i in rng.permutation(len(pool))]
    g = 0
    while len({id(x) for x in pool}) > 3:
        kids = []
        while len(kids) < 3 and pool:
            x = pool.pop(0)
            if all(x is not k for k in kids):
                kids.append(x)
            else:
                pool.append(x)
        kind = ("series", "parallel", "k_of_n")[int(rng.integers(3))]
        if kind == "series":
            gate = ss.series(*kids, name=f"g{g}")
        elif kind == "parallel":
            gate = ss.parallel(*kids, name=f"g{g}")
        else:
            gate = ss.k_of_n(min(2, len(kids)), kids, name=f"g{g}")
        g += 1
        pool.insert(int(rng.integers(len(pool) // 2, len(pool) + 1)), gate)
        if rng.random() < 0.1:
            pool.insert(int(rng.integers(0, len(pool) + 1)), gate)
    tops = list({id(x): x for x in pool}.values())
    return ss.Model(ss.Journey(ss.series(*tops, name="top"), name="top"))


def same_results(a, b, rel=1e-12):
    assert list(a) == list(b) and a.components == b.components
    for j in a:
        ra, rb = a[j], b[j]
        for field in ("availability", "unavailability"):
            x, y = getattr(ra, field), getattr(rb, field)
            assert abs(x - y) <= rel * max(abs(x), abs(y)) + 1e-300, (j, field, x, y)
        for field in ("availability_if_up", "availability_if_down",
                      "unavailability_if_up", "unavailability_if_down"):
            x, y = getattr(ra, field), getattr(rb, field)
            np.testing.assert_allclose(x, y, rtol=rel, atol=1e-300, err_msg=f"{j} {field}")


# --- the orders ------------------------------------------------------------------


@settings(PROPERTY)
@given(spec=dags(max_leaves=14))
def test_every_order_is_a_permutation_of_the_leaves(spec):
    names, s, graph = lowered_graph(spec.build())
    L = len(names)
    for name, make in _ordering.candidates(graph):
        rank = make()
        assert rank.dtype == np.int32 and rank.shape == (L,), name
        assert sorted(rank.tolist()) == list(range(L)), name


@settings(PROPERTY)
@given(spec=dags(max_leaves=14))
def test_depth_first_as_given_is_the_given_order(spec):
    """Without shocks the given order is the leaves depth-first, children as
    given (a Service's own component first): ``depth_first`` agrees."""
    names, s, graph = lowered_graph(spec.build())
    np.testing.assert_array_equal(_ordering.depth_first(graph), _ordering.given(graph))


def walk_order(model):
    """Basic events in the order Model.walk meets them, each shock just
    before the first component it hits."""
    out = []
    for node in model.walk():
        if isinstance(node, (ss.Component, ss.Service)):
            out.extend(sh.name for sh in model.shocks_of(node) if sh.name not in out)
            out.append(node.name)
    return out


@settings(PROPERTY)
@given(spec=dags(max_leaves=14))
def test_the_given_order_is_the_walk_order(spec):
    names, s, graph = lowered_graph(spec.build())
    rank = _ordering.given(graph)
    assert [names[v] for v in np.argsort(rank)] == walk_order(spec.build())


@settings(PROPERTY)
@given(case=models_with_shocks())
def test_the_given_order_puts_shocks_before_what_they_hit(case):
    model = build_with_shocks(*case)
    names, s, graph = lowered_graph(model)
    rank = _ordering.given(graph)
    assert [names[v] for v in np.argsort(rank)] == walk_order(model)


def _walk(graph, key):
    """The depth-first order by hand: children sorted by ``key`` (stable),
    unreached leaves last in index order."""
    L, order, seen = graph.n_leaves, [], set()
    for out in graph.outputs:
        stack = [out]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            if n < L:
                order.append(n)
            else:
                stack.extend(reversed(sorted(graph.kids[n - L], key=lambda c: key[c])))
    order += [v for v in range(L) if v not in seen]
    rank = np.empty(L, dtype=np.int32)
    rank[order] = np.arange(L)
    return rank


@settings(PROPERTY)
@given(spec=dags(max_leaves=14), data=st.data())
def test_depth_first_walks_children_in_key_order(spec, data):
    names, s, graph = lowered_graph(spec.build())
    key = data.draw(st.lists(st.integers(-3, 3), min_size=graph.n_nodes,
                             max_size=graph.n_nodes))
    np.testing.assert_array_equal(_ordering.depth_first(graph, key=key), _walk(graph, key))
    np.testing.assert_array_equal(_ordering.depth_first(graph, key=key.__getitem__),
                                  _walk(graph, key))


@settings(PROPERTY)
@given(spec=dags(max_leaves=14))
def test_support_sizes_count_the_leaves_below(spec):
    names, s, graph = lowered_graph(spec.build())
    L = graph.n_leaves
    below = [{v} for v in range(L)]
    for kids in graph.kids:
        below.append(set().union(*(below[c] for c in kids)))
    assert graph.support_sizes() == [len(b) for b in below]


def test_depth_first_sorts_children_stably_by_key():
    # top = series(a, parallel(b, c, d)): largest support first visits the
    # parallel gate (3 leaves) before a
    a, b, c, d = (ss.Component(n, unavailability=0.1) for n in "abcd")
    model = ss.Model(ss.Journey(ss.series(a, ss.parallel(b, c, d, name="p"), name="top")))
    names, s, graph = lowered_graph(model)
    sizes = graph.support_sizes()
    rank = _ordering.depth_first(graph, key=lambda n: -sizes[n])
    order = [names[v] for v in np.argsort(rank)]
    assert order == ["b", "c", "d", "a"]
    assert sizes[graph.outputs[0]] == 4


def _force_by_numpy(graph, start, iterations=20):
    """FORCE in numpy's bincount formulation: the kernel's oracle."""
    L, G = graph.n_leaves, graph.n_gates
    N = L + G
    if G == 0:
        return np.asarray(start, dtype=np.int32).copy()
    first = np.empty(N, dtype=np.float64)
    first[:L] = np.asarray(start, dtype=np.float64)
    for g, kids in enumerate(graph.kids):
        first[L + g] = min(first[c] for c in kids) - 0.5
    pos = np.empty(N, dtype=np.float64)
    pos[np.argsort(first, kind="stable")] = np.arange(N)
    counts = np.diff(graph.child_ptr)
    edge = np.concatenate([np.arange(G), np.repeat(np.arange(G), counts)])
    node = np.concatenate([np.arange(L, N), graph.child_idx])
    edge_size = np.bincount(edge, minlength=G).astype(np.float64)
    degree = np.bincount(node, minlength=N).astype(np.float64)
    lonely = degree == 0
    degree[lonely] = 1.0
    for _ in range(iterations):
        cog = np.bincount(edge, weights=pos[node], minlength=G) / edge_size
        new = np.bincount(node, weights=cog[edge], minlength=N) / degree
        new[lonely] = pos[lonely]
        pos[np.lexsort((pos, new))] = np.arange(N)
    rank = np.empty(L, dtype=np.int32)
    rank[np.argsort(pos[:L], kind="stable")] = np.arange(L, dtype=np.int32)
    return rank


@settings(PROPERTY)
@given(spec=dags(max_leaves=14), iterations=st.sampled_from([0, 1, 20]))
def test_force_is_the_bincount_formulation(spec, iterations):
    names, s, graph = lowered_graph(spec.build())
    start = _ordering.depth_first(graph)
    np.testing.assert_array_equal(_ordering.force(graph, start, iterations),
                                  _force_by_numpy(graph, start, iterations))


@pytest.mark.parametrize("seed", range(3))
def test_force_on_fault_trees_is_the_bincount_formulation(seed):
    s = lower(fault_tree(120, seed))
    graph = _exact._graph(s)
    for start in (_ordering.depth_first(graph), _ordering.given(graph)):
        np.testing.assert_array_equal(_ordering.force(graph, start),
                                      _force_by_numpy(graph, start))


def test_force_pulls_the_uses_of_a_shared_event_together():
    """Two groups over a shared event s, given far apart: FORCE puts s
    between them, next to the leaves it is combined with."""
    xs = [ss.Component(f"x{i}", unavailability=0.1) for i in range(6)]
    s = ss.Component("s", unavailability=0.1)
    g1 = ss.parallel(*xs[:3], s, name="g1")
    g2 = ss.parallel(s, *xs[3:], name="g2")
    model = ss.Model(ss.Journey(ss.series(g1, g2, name="top")))
    names, s, graph = lowered_graph(model)
    rank = _ordering.force(graph, _ordering.depth_first(graph))
    assert sorted(rank.tolist()) == list(range(7))
    pos = {names[v]: int(r) for v, r in enumerate(rank)}
    left = max(pos[f"x{i}"] for i in range(3))
    right = min(pos[f"x{i}"] for i in range(3, 6))
    assert left < pos["s"] < right or right < pos["s"] < left


def test_force_of_a_graph_without_gates_keeps_the_start():
    graph = _ordering.Graph(3, [0], [], [0])
    np.testing.assert_array_equal(_ordering.force(graph, np.array([2, 0, 1])), [2, 0, 1])


# --- exact answers whatever the order ------------------------------------------------


@pytest.mark.parametrize("which", NAMES)
@settings(PROPERTY)
@given(spec=dags(max_leaves=10))
def test_every_order_gives_the_enumeration(monkeypatch, which, spec):
    """Availability, unavailability and every conditional, built in order
    ``which``, equal brute-force enumeration."""
    with monkeypatch.context() as mp:
        only(mp, which)
        res = ss.exact(spec.build())
    model = spec.build()
    exact = oracle_conditionals(model, spec.build)
    for name, r in res.items():
        a, cond = exact[name]
        assert_close(r.availability, a, f"{which}: {name} availability")
        assert_close(r.unavailability, 1 - a, f"{which}: {name} unavailability")
        for i, c in enumerate(r.components):
            a_up, a_down = cond[c]
            assert_close(r.availability_if_up[i], a_up, f"{which}: {name} | {c} up")
            assert_close(r.availability_if_down[i], a_down, f"{which}: {name} | {c} down")
            assert_close(r.unavailability_if_up[i], 1 - a_up, f"{which}: {name} | {c} up, U")
            assert_close(r.unavailability_if_down[i], 1 - a_down,
                         f"{which}: {name} | {c} down, U")


@pytest.mark.parametrize("which", NAMES)
def test_every_order_agrees_on_a_fault_tree_with_shocks(monkeypatch, which):
    xs = [ss.Component(f"x{i}", unavailability=0.05 + 0.01 * i) for i in range(9)]
    zone = ss.Shock("zone", probability=0.02, members=[xs[0], xs[4], xs[8]])
    a = ss.k_of_n(2, xs[:4], name="a")
    b = ss.parallel(xs[3], xs[4], xs[5], name="b")
    c = ss.series(xs[6], ss.parallel(xs[7], xs[8], xs[0], name="c1"), name="c")
    model = ss.Model([ss.Journey(ss.series(a, b, c, name="top")),
                      ss.Journey(b, name="b-only")], shocks=[zone])
    want = ss.exact(model)
    with monkeypatch.context() as mp:
        only(mp, which)
        got = ss.exact(model)
    same_results(got, want)


# --- the search over orders -----------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_fallback_orders_give_the_same_answer(monkeypatch, seed):
    """With a first budget too small for the given order, the other orders
    are raced; whichever wins, the answer is the given order's."""
    model = fault_tree(40, seed)
    want = ss.exact(model)
    monkeypatch.setattr(exact_module, "_GIVEN_BUDGET_FACTOR", 0)
    monkeypatch.setattr(exact_module, "MIN_FIRST_BUDGET", 8)
    got = ss.exact(model)
    same_results(got, want)


def test_the_budget_bounds_every_attempt(monkeypatch):
    """Past max_nodes in every order: DiagramTooLargeError, with at most
    max_nodes nodes, from the attempt that got furthest."""
    sizes = []
    real = exact_module._attempt

    def spy(arrays, rank, n_vars, budget, resume=None, full=False):
        out = real(arrays, rank, n_vars, budget, resume, full)
        sizes.append((budget, out[0].nodes if out[0] is not None else out[1][0]))
        return out

    monkeypatch.setattr(exact_module, "_attempt", spy)
    monkeypatch.setattr(exact_module, "_GIVEN_BUDGET_FACTOR", 0)
    monkeypatch.setattr(exact_module, "MIN_FIRST_BUDGET", 8)
    xs = [ss.Component(f"x{i}", unavailability=0.1) for i in range(30)]
    model = ss.k_of_n(15, xs, name="half")
    with pytest.raises(ss.DiagramTooLargeError, match=r"max_nodes=200 \(200 nodes\) after 30 "
                       r"of 31 graph nodes over 30 components") as info:
        ss.exact(model, max_nodes=200)
    assert info.value.nodes == 200
    assert len(sizes) > 1          # the other orders were tried
    assert all(n <= b <= 200 for b, n in sizes)
    assert sizes[-1][0] == 200


@pytest.mark.parametrize("lead", [None, 2])
def test_the_leader_of_the_first_round_goes_on_alone(monkeypatch, lead):
    """Past the first round (every order at the first budget), the leader
    (:func:`_leader`: here order 2, or none) goes on alone to sixteen times
    that budget; the others then race from four times it, none ever given
    a budget below what it already had."""
    from scipy.stats import binom

    from slosim._core import _bdd
    from slosim.engines._exact import _graph

    xs = [ss.Component(f"x{i}", unavailability=0.1) for i in range(30)]
    s = lower(ss.k_of_n(15, xs, name="half"))     # over 128 nodes in any order
    graph = _graph(s)
    arrays = (exact_module.BDD_OP[np.asarray(s.gate_op, dtype=np.intp)].astype(np.int32),
              s.gate_k, s.child_ptr, s.child_idx)
    n_orders = len(_ordering.candidates(graph))
    calls = []
    real = exact_module._attempt

    def spy(arrays, rank, n_vars, budget, resume=None, full=False):
        out = real(arrays, rank, n_vars, budget, resume, full)
        calls.append((id(rank), budget, out[0] is not None))    # one rank per order
        return out

    monkeypatch.setattr(exact_module, "_attempt", spy)
    monkeypatch.setattr(exact_module, "_GIVEN_BUDGET_FACTOR", 0)
    monkeypatch.setattr(exact_module, "MIN_FIRST_BUDGET", 8)
    monkeypatch.setattr(exact_module, "_leader", lambda progress, partials: lead)
    rank, diagram, ids = exact_module.build_diagram(s.n_events, arrays, graph, 10**6)
    first_round = calls[:n_orders]
    assert all(b == 8 and not ok for _, b, ok in first_round)
    assert len({n for n, _, _ in first_round}) == n_orders
    if lead is not None:
        assert calls[n_orders][:2] == (first_round[lead][0], 16 * 8)
        rest = calls[n_orders + 1:2 * n_orders]
        assert all(b == 32 for _, b, _ in rest)
        assert first_round[lead][0] not in {n for n, _, _ in rest}
    else:
        assert all(b == 32 for _, b, _ in calls[n_orders:2 * n_orders])
    last = {}
    for name, b, _ in calls:
        assert b >= last.get(name, 0)
        last[name] = b
    assert calls[-1][2]
    up = _bdd.probabilities(diagram, np.full(30, 0.1))[0][ids[-1]]
    assert up == pytest.approx(binom.sf(14, 30, 0.9), rel=1e-12)


def _reached(diagram, roots):
    """Nodes (terminals aside) reached from roots, by hand."""
    var, lo, hi = diagram.arrays()
    seen, stack = set(), [int(r) for r in roots]
    while stack:
        n = stack.pop()
        if n >= 2 and n not in seen:
            seen.add(n)
            stack += [int(lo[n]), int(hi[n])]
    return len(seen)


def test_of_two_tied_orders_the_smaller_diagram_leads():
    """The first round's leader: the order with the most graph nodes
    built; of two tied, the one whose diagram of them reaches fewer nodes;
    with more than two tied, none (the race goes on as before)."""
    from slosim._core import _bdd
    from slosim.engines._exact import _graph

    s = lower(fault_tree(40, 3))
    graph = _graph(s)
    arrays = (exact_module.BDD_OP[np.asarray(s.gate_op, dtype=np.intp)].astype(np.int32),
              s.gate_k, s.child_ptr, s.child_idx)
    partials = {}
    for i, (_, make) in enumerate(_ordering.candidates(graph)[:3]):
        rank = np.ascontiguousarray(make(), dtype=np.int32)
        diagram, got = exact_module._attempt(arrays, rank, s.n_events, 60)
        assert diagram is None
        partials[i] = got
    live = {i: _reached(p[2][1], p[2][2][:p[1]]) for i, p in partials.items()}
    for i, p in partials.items():
        assert _bdd.reachable(p[2][1], np.ascontiguousarray(p[2][2][:p[1]])) == live[i]
    assert exact_module._leader({0: (5, 0), 1: (7, -1), 2: (6, -2)}, partials) == 1
    assert exact_module._leader({0: (7, 0), 1: (7, -1), 2: (7, -2)}, partials) is None
    two = {0: (7, 0), 1: (3, -1), 2: (7, -2)}
    want = min((0, 2), key=lambda i: (live[i], i))
    assert exact_module._leader(two, partials) == want
    # an order with no partial diagram (its attempt was elsewhere) yields
    assert exact_module._leader(two, {2: partials[2]}) == 2


def test_a_small_budget_tries_only_the_given_order(monkeypatch):
    """When max_nodes is below the first budget, the given order alone runs
    (one diagram of at most max_nodes nodes), as before the order search."""
    calls = []
    real = exact_module._attempt

    def spy(*args):
        calls.append(args[3])
        return real(*args)

    monkeypatch.setattr(exact_module, "_attempt", spy)
    xs = [ss.Component(f"x{i}", unavailability=0.1) for i in range(40)]
    with pytest.raises(ss.DiagramTooLargeError) as info:
        ss.exact(ss.k_of_n(20, xs, name="half"), max_nodes=300)
    assert calls == [300] and info.value.nodes == 300


@settings(PROPERTY, max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), first=st.sampled_from([8, 64, 512]))
def test_any_first_budget_gives_the_same_answer(monkeypatch, seed, first):
    model = fault_tree(24, seed)
    want = ss.exact(model)
    with monkeypatch.context() as mp:
        mp.setattr(exact_module, "_GIVEN_BUDGET_FACTOR", 0)
        mp.setattr(exact_module, "MIN_FIRST_BUDGET", first)
        got = ss.exact(model)
    same_results(got, want)


@pytest.mark.parametrize("which", NAMES)
def test_diagram_nodes_are_reduced_and_ordered(monkeypatch, which):
    """In every order, each internal node's children sit at deeper levels
    and differ (reduced), and no two nodes are equal (unique)."""
    model = fault_tree(30, 1)
    with monkeypatch.context() as mp:
        only(mp, which)
        s = lower(model)
        rank, diagram, ids = _exact._flat(s, _preprocess.reduce(s), 10**6)
    var, lo, hi = diagram.arrays()
    assert len(var) == diagram.nodes
    assert sorted(rank.tolist()) == list(range(len(model.components)))
    inner = np.arange(2, len(var))
    assert np.all(var[lo[inner]] > var[inner]) and np.all(var[hi[inner]] > var[inner])
    assert np.all(lo[inner] != hi[inner])
    assert len({(v, l, h) for v, l, h in zip(var[2:], lo[2:], hi[2:])}) == len(inner)
