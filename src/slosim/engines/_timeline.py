"""The timeline engine: journeys' error ratios over time, by event simulation.

Each basic event behaves over time as its model says (alternating up and
down times, incident classes, timed shocks: ``Structure.timing``); the
journeys' error ratios are piecewise-constant paths, reduced on the fly to
per-window statistics by the ``_timeline`` kernel. Runs are split into
fixed chunks of ``chunk_size``; chunk ``i`` draws from the ``i``-th child
of the ``rng``'s seed sequence, so the result depends on ``rng``, ``runs``
and ``chunk_size`` only, never on ``threads`` or the executor (the chunks
run through ``_executor``, as :func:`~slosim.simulate`'s do).
"""

import math
import numbers

import numpy as np

from .._core import _timeline as K
from .._errors import ModelError
from .._validation import (
    check_int,
    check_rng,
    duration_seconds,
    error_allowance,
    format_duration,
    param_error,
    rate_per_second,
)
from ..model import Exponential, Fixed, LogNormal, Weibull, as_model, lower
from ..results import JourneyTimeline, TimelineResult
from ._executor import Driver, Streams, check_parallel, check_progress, chunks

__all__ = ["timeline", "DEFAULT_RUNS_PER_CHUNK"]

#: Runs per chunk (one independent stream each) unless told otherwise.
DEFAULT_RUNS_PER_CHUNK = 64

_STARTS = ("stationary", "clean")


def timeline(model, horizon="365d", runs=10_000, *, window="30d", rng=None, threads=None,
             executor=None, start="stationary", traffic=None, levels=(1.0,), rolling=False,
             keep_paths=0, chunk_size=DEFAULT_RUNS_PER_CHUNK, max_events=10**7,
             progress=False, callback=None):
    """Simulate every journey's error ratio over time, run by run.

    Parameters
    ----------
    model : Model, Node or Journey
        Every basic event must have a behaviour over time (``mttf=`` and
        ``mttr=``, ``up=`` and ``down=``, ``incidents=``; a shock
        ``rate=`` and ``duration=``), or be certain (availability 1 or
        0). Copulas and common-cause groups are refused.
    horizon : str, timedelta or float, default "365d"
        The length of each run; at least one window.
    runs : int, default 10_000
        Independent runs.
    window : str, timedelta or float, default "30d"
        The SLO window. A run has ``n_windows = floor(horizon / window)``
        calendar windows ``[k window, (k + 1) window)``; the remainder of
        the horizon after the last is simulated and counts in
        ``mean_error_ratio`` and the rolling window only.
    rng : None, int, SeedSequence, BitGenerator or Generator
        Seeds the streams, one child of its SeedSequence per chunk.
    threads : int, default 1
        Worker threads of this process. The result does not depend on it.
    executor : concurrent.futures.Executor, optional
        Run the chunks on this executor's workers instead (not with
        ``threads``), as for :func:`~slosim.simulate`: a task is one chunk
        (the kernel's arrays, sent as bytes and unpickled once per worker,
        the chunk's seed, first run and size), its result the chunk's
        per-run arrays. Bit-identical to ``threads=1``; the executor is not
        shut down. See :doc:`/large-runs`.
    start : {'stationary', 'clean'}
        ``'stationary'`` (exact): each event starts in its long-run state,
        down with probability ``E[down] / (E[up] + E[down])`` with the
        equilibrium residual of the current phase, and a Poisson number
        of incidents of each class in progress (mean ``rate E[duration]``),
        each with an equilibrium residual; a run is then a stretch of the
        process in steady state. ``'clean'``: everything up, nothing in
        progress at time 0.
    traffic : str or float, optional
        A request rate (``"10/h"``, or per second): draws Poisson request
        and bad-request counts per window (bad requests Poisson of mean
        ``rate * bad``, good ones of mean ``rate * (window - bad)``), from a
        stream of their own: the paths, and every other array, are those
        of the same call without traffic.
    levels : sequence of float, default (1.0,)
        Budget levels (shares of the error budget, positive) whose
        crossing times are recorded.
    rolling : bool, default False
        Also evaluate the rolling window ``[t - window, t]``: its worst
        integral and the time it is above the budget, exactly.
    keep_paths : int, default 0
        Keep the whole path of the first ``keep_paths`` runs.
    chunk_size : int, default 64
        Runs per independent stream. Part of what fixes the result.
    max_events : int, default 10**7
        Events (transitions, arrivals, ends of incidents) one run may
        process; refused up front when the rates make a run expect more.
    progress : bool or 'auto', default False
        Draw a progress bar on stderr (tqdm when installed, else a line of
        text); ``'auto'``: only when stderr is a terminal.
    callback : callable, optional
        Called as ``callback(done, total)`` after each chunk, in runs:
        ``done`` only grows, and the last call has ``done == total ==
        runs``. An exception it raises stops the run (as Ctrl-C does).

    Returns
    -------
    TimelineResult
        Mapping journey name -> :class:`~slosim.results.JourneyTimeline`.

    Raises
    ------
    TypeError, ValueError
        For a bad parameter, with a message naming it; for a run past
        ``max_events``, naming the run.
    ChunkError
        When a chunk's task raised, or its worker died and it could not be
        run again; the message names the chunk. No partial result.
    ModelError
        For an event with an availability strictly between 0 and 1 but no
        behaviour over time, a common-cause group or a copula.

    See Also
    --------
    slosim.exact : the long-run unavailability, which the mean error
        ratio estimates.

    Notes
    -----
    An event's error ratio is 1 in a down time, otherwise ``1 - prod(1 -
    r_c)`` over the incidents in progress (overlapping incidents of a
    class each count). A gate that needs ``k`` of its ``n`` children fails
    the share of requests that fewer than ``k`` children serve, each child
    ``i`` serving independently with probability ``1 - x_i``: a series
    gate ``1 - prod(1 - x_i)``, a parallel gate ``prod(x_i)`` (a request
    fails over to the next replica), a k-of-n gate the Poisson-binomial
    tail. With error ratios of 0 and 1 this is the structure function.

    At a fixed time of a stationary run the events are independent, each
    with mean error ratio ``q_e``, and a journey's ratio ``f(x)`` is the
    structure function's multilinear extension whenever every event with
    ratios strictly between 0 and 1 reaches each gate through one child
    only (no shared partial event); then ``E[f(x)] = f(q)``, the exact
    engine's unavailability, at every time and so for ``mean_error_ratio``.

    Examples
    --------
    >>> import slosim as ss
    >>> db = ss.Component("db", mttf="30d", mttr="1h")
    >>> web = ss.Service("web", incidents=[ss.Incidents("2/30d", "20m")], requires=[db])
    >>> res = ss.engines.timeline(ss.Journey(web, target=0.997), runs=2000, rng=7,
    ...                           threads=2)
    >>> tl = res["web"]
    >>> tl.bad.shape, round(tl.budget)      # seconds of errors per 30-day window
    ((2000, 12), 7776)
    >>> round(tl.error_ratio, 5), round(ss.exact(web)["web"].unavailability, 5)
    (0.00231, 0.00231)
    >>> float((tl.bad <= tl.budget).mean())     # windows within the budget
    0.733625
    """
    func = "timeline"
    model = as_model(model, func)
    H = duration_seconds(horizon, "horizon", func)
    W = duration_seconds(window, "window", func)
    runs = check_int(runs, "runs", func, low=1)
    rng = check_rng(rng, func)
    threads, executor = check_parallel(threads, executor, func)
    progress, callback = check_progress(progress, callback, func)
    if start not in _STARTS:
        raise param_error("start", func, "'stationary' or 'clean'", start,
                          ValueError if isinstance(start, str) else TypeError)
    rate = None if traffic is None else rate_per_second(traffic, "traffic", func)
    levels = _levels(levels, func)
    if not isinstance(rolling, (bool, np.bool_)):
        raise param_error("rolling", func, "True or False", rolling, TypeError)
    keep_paths = check_int(keep_paths, "keep_paths", func, low=0, high=runs)
    chunk_size = check_int(chunk_size, "chunk_size", func, low=1)
    max_events = check_int(max_events, "max_events", func, low=1)
    n_windows = int(H // W)
    if (n_windows + 1) * W <= H:
        n_windows += 1
    if n_windows < 1:
        raise param_error("horizon", func, f"at least one window ({format_duration(W)} "
                          f"= {W:g} s)", horizon)

    structure = lower(model)
    # the kernel evaluates every gate as a threshold over its children's
    # error ratios; a negation (error ratio 1 - e) is not one of them
    structure.refuse_negation(func)
    arrays, per_second, at_start = _arrays(model, structure)
    expected = per_second * H + at_start
    if expected > max_events:
        raise ValueError(
            f"a run of timeline is expected to process about {expected:.3g} events "
            f"(transitions, arrivals and ends of incidents) over the horizon "
            f"{format_duration(H)}, more than max_events={max_events}: raise max_events= "
            f"(time grows with it, memory does not), shorten the horizon, or check the "
            f"rates and durations of the model")

    J, E, L = len(structure.journeys), structure.n_events, len(levels)
    budget = np.array([-1.0 if t is None else error_allowance(t) * W
                       for t in structure.targets])
    shape = (J, runs, n_windows)
    out = {
        "bad": np.empty(shape),
        "incidents": np.empty(shape, dtype=np.int64),
        "crossings": np.empty(shape + (L,)),
        "mean_ratio": np.empty((J, runs)),
    }
    if rolling:
        out["worst"] = np.empty((J, runs))
        out["time_out"] = np.empty((J, runs))
    settings = dict(arrays, horizon=H, window=W, n_windows=n_windows,
                    levels=np.asarray(levels, dtype=np.float64), budget=budget,
                    stationary=start == "stationary",
                    rolling=bool(rolling), max_events=max_events)

    requests = bad_requests_out = None
    if rate is not None:
        requests = np.empty(shape, dtype=np.int64)
        bad_requests_out = np.empty(shape, dtype=np.int64)
    task = _Task(type(rng.bit_generator), settings, keep_paths, rate, W,
                 {k: (v.shape[2:], v.dtype) for k, v in out.items()}, J, E)
    attribution = np.zeros((J, E))
    paths = []

    def consume(c, result):
        """Chunk ``c``'s runs into the arrays, in chunk order."""
        failed, part, attr, kept = result
        if failed is not None:
            raise ValueError(
                f"run {failed} of timeline went past max_events={max_events} events "
                f"before the end of the horizon ({format_duration(H)}): raise "
                f"max_events= (the expected number from the model's rates was "
                f"{expected:.3g}; a heavy-tailed or very short duration can make a run "
                f"far busier), or shorten the horizon")
        a, b = c.start, c.start + c.size
        for k, v in part.items():
            if k == "requests":
                requests[:, a:b] = v
            elif k == "bad_requests":
                bad_requests_out[:, a:b] = v
            else:
                out[k][:, a:b] = v
        attribution[...] += attr
        paths.extend(kept)

    with Driver(func, "runs", threads=threads, executor=executor, progress=progress,
                callback=callback, total=runs) as driver:
        driver.run(_chunk, task, chunks(Streams(rng), 0, runs, chunk_size), consume)

    if rate is not None:
        out["requests"], out["bad_requests"] = requests, bad_requests_out
    for a in out.values():
        a.flags.writeable = False
    journeys = {}
    for j, name in enumerate(structure.journeys):
        def view(key, j=j):
            return out[key][j] if key in out else None

        attr = attribution[j].copy()
        attr.flags.writeable = False
        journeys[name] = JourneyTimeline(
            journey=name, target=structure.targets[j], window=W, horizon=H,
            levels=levels, events=structure.events, bad=view("bad"),
            incidents=view("incidents"), crossings=view("crossings"),
            mean_error_ratio=view("mean_ratio"), attribution=attr,
            requests=view("requests"), bad_requests=view("bad_requests"),
            worst_window=view("worst"), time_out=view("time_out"),
            paths=tuple(_frozen_path(p[j]) for p in paths))
    return TimelineResult(journeys, events=structure.events, targets=structure.targets,
                          window=W, horizon=H, runs=runs, n_windows=n_windows,
                          levels=levels, start=start, traffic=rate, chunk_size=chunk_size)


class _Task:
    """What every chunk of one call shares (pickled once for an executor)."""

    def __init__(self, kind, settings, keep_paths, rate, window, parts, J, E):
        self.kind, self.settings, self.keep_paths = kind, settings, keep_paths
        self.rate, self.window, self.parts, self.J, self.E = rate, window, parts, J, E


def _chunk(task, c):
    """Runs ``c.start .. c.start + c.size``: ``(None, arrays, attribution,
    paths)``, or ``(failed run, None, None, None)`` past max_events."""
    part = {k: np.zeros((task.J, c.size) + shape, dtype=dtype)
            for k, (shape, dtype) in task.parts.items()}
    attribution = np.zeros((task.J, task.E))
    status, failed, paths = K.run_chunk(
        task.kind(c.seed), c.size, keep=max(0, task.keep_paths - c.start),
        attribution=attribution, **task.settings, **part)
    if status != K.OK:
        return c.start + failed, None, None, None
    if task.rate is not None:
        # from the chunk's own grandchild stream: the paths are those
        # of the same call without traffic
        g = np.random.Generator(task.kind(c.seed.spawn(1)[0]))
        bad = part["bad"]
        bad_requests = g.poisson(task.rate * bad)
        part["requests"] = bad_requests + g.poisson(
            task.rate * np.maximum(task.window - bad, 0.0))
        part["bad_requests"] = bad_requests
    return None, part, attribution, paths


def _frozen_path(path):
    for a in path:
        a.flags.writeable = False
    return path


def _levels(levels, func):
    expected = "a non-empty sequence of positive finite floats (shares of the budget)"
    if isinstance(levels, numbers.Real) and not isinstance(levels, bool):
        levels = (levels,)
    try:
        values = tuple(levels)
    except TypeError:
        raise param_error("levels", func, expected, levels, TypeError) from None
    if not values or any(isinstance(x, bool) or not isinstance(x, numbers.Real)
                         for x in values):
        raise param_error("levels", func, expected, levels,
                          ValueError if not values else TypeError)
    values = tuple(float(x) for x in values)
    if not all(math.isfinite(x) and x > 0 for x in values):
        raise param_error("levels", func, expected, levels)
    return values


def _distribution(d):
    """``(kind, a, b, c)`` of a duration distribution (kernel notes)."""
    if isinstance(d, Exponential):
        return K.DIST_EXPONENTIAL, d.mean, 0.0, 0.0
    if isinstance(d, Weibull):
        return K.DIST_WEIBULL, d.shape, d.scale, 1.0 / d.shape
    if isinstance(d, LogNormal):
        return K.DIST_LOGNORMAL, d.mu, d.sigma, 0.0
    if isinstance(d, Fixed):
        return K.DIST_FIXED, d.value, 0.0, 0.0
    raise TypeError(f"no duration distribution of kind {type(d).__name__}")


def _untimed_error(model, structure, e):
    """The ModelError for event ``e``: uncertain, but with no behaviour over time."""
    name = structure.events[e]
    shock = e >= structure.n_components
    node = model.shocks[name] if shock else model.components[name]
    what = "shock" if shock else ("service" if node.kind == "service" else "component")
    group = getattr(node, "common_cause", None)
    if group is not None:
        return ModelError(
            f"{what} {name!r} belongs to the common-cause group {group.name!r}, which "
            f"gives probabilities but no behaviour over time: timeline cannot simulate "
            f"it; model the shared cause as a Shock with rate= and duration=", name)
    if shock:
        return ModelError(
            f"shock {name!r} has a probability but no behaviour over time: give rate= "
            f"and duration=", name)
    return ModelError(
        f"{what} {name!r} has an availability but no behaviour over time: give "
        f"mttf=/mttr=, up=/down= or incidents=", name)


def _arrays(model, structure):
    """The kernel's arrays of a Structure's timing, and the mean number of
    events a run processes per second and at its start (two transitions per
    renewal cycle, an arrival and an end per incident, the end of each
    incident in progress at the start); ModelError for what it cannot
    simulate."""
    if structure.copulas:
        c = structure.copulas[0]
        raise ModelError(
            f"copula {c.name!r} correlates availabilities, which says nothing about "
            f"time: timeline cannot simulate it; model a shared cause as a Shock with "
            f"rate= and duration=", c.name)
    E = structure.n_events
    timing = structure.timing or (None,) * E
    dists, index = [], {}

    def dist(d):
        key = (type(d), d.args)
        if key not in index:
            index[key] = len(dists)
            dists.append(_distribution(d))
        return index[key]

    up, down, p_down, const = [], [], [], []
    cls_ptr, rate, load, err, cdist = [0], [], [], [], []
    per_second = at_start = 0.0
    for e, t in enumerate(timing):
        q = float(structure.q[e])
        if t is None:
            if q not in (0.0, 1.0):
                raise _untimed_error(model, structure, e)
            up.append(-1)
            down.append(-1)
            p_down.append(0.0)
            const.append(q)
            cls_ptr.append(cls_ptr[-1])
            continue
        if t.up is not None:
            up.append(dist(t.up))
            down.append(dist(t.down))
            p_down.append(t.down.mean / (t.up.mean + t.down.mean))
            per_second += 2.0 / (t.up.mean + t.down.mean)
            at_start += 1.0
        else:
            up.append(-1)
            down.append(-1)
            p_down.append(0.0)
        const.append(0.0)
        for c in t.incidents:
            rate.append(c.rate)
            load.append(c.rate * c.duration.mean)
            err.append(c.error_ratio)
            cdist.append(dist(c.duration))
            per_second += 2.0 * c.rate
            at_start += load[-1]
        cls_ptr.append(len(rate))
    kinds = [d[0] for d in dists]
    i64, f64 = np.int64, np.float64
    arrays = {
        "dist_kind": np.array(kinds, dtype=np.int8),
        "dist_a": np.array([d[1] for d in dists], dtype=f64),
        "dist_b": np.array([d[2] for d in dists], dtype=f64),
        "dist_c": np.array([d[3] for d in dists], dtype=f64),
        "up_dist": np.array(up, dtype=i64),
        "down_dist": np.array(down, dtype=i64),
        "p_down": np.array(p_down, dtype=f64),
        "ev_const": np.array(const, dtype=f64),
        "cls_ptr": np.array(cls_ptr, dtype=i64),
        "cls_rate": np.array(rate, dtype=f64),
        "cls_load": np.array(load, dtype=f64),
        "cls_err": np.array(err, dtype=f64),
        "cls_dist": np.array(cdist, dtype=i64),
        "gate_k": np.ascontiguousarray(structure.gate_k, dtype=i64),
        "child_ptr": np.ascontiguousarray(structure.child_ptr, dtype=i64),
        "child_idx": np.ascontiguousarray(structure.child_idx, dtype=i64),
        "outputs": np.ascontiguousarray(structure.outputs, dtype=i64),
    }
    return arrays, per_second, at_start
