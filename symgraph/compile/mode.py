"""Compilation modes: which rewrites run, and whether the generated code checks every op."""

from __future__ import annotations

from dataclasses import dataclass

from symgraph.backends import BACKENDS
from symgraph.config import config

#: Theano's linker names; symgraph has one code generator, so any of them selects it
LINKERS = (None, "py", "c", "c|py", "c|py_nogc", "cvm", "cvm_nogc", "vm", "vm_nogc", "numpy")


@dataclass(frozen=True)
class Mode:
    """How ``function`` compiles: the optimizer to run and the run-time checks to emit.

    Parameters
    ----------
    linker : str, optional
        Accepted for Theano programs (``Mode(linker='py')``); every linker
        name selects the same code generator (``backend`` says what its code
        runs on).
    optimizer : str or None
        ``'fast_run'``, ``'fast_compile'``, ``'None'`` (or None: no rewrites),
        or ``'default'``: ``config.optimizer`` at compile time.
    debug : bool
        DEBUG_MODE's checks: the optimizer evaluates every rewrite before and
        after on random inputs, and the generated code checks after every op
        that its output has the declared dtype, ndim and static shape.
    inplace : bool
        Let the memory plan write results into dead buffers and shared
        variables' storage (False: every node allocates; for measurements).
    name : str
    backend : str
        What the generated code runs on: ``'numpy'`` (default) or ``'dask'``
        (lazy dask arrays, one ``dask.compute`` per call; see
        docs/distributed.md).
    """

    linker: str | None = None
    optimizer: str | None = "default"
    debug: bool = False
    inplace: bool = True
    name: str = "Mode"
    backend: str = "numpy"

    def __post_init__(self) -> None:
        if self.linker not in LINKERS:
            raise ValueError(f"unknown linker {self.linker!r}; Theano's names are {LINKERS[1:]}")
        known = ("fast_run", "fast_compile", "None", "default", None)
        if self.optimizer not in known:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose one of {known}")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of {sorted(BACKENDS)}")

    @property
    def optimizer_name(self) -> str:
        """The optimizer ``rewrite.pipeline.optimize`` runs: 'fast_run', 'fast_compile' or 'None'."""
        if self.optimizer == "default":
            return config.optimizer
        return "None" if self.optimizer is None else self.optimizer


FAST_RUN = Mode(optimizer="fast_run", name="FAST_RUN")
FAST_COMPILE = Mode(optimizer="fast_compile", name="FAST_COMPILE")
DEBUG_MODE = Mode(optimizer="fast_run", debug=True, name="DEBUG_MODE")
DASK = Mode(optimizer="fast_run", name="DASK", backend="dask")

PREDEFINED = {
    "FAST_RUN": FAST_RUN,
    "FAST_COMPILE": FAST_COMPILE,
    "DEBUG_MODE": DEBUG_MODE,
    "DebugMode": DEBUG_MODE,
    "DASK": DASK,
}


def get_default_mode() -> Mode:
    """The mode ``function`` uses when given none: ``config.mode``, as in Theano.

    ``config.mode = 'Mode'`` (the default) means a mode whose optimizer is
    ``config.optimizer``.
    """
    if config.mode == "Mode":
        return Mode(name="default")
    return PREDEFINED[config.mode]


def get_mode(mode: str | Mode | None) -> Mode:
    """The ``Mode`` for a name ('FAST_RUN', 'FAST_COMPILE', 'DEBUG_MODE', 'DASK'), a Mode, or None.

    None gives the default mode (``get_default_mode()``).
    """
    if mode is None:
        return get_default_mode()
    if isinstance(mode, Mode):
        return mode
    if mode in PREDEFINED:
        return PREDEFINED[mode]
    raise ValueError(f"unknown mode {mode!r}; choose one of {sorted(PREDEFINED)} or a Mode")
