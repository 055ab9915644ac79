"""Evaluating one decision diagram at many probability vectors.

Uncertainty propagation and sampling-based sensitivity analysis ask the
same diagram for every journey's availability at thousands to millions of
vectors of basic-event probabilities. :func:`evaluate_many` answers them
all in one pass of the ``_batch`` kernel over the diagram, vectorised over
the vectors: the diagram is built once (:class:`ExactDiagram`), and each
node costs a few arithmetic operations per vector, against a Python call
and a pass over the whole diagram per vector for
:meth:`ExactDiagram.evaluate`.

The rows are split into parts that run on worker threads (the kernel
releases the GIL), or on an executor's workers (blocks of rows sent with
the diagram's node arrays, through ``_executor``); each vector's numbers
depend on that vector alone, so the result is the same, bit for bit, at
any thread count and on any executor. A vector at
which a one-factor copula has at least two members that can fail takes
the slow path, :meth:`ExactDiagram.evaluate`, which integrates the factor
out.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
import math

import numpy as np

from .._core import _batch
from .._validation import param_error
from . import _exact  # the module, not the class: _exact may import this one
from ._executor import Chunk, Driver, Reporter, check_parallel, check_progress

__all__ = ["evaluate_many", "BatchEvaluation"]

#: The kernel's work arrays (the chunk's probabilities and the live
#: nodes' lanes) aim at this many bytes, to stay in a core's L2 cache.
_WORK_BYTES = 1 << 19

#: Fewest and most vectors per chunk (powers of two).
_MIN_CHUNK, _MAX_CHUNK = 8, 1024

#: With threads, the rows are split into about this many parts per thread
#: (so that a thread that finishes early takes another).
_PARTS_PER_THREAD = 4

#: Blocks of rows at least, when progress is reported.
_REPORTED_PARTS = 64

#: Looking for a bad value, rows of ``q`` are compared about this many
#: bytes at a time (so the comparisons' temporaries stay small).
_CHECK_BYTES = 1 << 18

#: On an executor, a task carries about this many bytes of rows, and at
#: most _EXECUTOR_IN_FLIGHT tasks are in flight (the client's memory).
_TASK_BYTES = 1 << 22
_EXECUTOR_IN_FLIGHT = 32

#: The bit pattern of 1.0.
_ONE_BITS = np.float64(1.0).view(np.uint64)


@dataclass(frozen=True, eq=False)
class BatchEvaluation:
    """Every journey's probabilities at many vectors of event probabilities.

    Row ``k`` belongs to the ``k``-th vector, column ``j`` to journey
    ``journeys[j]``.

    Attributes
    ----------
    availability, unavailability : ndarray, shape (K, J)
        Each journey's probability of being up and of being down at each
        vector, each computed directly (neither as one minus the other, so
        an unavailability of ``1e-15`` keeps its digits). Read-only.
    journeys : tuple of str
        The journeys, in the order of the columns.
    """

    availability: np.ndarray
    unavailability: np.ndarray
    journeys: tuple

    def __repr__(self):
        k, j = self.unavailability.shape
        return f"BatchEvaluation(vectors={k}, journeys={j})"


def evaluate_many(diagram, q, *, threads=None, executor=None, progress=False,
                  callback=None):
    """Every journey's availability at each of many vectors of probabilities.

    Parameters
    ----------
    diagram : ExactDiagram
        The model's decision diagram, built once.
    q : array_like, shape (K, E)
        Row ``k``: each basic event's probability (a component's
        unavailability, a shock's probability) in the ``k``-th vector, in
        the order of ``diagram.structure.events``. A C-contiguous float64
        array is read in place; anything else is copied first.
    threads : int, default 1
        Worker threads. The result does not depend on it.
    executor : concurrent.futures.Executor, optional
        Evaluate blocks of rows (about 4 MB each) on this executor's
        workers instead (not with ``threads``): a task is the diagram's
        node arrays (sent as bytes, unpickled once per worker) and its
        rows. The result is the same, bit for bit. Rows at which a copula's
        factor must be integrated out are evaluated in the calling process.
        The executor is not shut down.
    progress : bool or 'auto', default False
        Draw a progress bar on stderr (tqdm when installed, else a line of
        text); ``'auto'``: only when stderr is a terminal.
    callback : callable, optional
        Called as ``callback(done, total)`` in the calling thread as blocks
        of rows finish, in vectors: monotone, the last call with ``done ==
        total == K``. With either, rows evaluated in this process go in
        at least 64 blocks, so that there is something to report; the
        result is the same.

    Returns
    -------
    BatchEvaluation
        ``availability`` and ``unavailability``, shape (K, J).

    Raises
    ------
    TypeError
        If ``diagram`` is not an :class:`ExactDiagram`, or ``threads`` not
        an int.
    ValueError
        If ``q`` is not of shape (K, E), or holds a value outside [0, 1]
        (the message names the first such row and event).
    ExactUnsupportedError, ConvergenceError
        As :meth:`ExactDiagram.evaluate`, for a vector at which two
        copulas' factors both matter, or whose factor integral does not
        converge.

    See Also
    --------
    ExactDiagram.evaluate : one vector, with every event's conditionals.

    Notes
    -----
    Each diagram node ``u`` with variable ``v`` has, at vector ``k``, the
    probability of being up ``P_k(u) = q_kv P_k(lo) + (1 - q_kv) P_k(hi)``
    and of being down, computed alongside, the same sum over the down
    probabilities: both sums of non-negative terms, as in
    :func:`~slosim.exact`. The kernel evaluates only the nodes the journeys
    reach, a chunk of vectors at a time (the chunk's vectors side by side
    in memory, so that the arithmetic is vectorised), and keeps only the
    nodes still to be read: its working memory depends on the diagram and
    the chunk, not on ``K``. Each row equals :meth:`ExactDiagram.evaluate` at that
    row (``conditionals=False``) to rounding.

    With a one-factor :class:`~slosim.GaussianCopula`, a vector at which
    at least two of its members with a non-zero loading have a probability
    strictly between 0 and 1 needs the factor integrated out (adaptive
    quadrature to a relative error of ``1e-11``, hundreds of passes over
    the diagram): such rows are the slow path, one call of
    :meth:`ExactDiagram.evaluate` each (about 10 ms a row even for a model
    of four components, where the kernel takes well under a microsecond
    a row). At the other rows the members are independent
    (those with a probability of 0 or 1 are constants, those with a
    loading of 0 independent of the factor), and the kernel evaluates
    them.

    Examples
    --------
    >>> import numpy as np
    >>> import slosim as ss
    >>> from slosim.engines import ExactDiagram, evaluate_many
    >>> web = ss.Component("web", unavailability=1e-3)
    >>> db = ss.parallel(ss.Component("db-a", unavailability=1e-2),
    ...                  ss.Component("db-b", unavailability=1e-2), name="db")
    >>> d = ExactDiagram(ss.series(web, db, name="checkout"))
    >>> d.structure.events
    ('web', 'db-a', 'db-b')
    >>> res = evaluate_many(d, [[1e-3, 1e-2, 1e-2], [0.0, 1e-9, 1e-9], [0.0, 1.0, 0.0]])
    >>> res
    BatchEvaluation(vectors=3, journeys=1)
    >>> res.unavailability
    array([[1.0999e-03],
           [1.0000e-18],
           [0.0000e+00]])

    Uncertainty propagation: each unavailability lognormal around the
    model's own, with an error factor of 3 (the 95th percentile three
    times the median):

    >>> rng = np.random.default_rng(7)
    >>> sigma = np.log(3) / 1.6449
    >>> q = d.structure.q * np.exp(sigma * rng.standard_normal((100_000, 3)))
    >>> u = evaluate_many(d, np.minimum(q, 1.0)).unavailability[:, 0]
    >>> print(f"mean {u.mean():.3e}, 5% {np.quantile(u, 0.05):.3e}, "
    ...       f"95% {np.quantile(u, 0.95):.3e}")
    mean 1.404e-03, 5% 4.440e-04, 95% 3.180e-03
    """
    func = "evaluate_many"
    if not isinstance(diagram, _exact.ExactDiagram):
        raise param_error("diagram", func, "an ExactDiagram", diagram, TypeError)
    threads, executor = check_parallel(threads, executor, func)
    progress, callback = check_progress(progress, callback, func)
    s = diagram.structure
    n_events = s.n_events
    expected = (f"The 'q' parameter of {func} must be an array of shape (K, "
                f"{n_events}), a row of the {n_events} events' probabilities per "
                f"vector.")
    try:
        q = np.ascontiguousarray(q, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{expected} Got a {type(q).__name__} that is not an "
                        f"array of numbers instead.") from None
    if q.ndim != 2 or q.shape[1] != n_events:
        raise ValueError(f"{expected} Got an array of shape {q.shape} instead.")
    K, J = len(q), len(s.journeys)
    up = np.empty((K, J), dtype=np.float64)
    down = np.empty((K, J), dtype=np.float64)
    var, lo, hi = diagram.node_arrays()
    roots = np.asarray(diagram.roots, dtype=np.int32)
    level = np.ascontiguousarray(diagram.levels, dtype=np.int32)
    slow = _factor_rows(s, q)
    fast = None if slow is None else np.flatnonzero(~slow)
    chunk = _chunk(_batch.slots(lo, hi, roots), n_events)

    def part(a, b):
        """Rows a..b: the first bad (row, event), or None once evaluated."""
        bad = _first_bad(q, a, b)
        if bad is not None:
            return bad
        if fast is None:
            _batch.probabilities(var, lo, hi, roots, q[a:b], chunk=chunk,
                                 level=level, up=up[a:b], down=down[a:b])
        else:
            rows = fast[(fast >= a) & (fast < b)]
            if len(rows):
                u, d = _batch.probabilities(var, lo, hi, roots, q[rows],
                                            chunk=chunk, level=level)
                up[rows], down[rows] = u, d
        return None

    def one(k):
        ev = diagram.evaluate(q[k], conditionals=False)
        up[k], down[k] = ev.availability, ev.unavailability

    reporting = progress or callback is not None
    reporter = Reporter(func, "vectors", progress, callback, K) if reporting else None
    slow_rows = [] if slow is None else np.flatnonzero(slow).tolist()

    def advance(n):
        if reporter is not None and n:
            reporter.advance(n)

    failed = True
    try:
        if executor is not None:
            bad = _first_bad(q, 0, K)
            if bad is not None:
                raise _bad_value(func, q, s, *bad)
            rows = np.arange(K) if fast is None else fast
            tables = {"var": var, "lo": lo, "hi": hi, "roots": roots, "level": level,
                      "chunk": chunk}
            _on_executor(executor, func, tables, q, rows, chunk, up, down, reporter)
            for k in slow_rows:
                one(k)
                advance(1)
        else:
            _in_process(part, one, K, chunk, threads, slow, slow_rows, reporting, advance,
                        lambda found: _bad_value(func, q, s, *found))
        failed = False
    finally:
        if reporter is not None:
            reporter.close(failed)
    up.setflags(write=False)
    down.setflags(write=False)
    return BatchEvaluation(availability=up, unavailability=down, journeys=s.journeys)


def _in_process(part, one, K, chunk, threads, slow, slow_rows, reporting, advance, bad):
    """Rows ``0..K-1`` in blocks, in this thread or on a pool of ``threads``:
    ``part(a, b)`` for the rows the kernel evaluates, ``one(k)`` for the
    slow ones; ``advance(n)`` as rows finish, in this thread."""
    n_parts = 1 if threads == 1 else _PARTS_PER_THREAD * threads
    if reporting:
        n_parts = max(n_parts, _REPORTED_PARTS)
    size = max(chunk, chunk * math.ceil(K / (n_parts * chunk))) if K else 1
    bounds = [(a, min(a + size, K)) for a in range(0, K, size)]
    slow_in = ([0] * len(bounds) if slow is None else
               [int(np.count_nonzero(slow[a:b])) for a, b in bounds])
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    each = map if pool is None else pool.map    # both lazy, results in order
    try:
        found = []
        for (a, b), n_slow, f in zip(bounds, slow_in, each(lambda ab: part(*ab), bounds)):
            if f is not None:
                found.append(f)
            else:
                advance(b - a - n_slow)
        if found:
            raise bad(min(found))
        for _ in each(one, slow_rows):
            advance(1)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _bad_value(func, q, s, k, e):
    return ValueError(
        f"The 'q' parameter of {func} must hold probabilities in [0, 1]. "
        f"Got q[{k}, {e}] = {float(q[k, e])!r} (event {s.events[e]!r}) instead.")


def _on_executor(executor, func, tables, q, rows, chunk, up, down, reporter=None):
    """``up[rows]``, ``down[rows]`` from blocks of rows evaluated on ``executor``."""
    per = max(chunk, chunk * (_TASK_BYTES // (8 * max(1, q.shape[1]) * chunk)))

    def blocks():
        for i, a in enumerate(range(0, len(rows), per)):
            idx = rows[a:a + per]
            yield Chunk(i, None, a, len(idx), data=np.ascontiguousarray(q[idx]))

    def consume(c, result):
        idx = rows[c.start:c.start + c.size]
        up[idx], down[idx] = result

    with Driver(func, "vectors", executor=executor, total=len(rows),
                in_flight=_EXECUTOR_IN_FLIGHT, reporter=reporter) as driver:
        driver.run(_block, tables, blocks(), consume)


def _block(t, c):
    """Up and down probabilities of the rows ``c.data`` (a task)."""
    return _batch.probabilities(t["var"], t["lo"], t["hi"], t["roots"], c.data,
                                chunk=t["chunk"], level=t["level"])


def _chunk(slots, n_events):
    """Vectors per chunk: the largest power of two whose work arrays (the
    chunk's probabilities and ``slots`` rows of up and down lanes) fit in
    ``_WORK_BYTES``, within ``[_MIN_CHUNK, _MAX_CHUNK]``."""
    per_vector = 8 * (n_events + 2 * slots)
    fits = max(1, _WORK_BYTES // per_vector)
    return min(_MAX_CHUNK, max(_MIN_CHUNK, 1 << (fits.bit_length() - 1)))


def _first_bad(q, a, b):
    """(row, column) of the first value of rows a..b of q outside [0, 1]
    (or NaN), or None.

    One pass without a temporary array: read as unsigned 64-bit integers,
    the doubles in [+0, 1] are exactly those at most 1.0's bit pattern
    (a negative number, -0.0 included, has the sign bit set; NaN and
    infinity have the largest exponent). Only when that maximum is larger
    are the rows looked at as numbers (-0.0 is then accepted).
    """
    rows = q[a:b]
    if not rows.size or rows.view(np.uint64).max() <= _ONE_BITS:
        return None
    step = max(1, _CHECK_BYTES // (8 * q.shape[1]))
    for start in range(0, len(rows), step):
        block = rows[start:start + step]
        bad = np.argwhere(~((block >= 0.0) & (block <= 1.0)))
        if len(bad):
            return a + start + int(bad[0, 0]), int(bad[0, 1])
    return None


def _factor_rows(structure, q):
    """Boolean (K,): the rows at which a one-factor copula has at least two
    members with a non-zero loading and a probability strictly between 0
    and 1 (its factor then matters); None when no copula can matter."""
    slow = None
    for cop in structure.copulas:
        if not cop.one_factor:
            continue      # an ExactDiagram refuses it when built
        members = cop.events[cop.loadings != 0.0]
        if len(members) < 2:
            continue
        qm = q[:, members]
        varying = np.count_nonzero((qm > 0.0) & (qm < 1.0), axis=1) >= 2
        slow = varying if slow is None else slow | varying
    return slow
