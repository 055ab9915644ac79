"""Monte Carlo estimation of journey availability.

The driver splits the samples into fixed-size chunks. Chunk ``i`` draws from
its own stream, the ``i``-th child spawned from the ``rng``'s seed sequence,
so the chunks are independent and the result depends only on ``rng``,
``samples`` and ``chunk_size``: never on ``threads`` or the executor. Chunks
run in the calling thread, a thread pool (the kernel releases the GIL) or
on an executor's workers (``_executor``). Memory is bounded by one block
buffer per worker thread (about 1 MiB) whatever ``samples`` is: streams are
spawned in batches, and counts are accumulated as they come.
"""

from concurrent.futures import Executor
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
from ._executor import Driver, Streams, check_parallel, check_progress, chunks
from ._given import apply_given, given_labels

#: What ``rng=`` accepts (SPEC 7).
RNGLike = (None | int | np.random.SeedSequence | np.random.BitGenerator
           | np.random.Generator)

__all__ = ["simulate", "simulate_joint", "JointCounts", "DEFAULT_CHUNK_SIZE", "RNGLike"]

#: Samples per chunk (one independent stream each) unless told otherwise.
DEFAULT_CHUNK_SIZE = 1 << 22

#: Failures below which a result warns that its interval is wide.
FEW_FAILURES = 100


def simulate(model: Model | Node | Journey, samples: int = 1_000_000, *,
             rng: RNGLike = None, given: dict | None = None, threads: int | None = None,
             executor: Executor | None = None,
             rel_error: float | None = None, max_samples: int | None = None,
             chunk_size: int = DEFAULT_CHUNK_SIZE,
             confidence: float = 0.95, progress: bool | str = False,
             callback=None) -> SimulationResults:
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
        Worker threads of this process. The result does not depend on it.
    executor : concurrent.futures.Executor, optional
        Run the chunks on this executor's workers instead (a
        ``ProcessPoolExecutor``, or a dask cluster's
        ``Client(...).get_executor()``); not with ``threads``. Each task
        is one chunk: the compiled model (sent as bytes, unpickled once per
        worker), the chunk's child seed and its size; its result is the
        chunk's failure counts. The result is bit-identical to
        ``threads=1``'s for the same ``rng`` and ``chunk_size``, whatever
        the executor and its number of workers. The executor is not shut
        down. See :doc:`/large-runs`.
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
    progress : bool or 'auto', default False
        Draw a progress bar on stderr (tqdm when installed, else a line of
        text); ``'auto'``: only when stderr is a terminal.
    callback : callable, optional
        Called as ``callback(done, total)`` after each chunk, in samples:
        ``done`` counts the samples of the chunks finished, ``total`` the
        samples planned. Both only grow; with ``rel_error``, ``total`` is
        the current round's goal (it grows when another round starts), and
        the last call has ``done == total ==`` the result's ``samples``.
        An exception it raises stops the run (as Ctrl-C does).

    Returns
    -------
    SimulationResults
        Mapping journey name -> :class:`SimulationResult`.

    Raises
    ------
    TypeError, ValueError
        For a bad parameter, with a message naming it.
    ChunkError
        When a chunk's task raised, or its worker died and it could not be
        run again: the message names the chunk (number, seed, size), the
        original exception is its ``__cause__``. No partial result.

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
    threads, executor = check_parallel(threads, executor, func)
    progress, callback = check_progress(progress, callback, func)
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
    task = _Task(program, live, type(rng.bit_generator))
    streams = Streams(rng)

    failures = np.zeros(len(live), dtype=np.uint64)
    total = 0
    goal = samples
    with Driver(func, "samples", threads=threads, executor=executor, progress=progress,
                callback=callback, total=goal) as driver:
        while True:
            if len(live):
                driver.plan(goal)
                failures += _run(driver, task, streams, total, goal, chunk_size)
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


def simulate_joint(model, samples=1_000_000, *, rng=None, given=None, threads=None,
                   executor=None, chunk_size=DEFAULT_CHUNK_SIZE, progress=False,
                   callback=None):
    """Count each journey's failures and, with each, each event's.

    The same samples as :func:`simulate` with the same ``rng``,
    ``samples``, ``given`` and ``chunk_size`` (the same failures), plus, per
    journey and basic event, the samples where both are down.

    Parameters
    ----------
    model : Model, Node, Journey
    samples, rng, given, threads, executor, chunk_size, progress, callback
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
    threads, executor = check_parallel(threads, executor, func)
    progress, callback = check_progress(progress, callback, func)
    chunk_size = check_int(chunk_size, "chunk_size", func, low=64)
    structure = apply_given(lower(model), given, func)
    program = compile_model(structure)
    live = np.flatnonzero(program.outputs >= 0)
    J, E = len(structure.journeys), structure.n_events
    failures = np.zeros(J, dtype=np.int64)
    joint = np.zeros((J, E), dtype=np.int64)
    if len(live):
        task = _Task(program, live, type(rng.bit_generator), joint=True)
        with Driver(func, "samples", threads=threads, executor=executor,
                    progress=progress, callback=callback, total=samples) as driver:
            counts = _run(driver, task, Streams(rng), 0, samples, chunk_size)
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


def _run(driver, task, streams, start, stop, chunk_size):
    """Samples ``start..stop`` in chunks; the counts per live output, summed
    in chunk order (integers: the sum does not depend on the order anyway)."""
    total = np.zeros(task.shape, dtype=np.uint64)

    def add(chunk, counts):
        nonlocal total
        total += counts

    driver.run(_chunk, task, chunks(streams, start, stop, chunk_size), add)
    return total


class _Task:
    """What every chunk of a run shares: the program, the live outputs, the
    bit generator's type; pickled once per run for an executor.

    Each thread (of this process or of a worker) reuses its own work
    buffers, which are not pickled.

    ``_chunk`` gives the failures per live output; with ``joint``, one row
    per live output ``[failures, j_0, ..., j_(L-1)]``, ``j_i`` the samples
    where the output and leaf ``i`` are both down (the kernel's ``joint``
    counts).
    """

    def __init__(self, program, live, kind, joint=False):
        self.p = program
        self.outputs = np.ascontiguousarray(program.outputs[live], dtype=np.int64)
        self.kind = kind
        self.joint = joint
        self.shape = ((len(self.outputs), 1 + program.n_leaves) if joint
                      else (len(self.outputs),))
        self._local = threading.local()

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_local"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()

    def buffers(self):
        p = self.p
        buffers = getattr(self._local, "buffers", None)
        if buffers is None:
            buffers = self._local.buffers = (
                np.empty((p.n_nodes, p.block_words), dtype=np.uint64),
                np.empty((p.scratch_rows, p.block_words), dtype=np.uint64),
            )
        return buffers


def _chunk(task, chunk):
    """Counts per live output in one chunk (a task of the driver)."""
    p = task.p
    nodes, scratch = task.buffers()
    failures = np.zeros(len(task.outputs), dtype=np.uint64)
    joint = (np.zeros((len(task.outputs), p.n_leaves), dtype=np.uint64)
             if task.joint else None)
    simulate_chunk(task.kind(chunk.seed), chunk.size, p.leaf_lam, p.leaf_method,
                   p.leaf_qbits, p.gate_op, p.gate_param, p.child_ptr,
                   p.child_idx, task.outputs, nodes, scratch, failures,
                   joint=joint, sub_words=p.sub_words, factor=p.factor,
                   matrix=p.matrix)
    if joint is None:
        return failures
    return np.concatenate([failures[:, None], joint], axis=1)
