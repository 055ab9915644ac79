"""The error of slosim's model-file readers and writers."""

from .._errors import ModelError

__all__ = ["OpenPSAError"]


class OpenPSAError(ModelError):
    """A model file cannot be read or written; the message says where and why.

    Raised for files that are not well-formed or not safe to read (too large,
    too deep, a DTD), for constructs slosim does not translate (non-coherent
    logic, expressions other than constants, other MEF layers), and for
    broken models (undefined or duplicate names, cycles, probabilities
    outside [0, 1]). Its message starts with ``file:line:`` when the place
    is known. It is a :class:`~slosim.ModelError`, hence a ``ValueError``.

    Attributes
    ----------
    path : str or None
        The file, as given (``'<stream>'`` for an unnamed file object).
    line : int or None
        The line of the offending element.
    reason : str
        The message without the ``file:line:`` prefix.
    node : str or None
        The name of the offending definition, when there is one.

    Examples
    --------
    >>> import io
    >>> import slosim.io
    >>> mef = io.StringIO('''<opsa-mef>
    ...   <define-fault-tree name="ft">
    ...     <define-gate name="top"><not><basic-event name="a"/></not></define-gate>
    ...   </define-fault-tree>
    ... </opsa-mef>''')
    >>> try:
    ...     slosim.io.read_openpsa(mef)
    ... except slosim.io.OpenPSAError as exc:
    ...     print(exc.line, exc.node)
    3 top
    """

    def __init__(self, reason, path=None, line=None, node=None):
        if path is not None and line is not None:
            where = f"{path}:{line}: "
        elif path is not None:
            where = f"{path}: "
        else:
            where = ""
        super().__init__(where + reason, node)
        self.path = path
        self.line = line
        self.reason = reason

    def __reduce__(self):
        return (type(self), (self.reason, self.path, self.line, self.node))
