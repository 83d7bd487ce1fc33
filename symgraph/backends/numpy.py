"""The default backend: generated code runs eagerly on NumPy arrays, in place where planned."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from symgraph.backends import Backend, is_dask_array
from symgraph.graph.basic import Apply, Variable


def check(
    nodes: Sequence[Apply], inputs: Sequence[Variable], shared_values: Mapping[Variable, Any]
) -> None:
    """A shared variable holding a dask array needs the Dask backend."""
    for var, value in shared_values.items():
        if is_dask_array(value):
            raise TypeError(
                f"the shared variable {var!r} holds a dask array; compile with mode='DASK' "
                f"(see docs/distributed.md), or set_value a NumPy array"
            )


BACKEND = Backend(name="numpy", globals={}, array_type="ndarray", inplace=True, check=check)
