"""Open-PSA Model Exchange Format (MEF): fault trees in and out.

:func:`read_openpsa` reads MEF fault trees into a :class:`~slosim.Model`;
:func:`write_openpsa` writes a model's :class:`~slosim.model.Structure`
as MEF fault trees. Both are re-exported by :mod:`slosim.io`.
"""

from ._read import read_openpsa
from ._write import write_openpsa

__all__ = ["read_openpsa", "write_openpsa"]
