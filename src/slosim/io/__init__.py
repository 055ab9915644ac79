"""The file-format layer: models read from and written to other tools' files.

Files become Models here; nothing below this layer knows a file. Each
format is a subpackage (:mod:`slosim.io.openpsa`); its readers build models
with the public model API, its writers read a model's
:class:`~slosim.model.Structure`.

:func:`read_openpsa` and :func:`write_openpsa` translate between slosim
models and the Open-PSA Model Exchange Format (MEF), the XML format of
fault trees that PRA tools (SCRAM, XFTA, RiskSpectrum...) exchange. Fault
trees are coherent failure logic; slosim reads their ``and``, ``or`` and
``atleast`` gates, basic events with constant probabilities, house events
and parameters, and rejects everything else with an :class:`OpenPSAError`
naming the file, the line and the element (see :doc:`/io`).

>>> import io
>>> import slosim as ss
>>> import slosim.io
>>> db = ss.k_of_n(2, [ss.Component(f"db-{i}", unavailability=1e-3)
...                    for i in range(3)], name="db")
>>> buffer = io.StringIO()
>>> slosim.io.write_openpsa(ss.Model(db), buffer)
>>> _ = buffer.seek(0)
>>> list(slosim.io.read_openpsa(buffer).components.values())
[Component('db-0', availability=0.999), Component('db-1', availability=0.999),
 Component('db-2', availability=0.999)]
"""

from .._errors import OpenPSAError
from .openpsa import read_openpsa, write_openpsa

__all__ = ["read_openpsa", "write_openpsa", "OpenPSAError"]
