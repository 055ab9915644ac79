"""Read Open-PSA MEF fault trees into a :class:`slosim.Model`.

Three passes over the parsed files:

1. collect every definition (gates, basic events, house events,
   parameters, common-cause groups and the basic events they define)
   under its model-wide id, rejecting what slosim does not translate as it
   is met;
2. check every definition: parameters resolve to values (constants,
   evaluated expressions, deviates; cycles are errors), basic events to
   probabilities or distributions, common-cause groups to a
   probability and a complete set of factors, gate formulas to
   and/or/atleast/not trees over defined events; take the shocks slosim
   wrote (``slosim-shock``, ``slosim-member``) out of the logic;
3. build the slosim nodes (a common-cause group with the constructor of
   :mod:`slosim.model` for its model), gates in dependency order (a
   cycle of gates is an error), the journeys and the shocks.

Ids follow MEF (and SCRAM): a definition is public by default and inherits
``role="private"`` from its ``define-component``; a public definition's id
is its name, a private one's is its path (``tree.component.name``); a
reference is looked up in its own container first, then model-wide.

:class:`_Reader` drives the passes (:meth:`~_Reader.check` and
:meth:`~_Reader.build` here); each construct's part of every pass is a
mixin of its own module:

* ``_definitions``: the containers and definitions (pass 1), and the
  helpers every pass uses to check an element and to fail;
* ``_expressions``: constants, parameters and expressions, the values
  of basic and house events;
* ``_logic``: gate formulas, and the gates built from them;
* ``_ccf``: common-cause groups (``define-CCF-group``);
* ``_attributes``: slosim's own attributes (``slosim-name``,
  ``slosim-journey``, ``slosim-target``, ``slosim-shock``,
  ``slosim-member``): names, journeys and shocks.
"""

import math
import os

from ... import model as _m
from ..._errors import ModelError, OpenPSAError
from ..._validation import check_int, check_real, param_error
from ._attributes import SlosimAttributes
from ._ccf import CCFGroups
from ._definitions import Definitions
from ._expressions import Expressions
from ._logic import Logic
from ._safexml import parse

__all__ = ["read_openpsa"]

# Formulas are translated recursively, one Python frame per nesting level.
_MAX_DEPTH = 500


class _Reader(Definitions, Expressions, Logic, CCFGroups, SlosimAttributes):
    """The three passes over the parsed files, and their state.

    Pass 1 is :meth:`document`, once per file; pass 2 :meth:`check`;
    pass 3 :meth:`build`, then :meth:`journeys` and :meth:`shock_nodes`.
    """

    def __init__(self, mission_time):
        self.mission_time = mission_time    # <system-mission-time>, a float
        self.resolving = []   # parameters being resolved (_expressions)
        self.events = {}      # id -> Definition (gates, basic and house events)
        self.params = {}      # id -> Definition
        self.gates = []       # gate definitions, in file order
        self.groups = {}      # id -> _Group (define-CCF-group), in file order
        # Set on the way: self.shocks (pass 2, check_shocks), the shock
        # definitions; self.constants (pass 3, name_nodes), the names of the
        # components for True and False.

    # -- pass 2: checks ----------------------------------------------------------

    def check(self):
        for d in self.params.values():
            self.parameter_value(d)
        for d in self.events.values():
            if d.kind == "gate":
                self.gate_formula(d)
            elif d.kind == "basic event":
                if d.group is None:
                    self.basic_event_value(d)
            else:
                self.house_event_value(d)
        for g in self.groups.values():
            self.ccf_values(g)
        for d in (*self.params.values(), *self.events.values()):
            d.body = ()    # let the element tree go
        self.check_shocks()

    # -- pass 3: nodes -------------------------------------------------------

    def build(self):
        self.name_nodes()
        for d in self.events.values():
            if d.kind != "gate" and d.members is None and d.group is None:
                d.node = self.component(d.name, d.value, d)
        for g in self.groups.values():
            self.ccf_node(g)
        self.gate_nodes()


def _sources(sources):
    """The files of ``read_openpsa(*sources)``, a list flattened (a list
    or tuple of files is one argument's worth, as before ``*sources``)."""
    out = []
    for source in sources:
        if isinstance(source, (list, tuple)):
            if not source:
                raise param_error("source", "read_openpsa",
                                  "a path, a file object or a non-empty list of them",
                                  source)
            out.extend(source)
        else:
            out.append(source)
    if not out:
        raise param_error("source", "read_openpsa",
                          "at least one path or file object", sources, TypeError)
    return out


def _open(source):
    if hasattr(source, "read"):
        name = getattr(source, "name", None)
        return source, (name if isinstance(name, str) else "<stream>"), False
    if isinstance(source, (str, os.PathLike)):
        return open(source, "rb"), os.fspath(source), True
    raise param_error("source", "read_openpsa",
                      "a path (str or os.PathLike), a file object or a list of them",
                      source, TypeError)


def _top(top):
    if top is None:
        return None
    names = [top] if isinstance(top, str) else top
    if not isinstance(names, (list, tuple)) or not names or not all(
            isinstance(t, str) for t in names):
        raise param_error("top", "read_openpsa",
                          "None, a str or a non-empty list of str", top, TypeError)
    if len(set(names)) != len(names):
        raise param_error("top", "read_openpsa", "a list of distinct names", top)
    return list(names)


def read_openpsa(*sources, top=None, mission_time=8760.0, max_size=64 * 2**20,
                 max_depth=256):
    """Read an Open-PSA MEF model (fault trees) as a :class:`slosim.Model`.

    Fault trees live in the failure domain: their top event is a failure.
    slosim translates each gate into the up domain: ``<or>`` of failures is
    :func:`~slosim.series`, ``<and>`` is :func:`~slosim.parallel`,
    ``<atleast min="k">`` over ``n`` arguments is
    ``k_of_n(n - k + 1, ...)``. A basic event is a
    :class:`~slosim.Component` whose unavailability is the event's
    probability; a house event is a component with unavailability 1 (true:
    the event has happened) or 0 (false, also when it has no constant).

    Parameters
    ----------
    *sources : path, file object, or list of them
        The MEF files of one model: each a path (``str`` or
        ``os.PathLike``) or a binary or text file object (a list of them
        counts as its files). Several files are read as one model, as PRA
        tools do: names are model-wide across the files, so the fault
        trees can be in one file and the basic events in another
        (``read_openpsa("tree.xml", "data.xml")``).
    top : str or list of str, optional
        The events to make journeys of, by name, in this order. By default
        every gate that no other gate refers to (the model's top gates), in
        file order.
    mission_time : float, default 8760.0
        The value of ``<system-mission-time>``, in the unit of the model's
        rates (SCRAM's default: 8760 hours, a year).
    max_size : int, default 64 MiB
        Largest file accepted, in bytes (characters for a text stream).
    max_depth : int, default 256
        Deepest element nesting accepted (at most 500).

    Returns
    -------
    Model
        One journey per top event, named after it; the components are the
        basic and house events the journeys reach; the shocks are those of
        the common-cause groups whose members the journeys reach, and those
        :func:`write_openpsa` wrote from a model with shocks.

    Raises
    ------
    OpenPSAError
        For any file slosim cannot read exactly, with the file, the line and
        the offending element in the message: malformed or unsafe XML (a
        DOCTYPE, a file over ``max_size``, nesting over ``max_depth``),
        ``cardinality`` (``not``, ``nand``, ``nor``, ``xor``, ``iff`` and
        ``imply`` are read through :func:`slosim.negate`), expressions slosim does not evaluate
        (``switch``, external
        functions), expressions that are undefined (a division by zero) or
        whose arguments break their rules, common-cause groups that break
        their model's rules (levels, factors, members), unknown elements or
        attributes, undefined, duplicate or cyclic definitions, probabilities
        outside [0, 1]. Every definition in the files is checked, used or not.

    See Also
    --------
    write_openpsa : the reverse.

    Notes
    -----
    Supported: ``define-fault-tree``, ``define-component`` (public and
    private), ``model-data``, ``define-gate`` with ``<and>``, ``<or>``,
    ``<atleast>``, nested formulas (an unnamed gate each), a single event or
    ``<constant>`` as a formula; references ``<gate>``, ``<basic-event>``,
    ``<house-event>``, ``<event>`` (with or without ``type``);
    ``define-basic-event`` with ``<float>``, ``<int>``, ``<bool>``,
    ``<parameter>`` or an expression, evaluated in floating point as SCRAM
    does: arithmetic, comparisons, ``ite``, ``<system-mission-time>``
    (``mission_time``), ``<exponential>`` (``1 - exp(-lambda t)``),
    ``<GLM>``, ``<Weibull>``, ``<periodic-test>`` (4, 5 or 11 arguments); the
    deviates, as the event's uncertain
    parameter (:class:`~slosim.Uniform`, :class:`~slosim.Beta`,
    :class:`~slosim.LogNormal`) or, for ``normal-deviate``,
    ``gamma-deviate`` and ``histogram`` and inside expressions, their
    mean (see docs/io); ``define-parameter``; ``define-house-event``;
    ``define-CCF-group`` (at the top level, in a fault tree or a component)
    with model ``beta-factor``, ``MGL``, ``alpha-factor`` (read as
    non-staggered testing, as SCRAM does) or ``phi-factor``, built by
    :func:`~slosim.beta_factor`, :func:`~slosim.multiple_greek_letter`,
    :func:`~slosim.alpha_factor` or :func:`~slosim.phi_factor` (its
    members are the group's components, its shocks the model's); labels
    and attributes (ignored, except slosim's own, which :func:`write_openpsa`
    writes: ``slosim-name``, ``slosim-journey``, ``slosim-target``, and
    ``slosim-shock`` and ``slosim-member``, which make
    :class:`~slosim.Shock` objects of the basic events a model's shocks were
    written as). Probabilities are read from their decimal text, exactly as
    ``Component(name, unavailability="...")`` would; an expression's value
    is the float it evaluates to. Names (and roles, event types, CCF
    models) are read without surrounding white space, as SCRAM reads them.

    Examples
    --------
    >>> import io
    >>> import slosim as ss
    >>> import slosim.io
    >>> mef = io.StringIO('''<?xml version="1.0"?>
    ... <opsa-mef>
    ...   <define-fault-tree name="checkout">
    ...     <define-gate name="checkout">
    ...       <or>
    ...         <basic-event name="web"/>
    ...         <and><basic-event name="db-a"/><basic-event name="db-b"/></and>
    ...       </or>
    ...     </define-gate>
    ...   </define-fault-tree>
    ...   <model-data>
    ...     <define-basic-event name="web"><float value="0.0005"/></define-basic-event>
    ...     <define-basic-event name="db-a"><float value="1e-3"/></define-basic-event>
    ...     <define-basic-event name="db-b"><float value="1e-3"/></define-basic-event>
    ...   </model-data>
    ... </opsa-mef>''')
    >>> model = slosim.io.read_openpsa(mef)
    >>> model
    Model(journeys=['checkout'], components=3, gates=2)
    >>> [(c.name, c.unavailability) for c in model.components.values()]
    [('web', 0.0005), ('db-a', 0.001), ('db-b', 0.001)]
    >>> model.journeys[0].node
    series('web', unnamed parallel('db-a', 'db-b'), name='checkout')
    """
    top = _top(top)
    max_size = check_int(max_size, "max_size", "read_openpsa", low=1)
    max_depth = check_int(max_depth, "max_depth", "read_openpsa", low=1,
                          high=_MAX_DEPTH)
    mission_time = check_real(mission_time, "mission_time", "read_openpsa", low=0)
    if math.isinf(mission_time):
        raise param_error("mission_time", "read_openpsa",
                          "a float in the range [0, inf)", mission_time)
    reader = _Reader(mission_time)
    names = []
    for src in _sources(sources):
        stream, where, close = _open(src)
        try:
            root = parse(stream, where, max_size=max_size, max_depth=max_depth,
                         text_tags=frozenset({"label"}))
        finally:
            if close:
                stream.close()
        names.append(where)
        reader.document(root, where)
    del root
    reader.check()
    reader.build()
    journeys = reader.journeys(top, ", ".join(names))
    shocks = reader.shock_nodes(journeys)
    try:
        return _m.Model(journeys, shocks=shocks)
    except ModelError as exc:
        raise OpenPSAError(str(exc), ", ".join(names), None, exc.node) from exc
