"""The engines layer: what a model's journeys give, exactly or by sampling.

* :func:`simulate`: Monte Carlo, with exact binomial intervals; a model's
  :class:`~slosim.model.Structure` is compiled (:func:`compile_model`) to
  a :class:`Program`, the flat arrays the Cython kernel samples.
* :func:`exact`: a reduced ordered binary decision diagram over the
  Structure, with every basic event's conditionals.
* :func:`timeline`: the journeys' error ratios over time, by event
  simulation of every event's behaviour over time
  (``Structure.timing``), reduced to per-window statistics.

Engines read a model only through :func:`slosim.model.lower`; analyses
(:mod:`slosim.analysis`) ask the engines, never the kernels.
"""

from ._batch import BatchEvaluation, evaluate_many
from ._compile import CONST_DOWN, CONST_UP, Program, compile_model
from ._cut_sets import CutSetList, count_cut_sets, fussell_vesely, minimal_cut_sets
from ._exact import DEFAULT_MAX_NODES, Evaluation, ExactDiagram, exact
from ._given import apply_given, given_labels
from ._pairs import DEFAULT_MAX_PAIRS, MAX_RULE, PairMoments
from ._simulate import DEFAULT_CHUNK_SIZE, JointCounts, RNGLike, simulate, simulate_joint
from ._timeline import DEFAULT_RUNS_PER_CHUNK, timeline

__all__ = [
    "simulate",
    "simulate_joint",
    "JointCounts",
    "timeline",
    "DEFAULT_RUNS_PER_CHUNK",
    "exact",
    "ExactDiagram",
    "Evaluation",
    "PairMoments",
    "minimal_cut_sets",
    "count_cut_sets",
    "fussell_vesely",
    "CutSetList",
    "evaluate_many",
    "BatchEvaluation",
    "DEFAULT_MAX_PAIRS",
    "MAX_RULE",
    "compile_model",
    "Program",
    "CONST_UP",
    "CONST_DOWN",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_NODES",
    "RNGLike",
    "apply_given",
    "given_labels",
]
