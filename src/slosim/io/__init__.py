"""Model files: read and write models in the formats of other tools.

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
>>> slosim.io.read_openpsa(buffer).components
{'db-0': 0.001, 'db-1': 0.001, 'db-2': 0.001}
"""

from ._errors import OpenPSAError
from ._mef_read import read_openpsa
from ._mef_write import write_openpsa

__all__ = ["read_openpsa", "write_openpsa", "OpenPSAError"]
