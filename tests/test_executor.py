"""Large runs: the same results on any executor, progress, interruption, faults.

Every sampling entry point gives bit-identical results at ``threads=1``,
``threads=2``, on a ``ProcessPoolExecutor`` and on a dask cluster of two
worker processes (started and closed here, once for the module); a chunk
that raises, or whose worker dies, is named, never silently dropped; the
progress callback counts up to the total.
"""

import concurrent.futures
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
import multiprocessing
import os
import threading
import time
import warnings

import numpy as np
import pytest

import slosim as ss
from slosim.engines import _executor as EX, _simulate as SIM, simulate_joint

#: Seconds any one run on an executor may take before the test fails
#: (a hang is a failure, not a stuck suite).
DEADLINE = 120


def bounded(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, failing the test after DEADLINE seconds."""
    with ThreadPoolExecutor(1) as guard:
        future = guard.submit(fn, *args, **kwargs)
        try:
            return future.result(timeout=DEADLINE)
        except TimeoutError:
            pytest.fail(f"{getattr(fn, '__name__', fn)} did not finish in {DEADLINE} s")


# --- executors -----------------------------------------------------------------


def _spawn_pool(workers):
    # spawn: forking a process that runs dask's threads is unsafe
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


@pytest.fixture(scope="module")
def process_pool():
    pool = _spawn_pool(2)
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    import dask

    # a worker that dies fails its task at once (KilledWorker), so that
    # slosim's own retry is what the fault tests see
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=True, dashboard_address=None,
                                           silence_logs=50)
        client = distributed.Client(cluster)
        client.wait_for_workers(2, timeout=60)
    yield client
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client.close()
        cluster.close()


@pytest.fixture(params=["threads=2", "process", "dask"])
def parallel(request):
    """Keyword arguments running the chunks another way than ``threads=1``."""
    if request.param == "threads=2":
        return {"threads": 2}
    if request.param == "process":
        return {"executor": request.getfixturevalue("process_pool")}
    client = request.getfixturevalue("dask_client")
    client.wait_for_workers(2, timeout=60)
    return {"executor": client.get_executor()}


# --- models --------------------------------------------------------------------


def point_model():
    C = ss.Component
    web = C("web", unavailability=2e-3)
    db = ss.parallel(C("db-a", unavailability=0.02), C("db-b", unavailability=0.03),
                     name="db")
    cache = ss.k_of_n(2, [C(f"c{i}", unavailability=0.05) for i in range(3)], name="cache")
    return ss.Model([ss.Journey(ss.series(web, db, cache, name="checkout"), target=0.99),
                     ss.Journey(ss.series(web, cache, name="browse"))])


def timed_model():
    db = ss.Component("db", mttf="20d", mttr="2h")
    web = ss.Service("web", incidents=[ss.Incidents("3/30d", "30m", error_ratio=0.2)],
                     requires=[db])
    return ss.Model(ss.Journey(web, target=0.999))


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ss.FewFailuresWarning)
        return fn(*args, **kwargs)


# --- the same numbers everywhere -----------------------------------------------


def test_simulate_identical(parallel):
    model = point_model()
    kw = dict(rng=2024, chunk_size=4096)
    ref = ss.simulate(model, 100_003, threads=1, **kw)
    got = bounded(ss.simulate, model, 100_003, **kw, **parallel)
    assert got.to_dict() == ref.to_dict()


def test_simulate_correlated_identical(parallel):
    """Shocks, a one-factor copula and a correlation matrix: the program's
    copula arrays travel with it."""
    C = ss.Component
    a, b, c, d = (C(n, unavailability=q) for n, q in (("a", 0.01), ("b", 0.02),
                                                       ("c", 0.03), ("d", 0.01)))
    zone = ss.Shock("zone", 1e-3, members=[a, b])
    rho = 0.4
    model = ss.Model(ss.series(ss.parallel(a, b, name="ab"), ss.parallel(c, d, name="cd"),
                               name="j"), shocks=[zone],
                     copulas=[ss.GaussianCopula("f", [a, b], loadings=[0.6, 0.5]),
                              ss.GaussianCopula("m", [c, d],
                                                correlation=[[1, rho], [rho, 1]])])
    kw = dict(rng=99, chunk_size=4096)
    ref = _quiet(ss.simulate, model, 60_000, **kw)
    got = bounded(_quiet, ss.simulate, model, 60_000, **kw, **parallel)
    assert got.to_dict() == ref.to_dict()


def test_simulate_rel_error_identical(parallel):
    model = point_model()
    kw = dict(rng=7, chunk_size=4096, rel_error=0.05, max_samples=2**20)
    ref = ss.simulate(model, 20_000, **kw)
    got = bounded(ss.simulate, model, 20_000, **kw, **parallel)
    assert got.to_dict() == ref.to_dict() and got.samples > 20_000


def test_simulate_joint_and_importance_identical(parallel):
    model = point_model()
    ref = simulate_joint(model, 50_000, rng=3, chunk_size=4096)
    got = bounded(simulate_joint, model, 50_000, rng=3, chunk_size=4096, **parallel)
    assert np.array_equal(got.failures, ref.failures)
    assert np.array_equal(got.joint, ref.joint)
    ref = ss.importance(model, method="simulate", samples=50_000, rng=3, chunk_size=4096)
    got = bounded(ss.importance, model, method="simulate", samples=50_000, rng=3,
                  chunk_size=4096, **parallel)
    assert got.to_dict() == ref.to_dict()


def _arrays(tl):
    out = {}
    for name, j in tl.items():
        for key in ("bad", "incidents", "crossings", "mean_error_ratio", "attribution",
                    "requests", "bad_requests", "worst_window", "time_out"):
            value = getattr(j, key)
            if value is not None:
                out[name, key] = value.tobytes()
        out[name, "paths"] = [a.tobytes() for p in j.paths for a in p]
    return out


def test_timeline_identical(parallel):
    model = timed_model()
    kw = dict(horizon="90d", runs=203, window="30d", rng=11, chunk_size=16,
              traffic="20/h", rolling=True, keep_paths=40)
    ref = ss.timeline(model, **kw)
    got = bounded(ss.timeline, model, **kw, **parallel)
    assert _arrays(got) == _arrays(ref)


def test_slo_and_alert_reports_identical(parallel):
    model = timed_model()
    kw = dict(window="30d", runs=120, windows=3, rng=5, chunk_size=16)
    ref = ss.slo_report(model, **kw)
    got = bounded(ss.slo_report, model, **kw, **parallel)
    assert got.to_dict() == ref.to_dict()
    rules = [ss.BurnRateAlert("1h", "5m", burn_rate=14.4)]
    kw = dict(horizon="60d", runs=40, rng=5, chunk_size=8)
    ref = ss.alert_report(model, rules, **kw)
    got = bounded(ss.alert_report, model, rules, **kw, **parallel)
    assert got.to_dict() == ref.to_dict()


def copula_rows(n=3000):
    """(diagram, q): a model with a one-factor copula and rows of
    probabilities around its own, most of them on the kernel and a few (a
    copula member strictly inside (0, 1) with a sibling) in the caller,
    where the factor is integrated out."""
    from slosim.engines import ExactDiagram
    from slosim.model import Beta

    a, b, c = (ss.Component(n, unavailability=q) for n, q in (("a", 1e-2), ("b", 2e-2),
                                                                ("c", 1e-3)))
    web = ss.Component("web", unavailability=Beta.from_counts(9990, 10))
    model = ss.Model(ss.series(web, ss.k_of_n(2, [a, b, c], name="db"), name="j"),
                     copulas=[ss.GaussianCopula("day", [a, b, c], loadings=[0.6, 0.5, 0.0])])
    d = ExactDiagram(model)
    rng = np.random.default_rng(1)
    q = np.minimum(d.structure.q * np.exp(rng.standard_normal((n, 4))), 1.0)
    q[rng.random(n) < 0.99, 2] = 0.0       # most rows on the kernel, a few slow
    return d, q


def test_evaluate_many_identical(parallel, monkeypatch):
    """Blocks of rows on any executor, the copula rows that need the factor
    integrated out in the caller: the same bytes. Small blocks, so that
    there are several."""
    from slosim.engines import _batch, evaluate_many

    monkeypatch.setattr(_batch, "_TASK_BYTES", 4096)
    d, q = copula_rows()
    ref = evaluate_many(d, q)
    got = bounded(evaluate_many, d, q, **parallel)
    assert got.unavailability.tobytes() == ref.unavailability.tobytes()
    assert got.availability.tobytes() == ref.availability.tobytes()


def test_the_diagram_method_takes_an_executor_and_a_callback():
    """ExactDiagram.evaluate_many is the function: executor, callback and
    all, the same bytes."""
    from concurrent.futures import ThreadPoolExecutor

    from slosim.engines import evaluate_many

    d, q = copula_rows()
    seen = []
    with ThreadPoolExecutor(2) as pool:
        got = d.evaluate_many(q, executor=pool, callback=lambda a, b: seen.append((a, b)))
    assert got.unavailability.tobytes() == evaluate_many(d, q).unavailability.tobytes()
    assert seen[-1] == (len(q), len(q))


def test_uncertainty_identical(parallel):
    from slosim.model import Beta, LogNormal

    idv = ss.Component("idv", availability=Beta.from_counts(1980, 20))
    web = ss.Component("web", availability=Beta.from_counts(19990, 10))
    model = ss.Model(ss.Journey(ss.series(web, idv), name="open", target=0.985))
    ref = ss.uncertainty(model, samples=5000, rng=1)
    got = bounded(ss.uncertainty, model, samples=5000, rng=1, **parallel)
    assert got.to_dict() == ref.to_dict()
    g = ss.beta_factor("db", ["db-0", "db-1"], unavailability=1e-3,
                       beta=LogNormal.from_error_factor(0.05, 3))
    model = ss.Model(ss.Journey(ss.parallel(*g.components), name="db"), shocks=[g])
    ref = ss.uncertainty(model, samples=3000, rng=5, bootstrap=20)
    got = bounded(ss.uncertainty, model, samples=3000, rng=5, bootstrap=20, **parallel)
    assert got["db"].method == "pick-freeze"
    assert got.to_dict() == ref.to_dict()


# --- parameters ----------------------------------------------------------------


def test_threads_and_executor_exclusive(process_pool):
    with pytest.raises(ValueError, match="'threads' and 'executor' parameters of simulate"):
        ss.simulate(point_model(), 1000, threads=1, executor=process_pool)
    with pytest.raises(TypeError, match="'executor' parameter of timeline must be a "
                                        "concurrent.futures.Executor"):
        ss.engines.timeline(timed_model(), runs=4, executor=4)
    with pytest.raises(TypeError, match="'callback' parameter of simulate"):
        ss.simulate(point_model(), 1000, callback=5)
    with pytest.raises(ValueError, match="'progress' parameter of simulate"):
        ss.simulate(point_model(), 1000, progress="always")
    with pytest.raises(ValueError, match="'executor' parameter of importance"):
        ss.importance(point_model(), executor=process_pool)
    with pytest.raises(ValueError, match="'threads' and 'executor' parameters of uncertainty"):
        ss.uncertainty(point_model(), threads=2, executor=process_pool)


def test_caller_executor_not_shut_down(process_pool):
    ss.simulate(point_model(), 10_000, rng=1, chunk_size=4096, executor=process_pool)
    assert process_pool.submit(int, "7").result(timeout=DEADLINE) == 7


# --- progress ------------------------------------------------------------------


def _monotone_to(seen, total):
    assert seen, "the callback was never called"
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(seen, seen[1:]))
    assert all(d <= t for d, t in seen)
    assert seen[-1] == (total, total)


@pytest.mark.parametrize("how", ["threads=1", "threads=3", "process"])
def test_callback_monotone_to_total(how, request):
    kw = ({"threads": int(how[-1])} if how.startswith("threads")
          else {"executor": request.getfixturevalue("process_pool")})
    seen = []
    res = bounded(_quiet, ss.simulate, point_model(), 50_000, rng=1, chunk_size=4096,
                  callback=lambda done, total: seen.append((done, total)), **kw)
    assert len(seen) >= 13
    assert res.samples == 50_000
    _monotone_to(seen, 50_000)


class _LateCallbacks(concurrent.futures.Executor):
    """Runs each task in a thread whose future is done a while before its
    done-callbacks run, as a real executor's may be."""

    class _Future(concurrent.futures.Future):
        def _invoke_callbacks(self):
            time.sleep(0.02)
            super()._invoke_callbacks()

    def submit(self, fn, /, *args, **kwargs):
        f = self._Future()
        threading.Thread(target=lambda: f.set_result(fn(*args, **kwargs))).start()
        return f


def test_progress_counts_chunks_done_before_their_callbacks():
    """A chunk whose result is taken before its future's callbacks ran is
    still counted: the last report is the total."""
    seen = []
    res = ss.simulate(point_model(), 8 * 4096, rng=3, chunk_size=4096,
                      executor=_LateCallbacks(), callback=lambda d, t: seen.append((d, t)))
    assert res.to_dict() == ss.simulate(point_model(), 8 * 4096, rng=3,
                                        chunk_size=4096).to_dict()
    _monotone_to(seen, 8 * 4096)


def test_callback_total_grows_with_rel_error():
    seen = []
    res = ss.simulate(point_model(), 8192, rng=4, chunk_size=4096, rel_error=0.02,
                      max_samples=2**21, callback=lambda d, t: seen.append((d, t)))
    totals = sorted({t for _, t in seen})
    assert len(totals) > 1 and totals[0] == 8192
    _monotone_to(seen, res.samples)


def test_timeline_callback_counts_runs():
    seen = []
    ss.engines.timeline(timed_model(), horizon="30d", runs=100, rng=1, chunk_size=16,
                        callback=lambda d, t: seen.append((d, t)))
    assert [d for d, _ in seen] == [16, 32, 48, 64, 80, 96, 100]
    assert {t for _, t in seen} == {100}


@pytest.mark.parametrize("how", ["threads=1", "threads=2", "process"])
def test_evaluate_many_callback_counts_rows(how, request, monkeypatch):
    """Rows are counted as blocks finish, the slow rows one by one; the
    answer is the one without a callback."""
    from slosim.engines import _batch, evaluate_many

    monkeypatch.setattr(_batch, "_TASK_BYTES", 4096)
    kw = ({"threads": int(how[-1])} if how.startswith("threads")
          else {"executor": request.getfixturevalue("process_pool")})
    d, q = copula_rows()
    seen = []
    got = bounded(evaluate_many, d, q, callback=lambda a, b: seen.append((a, b)), **kw)
    _monotone_to(seen, len(q))
    assert len(seen) > 10
    assert got.unavailability.tobytes() == evaluate_many(d, q).unavailability.tobytes()


def test_evaluate_many_callback_stops_at_a_bad_row():
    from slosim.engines import evaluate_many

    d, q = copula_rows()
    q[2500, 0] = 1.5
    seen = []
    with pytest.raises(ValueError, match=r"q\[2500, 0\] = 1.5"):
        evaluate_many(d, q, callback=lambda a, b: seen.append((a, b)))
    assert seen and seen[-1][0] < len(q)


@pytest.mark.parametrize("method", ["closed form", "pick-freeze"])
def test_uncertainty_callback_counts_every_evaluation(method):
    from slosim.model import Beta

    idv = ss.Component("idv", availability=Beta.from_counts(1980, 20))
    web = ss.Component("web", availability=Beta.from_counts(19990, 10))
    model = ss.Model(ss.Journey(ss.series(web, idv), name="open", target=0.985))
    seen = []
    got = ss.uncertainty(model, samples=4000, rng=3, method=method, bootstrap=10,
                         callback=lambda a, b: seen.append((a, b)))
    rows = 4000 if method == "closed form" else 4000 * (2 + 3)
    _monotone_to(seen, rows)
    ref = ss.uncertainty(model, samples=4000, rng=3, method=method, bootstrap=10)
    assert got.to_dict() == ref.to_dict()


def test_progress_line_without_tqdm(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    _quiet(ss.simulate, point_model(), 20_000, rng=1, chunk_size=4096, progress=True)
    err = capsys.readouterr().err
    assert "simulate: 20,000 / 20,000 samples (100%" in err
    # 'auto' draws nothing when stderr is not a terminal (it is captured here)
    _quiet(ss.simulate, point_model(), 20_000, rng=1, chunk_size=4096, progress="auto")
    assert capsys.readouterr().err == ""


def test_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    _quiet(ss.simulate, point_model(), 20_000, rng=1, chunk_size=4096, progress=True)
    err = capsys.readouterr().err
    assert "simulate" in err and "100%" in err


# --- interruption --------------------------------------------------------------


class Stop(KeyboardInterrupt):
    pass


@pytest.mark.parametrize("how", ["threads=1", "threads=2", "process"])
def test_interrupt_stops_and_cancels(how, request):
    """Ctrl-C (here: from the callback, after the third chunk) ends the run:
    the rest is not run, and a caller's executor still works after."""
    if how == "process":
        kw = {"executor": request.getfixturevalue("process_pool")}
    else:
        kw = {"threads": int(how[-1])}
    seen = []

    def callback(done, total):
        seen.append(done)
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        bounded(ss.simulate, point_model(), 10**7, rng=1, chunk_size=4096,
                callback=callback, **kw)
    assert len(seen) == 3
    if "executor" in kw:
        assert kw["executor"].submit(int, "3").result(timeout=DEADLINE) == 3


_SIGINT_SCRIPT = """
import os, sys
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
import slosim as ss
model = ss.series(ss.Component("a", unavailability=0.01),
                  ss.Component("b", unavailability=0.02), name="j")
if __name__ == "__main__" and sys.argv[1] == "threads":
    print("ready", flush=True)
    ss.simulate(model, 10**13, rng=1, chunk_size=2**20, threads=2)
elif __name__ == "__main__":
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        pids = sorted({ex.submit(os.getpid).result() for _ in range(8)})
        print("ready", *pids, flush=True)
        ss.simulate(model, 10**13, rng=1, chunk_size=2**20, executor=ex)
"""


@pytest.mark.parametrize("how", ["threads", "process"])
def test_ctrl_c_in_a_real_process(how, tmp_path):
    """SIGINT to a process running a long simulate: it ends promptly with
    KeyboardInterrupt, and leaves no worker process behind."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "long_run.py"
    script.write_text(_SIGINT_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), how], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().split()
        assert line and line[0] == "ready", proc.stderr.read()
        workers = [int(p) for p in line[1:]]
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err, err[-2000:]
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), workers


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


# --- faults --------------------------------------------------------------------


def _driver_run(payload, n=10, size=100, **kw):
    got = []
    todo = EX.chunks(EX.Streams(np.random.default_rng(9)), 0, n * size, size)
    with EX.Driver("test", "samples", **kw) as driver:
        driver.run(EX._test_fault, payload, todo, lambda c, r: got.append(r))
    return got


@pytest.mark.parametrize("how", ["threads=1", "threads=2", "process", "dask"])
def test_raising_task_names_its_chunk(how, request):
    if how == "process":
        kw = {"executor": request.getfixturevalue("process_pool")}
    elif how == "dask":
        kw = {"executor": request.getfixturevalue("dask_client").get_executor()}
    else:
        kw = {"threads": int(how[-1])}
    with pytest.raises(ss.ChunkError, match=r"chunk 3 of test \(100 samples from 300, "
                                            r"seed entropy=\d+, spawn_key=\(3,\)\) failed: "
                                            r"ValueError: test fault in chunk 3") as info:
        bounded(_driver_run, {"how": "raise", "at": 3}, **kw)
    err = info.value
    assert (err.index, err.start, err.size, err.seed.spawn_key) == (3, 300, 100, (3,))
    assert isinstance(err.__cause__, ValueError)


def test_raising_chunk_in_simulate(monkeypatch):
    real = SIM._chunk

    def chunk(task, c):
        if c.index == 2:
            raise MemoryError("out of memory in the test")
        return real(task, c)

    monkeypatch.setattr(SIM, "_chunk", chunk)
    for threads in (1, 2):
        with pytest.raises(ss.ChunkError, match="chunk 2 of simulate") as info:
            ss.simulate(point_model(), 50_000, rng=1, chunk_size=4096, threads=threads)
        assert isinstance(info.value.__cause__, MemoryError)


def test_killed_process_worker_reported():
    """A ProcessPoolExecutor whose worker dies is broken: the chunk is
    reported, with BrokenProcessPool as the cause; no hang, no partial."""
    from concurrent.futures.process import BrokenProcessPool

    pool = _spawn_pool(1)
    try:
        with pytest.raises(ss.ChunkError, match=r"its worker died \(1 attempt\)") as info:
            bounded(_driver_run, {"how": "exit", "at": 4}, executor=pool)
        assert isinstance(info.value.__cause__, BrokenProcessPool)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_killed_dask_worker_survived_or_reported(dask_client, tmp_path):
    """On dask, a chunk whose worker dies once is run again (slosim's
    retry: the cluster allows no failure itself); one that kills every
    worker it meets is reported after the retries."""
    marker = tmp_path / "died-once"
    got = bounded(_driver_run, {"how": "exit", "at": 2, "once": str(marker)},
                  executor=dask_client.get_executor())
    assert marker.exists()
    assert [int(r[1]) for r in got] == list(range(10))
    dask_client.wait_for_workers(2, timeout=60)
    with pytest.raises(ss.ChunkError, match=r"chunk 1 of test .* its worker died \(3 "
                                            r"attempts\)") as info:
        bounded(_driver_run, {"how": "exit", "at": 1}, n=3,
                executor=dask_client.get_executor())
    assert type(info.value.__cause__).__name__ == "KilledWorker"
    dask_client.wait_for_workers(2, timeout=60)


class CountingExecutor(ThreadPoolExecutor):
    """A thread pool that records the most tasks it ever held unfinished."""

    def __init__(self):
        super().__init__(2)
        self.outstanding = self.most = 0
        self._count_lock = threading.Lock()

    def submit(self, fn, *args, **kwargs):
        with self._count_lock:
            self.outstanding += 1
            self.most = max(self.most, self.outstanding)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, future):
        with self._count_lock:
            self.outstanding -= 1


def test_tasks_in_flight_are_capped(monkeypatch):
    """However many chunks, at most EXECUTOR_IN_FLIGHT are submitted and not
    yet reduced (here 8), so the client's memory does not grow with them."""
    monkeypatch.setattr(EX, "EXECUTOR_IN_FLIGHT", 8)
    with CountingExecutor() as ex:
        res = bounded(_quiet, ss.simulate, point_model(), 2000 * 64, rng=1, chunk_size=64,
                      executor=ex)
        assert res.samples == 128_000
        assert 2 <= ex.most <= 8
        got = bounded(_driver_run, {"how": "none"}, n=500, executor=ex)
        assert [int(r[1]) for r in got] == list(range(500))


def test_worker_cache_keeps_latest_payloads():
    EX._cache.clear()
    import pickle

    for i in range(EX._CACHE_SIZE + 2):
        assert EX._payload(f"t{i}", pickle.dumps({"i": i})) == {"i": i}
    assert len(EX._cache) == EX._CACHE_SIZE
    assert "t0" not in EX._cache and f"t{EX._CACHE_SIZE + 1}" in EX._cache
    assert os.getpid()  # the cache is per process


def test_import_needs_neither_dask_nor_tqdm():
    import subprocess
    import sys

    code = ("import sys, slosim as ss; ss.simulate(ss.Component('a', unavailability=0.5), "
            "1000, rng=1, threads=2); "
            "print(sorted(m for m in ('dask', 'distributed', 'tqdm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=DEADLINE)
    assert out.stdout.strip() == "[]"
