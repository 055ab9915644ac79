"""Tests of the Monte Carlo kernel, ``slosim._core._kernels.simulate_chunk``.

* The kernel equals the pure-NumPy reference (``tests/reference.py``) bit for
  bit: failures, joint counts and the bit generator's state afterwards, on
  hand-built programs (every leaf method, every gate op) and on compiled
  random models.
* One pinned-output test per kernel path: a fixed seed gives fixed counts.
* The ``def`` entry rejects bad shapes, dtypes and indices.
* Each leaf sampler gives down samples with probability ``q``.
"""

from fractions import Fraction
import math

from hypothesis import HealthCheck, assume, given, settings, strategies as st
import numpy as np
import pytest
from scipy import stats

import slosim as ss
from slosim._core import _kernels as K
from slosim.engines import compile_model
from slosim.engines._compile import _choose_samplers

import reference as R
from reference import run_program, simulate_chunk_reference

HD, HU, BITS = K.LEAF_HITS_DOWN, K.LEAF_HITS_UP, K.LEAF_BITS
ANY, ALL, AT_DOWN, AT_UP, COUNT = (K.OP_ANY, K.OP_ALL, K.OP_ATLEAST_DOWN,
                                   K.OP_ATLEAST_UP, K.OP_COUNT)


# --- helpers ---------------------------------------------------------------

def make_program(leaves, gates=(), outputs=(0,)):
    """Kernel arrays from ``leaves`` = [(method, lam, qbits)] and
    ``gates`` = [(op, param, [child, ...])]."""
    ptr = [0]
    idx = []
    for _, _, kids in gates:
        idx.extend(kids)
        ptr.append(len(idx))
    return dict(
        leaf_lam=np.array([lam for _, lam, _ in leaves], dtype=np.float64),
        leaf_method=np.array([m for m, _, _ in leaves], dtype=np.int8),
        leaf_qbits=np.array([qb for _, _, qb in leaves], dtype=np.uint64),
        gate_op=np.array([op for op, _, _ in gates], dtype=np.int8),
        gate_param=np.array([t for _, t, _ in gates], dtype=np.int64),
        child_ptr=np.array(ptr, dtype=np.int64),
        child_idx=np.array(idx, dtype=np.int64),
        outputs=np.array(outputs, dtype=np.int64),
    )


def scratch_needed(arrays):
    """Scratch rows, from the kernel's documented needs (not scratch_rows)."""
    need = 0
    ptr = arrays["child_ptr"]
    for g, op in enumerate(arrays["gate_op"].tolist()):
        n = int(ptr[g + 1] - ptr[g])
        t = int(arrays["gate_param"][g])
        if op in (AT_DOWN, AT_UP):
            need = max(need, t)              # one row per threshold level
        elif op == COUNT:
            need = max(need, n.bit_length() + 2)  # counter planes, carry, equal
    return need


def run_kernel(bit_generator, n_samples, arrays, block_words, *, joint=False,
               scratch_rows=None):
    """Run the kernel on freshly allocated buffers; return (failures, joint)."""
    n_nodes = len(arrays["leaf_lam"]) + len(arrays["gate_op"])
    rows = scratch_needed(arrays) if scratch_rows is None else scratch_rows
    nodes = np.empty((n_nodes, block_words), dtype=np.uint64)
    scratch = np.empty((rows, block_words), dtype=np.uint64)
    failures = np.zeros(len(arrays["outputs"]), dtype=np.uint64)
    both = (np.zeros((len(arrays["outputs"]), len(arrays["leaf_lam"])), dtype=np.uint64)
            if joint else None)
    K.simulate_chunk(bit_generator, n_samples, nodes=nodes, scratch=scratch,
                     failures=failures, joint=both, **arrays)
    return failures, both


def run_reference(bit_generator, n_samples, arrays, block_words, *, joint=False):
    return simulate_chunk_reference(bit_generator, n_samples, block_words=block_words,
                                    joint=joint, **arrays)


def assert_same_as_reference(make_bitgen, n_samples, arrays, block_words, joint):
    bg_kernel, bg_ref = make_bitgen(), make_bitgen()
    got, got_joint = run_kernel(bg_kernel, n_samples, arrays, block_words, joint=joint)
    want, want_joint = run_reference(bg_ref, n_samples, arrays, block_words, joint=joint)
    np.testing.assert_array_equal(got, want)
    if joint:
        np.testing.assert_array_equal(got_joint, want_joint)
    # Same number of draws: the streams continue identically.
    np.testing.assert_array_equal(bg_kernel.random_raw(4), bg_ref.random_raw(4))


def assert_binomial(k, n, p, tail=3e-7):
    """``k`` is a plausible Binomial(n, p) count: inside the central
    ``1 - 2 * tail`` range (about +-5 standard errors; exact for small counts)."""
    lo = stats.binom.ppf(tail, n, p)
    hi = stats.binom.isf(tail, n, p)
    assert lo <= k <= hi, f"{k} down of {n} is implausible for q={p} (range {lo}..{hi})"


# --- the reference's codes are the kernel's --------------------------------

def test_reference_codes_match_kernel():
    assert (R.OP_ANY, R.OP_ALL, R.OP_ATLEAST_DOWN, R.OP_ATLEAST_UP, R.OP_COUNT) == \
        (ANY, ALL, AT_DOWN, AT_UP, COUNT)
    assert (R.LEAF_HITS_DOWN, R.LEAF_HITS_UP, R.LEAF_BITS) == (HD, HU, BITS)


def test_raw_words_are_next_uint64():
    """The reference's raw words are what the kernel draws: a BITS leaf with
    q = 1/2 takes exactly one raw word per word of samples, as its bits."""
    arrays = make_program([(BITS, 0.0, 1 << 63)])
    got, _ = run_kernel(np.random.PCG64(7), 64 * 4, arrays, 4)
    words = np.random.PCG64(7).random_raw(4)
    assert int(got[0]) == sum(bin(int(w)).count("1") for w in words)


# --- bit-for-bit agreement with the reference --------------------------------

BITGENS = [np.random.PCG64, np.random.PCG64DXSM, np.random.Philox, np.random.SFC64]


@st.composite
def leaf_specs(draw, per_block, sparse=False):
    method = HD if sparse else draw(st.sampled_from([HD, HU, BITS]))
    if method == BITS:
        qbits = draw(st.one_of(
            st.sampled_from([1, 1 << 63, 1 << 62, 3 << 62, 2**64 - 1, 5 << 59]),
            st.integers(1, 2**64 - 1)))
        return (method, 0.0, qbits)
    if sparse:  # a few hits per block: most sub-blocks untouched
        return (method, draw(st.floats(0.0, 6.0)), 0)
    lam = draw(st.one_of(st.just(0.0), st.floats(0.0, 2.0), st.floats(0.0, 2.0 * per_block)))
    return (method, lam, 0)


@st.composite
def hand_programs(draw, sparse=False):
    block_words = draw(st.sampled_from([1, 2, 4, 8, 32, 64, 128, 256, 1024]))
    per_block = 64 * block_words
    leaves = draw(st.lists(leaf_specs(per_block, sparse), min_size=1, max_size=5))
    gates = []
    for g in range(draw(st.integers(0, 6))):
        n_nodes = len(leaves) + g
        op = draw(st.sampled_from([ANY, ALL, AT_DOWN, AT_UP, COUNT]))
        kids = draw(st.lists(st.integers(0, n_nodes - 1), min_size=1, max_size=7))
        t = draw(st.integers(1, len(kids))) if op in (AT_DOWN, AT_UP, COUNT) else 0
        gates.append((op, t, kids))
    n_nodes = len(leaves) + len(gates)
    outputs = draw(st.lists(st.integers(0, n_nodes - 1), min_size=1, max_size=4))
    n_samples = draw(st.one_of(st.integers(1, per_block + 1),
                               st.integers(1, 3 * per_block + 65)))
    return make_program(leaves, gates, outputs), block_words, n_samples


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prog=hand_programs(), bitgen=st.sampled_from(BITGENS),
       seed=st.integers(0, 2**32 - 1), joint=st.booleans())
def test_kernel_equals_reference_hand_built(prog, bitgen, seed, joint):
    arrays, block_words, n_samples = prog
    assert_same_as_reference(lambda: bitgen(seed), n_samples, arrays, block_words, joint)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prog=hand_programs(sparse=True), seed=st.integers(0, 2**32 - 1),
       joint=st.booleans())
def test_kernel_equals_reference_sparse_hits(prog, seed, joint):
    """Only HITS_DOWN leaves with a few hits per block: the blocks (and parts
    of blocks) with no hit, which the kernel may skip, count nothing."""
    arrays, block_words, n_samples = prog
    assert_same_as_reference(lambda: np.random.PCG64(seed), n_samples, arrays,
                             block_words, joint)


@pytest.mark.parametrize("op", [ANY, ALL, AT_DOWN, AT_UP, COUNT])
@pytest.mark.parametrize("block_words", [1, 8, 64, 1024])
def test_kernel_equals_reference_every_op_and_method(op, block_words):
    """A fixed program holding every leaf method under each op, in several
    block sizes, with a partial last block and a partial last word."""
    per_block = 64 * block_words
    leaves = [(HD, 0.1 * per_block, 0), (HU, 0.2 * per_block, 0),
              (BITS, 0.0, 3 << 61), (HD, 0.01, 0), (BITS, 0.0, 0x123456789ABCDEF1),
              (HU, 1.5 * per_block, 0)]
    t = {ANY: 0, ALL: 0, AT_DOWN: 3, AT_UP: 2, COUNT: 4}[op]
    gates = [(op, t, [0, 1, 2, 3, 4, 5]),
             (op, min(t, 2), [6, 2, 0]),
             (COUNT, 2, [0, 1, 2, 3, 4, 5, 6, 7]),
             (AT_UP, 1, [8, 3])]
    arrays = make_program(leaves, gates, outputs=[6, 7, 8, 9, 2])
    n_samples = 2 * per_block + 37
    for seed in range(2):
        assert_same_as_reference(lambda seed=seed: np.random.PCG64(seed), n_samples, arrays,
                                 block_words, joint=True)


@pytest.mark.parametrize("block_words", [4, 1024])
def test_kernel_equals_reference_wide_gates(block_words):
    """Gates over 70 children (vectorised loops, many counter planes)."""
    per_block = 64 * block_words
    rng = np.random.default_rng(5)
    leaves = []
    for i in range(70):
        q = rng.uniform(0.05, 0.6)
        leaves.append([(HD, -math.log1p(-q) * per_block, 0),
                       (HU, -math.log(q) * per_block, 0),
                       (BITS, 0.0, int(q * 2**20) << 44)][i % 3])
    everyone = list(range(70))
    gates = [(ANY, 0, everyone), (ALL, 0, everyone[:6]), (AT_DOWN, 9, everyone),
             (AT_UP, 5, everyone), (COUNT, 30, everyone), (COUNT, 1, everyone),
             (COUNT, 70, everyone), (AT_DOWN, 70, everyone), (AT_UP, 70, everyone),
             (ALL, 0, [70, 71, 72, 73, 74, 75, 76, 77, 78])]
    arrays = make_program(leaves, gates, outputs=list(range(70, 80)))
    assert_same_as_reference(lambda: np.random.PCG64(17), per_block * 2 + 99, arrays,
                             block_words, joint=True)


@st.composite
def models(draw):
    """Small random models: shared nodes, Services, q in {0, 1, tiny, ~1, any}."""
    q = st.one_of(st.sampled_from([0.0, 1.0, 0.5, 0.25, 1e-9, 1 - 1e-9, 1e-3, 0.999]),
                  st.floats(0.0, 1.0))
    nodes = [ss.Component(f"c{i}", unavailability=draw(q))
             for i in range(draw(st.integers(1, 6)))]
    for g in range(draw(st.integers(0, 6))):
        kids = draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=5))
        kind = draw(st.sampled_from(["series", "parallel", "k_of_n", "service"]))
        if kind == "series":
            nodes.append(ss.series(*kids, name=f"g{g}"))
        elif kind == "parallel":
            nodes.append(ss.parallel(*kids, name=f"g{g}"))
        elif kind == "k_of_n":
            k = draw(st.integers(1, len(kids)))
            nodes.append(ss.k_of_n(k, kids, name=f"g{g}"))
        else:
            nodes.append(ss.Service(f"g{g}", unavailability=draw(q), requires=kids))
    journeys = draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=3,
                             unique_by=id))
    return ss.Model(journeys)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=models(), block_words=st.sampled_from([None, 1, 4, 32, 1024]),
       seed=st.integers(0, 2**32 - 1), n_blocks=st.floats(0.01, 2.5),
       joint=st.booleans())
def test_kernel_equals_reference_compiled(model, block_words, seed, n_blocks, joint):
    program = compile_model(model)
    arrays = dict(
        leaf_lam=program.leaf_lam, leaf_method=program.leaf_method,
        leaf_qbits=program.leaf_qbits, gate_op=program.gate_op,
        gate_param=program.gate_param, child_ptr=program.child_ptr,
        child_idx=program.child_idx,
        outputs=np.ascontiguousarray(program.outputs[program.outputs >= 0]))
    assume(len(arrays["outputs"]) > 0)  # else every journey is a constant
    if block_words is None:
        block_words = program.block_words
    else:  # the same model sampled in another block size
        method, lam, qbits = _choose_samplers(program.leaf_q, block_words)
        arrays.update(leaf_method=method, leaf_lam=lam, leaf_qbits=qbits)
    n_samples = max(1, int(n_blocks * 64 * block_words))
    assert_same_as_reference(lambda: np.random.PCG64(seed), n_samples, arrays,
                             block_words, joint)


def test_run_program_matches_kernel_on_a_program():
    """run_program (the reference on a compiled Program) and the kernel on the
    same Program's arrays."""
    a = ss.Component("a", unavailability=2e-3)
    b = ss.Component("b", unavailability=0.3)
    c = ss.Component("c", availability=1e-3)
    d = ss.Component("d", unavailability=0.5)
    off = ss.Component("off", unavailability=0)
    model = ss.Model([ss.k_of_n(2, [a, b, c, d], name="two"),
                      ss.series(a, b, name="ab"), ss.parallel(off, name="never"),
                      ss.parallel(c, d, name="cd")])
    p = compile_model(model)
    n = 200_003
    want, want_joint = run_program(p, np.random.PCG64(11), n, joint=True)
    arrays = dict(leaf_lam=p.leaf_lam, leaf_method=p.leaf_method,
                  leaf_qbits=p.leaf_qbits, gate_op=p.gate_op, gate_param=p.gate_param,
                  child_ptr=p.child_ptr, child_idx=p.child_idx,
                  outputs=np.ascontiguousarray(p.outputs[p.outputs >= 0]))
    got, got_joint = run_kernel(np.random.PCG64(11), n, arrays, p.block_words,
                                joint=True, scratch_rows=p.scratch_rows)
    assert len(got) == 3  # the constant journey is not counted
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_joint, want_joint)


def test_failures_are_added_to():
    arrays = make_program([(BITS, 0.0, 1 << 62)])
    nodes = np.empty((1, 2), dtype=np.uint64)
    scratch = np.empty((0, 2), dtype=np.uint64)
    failures = np.array([1000], dtype=np.uint64)
    joint = np.array([[7]], dtype=np.uint64)
    K.simulate_chunk(np.random.PCG64(3), 500, nodes=nodes, scratch=scratch,
                     failures=failures, joint=joint, **arrays)
    want, _ = run_reference(np.random.PCG64(3), 500, arrays, 2)
    assert int(failures[0]) == 1000 + int(want[0])
    assert int(joint[0, 0]) == 7 + int(want[0])  # a leaf is down with itself


def test_scratch_rows_shim():
    assert K.scratch_rows(ANY, 0, 10) == 0
    assert K.scratch_rows(ALL, 0, 10) == 0
    assert K.scratch_rows(AT_DOWN, 3, 10) == 3
    assert K.scratch_rows(AT_UP, 4, 10) == 4
    assert K.scratch_rows(COUNT, 5, 10) == 4 + 2   # 10 < 2**4
    assert K.scratch_rows(COUNT, 5, 16) == 5 + 2   # 16 needs 5 bit planes


# --- pinned outputs ------------------------------------------------------------
# A fixed seed gives these exact counts, and leaves the stream at the pinned
# next raw word. The numbers were computed by tests/reference.py (independent
# code making the same draws). CHANGING ANY OF THEM IS A STREAM COMPATIBILITY
# BREAK: every seeded result of slosim changes; say so in the changelog.
# (The HITS cases also rest on numpy's Poisson sampler, random_poisson, which
# numpy keeps stable under its Generator stream policy.)

_GATE_LEAVES = [(BITS, 0.0, 1 << 62),        # q = 1/4
                (BITS, 0.0, 3 << 61),        # q = 3/8
                (BITS, 0.0, 1 << 63),        # q = 1/2
                (BITS, 0.0, 5 << 60),        # q = 5/16
                (HD, 300.0, 0)]              # q = 1 - exp(-300/1024)

PINNED = {
    # name: (leaves, gates, outputs, block_words, n_samples,
    #        expected failures, expected joint, expected next raw word)
    "leaf_hits_down": ([(HD, 65.5, 0)], [], [0], 1024, 1_000_003,
                       [1071], [[1071]], 7717061409778369503),
    "leaf_hits_down_sparse": ([(HD, 0.25, 0)], [], [0], 8, 100_001,
                              [32], [[32]], 515945032878898511),
    "leaf_hits_up": ([(HU, 65.5, 0)], [], [0], 1024, 1_000_003,
                     [998932], [[998932]], 7717061409778369503),
    "leaf_bits": ([(BITS, 0.0, (0b1011 << 60) | (1 << 23))], [], [0], 64, 100_001,
                  [68819], [[68819]], 4930566126701992330),
    "op_any": (_GATE_LEAVES, [(ANY, 0, [0, 1, 4])], [5], 16, 50_001,
               [32661], [[12650, 18752, 16226, 10190, 12748]], 14803699960453924426),
    "op_all": (_GATE_LEAVES, [(ALL, 0, [0, 1, 2, 4])], [5], 16, 50_001,
               [580], [[580, 580, 580, 178, 580]], 14803699960453924426),
    "op_atleast_down": (_GATE_LEAVES, [(AT_DOWN, 2, [0, 1, 2, 3, 4])], [5], 16, 50_001,
                        [27662], [[10544, 15108, 19007, 12971, 10718]], 14803699960453924426),
    "op_atleast_up": (_GATE_LEAVES, [(AT_UP, 2, [0, 1, 2, 3, 4])], [5], 16, 50_001,
                      [2245], [[1678, 1936, 2039, 1843, 1662]], 14803699960453924426),
    "op_count": (_GATE_LEAVES, [(COUNT, 3, [0, 1, 2, 3, 4])], [5], 16, 50_001,
                 [10601], [[5700, 7457, 8552, 6778, 5739]], 14803699960453924426),
}
PINNED_SEED = 20240917


@pytest.mark.parametrize("case", sorted(PINNED))
def test_pinned_output(case):
    leaves, gates, outputs, bw, n, failures, joint, next_raw = PINNED[case]
    arrays = make_program(leaves, gates, outputs)
    bg = np.random.PCG64(PINNED_SEED)
    got, got_joint = run_kernel(bg, n, arrays, bw, joint=True)
    assert got.tolist() == failures
    assert got_joint.tolist() == joint
    assert int(bg.random_raw()) == next_raw
    # The reference still gives them (it is the independent source).
    bg = np.random.PCG64(PINNED_SEED)
    ref, ref_joint = run_reference(bg, n, arrays, bw, joint=True)
    assert ref.tolist() == failures and ref_joint.tolist() == joint
    assert int(bg.random_raw()) == next_raw


# --- the def entry's checks ----------------------------------------------------

def _valid_call():
    """Arguments of a valid call: 2 leaves, a threshold gate and a counter."""
    arrays = make_program(
        [(HD, 1.0, 0), (BITS, 0.0, 1 << 63), (HU, 2.0, 0)],
        [(AT_DOWN, 2, [0, 1, 2]), (COUNT, 2, [0, 1, 2, 3])],
        outputs=[3, 4])
    return dict(
        bit_generator=np.random.PCG64(1), n_samples=1000, **arrays,
        nodes=np.zeros((5, 4), dtype=np.uint64),
        scratch=np.zeros((5, 4), dtype=np.uint64),
        failures=np.zeros(2, dtype=np.uint64),
        joint=np.zeros((2, 3), dtype=np.uint64))


def _set(**changes):
    def change(kw):
        kw.update(changes)
    return change


def _item(key, index, value):
    def change(kw):
        a = kw[key].copy()
        a[index] = value
        kw[key] = a
    return change


BAD_CALLS = [
    # (id, change, exception, message pattern)
    ("n_samples_zero", _set(n_samples=0), ValueError, "n_samples must be positive"),
    ("n_samples_negative", _set(n_samples=-5), ValueError, "n_samples must be positive"),
    ("leaf_method_length", _set(leaf_method=np.zeros(2, np.int8)), ValueError,
     "leaf arrays differ"),
    ("leaf_qbits_length", _set(leaf_qbits=np.zeros(4, np.uint64)), ValueError,
     "leaf arrays differ"),
    ("gate_param_length", _set(gate_param=np.ones(3, np.int64)), ValueError,
     "gate arrays differ"),
    ("child_ptr_length", _set(child_ptr=np.array([0, 3], np.int64)), ValueError,
     "gate arrays differ"),
    ("node_rows_few", _set(nodes=np.zeros((4, 4), np.uint64)), ValueError,
     "nodes must have 5 rows, got 4"),
    ("node_rows_many", _set(nodes=np.zeros((6, 4), np.uint64)), ValueError,
     "nodes must have 5 rows, got 6"),
    ("block_words_not_power_of_two",
     _set(nodes=np.zeros((5, 3), np.uint64), scratch=np.zeros((5, 3), np.uint64)),
     ValueError, "power of two"),
    ("block_words_too_big",
     _set(nodes=np.zeros((5, 2048), np.uint64), scratch=np.zeros((5, 2048), np.uint64)),
     ValueError, "power of two"),
    ("scratch_width", _set(scratch=np.zeros((5, 8), np.uint64)), ValueError,
     "scratch and nodes differ"),
    ("scratch_rows_few", _set(scratch=np.zeros((4, 4), np.uint64)), ValueError,
     "scratch needs at least 5 rows"),
    ("failures_length", _set(failures=np.zeros(3, np.uint64)), ValueError,
     "failures must have 2"),
    ("joint_shape", _set(joint=np.zeros((2, 2), np.uint64)), ValueError,
     r"joint must have shape \(2, 3\)"),
    ("bits_qbits_zero", _item("leaf_qbits", 1, 0), ValueError, "leaf 1: BITS"),
    ("hits_lam_negative", _item("leaf_lam", 0, -1.0), ValueError, "leaf 0: Poisson mean"),
    ("hits_lam_nan", _item("leaf_lam", 2, np.nan), ValueError, "leaf 2: Poisson mean"),
    ("hits_lam_inf", _item("leaf_lam", 0, np.inf), ValueError, "leaf 0: Poisson mean"),
    ("hits_lam_huge", _item("leaf_lam", 2, 1e15), ValueError, "leaf 2: Poisson mean"),
    ("unknown_method", _item("leaf_method", 0, 7), ValueError, "leaf 0: unknown method"),
    ("child_ptr_start", _item("child_ptr", 0, 1), ValueError, "child_ptr does not span"),
    ("child_ptr_end", _item("child_ptr", 2, 6), ValueError, "child_ptr does not span"),
    ("gate_without_children",
     _set(child_ptr=np.array([0, 0, 7], np.int64),
          child_idx=np.array([0, 1, 2, 0, 1, 2, 0], np.int64)),
     ValueError, "gate 0 has no children"),
    ("child_is_itself", _item("child_idx", 6, 4), ValueError,
     "gate 1: child index 4 is not an earlier node"),
    ("child_is_later", _item("child_idx", 0, 4), ValueError,
     "gate 0: child index 4 is not an earlier node"),
    ("child_negative", _item("child_idx", 1, -1), ValueError,
     "gate 0: child index -1 is not an earlier node"),
    ("threshold_zero", _item("gate_param", 0, 0), ValueError,
     r"gate 0: threshold outside 1\.\.3"),
    ("threshold_above_n", _item("gate_param", 0, 4), ValueError,
     r"gate 0: threshold outside 1\.\.3"),
    ("atleast_up_threshold", _set(gate_op=np.array([AT_UP, COUNT], np.int8),
                                  gate_param=np.array([0, 2], np.int64)),
     ValueError, r"gate 0: threshold outside 1\.\.3"),
    ("count_threshold_zero", _item("gate_param", 1, 0), ValueError,
     r"gate 1: threshold outside 1\.\.4"),
    ("count_threshold_above_n", _item("gate_param", 1, 5), ValueError,
     r"gate 1: threshold outside 1\.\.4"),
    ("unknown_op", _item("gate_op", 1, 9), ValueError, "gate 1: unknown op 9"),
    ("output_too_big", _item("outputs", 1, 5), ValueError, "output 1 is not a node index"),
    ("output_negative", _item("outputs", 0, -1), ValueError, "output 0 is not a node index"),
    ("no_outputs", _set(outputs=np.zeros(0, np.int64), failures=np.zeros(0, np.uint64),
                        joint=None), ValueError, "no leaves or no outputs"),
    ("lam_dtype", _set(leaf_lam=np.zeros(3, np.float32)), ValueError, "dtype mismatch"),
    ("child_idx_dtype", _set(child_idx=np.zeros(7, np.int32)), ValueError,
     "dtype mismatch"),
    ("failures_dtype", _set(failures=np.zeros(2, np.int64)), ValueError, "dtype mismatch"),
    ("nodes_not_contiguous", _set(nodes=np.zeros((5, 8), np.uint64)[:, ::2]),
     ValueError, "contiguous"),
    ("failures_read_only", lambda kw: kw["failures"].setflags(write=False), ValueError,
     "read-only"),
    ("nodes_none", _set(nodes=None), TypeError, "nodes"),
    ("not_a_bitgen_object", _set(bit_generator=object()), TypeError, "BitGenerator"),
    ("a_generator_not_a_bitgen", _set(bit_generator=np.random.default_rng(1)),
     TypeError, "BitGenerator"),
    ("an_int_not_a_bitgen", _set(bit_generator=12345), TypeError, "BitGenerator"),
]


@pytest.mark.parametrize("change, exc, match", [c[1:] for c in BAD_CALLS],
                         ids=[c[0] for c in BAD_CALLS])
def test_entry_rejects(change, exc, match):
    kw = _valid_call()
    change(kw)
    with pytest.raises(exc, match=match):
        K.simulate_chunk(**kw)


def test_entry_valid_call_runs():
    """The baseline of test_entry_rejects is itself valid."""
    kw = _valid_call()
    K.simulate_chunk(**kw)
    assert kw["failures"].sum() > 0


def test_entry_rejects_empty_program():
    arrays = make_program([], [], outputs=[])
    with pytest.raises(ValueError, match="no leaves or no outputs"):
        K.simulate_chunk(np.random.PCG64(1), 10, nodes=np.zeros((0, 1), np.uint64),
                         scratch=np.zeros((0, 1), np.uint64),
                         failures=np.zeros(0, np.uint64), **arrays)


# --- statistics of each leaf sampler ---------------------------------------------

def _leaf_cases():
    cases = []
    for bw in (1, 1024):
        per_block = 64 * bw
        for q in (1e-5, 0.02, 0.6):
            cases.append(("hits_down", bw, HD, -math.log1p(-q) * per_block, 0, q))
        for q in (0.4, 0.98, 1 - 1e-5):
            cases.append(("hits_up", bw, HU, -math.log(q) * per_block, 0, q))
        for qbits in (1 << 63, int(Fraction(0.3) * 2**64), 1 << 52, 2**64 - 1,
                      0x9E3779B97F4A7C15):
            cases.append(("bits", bw, BITS, 0.0, qbits, qbits / 2**64))
    return cases


@pytest.mark.parametrize("name, block_words, method, lam, qbits, q",
                         _leaf_cases(), ids=lambda v: repr(v) if not isinstance(v, str) else v)
def test_leaf_sampler_down_fraction(name, block_words, method, lam, qbits, q, seed):
    """The fraction of down samples of one leaf matches q within ~5 standard
    errors (exact binomial range), for any seed."""
    n = 10**6 + 1  # a partial last block
    arrays = make_program([(method, lam, qbits)])
    bg = np.random.PCG64(np.random.SeedSequence([seed, block_words, method, qbits,
                                                 int(lam * 1e6)]))
    failures, _ = run_kernel(bg, n, arrays, block_words)
    assert_binomial(int(failures[0]), n, q)


@pytest.mark.parametrize("method", [HD, HU, BITS])
def test_leaf_samplers_are_independent(method, seed):
    """Two leaves of the same method: the parallel (ALL) gate is down with
    probability q1 q2, the series (ANY) gate with 1 - (1 - q1)(1 - q2)."""
    per_block = 64 * 256
    q1, q2 = 0.25, 0.375
    if method == HD:
        leaves = [(HD, -math.log1p(-q) * per_block, 0) for q in (q1, q2)]
    elif method == HU:
        leaves = [(HU, -math.log(q) * per_block, 0) for q in (q1, q2)]
    else:
        leaves = [(BITS, 0.0, int(q * 2**64)) for q in (q1, q2)]
    arrays = make_program(leaves, [(ALL, 0, [0, 1]), (ANY, 0, [0, 1])], outputs=[2, 3])
    n = 500_000
    failures, _ = run_kernel(np.random.PCG64(np.random.SeedSequence([seed, method])),
                             n, arrays, 256)
    assert_binomial(int(failures[0]), n, q1 * q2)
    assert_binomial(int(failures[1]), n, 1 - (1 - q1) * (1 - q2))


@pytest.mark.parametrize("source", ["_bitops.h", "_kernels.pyx", "_bdd.pyx"])
def test_a_compiled_kernel_older_than_a_source_is_stale(source):
    """The test session refuses stale kernels (tests/conftest.py): a kernel
    older than its .pyx, or than a header of _core (every kernel, since
    any may include it), is stale."""
    import os
    import pathlib

    import slosim._core as core

    path = pathlib.Path(core.__file__).parent / source
    before = path.stat()
    assert core.stale_extensions() == []
    built = [p.stat().st_mtime for p in path.parent.glob("*.so")]
    try:
        later = max([before.st_mtime, *built]) + 3600
        os.utime(path, (later, later))
        stale = core.stale_extensions()
    finally:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    every = sorted(p.name for p in path.parent.glob("*.pyx"))
    expected = every if source.endswith(".h") else [source]
    assert stale == expected
    assert core.stale_extensions() == []
