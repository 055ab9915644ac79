"""What-if: basic events forced up or down before an engine runs.

``given={"zone-a": False}`` asks what every journey does when zone A is
down: the named basic events (components, services' own components and
shocks) are set to a state, everything else keeps its law. It is an
intervention, the question a chaos experiment asks: for independent events
it is also the conditional probability given that state; for a copula
member it is not (forcing a member does not move the common factor; see
:func:`slosim.importance` for measures that condition instead).

A forced event is one whose probability is 0 (up) or 1 (down); both
engines fold such events as constants, so forcing costs nothing.
"""

import dataclasses

import numpy as np

from .._errors import UnknownNodeError
from .._validation import param_error

__all__ = ["apply_given", "given_states", "given_labels"]

_STATES = {True: False, False: True, "up": False, "down": True}   # -> happened?


def given_states(structure, given, func):
    """``{event index: happened}`` for ``given``, checked.

    ``given`` maps basic-event names to a state: ``True`` or ``"up"`` (the
    component up, the shock not happening), ``False`` or ``"down"`` (the
    component down, the shock happening).
    """
    if not hasattr(given, "items"):
        raise param_error("given", func, "a dict of component or shock name -> "
                          "True / 'up' or False / 'down'", given, TypeError)
    index = {name: e for e, name in enumerate(structure.events)}
    out = {}
    for name, state in given.items():
        if not isinstance(name, str) or name not in index:
            raise _unknown(structure, name, func)
        key = bool(state) if isinstance(state, (bool, np.bool_)) else state
        if not isinstance(key, (bool, str)) or key not in _STATES:
            raise param_error(f"given[{name!r}]", func,
                              "True or 'up' (up, not happening) or False or 'down' "
                              "(down, happening)", state, TypeError
                              if not isinstance(state, str) else ValueError)
        out[index[name]] = _STATES[key]
    return out


def given_labels(structure, given, func):
    """``{event name: 'up' or 'down'}`` for ``given`` (checked), in model
    order: what a result records of the run's ``given=``."""
    if not given:
        return {}
    states = given_states(structure, given, func)
    return {structure.events[e]: ("down" if states[e] else "up") for e in sorted(states)}


def apply_given(structure, given, func):
    """The Structure with the events ``given`` names forced: their
    probability 0 (up) or 1 (down). None or an empty dict: ``structure``."""
    if given is None:
        return structure
    states = given_states(structure, given, func)
    if not states:
        return structure
    q = np.array(structure.q, dtype=np.float64)
    for e, happened in states.items():
        q[e] = 1.0 if happened else 0.0
    q.setflags(write=False)
    return dataclasses.replace(structure, q=q)


def _unknown(structure, name, func):
    if isinstance(name, str) and name in structure.gate_names:
        why = ("is a gate; given= forces basic events (components, services' "
               "own components, shocks): name the components instead")
    elif isinstance(name, str) and name in structure.journeys:
        why = "is a journey; given= forces basic events (components and shocks)"
    else:
        known = ", ".join(map(repr, structure.events[:8]))
        more = ", ..." if structure.n_events > 8 else ""
        why = f"is no component or shock of the model (events: {known}{more})"
    return UnknownNodeError(f"given of {func} names {name!r}, which {why}",
                            name if isinstance(name, str) else None)
