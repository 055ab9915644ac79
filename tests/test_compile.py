"""Tests of slosim.compile: lowering a Model to a Program.

Constant folding, gate normalisation, the choice of k-of-n evaluation, block
size and leaf sampler, constant journeys, read-only and deterministic arrays,
and the Program's logic equal to the model's on every leaf state.
"""

from fractions import Fraction
import itertools
import math

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim._core import _kernels as K
from slosim.engines import CONST_DOWN, CONST_UP, Program, compile_model

from model_numbers import unavailabilities
from reference import _evaluate_gates

ARRAYS = ["leaf_q", "leaf_method", "leaf_lam", "leaf_qbits", "gate_op", "gate_param",
          "child_ptr", "child_idx", "outputs"]
DTYPES = dict(leaf_q=np.float64, leaf_method=np.int8, leaf_lam=np.float64,
              leaf_qbits=np.uint64, gate_op=np.int8, gate_param=np.int64,
              child_ptr=np.int64, child_idx=np.int64, outputs=np.int64)
BUFFER_WORDS = 1 << 17  # the documented 1 MiB of uint64


def comp(name, q=1e-3):
    return ss.Component(name, unavailability=q)


def program(*journeys, **kw):
    return compile_model(ss.Model(list(journeys), **kw))


def gates(p):
    """[(op, param, [child names or gate numbers])] of a program."""
    out = []
    for g in range(p.n_gates):
        kids = p.child_idx[p.child_ptr[g]:p.child_ptr[g + 1]].tolist()
        names = [p.leaf_names[c] if c < p.n_leaves else f"gate{c - p.n_leaves}"
                 for c in kids]
        out.append((int(p.gate_op[g]), int(p.gate_param[g]), names))
    return out


# --- constant folding ---------------------------------------------------------------

def test_always_up_leaf_is_not_sampled():
    p = program(ss.series(comp("up", 0), comp("b", 0.1), name="j"))
    assert p.leaf_names == ("b",)
    assert p.n_gates == 0
    assert p.outputs.tolist() == [0]           # series(up, b) is b
    assert p.constants == {"up": CONST_UP}


def test_series_with_a_down_child_is_down():
    p = program(ss.series(comp("down", 1), comp("b", 0.1), comp("c"), name="j"))
    assert p.outputs.tolist() == [CONST_DOWN]
    assert p.n_leaves == 0 and p.n_gates == 0
    assert p.constants == {"down": CONST_DOWN}


def test_parallel_with_constants():
    assert program(ss.parallel(comp("up", 0), comp("b"), name="j")).outputs.tolist() \
        == [CONST_UP]
    p = program(ss.parallel(comp("down", 1), comp("b"), comp("c"), name="j"))
    assert gates(p) == [(K.OP_ALL, 0, ["b", "c"])]
    assert p.outputs.tolist() == [2]
    p = program(ss.parallel(comp("d1", 1), comp("d2", 1), name="j"))
    assert p.outputs.tolist() == [CONST_DOWN]


@pytest.mark.parametrize("k, qs, expect", [
    # k of [constants..., live b, c, d]: c constants up need k - c more
    (2, [0], (K.OP_ALL, 0)),             # 1 more of 3: parallel
    (3, [0], (K.OP_ATLEAST_DOWN, 2)),    # 2 of 3 up = down when 2 of 3 down
    (4, [0], (K.OP_ANY, 0)),             # 3 of 3: series
    (2, [1], (K.OP_ATLEAST_DOWN, 2)),    # 2 of 3 (a down child only shrinks n)
    (3, [1], (K.OP_ANY, 0)),             # 3 of 3
    (2, [0, 1], (K.OP_ALL, 0)),          # 1 of 3
    (3, [0, 0, 1], (K.OP_ALL, 0)),       # 1 of 3
])
def test_k_of_n_with_constant_children(k, qs, expect):
    consts = [comp(f"k{i}", q) for i, q in enumerate(qs)]
    p = program(ss.k_of_n(k, consts + [comp("b"), comp("c"), comp("d")], name="j"))
    assert gates(p) == [(*expect, ["b", "c", "d"])]


@pytest.mark.parametrize("k, qs, out", [
    (4, [1], CONST_DOWN),      # 4 of 4 with one down
    (3, [1, 1], CONST_DOWN),   # 3 of 4 with two down
    (2, [0, 0], CONST_UP),     # 2 of 4 with two up
    (1, [0], CONST_UP),
])
def test_k_of_n_folding_to_a_constant(k, qs, out):
    consts = [comp(f"k{i}", q) for i, q in enumerate(qs)]
    kids = consts + [comp(f"x{i}") for i in range(4 - len(qs))]
    p = program(ss.k_of_n(k, kids, name="j"))
    assert p.outputs.tolist() == [out]
    assert p.n_leaves == 0


def test_k_of_n_with_one_live_child_is_that_child():
    p = program(ss.k_of_n(2, [comp("up", 0), comp("b"), comp("down", 1)], name="j"))
    assert p.n_gates == 0 and p.leaf_names == ("b",) and p.outputs.tolist() == [0]


def test_folding_propagates_upwards():
    inner = ss.parallel(comp("d1", 1), comp("d2", 1), name="inner")  # down
    p = program(ss.series(inner, comp("b"), name="j"),
                ss.parallel(inner, comp("c", 0.2), name="k"))
    assert p.outputs.tolist() == [CONST_DOWN, 0]
    assert p.leaf_names == ("c",)   # b is reached only through a down series


def test_service_with_constant_own_part():
    db = comp("db", 2e-3)
    p = program(ss.Service("web", availability=1, requires=[db]))
    assert p.leaf_names == ("db",) and p.outputs.tolist() == [0]
    assert p.constants == {"web": CONST_UP}
    p = program(ss.Service("web", availability=0, requires=[db]))
    assert p.outputs.tolist() == [CONST_DOWN]


def test_constant_journeys_and_live_ones():
    up, down = comp("up", 0), comp("down", 1)
    live = ss.series(comp("a"), comp("b"), name="live")
    p = program(up, live, down)
    assert p.journey_names == ("up", "live", "down")
    assert p.outputs.tolist() == [CONST_UP, 2, CONST_DOWN]
    assert gates(p) == [(K.OP_ANY, 0, ["a", "b"])]
    p = program(up, down)
    assert p.outputs.tolist() == [CONST_UP, CONST_DOWN]
    assert p.n_leaves == 0 and p.n_gates == 0


def test_unreached_nodes_are_dropped():
    shared = comp("shared")
    p = program(ss.parallel(comp("down", 1), shared, name="j"))
    assert p.leaf_names == ("shared",) and p.n_gates == 0


# --- normalisation ------------------------------------------------------------------

@pytest.mark.parametrize("gate", [
    lambda a: ss.series(a, name="j"),
    lambda a: ss.parallel(a, name="j"),
    lambda a: ss.k_of_n(1, [a], name="j"),
    lambda a: ss.series(ss.parallel(ss.series(a)), name="j"),
    lambda a: ss.Service("j", availability=1, requires=[a]),
])
def test_single_child_is_the_child(gate):
    p = program(gate(comp("a")))
    assert p.n_gates == 0 and p.leaf_names == ("a",) and p.outputs.tolist() == [0]


def test_one_of_n_is_parallel_and_n_of_n_is_series():
    kids = [comp(f"c{i}") for i in range(5)]
    assert gates(program(ss.k_of_n(1, kids, name="j")))[0][:2] == (K.OP_ALL, 0)
    assert gates(program(ss.k_of_n(5, kids, name="j")))[0][:2] == (K.OP_ANY, 0)
    assert gates(program(ss.series(*kids, name="j")))[0][:2] == (K.OP_ANY, 0)
    assert gates(program(ss.parallel(*kids, name="j")))[0][:2] == (K.OP_ALL, 0)
    svc = ss.Service("j", availability=0.999, requires=kids)
    assert gates(program(svc)) == [(K.OP_ANY, 0, ["j"] + [f"c{i}" for i in range(5)])]


def test_nested_series_and_parallel_are_merged():
    a, b, c, d = comp("a"), comp("b"), comp("c"), comp("d")
    p = program(ss.series(ss.series(a, b), ss.k_of_n(2, [c, d]), name="j"))
    assert gates(p) == [(K.OP_ANY, 0, ["a", "b", "c", "d"])]
    p = program(ss.parallel(ss.parallel(a, b), c, name="j"))
    assert gates(p) == [(K.OP_ALL, 0, ["a", "b", "c"])]


def test_merging_keeps_shared_and_journey_gates():
    a, b, c, d = comp("a"), comp("b"), comp("c"), comp("d")
    inner = ss.series(a, b, name="inner")
    p = program(ss.series(inner, c, name="x"), ss.series(inner, d, name="y"))
    assert gates(p) == [(K.OP_ANY, 0, ["a", "b"]), (K.OP_ANY, 0, ["gate0", "c"]),
                        (K.OP_ANY, 0, ["gate0", "d"])]
    p = program(ss.series(inner, c, name="x"), inner)
    assert gates(p) == [(K.OP_ANY, 0, ["a", "b"]), (K.OP_ANY, 0, ["gate0", "c"])]
    p = program(ss.parallel(ss.series(a, b), c, name="x"))   # different kinds
    assert gates(p) == [(K.OP_ANY, 0, ["a", "b"]), (K.OP_ALL, 0, ["gate0", "c"])]


# --- k-of-n evaluation --------------------------------------------------------------------

def _down(op, t, n, d):
    """The kernel's documented meaning of op: is the gate down with d of n
    children down?"""
    return {K.OP_ANY: d >= 1, K.OP_ALL: d == n, K.OP_ATLEAST_DOWN: d >= t,
            K.OP_ATLEAST_UP: n - d < t, K.OP_COUNT: d >= t}[op]


@pytest.mark.parametrize("n", [2, 3, 5, 8, 13, 30, 64, 100])
def test_k_of_n_op_means_k_of_n(n):
    """Whatever op is chosen, the gate is up exactly when >= k children are up."""
    kids = [comp(f"c{i}") for i in range(n)]
    for k in range(1, n + 1):
        [(op, t, _)] = gates(program(ss.k_of_n(k, kids, name="j")))
        for d in range(n + 1):
            assert _down(op, t, n, d) == (n - d < k), (n, k, op, t, d)
        if op in (K.OP_ATLEAST_DOWN, K.OP_ATLEAST_UP, K.OP_COUNT):
            assert 1 <= t <= n


@pytest.mark.parametrize("n, k, expect", [
    (3, 2, (K.OP_ATLEAST_DOWN, 2)),     # down when 2 of 3 down
    (5, 2, (K.OP_ATLEAST_UP, 2)),       # 2 up: the smaller threshold
    (5, 4, (K.OP_ATLEAST_DOWN, 2)),
    (100, 2, (K.OP_ATLEAST_UP, 2)),
    (100, 99, (K.OP_ATLEAST_DOWN, 2)),
    (100, 50, (K.OP_COUNT, 51)),        # both thresholds far from the ends
    (10**4, 5000, (K.OP_COUNT, 5001)),
])
def test_k_of_n_op_choice(n, k, expect):
    kids = [comp(f"c{i}") for i in range(n)]
    p = program(ss.k_of_n(k, kids, name="j"))
    assert gates(p)[0][:2] == expect
    assert p.scratch_rows == K.scratch_rows(*expect, n)


def test_scratch_rows_cover_every_gate():
    kids = [comp(f"c{i}") for i in range(40)]
    p = program(ss.k_of_n(3, kids[:10], name="a"), ss.k_of_n(20, kids, name="b"),
                ss.k_of_n(37, kids, name="c"))
    need = [K.scratch_rows(op, t, len(c)) for op, t, c in gates(p)]
    assert p.scratch_rows == max(need)


# --- block size ---------------------------------------------------------------------------

def _check_block_words(p):
    bw = p.block_words
    rows = p.n_nodes + p.scratch_rows
    assert 1 <= bw <= K.MAX_BLOCK_WORDS and bw & (bw - 1) == 0
    assert rows * bw <= BUFFER_WORDS or bw == 1        # buffers within 1 MiB
    assert bw == K.MAX_BLOCK_WORDS or rows * 2 * bw > BUFFER_WORDS  # the largest


@pytest.mark.parametrize("n", [1, 2, 127, 128, 129, 1000, 10**4])
def test_block_words_bounds(n):
    p = program(ss.parallel(*[comp(f"c{i}") for i in range(n)], name="j"))
    _check_block_words(p)


def test_block_words_small_and_wide():
    assert program(comp("a")).block_words == 1024
    # 127 leaves + 1 gate = 128 rows of 1024 words: exactly 1 MiB
    assert program(ss.parallel(*[comp(f"c{i}") for i in range(127)], name="j")
                   ).block_words == 1024
    assert program(ss.parallel(*[comp(f"c{i}") for i in range(128)], name="j")
                   ).block_words == 512


def test_block_words_counts_scratch():
    kids = [comp(f"c{i}") for i in range(100)]
    p = program(ss.k_of_n(50, kids, name="j"))   # COUNT: 7 planes + 2 rows
    assert p.scratch_rows == 9
    _check_block_words(p)
    assert p.block_words == 1024   # 101 + 9 = 110 rows
    p = program(ss.k_of_n(2, kids[:60], name="j"), ss.k_of_n(3, kids, name="k"))
    _check_block_words(p)


# --- leaf samplers --------------------------------------------------------------------------

def _leaf(q, name="a"):
    p = program(ss.series(comp(name, q), name="j"))
    assert p.n_leaves == 1 and p.leaf_q.tolist() == [q]
    return p, int(p.leaf_method[0]), float(p.leaf_lam[0]), int(p.leaf_qbits[0])


@pytest.mark.parametrize("q", [1e-300, 1e-12, 1e-6, 1e-4])
def test_tiny_q_is_hits_down(q):
    p, method, lam, qbits = _leaf(q)
    assert method == K.LEAF_HITS_DOWN and qbits == 0
    per_block = 64 * p.block_words
    assert lam == pytest.approx(-math.log1p(-q) * per_block, rel=1e-14)


@pytest.mark.parametrize("q", [1 - 1e-4, 1 - 1e-6, 1 - 1e-12, 1 - 2**-53])
def test_q_near_one_is_hits_up(q):
    p, method, lam, qbits = _leaf(q)
    assert method == K.LEAF_HITS_UP and qbits == 0
    per_block = 64 * p.block_words
    assert lam == pytest.approx(-math.log(q) * per_block, rel=1e-14)


@pytest.mark.parametrize("q, bits", [(0.5, 2**63), (0.25, 2**62), (0.75, 3 * 2**62),
                                     (0.375, 3 * 2**61)])
def test_dyadic_q_is_bits(q, bits):
    _, method, lam, qbits = _leaf(q)
    assert method == K.LEAF_BITS and qbits == bits and lam == 0.0


@settings(max_examples=100, deadline=None)
@given(q=st.floats(0.0, 1.0, exclude_min=True, exclude_max=True))
def test_every_sampler_is_exact(q):
    """Whichever sampler is picked, its down probability is q."""
    p, method, lam, qbits = _leaf(q)
    per_block = 64 * p.block_words
    if method == K.LEAF_BITS:
        assert Fraction(qbits, 2**64) == Fraction(q)
    elif method == K.LEAF_HITS_DOWN:
        assert -math.expm1(-lam / per_block) == pytest.approx(q, rel=1e-12)
    else:
        assert method == K.LEAF_HITS_UP
        assert math.exp(-lam / per_block) == pytest.approx(q, rel=1e-12)
    assert lam >= 0 and math.isfinite(lam)


# --- the Program as data --------------------------------------------------------------

def _example_model():
    db = comp("db", 2e-3)
    replicas = [comp(f"r{i}", 0.01) for i in range(5)]
    web = ss.Service("web", availability=0.9995, requires=[db, "cache"])
    return ss.Model([ss.Journey(web, target=0.999),
                     ss.series(ss.k_of_n(3, replicas, name="quorum"), db, name="write"),
                     ss.Journey(comp("const", 0), name="always")],
                    nodes=[ss.parallel(comp("c1", 0.5), comp("c2", 0.25), name="cache")])


def test_program_arrays_are_read_only_and_typed():
    p = compile_model(_example_model())
    assert isinstance(p, Program)
    for name in ARRAYS:
        a = getattr(p, name)
        assert a.dtype == DTYPES[name], name
        assert a.flags.c_contiguous and not a.flags.writeable, name
        with pytest.raises(ValueError):
            a[...] = 0


def test_program_shape():
    p = compile_model(_example_model())
    assert len(p.leaf_names) == p.n_leaves == len(p.leaf_q) == len(p.leaf_method)
    assert len(p.leaf_lam) == len(p.leaf_qbits) == p.n_leaves
    assert len(p.gate_names) == p.n_gates == len(p.gate_op) == len(p.gate_param)
    assert len(p.child_ptr) == p.n_gates + 1 and p.child_ptr[0] == 0
    assert p.child_ptr[-1] == len(p.child_idx)
    assert np.all(np.diff(p.child_ptr) >= 1)
    for g in range(p.n_gates):   # topological: children are earlier nodes
        assert np.all(p.child_idx[p.child_ptr[g]:p.child_ptr[g + 1]] < p.n_leaves + g)
    assert p.journey_names == ("web", "write", "always")
    assert p.outputs[2] == CONST_UP
    assert set(p.leaf_names) == {"db", "web", "c1", "c2"} | {f"r{i}" for i in range(5)}
    assert "quorum" in p.gate_names and "cache" in p.gate_names
    assert repr(p) == (f"Program(leaves=9, gates={p.n_gates}, journeys=3, "
                       f"block_words={p.block_words})")


def test_model_program_is_compiled_once():
    m = _example_model()
    assert isinstance(compile_model(m), Program) and compile_model(m) is compile_model(m)


def test_compiling_is_deterministic():
    p1 = compile_model(_example_model())
    p2 = compile_model(_example_model())      # fresh objects
    m = _example_model()
    p3, p4 = compile_model(m), compile_model(m)
    for other in (p2, p3, p4):
        for name in ARRAYS:
            np.testing.assert_array_equal(getattr(p1, name), getattr(other, name))
            assert getattr(p1, name).dtype == getattr(other, name).dtype
        assert p1.leaf_names == other.leaf_names
        assert p1.gate_names == other.gate_names
        assert p1.journey_names == other.journey_names
        assert (p1.block_words, p1.scratch_rows) == (other.block_words, other.scratch_rows)
        assert p1.constants == other.constants


def test_shared_leaf_compiled_once():
    db = comp("db")
    p = program(ss.series(db, comp("a"), name="x"), ss.series(db, comp("b"), name="y"),
                ss.k_of_n(2, [db, db, comp("c")], name="z"))
    assert p.leaf_names.count("db") == 1
    # the shared leaf is a child of every gate
    db_index = p.leaf_names.index("db")
    for g in range(p.n_gates):
        assert db_index in p.child_idx[p.child_ptr[g]:p.child_ptr[g + 1]]


def test_deep_and_wide_graphs_compile():
    node = comp("leaf")
    for i in range(10**4):
        node = ss.series(node, comp(f"c{i}"), name=f"g{i}")
    p = program(node)
    assert p.n_leaves == 10**4 + 1
    _check_block_words(p)
    node = comp("leaf")  # alternating kinds: nothing to merge
    for i in range(10**4):
        gate = ss.series if i % 2 else ss.parallel
        node = gate(node, comp(f"c{i}"), name=f"g{i}")
    p = program(node)
    assert p.n_leaves == 10**4 + 1 and p.n_gates == 10**4
    _check_block_words(p)
    wide = program(ss.k_of_n(5000, [comp(f"w{i}") for i in range(10**4)], name="j"))
    assert wide.n_leaves == 10**4 and gates(wide)[0][:2] == (K.OP_COUNT, 5001)
    _check_block_words(wide)


# --- the Program computes the model --------------------------------------------------------

@st.composite
def models(draw):
    """(model, {name: node}) with up to 7 components, some constant."""
    q = st.sampled_from([0.0, 1.0, 0.1, 0.5, 1e-6, 1 - 1e-6])
    nodes = [comp(f"c{i}", draw(q)) for i in range(draw(st.integers(1, 7)))]
    for g in range(draw(st.integers(1, 7))):
        kids = draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=6))
        # some children by name
        kids = [k.name if draw(st.integers(0, 3)) == 0 else k for k in kids]
        kind = draw(st.sampled_from(["series", "parallel", "k_of_n", "service"]))
        name = f"g{g}"
        if kind == "series":
            nodes.append(ss.series(*kids, name=name))
        elif kind == "parallel":
            nodes.append(ss.parallel(*kids, name=name))
        elif kind == "k_of_n":
            nodes.append(ss.k_of_n(draw(st.integers(1, len(kids))), kids, name=name))
        else:
            nodes.append(ss.Service(name, unavailability=draw(q), requires=kids))
    journeys = draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=4,
                             unique_by=id))
    return ss.Model(journeys, nodes=nodes), {n.name: n for n in nodes}


def _model_down(node, by_name, states, memo):
    """Down samples of ``node`` from the leaf states, by the model's meaning."""
    if isinstance(node, str):
        node = by_name[node]
    if id(node) in memo:
        return memo[id(node)]
    if isinstance(node, ss.Component):
        down = states[node.name]
    else:
        kids = [_model_down(c, by_name, states, memo) for c in node.children]
        if isinstance(node, ss.Service):
            down = np.logical_or.reduce([states[node.name]] + kids)
        else:
            n_up = np.sum([~k for k in kids], axis=0)
            down = n_up < node.k
    memo[id(node)] = down
    return down


@settings(max_examples=60, deadline=None)
@given(mb=models())
def test_program_logic_equals_model_logic(mb):
    """On every assignment of the random leaves (constants at their value),
    each journey's output in the Program is down exactly when the model's
    journey is down."""
    model, by_name = mb
    p = compile_model(model)
    names = list(model.components)
    q = unavailabilities(model)
    random_names = [n for n in names if 0 < q[n] < 1]
    grid = np.array(list(itertools.product([False, True], repeat=len(random_names))),
                    dtype=bool).reshape(2 ** len(random_names), len(random_names))
    states = {n: grid[:, i] for i, n in enumerate(random_names)}
    for n in names:
        if q[n] in (0.0, 1.0):
            states[n] = np.full(len(grid), q[n] == 1.0)
    assert set(p.leaf_names) <= set(random_names)
    assert {n: v for n, v in p.constants.items()} == {
        n: CONST_DOWN if q[n] == 1.0 else CONST_UP
        for n in p.constants}
    rows = [states[n] for n in p.leaf_names]
    _evaluate_gates(rows, p.gate_op, p.gate_param, p.child_ptr, p.child_idx)
    memo = {}
    for j, out in zip(model.journeys, p.outputs.tolist()):
        want = _model_down(j.node, by_name, states, memo)
        if out == CONST_UP:
            got = np.zeros(len(grid), dtype=bool)
        elif out == CONST_DOWN:
            got = np.ones(len(grid), dtype=bool)
        else:
            got = rows[out]
        np.testing.assert_array_equal(got, want, err_msg=j.name)
