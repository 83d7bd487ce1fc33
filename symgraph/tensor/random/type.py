"""``RandomGeneratorType``: the type of a random stream's state, a NumPy ``Generator``.

A draw reads a generator and returns it advanced, so its state threads
through the graph like any value. NumPy advances a ``Generator`` in place;
the type says how generated code copies one (when a state is read again after
a draw) and how it saves and restores one cheaply (a call that raises, or whose
updates are switched off, leaves a shared generator as it found it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from symgraph.graph.basic import Type, Variable


@dataclass(frozen=True)
class RandomGeneratorType(Type):
    """Values are ``numpy.random.Generator`` objects."""

    def filter(self, value: Any, allow_downcast: bool = False, what: str = "value") -> Any:
        if isinstance(value, np.random.Generator):
            return value
        hint = (
            "; symgraph's streams use np.random.default_rng(seed), not RandomState"
            if isinstance(value, np.random.RandomState)
            else ""
        )
        raise TypeError(
            f"{what}: expected a numpy.random.Generator, got {type(value).__name__}{hint}"
        )

    # -- what generated code writes for a value held in ``name`` -----------------------------
    def copy_code(self, name: str) -> str:
        """A copy with its own state (a draw may then advance one and not the other)."""
        return f"deepcopy({name})"

    def save_code(self, name: str) -> str:
        """The state, as a small dict (1-2 us; a copy of the generator costs 100 us)."""
        return f"{name}.bit_generator.state"

    def restore_code(self, name: str, saved: str) -> str:
        return f"{name}.bit_generator.state = {saved}"

    @staticmethod
    def restore(value: np.random.Generator, saved: dict) -> None:
        """What ``restore_code`` does, for a call that raised before reaching it."""
        value.bit_generator.state = saved

    def __str__(self) -> str:
        return "RandomGenerator"


class RandomGeneratorVariable(Variable):
    """A symbolic generator: a stream's state, read by draws."""

    __slots__ = ()


RandomGeneratorType.variable_class = RandomGeneratorVariable

#: the one instance (the type has no parameters)
random_generator_type = RandomGeneratorType()
