"""Running a sampling engine's chunks: in the calling thread, on threads, or
on any :class:`concurrent.futures.Executor`.

Every sampling engine splits its work into chunks fixed by the sample (or
run) count and ``chunk_size``: chunk ``i`` draws from the ``i``-th child of
the ``rng``'s :class:`~numpy.random.SeedSequence`. A chunk is a task: a
module-level function applied to the run's *payload* (the compiled program,
the kernel's arrays: the same for every chunk) and a :class:`Chunk` (its
index, child seed, first sample and size); its result is counts, a few small
arrays. Results are reduced in chunk order, so a run's answer depends on
``rng``, the sample count and ``chunk_size`` only: not on ``threads``, nor
on which executor ran the tasks or with how many workers.

* In the calling thread (``threads=1``): one chunk after another.
* ``threads=N``: a thread pool of our own (the kernels release the GIL),
  shut down when the run ends, however it ends.
* ``executor=``: any Executor the caller owns (a ``ProcessPoolExecutor``,
  ``dask.distributed.Client(...).get_executor()``): the payload is pickled
  once per run and sent with each task as bytes; a worker unpickles it once
  and keeps it (:func:`_payload`, keyed by a token per run), so a chunk
  costs the transfer of those bytes and of its counts. The caller's
  executor is never shut down here.

At most ``4 * threads`` (thread pool) or :data:`EXECUTOR_IN_FLIGHT`
(executor) chunks are in flight, so the client's memory stays bounded
whatever the sample count. Interrupted (Ctrl-C, or an exception from a
``callback``), a run cancels the chunks not yet started and shuts down its
own pool. A chunk whose task raises is reported by a :class:`ChunkError`
naming it, the original exception as its cause; one whose worker died
(``BrokenProcessPool``, dask's ``KilledWorker``) is submitted again, at most
:data:`RETRIES` times, while the executor accepts tasks, and otherwise
reported the same way. A run never returns a partial count.
"""

from collections import OrderedDict, deque
from concurrent.futures import BrokenExecutor, Executor, ThreadPoolExecutor
from dataclasses import dataclass
import os
import pickle
import queue
import signal
import sys
import threading
import time
import uuid

import numpy as np

from .._errors import ChunkError
from .._validation import check_int, param_error

__all__ = ["Chunk", "Driver", "Reporter", "Streams", "chunks", "check_parallel",
           "check_progress", "EXECUTOR_IN_FLIGHT", "RETRIES"]

#: Chunks in flight on a caller's executor (submitted, not yet reduced):
#: enough to keep 64 worker threads four deep, with the client's memory
#: bounded by that many small tasks and results.
EXECUTOR_IN_FLIGHT = 256

#: Chunks in flight per thread of our own pool.
_PER_THREAD = 4

#: Times a chunk whose worker died is submitted again.
RETRIES = 2

#: Streams spawned at once: bounds memory, not results.
_BATCH_CHUNKS = 64

#: Payloads a worker process keeps (the latest runs').
_CACHE_SIZE = 4


@dataclass(frozen=True)
class Chunk:
    """One task: chunk ``index`` of a run, ``size`` samples (or runs, or
    rows) from ``start``, drawn from ``seed`` (a child of the run's
    SeedSequence; None for work that draws nothing), with the chunk's own
    input ``data`` if it has one (rows of an array)."""

    index: int
    seed: np.random.SeedSequence | None
    start: int
    size: int
    data: object = None

    def __dask_tokenize__(self):
        # dask names a task by its arguments; the chunk's index is its name
        # within the run (whose payload carries a token of its own), cheaper
        # than dask's hashing of a pickled SeedSequence or of the data
        return (self.index, self.start, self.size)


class Streams:
    """Child seed sequences of ``rng``, spawned lazily in batches.

    Spawning ``a`` then ``b`` children of a SeedSequence gives the same
    streams as spawning ``a + b`` at once, so batching bounds memory without
    changing any result. ``spawned`` counts the children taken (the index of
    the next chunk).
    """

    def __init__(self, rng):
        self.kind = type(rng.bit_generator)
        self._seed_seq = rng.bit_generator.seed_seq
        self.spawned = 0

    def take(self, n):
        self.spawned += n
        return self._seed_seq.spawn(n)


def chunks(streams, start, stop, chunk_size):
    """The chunks of samples ``start..stop``, lazily, each with the next stream."""
    pos = start
    while pos < stop:
        sizes = []
        while pos < stop and len(sizes) < _BATCH_CHUNKS:
            sizes.append(min(chunk_size, stop - pos))
            pos += sizes[-1]
        first = streams.spawned
        a = pos - sum(sizes)
        for i, (seed, n) in enumerate(zip(streams.take(len(sizes)), sizes)):
            yield Chunk(first + i, seed, a, n)
            a += n


def check_parallel(threads, executor, func):
    """``threads`` as an int (None is 1) and ``executor``; both is an error."""
    if executor is not None:
        if threads is not None:
            raise ValueError(
                f"The 'threads' and 'executor' parameters of {func} are exclusive: "
                f"threads= runs chunks on threads of this process, executor= on the "
                f"executor's workers. Got threads={threads!r} and an executor.")
        if not isinstance(executor, Executor):
            raise param_error("executor", func, "a concurrent.futures.Executor (a "
                              "ProcessPoolExecutor, or dask's Client.get_executor()) "
                              "or None", executor, TypeError)
        return 1, executor
    return check_int(1 if threads is None else threads, "threads", func, low=1), None


def check_progress(progress, callback, func):
    """``progress`` (False, True or 'auto') and ``callback`` (None or callable)."""
    if not (isinstance(progress, (bool, np.bool_)) or progress == "auto"):
        raise param_error("progress", func, "True, False or 'auto'", progress,
                          TypeError if not isinstance(progress, str) else ValueError)
    if callback is not None and not callable(callback):
        raise param_error("callback", func, "a callable (done, total) or None", callback,
                          TypeError)
    if progress == "auto":
        isatty = getattr(sys.stderr, "isatty", None)
        progress = bool(isatty is not None and isatty())
    return bool(progress), callback


class Driver:
    """Runs the chunks of one call of a sampling engine; a context manager.

    Parameters
    ----------
    func : str
        The entry point, for messages and the progress bar.
    units : str
        What a chunk's size counts (``'samples'``, ``'runs'``).
    threads, executor
        As checked by :func:`check_parallel`.
    progress : bool
        Draw a progress bar on stderr.
    callback : callable or None
        Called with ``(done, total)`` after each chunk.
    total : int
        The units planned (it may grow: :meth:`plan`).
    in_flight : int, optional
        Chunks in flight on an executor: :data:`EXECUTOR_IN_FLIGHT`, or
        fewer for chunks that carry data.
    """

    def __init__(self, func, units, *, threads=1, executor=None, progress=False,
                 callback=None, total=0, in_flight=None, reporter=None):
        self.func, self.units = func, units
        self.executor = executor
        self._pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
        if executor is None:
            self._cap = _PER_THREAD * threads
        else:
            self._cap = EXECUTOR_IN_FLIGHT if in_flight is None else in_flight
        # a caller's reporter counts more than this run: the caller closes it
        self._own = reporter is None
        self._progress = (Reporter(func, units, progress, callback, total)
                          if reporter is None else reporter)
        self._packed = None     # (payload, its _Packed) of the last run

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        self.close(failed=kind is not None)
        return False

    def close(self, failed=False):
        """Shut down our own pool (never the caller's executor), end the bar."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._own:
            self._progress.close(failed)

    def plan(self, total):
        """The run now has ``total`` units (it never shrinks)."""
        self._progress.set_total(total)

    def run(self, fn, payload, todo, consume):
        """Run ``fn(payload, chunk)`` for each chunk of ``todo``; hand each
        result to ``consume(chunk, result)``, in chunk order.

        ``fn`` must be a module-level function (a worker process imports
        it by name) and ``payload`` picklable when an executor is used.
        An exception from ``consume`` stops the run as it is (not a
        :class:`ChunkError`: it is about the result, not the task).
        """
        todo = iter(todo)
        if self._pool is None and self.executor is None:
            for c in todo:
                try:
                    result = fn(payload, c)
                except Exception as exc:
                    raise self._error(c, exc, 1) from exc
                self._progress.advance(c.size)
                consume(c, result)
            return
        if self.executor is not None:
            # pickled once per call, however many rounds run (rel_error)
            if self._packed is None or self._packed[0] is not payload:
                self._packed = (payload, _Packed(
                    uuid.uuid4().hex, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)))
            packed = self._packed[1]

            def submit(c, attempt):
                # the attempt is an argument so that an executor which names
                # tasks by their arguments (dask) sees a new task
                return self.executor.submit(_remote, fn, packed, c, attempt)
        else:
            def submit(c, attempt):
                return self._pool.submit(fn, payload, c)
        pending = deque()       # [chunk, future, attempts], in chunk order
        size = {}               # future -> units, until the progress has counted it
        finished = queue.SimpleQueue()  # futures as they finish, in any order

        def start(c, attempts, lost=None):
            f = self._submit(submit, c, attempts, lost)
            size[f] = c.size
            f.add_done_callback(finished.put)
            return f

        try:
            while True:
                while len(pending) < self._cap:
                    c = next(todo, None)
                    if c is None:
                        break
                    pending.append([c, start(c, 1), 1])
                if not pending:
                    return
                f = finished.get()
                while True:
                    n = size.pop(f, 0)
                    if n and not f.cancelled() and f.exception() is None:
                        self._progress.advance(n)
                    try:
                        f = finished.get_nowait()
                    except queue.Empty:
                        break
                while pending and pending[0][1].done():
                    c, f, attempts = pending.popleft()
                    try:
                        result = f.result()
                    except Exception as exc:
                        if _worker_lost(exc) and attempts <= RETRIES:
                            pending.appendleft([c, start(c, attempts + 1, exc), attempts + 1])
                            break
                        raise self._error(c, exc, attempts) from exc
                    # a future is done before its callbacks run: one whose
                    # callback has not queued it yet is counted here (once)
                    n = size.pop(f, 0)
                    if n:
                        self._progress.advance(n)
                    consume(c, result)
        except BaseException:
            for p in pending:
                p[1].cancel()
            raise

    def _submit(self, submit, c, attempts, lost=None):
        try:
            return submit(c, attempts)
        except Exception as exc:
            # a broken executor refuses new tasks: report the chunk it lost
            # (after the attempts that ran), or the one it could not take
            if lost is None:
                raise self._error(c, exc, attempts) from exc
            raise self._error(c, lost, attempts - 1) from exc

    def _error(self, c, exc, attempts):
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        seed = ("" if c.seed is None else
                f", seed entropy={c.seed.entropy}, spawn_key={c.seed.spawn_key}")
        msg = (f"chunk {c.index} of {self.func} ({c.size} {self.units} from {c.start}"
               f"{seed}) failed: {what}")
        if _worker_lost(exc):
            msg += (f"; its worker died ({attempts} attempt{'s' if attempts > 1 else ''}). "
                    f"No result is returned; check the workers' memory and logs")
            if isinstance(exc, BrokenExecutor):
                msg += " (a broken executor takes no more tasks: make a new one)"
        return ChunkError(msg, func=self.func, index=c.index, seed=c.seed, start=c.start,
                          size=c.size, attempts=attempts)


def _worker_lost(exc):
    """Whether ``exc`` says the task's worker died (not that the task raised)."""
    return isinstance(exc, BrokenExecutor) or type(exc).__name__ == "KilledWorker"


# --- the worker's side -------------------------------------------------------

_cache = OrderedDict()
_cache_lock = threading.Lock()


class _Packed:
    """A run's payload as bytes, named by a token unique to the run."""

    __slots__ = ("token", "blob")

    def __init__(self, token, blob):
        self.token, self.blob = token, blob

    def __reduce__(self):
        return (_Packed, (self.token, self.blob))

    def __dask_tokenize__(self):
        # dask names a task by its arguments: the token names the bytes
        return self.token


def _payload(token, blob):
    """The run's payload, unpickled once per worker process and kept."""
    with _cache_lock:
        payload = _cache.get(token)
        if payload is not None:
            _cache.move_to_end(token)
            return payload
    payload = pickle.loads(blob)
    with _cache_lock:
        payload = _cache.setdefault(token, payload)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return payload


def _remote(fn, packed, chunk, attempt):
    """What an executor runs: one chunk of a run (``attempt`` only tells
    the tries apart)."""
    return fn(_payload(packed.token, packed.blob), chunk)


def _test_fault(payload, chunk):
    """A task for the tests: counts ``chunk.size``, or fails at ``payload['at']``.

    ``payload['how']``: ``'raise'`` raises a ValueError; ``'exit'`` kills
    the worker process (SIGKILL, as the out-of-memory killer does), every time or, with
    ``payload['once']`` a path, only while that file does not exist (it is
    created first).
    """
    if chunk.index == payload.get("at"):
        if payload["how"] == "raise":
            raise ValueError(f"test fault in chunk {chunk.index}")
        once = payload.get("once")
        if once is None or not os.path.exists(once):
            if once is not None:
                with open(once, "w"):
                    pass
            os.kill(os.getpid(), signal.SIGKILL)
    if payload.get("sleep"):
        time.sleep(payload["sleep"])
    return np.array([chunk.size, chunk.index], dtype=np.int64)


# --- progress ----------------------------------------------------------------


class Reporter:
    """``(done, total)`` to a callback and, if asked, a bar on stderr: tqdm
    when installed, else one line rewritten in place (a new line at most
    every ten seconds when stderr is not a terminal).

    :class:`Driver` makes one per run; work that is not a run of chunks
    (or more than one run) makes its own, calls :meth:`advance` in the
    calling thread, and :meth:`close` at the end."""

    def __init__(self, func, units, show, callback, total):
        self.func, self.units = func, units
        self.callback = callback
        self.done, self.total = 0, int(total)
        self._bar = self._line = None
        self._last, self._shown = 0.0, -1
        if show:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                self._line = sys.stderr
                self._tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
                self._t0 = time.monotonic()
            else:
                self._bar = tqdm(total=self.total, desc=func, unit=units.rstrip("s"),
                                 unit_scale=True, file=sys.stderr, leave=True)

    def set_total(self, total):
        if total > self.total:
            self.total = int(total)
            if self._bar is not None:
                self._bar.total = self.total
                self._bar.refresh()
            self._report(force=True)

    def advance(self, n):
        self.done += int(n)
        if self._bar is not None:
            self._bar.update(int(n))
        self._report(force=self.done >= self.total)

    def _report(self, force=False):
        if self.callback is not None:
            self.callback(self.done, self.total)
        self._draw(force)

    def _draw(self, force):
        if self._line is None:
            return
        now = time.monotonic()
        if not force and now - self._last < (0.2 if self._tty else 10.0):
            return
        self._last, self._shown = now, self.done
        share = self.done / self.total if self.total else 1.0
        text = (f"{self.func}: {self.done:,} / {self.total:,} {self.units} "
                f"({share:.0%}, {now - self._t0:.1f} s)")
        self._line.write(("\r" + text) if self._tty else (text + "\n"))
        self._line.flush()

    def close(self, failed=False):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._line is not None:
            if not failed and self._shown != self.done:
                self._draw(force=True)
            if self._tty:
                self._line.write("\n")
                self._line.flush()
            self._line = None
