"""Monte Carlo estimation of journey availability.

The driver splits the samples into fixed-size chunks. Chunk ``i`` draws from
its own stream, the ``i``-th child spawned from the ``rng``'s seed sequence,
so the chunks are independent and the result depends only on ``rng``,
``samples`` and ``chunk_size``: never on ``threads``. Chunks run in a thread
pool; the kernel releases the GIL. Memory is bounded by one block buffer per
thread (about 1 MiB) whatever ``samples`` is: streams are spawned in
batches, and counts are accumulated as they come.
"""

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
import math
import threading
import warnings

import numpy as np

from .._core._kernels import simulate_chunk
from .._errors import FewFailuresWarning, PrecisionWarning
from .._validation import check_int, check_real, check_rng
from ..model import Journey, Model, Node, as_model, lower
from ..results import SimulationResult, SimulationResults, binomial_interval
from ._compile import CONST_DOWN, CONST_UP, compile_model
from ._given import apply_given, given_labels

#: What ``rng=`` accepts (SPEC 7).
RNGLike = (None | int | np.random.SeedSequence | np.random.BitGenerator
           | np.random.Generator)

__all__ = ["simulate", "simulate_joint", "JointCounts", "DEFAULT_CHUNK_SIZE", "RNGLike"]

#: Samples per chunk (one independent stream each) unless told otherwise.
DEFAULT_CHUNK_SIZE = 1 << 22

#: Failures below which a result warns that its interval is wide.
FEW_FAILURES = 100

_BATCH_CHUNKS = 64  # streams spawned at once: bounds memory, not results


def simulate(model: Model | Node | Journey, samples: int = 1_000_000, *,
             rng: RNGLike = None, given: dict | None = None, threads: int = 1,
             rel_error: float | None = None, max_samples: int | None = None,
             chunk_size: int = DEFAULT_CHUNK_SIZE,
             confidence: float = 0.95) -> SimulationResults:
    """Estimate every journey's availability by Monte Carlo.

    Parameters
    ----------
    model : Model, Node or Journey
        What to simulate; a node or journey is a one-journey model.
    samples : int, default 1_000_000
        Samples to draw; with ``rel_error``, the first batch.
    rng : None, int, SeedSequence, BitGenerator or Generator
        Seeds the streams (``numpy.random.default_rng(rng)``). The chunk
        streams are children spawned from its SeedSequence, so an int gives
        the same result every time, while a SeedSequence, BitGenerator or
        Generator passed twice gives two independent results (each call
        spawns new children).
    given : dict, optional
        What-if: basic event (component, service or shock name) -> ``True``
        or ``'up'``, ``False`` or ``'down'``, forced to that state as in
        :func:`exact`.
    threads : int, default 1
        Worker threads. The result does not depend on it.
    rel_error : float, optional
        Keep sampling (doubling the total each round) until, for every
        journey that can fail, the interval's half-width on unavailability
        is below ``rel_error`` times the estimate, or ``max_samples`` is
        reached.
    max_samples : int, optional
        Cap for ``rel_error`` (default ``10**10``). Ignored without it.
    chunk_size : int, default 2**22
        Samples per independent stream. Part of what fixes the result: the
        same ``rng`` and ``chunk_size`` give bit-identical counts at any
        thread count.
    confidence : float, default 0.95
        Level of the (Clopper-Pearson) intervals.

    Returns
    -------
    SimulationResults
        Mapping journey name -> :class:`SimulationResult`.

    Raises
    ------
    TypeError, ValueError
        For a bad parameter, with a message naming it.

    Warns
    -----
    FewFailuresWarning
        When a journey that can fail saw fewer than 100 failures: its
        interval is wide, and the message says how many samples would give
        about 100.
    PrecisionWarning
        When ``rel_error`` is not reached by ``max_samples``.

    See Also
    --------
    binomial_interval : the interval used.

    Notes
    -----
    Component states are packed 64 samples to a machine word; gates are
    bitwise operations on the words, k-of-n gates a threshold recurrence or
    a bit-sliced counter. Rare failures are placed directly: a component
    with unavailability ``q`` gets a Poisson number of hits with mean
    ``-log(1 - q)`` per sample at uniform positions, and a sample is down
    when hit at least once, which happens with probability exactly ``q``.
    The cost is proportional to the failures drawn, not to the samples.
    A shock is sampled like a component and ORed into its members. A
    one-factor :class:`~slosim.GaussianCopula` stratifies the factor over
    each block and thins hits drawn at an envelope of the members' rates,
    again at a cost proportional to the failures; a general correlation
    matrix draws a correlated normal vector per sample (see :doc:`/math`).

    Examples
    --------
    >>> import slosim as ss
    >>> web = ss.Component("web", availability=0.999)
    >>> db = ss.parallel(ss.Component("db-a", availability=0.99),
    ...                  ss.Component("db-b", availability=0.99), name="db")
    >>> res = ss.simulate(ss.series(web, db, name="checkout"),
    ...                   samples=10**7, rng=42)
    >>> res["checkout"].failures
    11048
    >>> res["checkout"]
    SimulationResult(journey='checkout', availability=0.998895 ± 1.1e-05, 95% CI
    [0.998874, 0.998916] (Clopper-Pearson), failures=11048, samples=10**7)
    >>> res
    SimulationResults(samples=10**7, journeys=1)
      checkout  0.998895  [0.998874, 0.998916]  failures=11048

    The exact availability, ``0.999 * (1 - 0.01**2) = 0.9988990``, is inside
    the interval.
    """
    func = "simulate"
    model = as_model(model, "simulate")
    samples = check_int(samples, "samples", func, low=1)
    rng = check_rng(rng, func)
    threads = check_int(threads, "threads", func, low=1)
    chunk_size = check_int(chunk_size, "chunk_size", func, low=64)
    confidence = check_real(confidence, "confidence", func, low=0, high=1,
                            low_open=True, high_open=True)
    if rel_error is not None:
        rel_error = check_real(rel_error, "rel_error", func, low=0, high=1,
                               low_open=True, high_open=True)
        if max_samples is None:
            max_samples = max(samples, 10**10)
        max_samples = check_int(max_samples, "max_samples", func, low=samples)
    elif max_samples is not None:
        max_samples = check_int(max_samples, "max_samples", func, low=1)

    structure = lower(model)
    labels = given_labels(structure, given, func)
    structure = apply_given(structure, given, func)
    program = compile_model(structure)
    live = np.flatnonzero(program.outputs >= 0)
    runner = _ChunkRunner(program, live)
    streams = _Streams(rng)

    failures = np.zeros(len(live), dtype=np.uint64)
    total = 0
    goal = samples
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    try:
        while True:
            if len(live):
                failures += runner.run(streams, total, goal, chunk_size, pool,
                                       threads)
            total = goal
            if rel_error is None or not len(live):
                break
            if _precise(failures, total, rel_error, confidence):
                break
            if total >= max_samples:
                warnings.warn(
                    f"rel_error={rel_error} not reached after max_samples="
                    f"{max_samples} samples; raise max_samples for a tighter "
                    f"interval", PrecisionWarning, stacklevel=2)
                break
            # Each round doubles the total (and adds at least one chunk).
            goal = min(max_samples, total + max(total, chunk_size))
    finally:
        if pool is not None:
            pool.shutdown()

    results = {}
    counts = dict(zip(live.tolist(), failures.tolist()))
    targets = dict(zip(structure.journeys, structure.targets))
    for j, (name, out) in enumerate(zip(program.journey_names, program.outputs)):
        const = out in (CONST_UP, CONST_DOWN)
        f = total if out == CONST_DOWN else (0 if out == CONST_UP else counts[j])
        results[name] = SimulationResult(
            name, samples=total, failures=int(f), confidence=confidence,
            target=targets[name], exact=const)
        if not const and f < FEW_FAILURES:
            _warn_few(results[name], stacklevel=2)
    return SimulationResults(results, samples=total, chunk_size=chunk_size, given=labels)


@dataclass(frozen=True, eq=False)
class JointCounts:
    """Failure counts of every journey, alone and with each basic event.

    What :func:`simulate_joint` counted; the raw material of Monte Carlo
    importance measures (:func:`slosim.importance`).

    Attributes
    ----------
    structure : slosim.model.Structure
        The structure simulated (``given`` applied); ``events`` and
        ``journeys`` order the arrays.
    samples : int
    failures : ndarray of int64, shape (J,)
        Samples where each journey is down.
    joint : ndarray of int64, shape (J, E)
        Samples where the journey is down and the event has happened (a
        component down, a shock happening). An event of probability 0 or 1
        is not sampled: its count is 0, or the journey's failures.
    constant : tuple
        Per journey, None, or ``'up'`` / ``'down'`` for a journey whose
        state depends on no sampled event: its failures are then 0 or
        ``samples``, and its joint counts 0 (the joint probability of a
        journey always down and an event is the event's probability).
    """

    structure: object
    samples: int
    failures: np.ndarray
    joint: np.ndarray
    constant: tuple


def simulate_joint(model, samples=1_000_000, *, rng=None, given=None, threads=1,
                   chunk_size=DEFAULT_CHUNK_SIZE):
    """Count each journey's failures and, with each, each event's.

    The same samples as :func:`simulate` with the same ``rng``,
    ``samples``, ``given`` and ``chunk_size`` (the same failures), plus, per
    journey and basic event, the samples where both are down.

    Parameters
    ----------
    model : Model, Node, Journey
    samples, rng, given, threads, chunk_size
        As for :func:`simulate` (no ``rel_error``: the count is fixed).

    Returns
    -------
    JointCounts

    Examples
    --------
    >>> import slosim as ss
    >>> from slosim.engines import simulate_joint
    >>> a = ss.Component("a", unavailability=0.01)
    >>> b = ss.Component("b", unavailability=0.02)
    >>> c = simulate_joint(ss.series(a, b, name="j"), 10**6, rng=1)
    >>> c.failures, c.joint
    (array([30042]), array([[10171, 20090]]))
    >>> ss.simulate(ss.series(a, b, name="j"), 10**6, rng=1)["j"].failures
    30042

    ``joint[0, 0]`` counts the samples where the journey and ``a`` are
    down: every sample with ``a`` down, since ``a`` is in series.
    """
    func = "simulate_joint"
    model = as_model(model, func)
    samples = check_int(samples, "samples", func, low=1)
    rng = check_rng(rng, func)
    threads = check_int(threads, "threads", func, low=1)
    chunk_size = check_int(chunk_size, "chunk_size", func, low=64)
    structure = apply_given(lower(model), given, func)
    program = compile_model(structure)
    live = np.flatnonzero(program.outputs >= 0)
    J, E = len(structure.journeys), structure.n_events
    failures = np.zeros(J, dtype=np.int64)
    joint = np.zeros((J, E), dtype=np.int64)
    if len(live):
        runner = _ChunkRunner(program, live, joint=True)
        pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
        try:
            counts = runner.run(_Streams(rng), 0, samples, chunk_size, pool, threads)
        finally:
            if pool is not None:
                pool.shutdown()
        event_of = {name: e for e, name in enumerate(structure.events)}
        leaves = np.array([event_of[n] for n in program.leaf_names], dtype=np.intp)
        failures[live] = counts[:, 0].astype(np.int64)
        joint[np.ix_(live, leaves)] = counts[:, 1:].astype(np.int64)
        always = np.flatnonzero(structure.q == 1.0)
        joint[np.ix_(live, always)] = failures[live][:, None]
    constant = []
    for j, out in enumerate(program.outputs.tolist()):
        if out == CONST_DOWN:
            failures[j] = samples
            constant.append("down")
        else:
            constant.append("up" if out == CONST_UP else None)
    for a in (failures, joint):
        a.setflags(write=False)
    return JointCounts(structure, samples, failures, joint, tuple(constant))


def _warn_few(res, stacklevel):
    f, n = res.failures, res.samples
    lo, hi = res.unavailability_ci
    if f == 0:
        msg = (f"journey {res.journey!r}: no failures in {n} samples, so only a "
               f"bound: unavailability < {hi:.2g} at {res.confidence:.0%}. "
               f"At least {math.ceil(100 / hi):.2g} samples would give ~100 "
               f"failures (or pass rel_error=).")
    else:
        msg = (f"journey {res.journey!r}: only {f} failure{'s' if f > 1 else ''} "
               f"in {n} samples; the "
               f"{res.confidence:.0%} interval on unavailability is "
               f"[{lo:.3g}, {hi:.3g}]. About {math.ceil(100 * n / f):.2g} "
               f"samples would give ~100 failures (or pass rel_error=).")
    warnings.warn(msg, FewFailuresWarning, stacklevel=stacklevel + 1)


def _precise(failures, n, rel_error, confidence):
    for f in failures.tolist():
        if f == 0:
            return False
        lo, hi = binomial_interval(f, n, confidence)
        if (hi - lo) / 2 > rel_error * (f / n):
            return False
    return True


class _Streams:
    """Child seed sequences of ``rng``, spawned lazily in batches.

    Spawning ``a`` then ``b`` children of a SeedSequence gives the same
    streams as spawning ``a + b`` at once, so batching bounds memory without
    changing any result. Children are cheap SeedSequences; each chunk builds
    its own bit generator from one in the worker thread, so that cost is
    spread over the threads too.
    """

    def __init__(self, rng):
        self.kind = type(rng.bit_generator)
        self._seed_seq = rng.bit_generator.seed_seq

    def take(self, n):
        return self._seed_seq.spawn(n)


class _ChunkRunner:
    """Runs chunks of one program; each thread reuses its own work buffers.

    ``run`` returns the failures per live output; with ``joint``, one row
    per live output ``[failures, j_0, ..., j_(L-1)]``, ``j_i`` the samples
    where the output and leaf ``i`` are both down (the kernel's ``joint``
    counts).
    """

    def __init__(self, program, live, joint=False):
        self.p = program
        self.outputs = np.ascontiguousarray(program.outputs[live], dtype=np.int64)
        self.joint = joint
        self._local = threading.local()

    def run(self, streams, start, stop, chunk_size, pool, threads):
        """Samples ``start..stop`` in chunks; return counts per live output.

        With a pool, chunks are submitted continuously, at most four per
        thread in flight, so no thread waits at a batch boundary and memory
        stays bounded. Counts are integers: their sum does not depend on the
        order.
        """
        shape = (len(self.outputs), 1 + self.p.n_leaves) if self.joint else len(self.outputs)
        total = np.zeros(shape, dtype=np.uint64)
        pending = deque()
        pos = start
        while pos < stop:
            sizes = []
            while pos < stop and len(sizes) < _BATCH_CHUNKS:
                sizes.append(min(chunk_size, stop - pos))
                pos += sizes[-1]
            for seed_seq, n in zip(streams.take(len(sizes)), sizes):
                if pool is None:
                    total += self.chunk(streams.kind, seed_seq, n)
                    continue
                pending.append(pool.submit(self.chunk, streams.kind, seed_seq, n))
                if len(pending) > 4 * threads:
                    total += pending.popleft().result()
        while pending:
            total += pending.popleft().result()
        return total

    def chunk(self, kind, seed_seq, n):
        """Counts per live output in one chunk of ``n`` samples."""
        p = self.p
        buffers = getattr(self._local, "buffers", None)
        if buffers is None:
            buffers = self._local.buffers = (
                np.empty((p.n_nodes, p.block_words), dtype=np.uint64),
                np.empty((p.scratch_rows, p.block_words), dtype=np.uint64),
            )
        nodes, scratch = buffers
        failures = np.zeros(len(self.outputs), dtype=np.uint64)
        joint = (np.zeros((len(self.outputs), p.n_leaves), dtype=np.uint64)
                 if self.joint else None)
        simulate_chunk(kind(seed_seq), n, p.leaf_lam, p.leaf_method,
                       p.leaf_qbits, p.gate_op, p.gate_param, p.child_ptr,
                       p.child_idx, self.outputs, nodes, scratch, failures,
                       joint=joint, sub_words=p.sub_words, factor=p.factor,
                       matrix=p.matrix)
        if joint is None:
            return failures
        return np.concatenate([failures[:, None], joint], axis=1)
