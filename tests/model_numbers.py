"""A model's numbers as plain dicts, for tests that compare them.

``Model.components`` and ``Model.shocks`` map names to the objects; these
give the floats.
"""


def unavailabilities(model):
    """Component name -> unavailability, in the model's order."""
    return {name: c.unavailability for name, c in model.components.items()}


def probabilities(model):
    """Shock name -> probability, in the model's order."""
    return {name: s.probability for name, s in model.shocks.items()}
