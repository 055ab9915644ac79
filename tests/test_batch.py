"""Tests of batched diagram evaluation: ``slosim.engines._batch.evaluate_many``
and its kernel, ``slosim._core._batch``.

The reference is :meth:`ExactDiagram.evaluate` at each row (itself checked
against enumeration in ``test_exact.py``): every row must equal it to a
relative ``1e-13`` in both availability and unavailability, unavailabilities
of ``1e-15`` and below included. A plain NumPy pass over the diagram (one
node at a time, vectorised over the vectors) must equal the kernel
exactly, availabilities given or not. The result must not depend on the
chunk size or the thread count, bit for bit.
"""

import dataclasses

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim._core import _batch
from slosim.engines import ExactDiagram, _batch as batch_engine
from slosim.engines._batch import BatchEvaluation, evaluate_many

from strategies import build_with_shocks, dags, models_with_shocks, probabilities

C = ss.Component

#: Relative tolerance against ExactDiagram.evaluate, row by row.
REL = 1e-13

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Probabilities of the rows: the usual ones (0 and 1 included), tiny
#: unavailabilities and tiny availabilities.
row_q = st.one_of(
    probabilities(),
    st.floats(-17.0, -5.0).map(lambda e: 10.0**e),
    st.floats(-15.0, -5.0).map(lambda e: 1.0 - 10.0**e),
)


def rows_of(data, n_events, max_rows=5, min_rows=0):
    """A (K, n_events) array of row probabilities, drawn."""
    rows = data.draw(st.lists(st.lists(row_q, min_size=n_events, max_size=n_events),
                              min_size=min_rows, max_size=max_rows), label="q")
    return np.array(rows, dtype=np.float64).reshape(len(rows), n_events)


def assert_rows_match(diagram, q, res):
    """Every row of ``res`` against ExactDiagram.evaluate at that row."""
    J = len(diagram.structure.journeys)
    assert res.availability.shape == res.unavailability.shape == (len(q), J)
    for k, row in enumerate(q):
        ev = diagram.evaluate(row, conditionals=False)
        for got, want, what in ((res.availability[k], ev.availability, "availability"),
                                (res.unavailability[k], ev.unavailability,
                                 "unavailability")):
            err = np.abs(got - want)
            assert np.all(err <= REL * np.abs(want)), (
                f"row {k} {what}: {got.tolist()} != {want.tolist()} at q={row.tolist()}")


def kernel_args(diagram):
    var, lo, hi = diagram.node_arrays()
    roots = np.asarray(diagram.roots, dtype=np.int32)
    level = np.ascontiguousarray(diagram.levels, dtype=np.int32)
    return var, lo, hi, roots, level


def numpy_reference(diagram, q, r=None):
    """The bottom-up pass over every node, one node at a time, vectorised
    over the rows: ``(up, down)`` of the roots."""
    var, lo, hi = diagram.node_arrays()
    qv = np.empty_like(q)
    qv[:, np.asarray(diagram.levels)] = q
    rv = 1.0 - qv
    if r is not None:
        rv[:, np.asarray(diagram.levels)] = r
    up = np.empty((len(var), len(q)))
    down = np.empty((len(var), len(q)))
    up[0], down[0], up[1], down[1] = 0.0, 1.0, 1.0, 0.0
    for n in range(2, len(var)):
        a, b = qv[:, var[n]], rv[:, var[n]]
        up[n] = a * up[lo[n]] + b * up[hi[n]]
        down[n] = a * down[lo[n]] + b * down[hi[n]]
    roots = list(diagram.roots)
    return up[roots].T, down[roots].T


def layered_model(n_tiers=12, seed=0):
    """A service graph in miniature: tiers of replica pools (k-of-n) and
    chains, every tier needing two of five shared components; three
    journeys over overlapping tiers."""
    rng = np.random.default_rng(seed)
    shared = [C(f"infra-{i}", unavailability=float(10 ** rng.uniform(-5, -2)))
              for i in range(5)]
    tiers = []
    for t in range(n_tiers):
        n = int(rng.integers(2, 5))
        reps = [C(f"t{t}-{i}", unavailability=float(10 ** rng.uniform(-4, -1)))
                for i in range(n)]
        pool = ss.k_of_n(int(rng.integers(1, n + 1)), reps, name=f"t{t}-pool")
        need = [shared[i] for i in rng.choice(5, size=2, replace=False).tolist()]
        tiers.append(ss.Service(f"t{t}", unavailability=float(10 ** rng.uniform(-5, -3)),
                                requires=[pool, *need]))
    journeys = [ss.Journey(ss.series(*tiers[a:b], name=f"j{i}"))
                for i, (a, b) in enumerate(((0, 6), (3, 10), (0, n_tiers)))]
    return ss.Model(journeys)


def lognormal_rows(diagram, K, seed, error_factor=3.0):
    """K vectors, each event's probability lognormal around its own."""
    rng = np.random.default_rng(seed)
    q0 = diagram.structure.q
    sigma = np.log(error_factor) / 1.6448536269514722
    return np.minimum(q0 * np.exp(sigma * rng.standard_normal((K, len(q0)))), 1.0)


@pytest.fixture(scope="module")
def layered():
    return ExactDiagram(layered_model())


# --- every row equals ExactDiagram.evaluate -------------------------------------


@PROPERTY
@given(spec=dags(max_leaves=12), data=st.data())
def test_rows_equal_evaluate(spec, data):
    """Random DAGs (shared nodes, k-of-n with any k, several journeys), rows
    with probabilities 0 and 1, tiny unavailabilities and availabilities."""
    d = ExactDiagram(spec.build())
    q = rows_of(data, d.structure.n_events)
    assert_rows_match(d, q, evaluate_many(d, q))


@settings(PROPERTY, max_examples=30)
@given(case=models_with_shocks(), data=st.data())
def test_rows_equal_evaluate_with_shocks(case, data):
    """Shocks are events like components: columns after the components."""
    d = ExactDiagram(build_with_shocks(*case))
    q = rows_of(data, d.structure.n_events)
    assert_rows_match(d, q, evaluate_many(d, q))


@settings(PROPERTY, max_examples=30)
@given(spec=dags(max_leaves=10), data=st.data())
def test_kernel_equals_numpy_pass_with_given_availabilities(spec, data):
    """The kernel with ``r`` given (not ``1 - q``) against the plain NumPy
    pass over every node: equal, since both round the same products and
    sums (the kernel fuses no multiply-add, and its shortcuts for terminal
    children, ``q * 0 + x = x`` and ``q * 1 + x = q + x``, are exact)."""
    d = ExactDiagram(spec.build())
    n = d.structure.n_events
    q = rows_of(data, n, min_rows=1)
    r = rows_of(data, n, min_rows=len(q), max_rows=len(q))
    var, lo, hi, roots, level = kernel_args(d)
    chunk = data.draw(st.integers(1, 9), label="chunk")
    up, down = _batch.probabilities(var, lo, hi, roots, q, r, chunk=chunk, level=level)
    ref_up, ref_down = numpy_reference(d, q, r)
    np.testing.assert_array_equal(up, ref_up)
    np.testing.assert_array_equal(down, ref_down)


def test_tiny_unavailabilities_keep_their_digits():
    """Three replicas at 1e-6 behind a front end at 1e-15: the journey's
    unavailability is 1e-15 + 1e-18 - 1e-33, with all its digits; and
    1e-300 + (1e-100)**3 far below."""
    front = C("front", unavailability=1e-15)
    reps = [C(f"r{i}", unavailability=1e-6) for i in range(3)]
    d = ExactDiagram(ss.series(front, ss.parallel(*reps, name="pool"), name="j"))
    q = np.array([[1e-15, 1e-6, 1e-6, 1e-6], [1e-300, 1e-100, 1e-100, 1e-100]])
    res = evaluate_many(d, q)
    want = 1e-15 + 1e-18 - 1e-33
    assert abs(res.unavailability[0, 0] - want) <= 1e-15 * want
    assert abs(res.unavailability[1, 0] - 2e-300) <= 1e-15 * 2e-300
    assert abs(res.availability[0, 0] - (1.0 - want)) <= 1e-16
    assert_rows_match(d, q, res)


def test_constant_probabilities():
    """Rows of zeros and ones: every journey up or down for sure, exactly."""
    d = ExactDiagram(layered_model(4))
    n = d.structure.n_events
    res = evaluate_many(d, np.array([np.zeros(n), np.ones(n), np.full(n, -0.0)]))
    assert np.all(res.availability[0] == 1.0) and np.all(res.unavailability[0] == 0.0)
    assert np.all(res.availability[1] == 0.0) and np.all(res.unavailability[1] == 1.0)
    # -0.0 is a probability (it equals 0), as for ExactDiagram.evaluate
    assert res.availability[2].tolist() == res.availability[0].tolist()
    assert res.unavailability[2].tolist() == res.unavailability[0].tolist()


def test_constant_roots():
    """Roots at the terminals (a journey that is always down or up) give 0
    and 1 exactly at every row, at any chunk size."""
    d = ExactDiagram(ss.parallel(C("a", unavailability=0.1), C("b", unavailability=0.2),
                                 name="p"))
    var, lo, hi, _, level = kernel_args(d)
    roots = np.array([0, 1, *d.roots], dtype=np.int32)
    q = np.array([[0.1, 0.2], [0.0, 1.0], [0.5, 0.5]])
    for chunk in (1, 2, 8):
        up, down = _batch.probabilities(var, lo, hi, roots, q, chunk=chunk, level=level)
        assert up[:, :2].tolist() == [[0.0, 1.0]] * 3
        assert down[:, :2].tolist() == [[1.0, 0.0]] * 3
        np.testing.assert_allclose(down[:, 2], q[:, 0] * q[:, 1], rtol=REL)


def test_no_vectors_and_one_vector(layered):
    n, J = layered.structure.n_events, len(layered.structure.journeys)
    for threads in (1, 2):
        res = evaluate_many(layered, np.empty((0, n)), threads=threads)
        assert res.availability.shape == res.unavailability.shape == (0, J)
        assert repr(res) == f"BatchEvaluation(vectors=0, journeys={J})"
    q = lognormal_rows(layered, 1, seed=3)
    res = evaluate_many(layered, q)
    assert res.unavailability.shape == (1, J)
    assert_rows_match(layered, q, res)
    # a list of lists is an array like any other
    assert_rows_match(layered, q, evaluate_many(layered, q.tolist()))


def test_model_probabilities_give_exact(layered):
    res = evaluate_many(layered, layered.structure.q[None, :])
    ex = ss.exact(layered_model())
    for j, name in enumerate(res.journeys):
        assert abs(res.unavailability[0, j] - ex[name].unavailability) <= \
            REL * ex[name].unavailability
        assert abs(res.availability[0, j] - ex[name].availability) <= REL


# --- chunks and threads ---------------------------------------------------------


def test_identical_for_any_chunk_size(layered):
    """Bit for bit, whatever the chunk (lanes) and however the rows are
    split between calls."""
    q = lognormal_rows(layered, 101, seed=11)
    q[7] = 0.0
    q[8] = 1.0
    q[9, ::2] = 1e-16
    var, lo, hi, roots, level = kernel_args(layered)
    ref_up, ref_down = _batch.probabilities(var, lo, hi, roots, q, chunk=1, level=level)
    for chunk in (2, 3, 7, 8, 16, 33, 100, 101, 4096):
        up, down = _batch.probabilities(var, lo, hi, roots, q, chunk=chunk, level=level)
        assert up.tobytes() == ref_up.tobytes(), chunk
        assert down.tobytes() == ref_down.tobytes(), chunk
    up = np.empty_like(ref_up)
    down = np.empty_like(ref_down)
    for a, b in ((0, 5), (5, 6), (6, 60), (60, 101)):
        _batch.probabilities(var, lo, hi, roots, q[a:b], chunk=8, level=level,
                             up=up[a:b], down=down[a:b])
    assert up.tobytes() == ref_up.tobytes() and down.tobytes() == ref_down.tobytes()
    assert_rows_match(layered, q[::10], evaluate_many(layered, q[::10]))


@pytest.mark.parametrize("work_bytes", [1, None])
def test_identical_for_any_thread_count(layered, monkeypatch, work_bytes):
    """Threads split the rows into parts; the result does not change, bit
    for bit (with the engine's own chunk size, and with the smallest)."""
    if work_bytes is not None:
        monkeypatch.setattr(batch_engine, "_WORK_BYTES", work_bytes)
    q = lognormal_rows(layered, 5000, seed=5)
    ref = evaluate_many(layered, q)
    for threads in (2, 3, 8):
        res = evaluate_many(layered, q, threads=threads)
        assert res.availability.tobytes() == ref.availability.tobytes(), threads
        assert res.unavailability.tobytes() == ref.unavailability.tobytes(), threads
    assert_rows_match(layered, q[::250], BatchEvaluation(
        ref.availability[::250], ref.unavailability[::250], ref.journeys))


def test_chunk_size_rule():
    """Powers of two in [8, 1024] whose work arrays fit the budget when
    they can."""
    for slots, events in ((2, 1), (17, 1000), (100, 10_000), (10**6, 10)):
        c = batch_engine._chunk(slots, events)
        assert c & (c - 1) == 0 and 8 <= c <= 1024
        assert c == 8 or 8 * c * (events + 2 * slots) <= batch_engine._WORK_BYTES


def test_slots_are_the_live_nodes(layered):
    """The work array holds the nodes alive at once, far fewer than the
    diagram's nodes for a layered model; pruning unreached nodes and
    recycling slots does not change a number."""
    var, lo, hi, roots, level = kernel_args(layered)
    slots = _batch.slots(lo, hi, roots)
    assert 2 < slots < layered.nodes // 4
    q = lognormal_rows(layered, 20, seed=2)
    up, down = _batch.probabilities(var, lo, hi, roots, q, chunk=4, level=level)
    ref_up, ref_down = numpy_reference(layered, q)
    np.testing.assert_array_equal(up, ref_up)
    np.testing.assert_array_equal(down, ref_down)


# --- one-factor copulas: the slow path ------------------------------------------


def copula_model():
    a, b, c = (C(n, unavailability=q) for n, q in (("a", 1e-2), ("b", 2e-2), ("c", 1e-3)))
    web = C("web", unavailability=1e-4)
    model = ss.Model(ss.series(web, ss.k_of_n(2, [a, b, c], name="db"), name="j"),
                     copulas=[ss.GaussianCopula("day", [a, b, c], loadings=[0.6, 0.5, 0.0])])
    return ExactDiagram(model)


def test_copula_rows_take_the_slow_path(monkeypatch):
    """A row at which two loaded members can fail integrates the factor
    (ExactDiagram.evaluate, one call per such row); at the others the
    members are independent and the kernel evaluates them. Every row
    equals ExactDiagram.evaluate."""
    d = copula_model()
    assert d.structure.events == ("web", "a", "b", "c")
    q = np.array([
        [1e-4, 1e-2, 2e-2, 1e-3],     # factor matters
        [1e-4, 0.0, 2e-2, 1e-3],      # a constant: one loaded member left
        [1e-4, 1.0, 2e-2, 0.5],       # a constant (c has loading 0)
        [0.3, 0.5, 0.5, 0.5],         # factor matters
        [1e-4, 1e-2, 1.0, 1e-3],
        [1e-4, 1e-9, 1e-9, 1e-9],     # factor matters, tiny
    ])
    evaluate = d.evaluate
    calls = []

    def counting(qk, *, conditionals=True):
        calls.append(np.array(qk))
        return evaluate(qk, conditionals=conditionals)

    monkeypatch.setattr(d, "evaluate", counting)
    res = evaluate_many(d, q)
    assert [c.tolist() for c in calls] == [q[0].tolist(), q[3].tolist(), q[5].tolist()]
    monkeypatch.undo()
    assert_rows_match(d, q, res)
    for k in (0, 3, 5):          # the slow path is evaluate itself
        ev = d.evaluate(q[k], conditionals=False)
        assert res.unavailability[k].tolist() == ev.unavailability.tolist()
    # the factor matters: row 0 differs from the independent model's value
    indep = ExactDiagram(ss.series(C("web", unavailability=1e-4),
                                   ss.k_of_n(2, [C("a", unavailability=1e-2),
                                                 C("b", unavailability=2e-2),
                                                 C("c", unavailability=1e-3)], name="db"),
                                   name="j"))
    assert res.unavailability[0, 0] > 1.2 * evaluate_many(indep, q[:1]).unavailability[0, 0]
    for threads in (2, 3):
        again = evaluate_many(d, q, threads=threads)
        assert again.unavailability.tobytes() == res.unavailability.tobytes()
        assert again.availability.tobytes() == res.availability.tobytes()


# --- the result -----------------------------------------------------------------


def test_result_is_frozen_and_read_only(layered):
    res = evaluate_many(layered, lognormal_rows(layered, 3, seed=1))
    assert repr(res) == "BatchEvaluation(vectors=3, journeys=3)"
    assert res.journeys == ("j0", "j1", "j2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.availability = None
    with pytest.raises(ValueError, match="read-only"):
        res.unavailability[0, 0] = 0.5


# --- errors ---------------------------------------------------------------------


def test_bad_arguments(layered):
    n = layered.structure.n_events
    good = lognormal_rows(layered, 4, seed=0)
    with pytest.raises(TypeError, match="The 'diagram' parameter of evaluate_many "
                                        "must be an ExactDiagram"):
        evaluate_many(layered_model(), good)
    shape = (rf"The 'q' parameter of evaluate_many must be an array of shape "
             rf"\(K, {n}\), a row of the {n} events' probabilities per vector\. ")
    with pytest.raises(ValueError, match=shape + rf"Got an array of shape \({n},\)"):
        evaluate_many(layered, good[0])
    with pytest.raises(ValueError, match=shape + rf"Got an array of shape \(4, {n - 1}\)"):
        evaluate_many(layered, good[:, 1:])
    with pytest.raises(ValueError, match=shape + rf"Got an array of shape \(2, 2, {n}\)"):
        evaluate_many(layered, good.reshape(2, 2, n))
    with pytest.raises(TypeError, match=shape + "Got a str that is not an array"):
        evaluate_many(layered, "q")
    with pytest.raises(TypeError, match="The 'threads' parameter of evaluate_many"):
        evaluate_many(layered, good, threads=1.5)
    with pytest.raises(ValueError, match="The 'threads' parameter of evaluate_many"):
        evaluate_many(layered, good, threads=0)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("value", [1.5, -1e-300, np.nan, np.inf])
def test_values_outside_zero_one_name_the_first(layered, value, threads, monkeypatch):
    monkeypatch.setattr(batch_engine, "_CHECK_BYTES", 1)     # one row a block
    events = layered.structure.events
    q = lognormal_rows(layered, 3000, seed=0)
    q[2100, 5] = 2.0            # a later part: not the first
    q[1700, 7] = value
    q[1700, 9] = value
    with pytest.raises(ValueError, match=(
            rf"The 'q' parameter of evaluate_many must hold probabilities in "
            rf"\[0, 1\]\. Got q\[1700, 7\] = {value!r} \(event {events[7]!r}\) "
            rf"instead\.")):
        evaluate_many(layered, q, threads=threads)


def test_kernel_checks_shapes(layered):
    var, lo, hi, roots, level = kernel_args(layered)
    q = lognormal_rows(layered, 3, seed=0)
    n = q.shape[1]

    def call(*args, **kwargs):
        a = dict(zip(("var", "lo", "hi", "roots", "q"), (var, lo, hi, roots, q)))
        a.update(kwargs)
        return _batch.probabilities(a["var"], a["lo"], a["hi"], a["roots"], a["q"],
                                    *args, chunk=a.get("chunk", 4),
                                    level=a.get("level", level),
                                    up=a.get("up"), down=a.get("down"))

    with pytest.raises(ValueError, match="chunk must be at least 1"):
        call(chunk=0)
    with pytest.raises(ValueError, match="differ in length"):
        call(var=var[:-1])
    bad = lo.copy()
    bad[5] = 5
    with pytest.raises(ValueError, match="node 5: children"):
        call(lo=bad)
    with pytest.raises(ValueError, match="is not a node"):
        call(roots=np.array([len(var)], dtype=np.int32))
    with pytest.raises(ValueError, match="is not one of the"):
        call(q=np.ascontiguousarray(q[:, 1:]), level=np.arange(n - 1, dtype=np.int32))
    with pytest.raises(ValueError, match="permutation"):
        call(level=np.zeros(n, dtype=np.int32))
    with pytest.raises(ValueError, match="one per column"):
        call(level=level[:-1])
    with pytest.raises(ValueError, match="r must have the shape of q"):
        call(1.0 - q[:2])
    with pytest.raises(ValueError, match="up and down must have the shape"):
        call(up=np.empty((3, 1)))
    with pytest.raises(ValueError, match="lo and hi must have the same length"):
        _batch.slots(lo, hi[:-1], roots)
