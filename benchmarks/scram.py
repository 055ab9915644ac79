"""Run SCRAM on Open-PSA MEF files and read its report; write slosim models
as MEF.

SCRAM (https://scram-pra.org, Debian package ``scram``) is the reference
exact engine the exact benchmarks compare against. It is a benchmark
comparison only: nothing here is needed by the test suite, and
:func:`available` is false when ``scram`` is not on ``PATH`` (the SCRAM
benchmarks then skip).

* :func:`write_mef` writes a slosim model as an Open-PSA MEF fault tree in
  the failure domain: a series gate (up when all its children are up) is an
  ``<or>`` of failures, a parallel gate an ``<and>``, ``k_of_n(k, n)``
  (up when at least ``k`` of ``n`` are up) an ``<atleast min="n-k+1">``,
  a component a basic event with ``<float value="q"/>``, its
  unavailability. A :class:`slosim.Service` is an ``<or>`` of its own basic
  event and its requirements. Every journey is a top gate.
  (:func:`slosim.io.write_openpsa` does the same job for slosim users;
  this independent writer cross-checks it.)
* :func:`run` runs ``scram --bdd --probability true --verbosity 5 FILE -o
  REPORT`` as a subprocess (with a timeout and a memory limit) and returns
  a :class:`ScramRun`: the wall time of the process, the times SCRAM
  reports for its own analysis, the times of its phases from its log, and
  the probability of every top event.

SCRAM 0.16 prints probabilities with six significant digits
(:func:`printed_tolerance` is half a unit of the last one). Its report
gives, per top event, ``products`` (the time of the qualitative analysis:
Boolean graph, preprocessing, the BDD, then the minimal cut sets from it)
and ``probability`` (the probability from the same BDD); its log at
verbosity 5 times the Boolean graph, the preprocessing and the conversion
into the BDD (:func:`parse_log`).
"""

from dataclasses import dataclass, field
import math
import os
import pathlib
import re
import resource
import shutil
import subprocess
import time
from xml.sax.saxutils import quoteattr

import slosim as ss

__all__ = [
    "available",
    "version",
    "write_mef",
    "run",
    "parse_report",
    "parse_log",
    "top_journeys",
    "printed_tolerance",
    "ScramRun",
    "ScramError",
    "MEMORY_LIMIT",
]

#: Address-space limit for the scram process (bytes): a model whose
#: expansion exhausts it fails instead of swapping the machine.
MEMORY_LIMIT = 8 * 2**30


def executable():
    """Path of ``scram`` on ``PATH``, or None."""
    return shutil.which("scram")


def available():
    """Whether ``scram`` is on ``PATH``."""
    return executable() is not None


def version():
    """SCRAM's version string, e.g. ``"0.16.2"``, or None without scram."""
    exe = executable()
    if exe is None:
        return None
    out = subprocess.run([exe, "--version"], capture_output=True, text=True,
                         timeout=30).stdout
    m = re.search(r"SCRAM\s+(\S+)", out)
    return m.group(1) if m else out.strip()


# --- writing MEF ------------------------------------------------------------


def _journeys(model):
    if isinstance(model, ss.Model):
        return [(j.name, j.node) for j in model.journeys]
    if isinstance(model, ss.Journey):
        return [(model.name, model.node)]
    if isinstance(model, ss.Node):
        return [(model.name or "top", model)]
    raise TypeError(f"write_mef: expected a Model, Journey or node, got {model!r}")


def _mef_name(name):
    """A valid MEF identifier for ``name`` (letters, digits, ``-``, ``_``)."""
    s = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    if not s or not s[0].isalpha():
        s = "n_" + s
    return s


def write_mef(model, path, *, name="slosim"):
    """Write ``model`` as an Open-PSA MEF fault tree; return the top gates.

    Parameters
    ----------
    model : slosim.Model, Journey or node
        Built from node objects (name references are not resolved here).
    path : str or path-like
    name : str
        The fault tree's name.

    Returns
    -------
    dict
        Journey name -> name of its top gate in the file.
    """
    journeys = _journeys(model)
    events = {}   # id(component or service) -> basic event name
    gates = {}    # id(gate or service) -> gate name
    used = set()
    order = []    # gates and services, children first
    leaves = []   # (basic event name, unavailability)

    def unique(base):
        n, i = base, 1
        while n in used:
            i += 1
            n = f"{base}-{i}"
        used.add(n)
        return n

    # Depth-first, children before parents; iterative (deep graphs are fine).
    state = {}
    for _, root in journeys:
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if isinstance(node, str):
                raise TypeError(f"write_mef: name reference {node!r}; pass node objects")
            if done:
                order.append(node)
                continue
            if id(node) in state:
                continue
            state[id(node)] = True
            if isinstance(node, ss.Component):
                events[id(node)] = unique(_mef_name(node.name))
                leaves.append((events[id(node)], node.unavailability))
                continue
            if isinstance(node, ss.Service):
                events[id(node)] = unique(_mef_name(node.name))
                leaves.append((events[id(node)], node.unavailability))
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(node.children))

    # Gate names after all event names are taken, so they never collide.
    counter = 0
    for node in order:
        if isinstance(node, ss.Service):
            gates[id(node)] = unique(_mef_name(node.name) + "-svc")
        elif node.name is not None:
            gates[id(node)] = unique(_mef_name(node.name) + "-gate")
        else:
            counter += 1
            gates[id(node)] = unique(f"g{counter}")

    def ref(node):
        if id(node) in gates:
            return f'<gate name="{gates[id(node)]}"/>'
        return f'<basic-event name="{events[id(node)]}"/>'

    lines = ['<?xml version="1.0"?>', "<opsa-mef>",
             f"<define-fault-tree name={quoteattr(_mef_name(name))}>"]
    tops = {}
    for jname, root in journeys:
        if id(root) not in gates:  # a lone component: a top gate of one event
            gates[id(root)] = unique(_mef_name(jname) + "-top")
            lines.append(f'<define-gate name="{gates[id(root)]}">'
                         f'<basic-event name="{events[id(root)]}"/></define-gate>')
        tops[jname] = gates[id(root)]
    for node in order:
        kids = list(node.children)
        if isinstance(node, ss.Service):
            kids = [None] + kids  # None: the service's own basic event
            op, attr = "or", ""
        elif len(kids) == 1:
            op, attr = None, ""
        elif node.kind == "series" or node.k == len(kids):
            op, attr = "or", ""
        elif node.kind == "parallel" or node.k == 1:
            op, attr = "and", ""
        else:
            op, attr = "atleast", f' min="{len(kids) - node.k + 1}"'
        args = "".join(f'<basic-event name="{events[id(node)]}"/>' if c is None
                       else ref(c) for c in kids)
        if op is None or len(kids) == 1:
            body = args  # a gate of one argument: the argument itself
        else:
            body = f"<{op}{attr}>{args}</{op}>"
        lines.append(f'<define-gate name="{gates[id(node)]}">{body}</define-gate>')
    lines.append("</define-fault-tree>")
    lines.append("<model-data>")
    for ev, q in leaves:
        lines.append(f'<define-basic-event name="{ev}"><float value="{float(q)!r}"/>'
                     f"</define-basic-event>")
    lines.append("</model-data>")
    lines.append("</opsa-mef>")
    pathlib.Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tops


# --- running SCRAM ----------------------------------------------------------


class ScramError(RuntimeError):
    """SCRAM failed, or its report lacks the expected data."""


@dataclass
class ScramRun:
    """One SCRAM run.

    Attributes
    ----------
    command : list of str
    status : {"ok", "timeout", "error"}
        ``"timeout"``: killed at the timeout; ``"error"``: non-zero exit
        (for example out of memory under :data:`MEMORY_LIMIT`).
    wall_time : float
        Seconds from starting the process to its exit (start-up, parsing
        the model, the analysis and writing the report included).
    probabilities : dict
        Top event -> probability, as printed (six significant digits).
    printed : dict
        Top event -> the probability's text in the report.
    reported_time : dict
        Top event -> {"products": s, "probability": s}: the times SCRAM
        reports for its qualitative analysis (graph, preprocessing, BDD,
        minimal cut sets) and for the probability from the BDD.
    phases : dict
        Top event -> {"pdag": s, "preprocessing": s, "bdd": s}, from SCRAM's
        log (``--verbosity 5``): building its Boolean graph, preprocessing
        it, and converting it into the BDD.
    products : dict
        Top event -> number of minimal cut sets in the report.
    report_bytes : int
        Size of the report (cut sets included).
    returncode : int or None
    log : str
        The end of SCRAM's output (for errors).
    report_path : str or None
        The report not read yet (``run(..., parse=False)``).
    """

    command: list
    status: str
    wall_time: float
    probabilities: dict = field(default_factory=dict)
    printed: dict = field(default_factory=dict)
    reported_time: dict = field(default_factory=dict)
    phases: dict = field(default_factory=dict)
    products: dict = field(default_factory=dict)
    report_bytes: int = 0
    returncode: int | None = None
    log: str = ""
    report_path: str | None = None

    @property
    def ok(self):
        return self.status == "ok"

    def read_report(self):
        """Read the report of a finished run into this object, then delete it."""
        if self.ok and self.report_path is not None:
            path = pathlib.Path(self.report_path)
            for key, value in parse_report(path).items():
                setattr(self, key, value)
            self.report_bytes = path.stat().st_size
            path.unlink()
            self.report_path = None
        return self

    def analysis_time(self, top=None):
        """SCRAM's reported time: cut sets plus probability (s).

        For one top event, or summed over all of them.
        """
        tops = [top] if top is not None else list(self.reported_time)
        return sum(self.reported_time.get(t, {}).get(k, 0.0)
                   for t in tops for k in ("products", "probability"))

    def bdd_time(self, top=None):
        """Boolean graph, preprocessing, BDD and probability (s), from the log.

        What SCRAM spends on the exact probability, without the minimal cut
        sets, the process start-up, reading the model and the report.
        For one top event, or summed over all of them.
        """
        tops = [top] if top is not None else list(self.reported_time)
        total = 0.0
        for t in tops:
            ph = self.phases.get(t)
            if not ph or "bdd" not in ph:
                raise ScramError(f"no BDD time in SCRAM's log for {t!r}")
            total += ph.get("pdag", 0.0) + ph.get("preprocessing", 0.0) + ph["bdd"]
            total += self.reported_time.get(t, {}).get("probability", 0.0)
        return total

    def require_ok(self):
        """Raise :class:`ScramError` unless the run finished."""
        if not self.ok:
            raise ScramError(f"{' '.join(self.command)}: {self.status} "
                             f"(exit {self.returncode}) after {self.wall_time:.1f} s: "
                             f"{self.log[-2000:]}")
        return self


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(mef_path, *, timeout=120.0, report_path=None, args=(), parse=True):
    """Run ``scram --bdd --probability true --verbosity 5`` on ``mef_path``.

    The options are the reference command's (``scram --bdd --probability
    true model.xml``); ``--verbosity 5`` only adds the log lines that time
    SCRAM's phases (a few hundred lines; it does not change the timings
    measurably).

    Parameters
    ----------
    mef_path : path-like or sequence of path-like
        The model's file, or its files (a fault tree and its basic
        events, as SCRAM's shipped examples come).
    timeout : float
        Seconds; past it the process is killed (``status="timeout"``).
    report_path : path-like, optional
        Where SCRAM writes its report (default: beside the model,
        ``*.report.xml``).
    args : sequence of str
        Extra command-line options (e.g. ``("--limit-order", "1")``).
    parse : bool
        Read the report (and delete it) now; with False, call
        :meth:`ScramRun.read_report` later (the wall time never includes
        reading the report).

    Returns
    -------
    ScramRun

    Raises
    ------
    ScramError
        If scram is not on PATH, or it exits normally with a report lacking
        the probability.
    """
    exe = executable()
    if exe is None:
        raise ScramError("scram is not on PATH")
    paths = ([pathlib.Path(p) for p in mef_path]
             if isinstance(mef_path, (list, tuple)) else [pathlib.Path(mef_path)])
    if report_path is None:
        report_path = paths[0].with_suffix(".report.xml")
    report_path = pathlib.Path(report_path)
    if report_path.exists():
        report_path.unlink()
    cmd = [exe, "--bdd", "--probability", "true", "--verbosity", "5", *args,
           *map(str, paths), "-o", str(report_path)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, errors="replace", timeout=timeout,
                              preexec_fn=_limit_memory if os.name == "posix" else None)
    except subprocess.TimeoutExpired:
        return ScramRun(command=cmd, status="timeout",
                        wall_time=time.perf_counter() - t0)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        if report_path.exists():
            report_path.unlink()
        return ScramRun(command=cmd, status="error", wall_time=wall,
                        returncode=proc.returncode, log=proc.stdout[-4000:])
    out = ScramRun(command=cmd, status="ok", wall_time=wall,
                   returncode=proc.returncode, log=proc.stdout[-4000:],
                   phases=parse_log(proc.stdout), report_path=str(report_path))
    if parse:
        out.read_report()
    return out


_PHASES = {
    "pdag": re.compile(r"Finished PDAG Construction in (\S+)"),
    "preprocessing": re.compile(r"Finished Preprocessing in (\S+)"),
    "bdd": re.compile(r"Finished Converting PDAG into BDD in (\S+)"),
}


def parse_log(text):
    """Per top event, the phase times in SCRAM's ``--verbosity 5`` log."""
    phases, top = {}, None
    for line in text.splitlines():
        m = re.search(r"Running analysis for gate: (\S+)", line)
        if m:
            top = m.group(1)
            phases.setdefault(top, {})
            continue
        if top is None:
            continue
        for key, pattern in _PHASES.items():
            m = pattern.search(line)
            if m and key not in phases[top]:
                phases[top][key] = float(m.group(1))
    return phases


_SOP = re.compile(rb"<sum-of-products\b([^>]*)>")
_ATTR = re.compile(rb'([A-Za-z][\w-]*)="([^"]*)"')
_CALC = re.compile(rb'<calculation-time name="([^"]*)">(.*?)</calculation-time>', re.S)
_TIME = re.compile(rb"<(products|probability)>([^<]*)</\1>")


def parse_report(path, *, chunk=1 << 23):
    """Probabilities, printed texts, reported times and product counts.

    ``path``: a SCRAM report. Scanned in chunks for the
    ``calculation-time`` and ``sum-of-products`` tags: the list of minimal
    cut sets after each can run to hundreds of megabytes.
    """
    probs, printed, products, times = {}, {}, {}, {}
    keep = 1 << 16  # longer than any tag looked for
    with open(path, "rb") as f:
        buf, eof = b"", False
        while not eof:
            data = f.read(chunk)
            eof = not data
            buf += data
            limit = len(buf) if eof else len(buf) - keep
            cut = max(limit, 0)
            for pattern in (_CALC, _SOP):
                for m in pattern.finditer(buf):
                    if m.start() >= limit:
                        break
                    if pattern is _CALC:
                        times[m.group(1).decode()] = {
                            k.decode(): float(v) for k, v in _TIME.findall(m.group(2))}
                    else:
                        attrs = {k.decode(): v.decode() for k, v in _ATTR.findall(m.group(1))}
                        name = attrs.get("name")
                        if "probability" not in attrs:
                            raise ScramError(f"SCRAM report: no probability for {name!r}")
                        printed[name] = attrs["probability"]
                        probs[name] = float(attrs["probability"])
                        products[name] = int(attrs.get("products", "0"))
                    cut = max(cut, m.end())
            buf = buf[cut:] if cut < len(buf) else b""
    if not probs:
        raise ScramError(f"SCRAM report {path} has no sum-of-products")
    return {"probabilities": probs, "printed": printed, "reported_time": times,
            "products": products}


def top_journeys(mef_path):
    """Top gate -> journey, for gates of an MEF file marked ``slosim-journey``.

    :func:`slosim.io.write_openpsa` marks a top gate whose name differs from
    its journey's; other gates are their journey's namesakes.
    """
    out = {}
    text = pathlib.Path(mef_path).read_text(encoding="utf-8")
    for m in re.finditer(r'<define-gate name="([^"]*)"[^>]*>\s*<attributes>(.*?)</attributes>',
                         text, re.S):
        j = re.search(r'<attribute name="slosim-journey" value="([^"]*)"', m.group(2))
        if j:
            out[m.group(1)] = j.group(1)
    return out


def printed_tolerance(text):
    """Half a unit in the last significant digit SCRAM prints (6 digits).

    SCRAM writes probabilities with six significant digits and drops
    trailing zeros, so ``"0.148"`` stands for any value in
    ``0.148 +- 5e-7``.
    """
    value = float(text)
    if value == 0.0:
        return 0.0  # six significant digits of any non-zero value are not "0"
    exponent = math.floor(math.log10(abs(value)))
    return 0.5 * 10.0 ** (exponent - 5)
