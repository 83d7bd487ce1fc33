"""``theano.gof.utils``: the exception of an interface method an op leaves undefined."""


class MethodNotDefined(NotImplementedError):
    """An op lacks a method its use needs (``perform``, for example)."""
