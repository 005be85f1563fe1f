"""The one exception of the checking engine."""


class Abort(Exception):
    """f or the gradient misbehaved (raised, wrong structure or shape, not finite): the check
    ends with this message, in a report, instead of a traceback."""
