"""Theano's variable constructors: ``matrix('x')``, ``dvector``, ``fscalars('a', 'b')``, ``tensor``.

The forms are generated from two small tables (shapes and dtype prefixes)
rather than written out one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from symgraph.config import config
from symgraph.tensor.type import PREFIX_DTYPES, TensorType
from symgraph.tensor.variable import TensorVariable

#: name -> (static shape, plural name)
FORMS: dict[str, tuple[tuple[int | None, ...], str]] = {
    "scalar": ((), "scalars"),
    "vector": ((None,), "vectors"),
    "matrix": ((None, None), "matrices"),
    "row": ((1, None), "rows"),
    "col": ((None, 1), "cols"),
    "tensor3": ((None,) * 3, "tensor3s"),
    "tensor4": ((None,) * 4, "tensor4s"),
    "tensor5": ((None,) * 5, "tensor5s"),
    "tensor6": ((None,) * 6, "tensor6s"),
    "tensor7": ((None,) * 7, "tensor7s"),
}


def tensor(
    name: str | None = None,
    *,
    dtype: str | None = None,
    shape: Sequence[int | None] | None = None,
) -> TensorVariable:
    """A symbolic tensor with a static ``shape`` (ints or None; 1 broadcasts)."""
    return TensorType(dtype or config.floatX, tuple(shape or ()))(name)


def _single(form: str, fixed_dtype: str | None) -> Callable[..., TensorVariable]:
    """``matrix(name, dtype)``; with a dtype prefix, as in Theano, the type itself:
    ``dmatrix`` is ``TensorType('float64', (None, None))``, and ``dmatrix('x')`` a variable."""
    shape = FORMS[form][0]
    if fixed_dtype is not None:
        return TensorType(fixed_dtype, shape)

    def make(name: str | None = None, dtype: str | None = None) -> TensorVariable:
        return TensorType(dtype or config.floatX, shape)(name)

    make.__name__ = make.__qualname__ = form
    make.__doc__ = f"A symbolic {form} (config.floatX unless dtype is given)."
    return make


def _plural(
    single: Callable[..., TensorVariable], single_name: str, plural_name: str
) -> Callable[..., list]:
    def make(*names: str, dtype: str | None = None) -> list[TensorVariable]:
        if len(names) == 1 and isinstance(names[0], int):
            names = (None,) * names[0]
        if len(names) == 1 and isinstance(names[0], str) and "," in names[0]:
            names = tuple(n.strip() for n in names[0].split(","))
        elif len(names) == 1 and isinstance(names[0], str):
            names = tuple(names[0])  # Theano's scalars('xyz'): one variable per letter
        if isinstance(single, TensorType):
            return [TensorType(dtype, single.shape)(n) if dtype else single(n) for n in names]
        return [single(n, dtype=dtype) for n in names]

    make.__name__ = make.__qualname__ = plural_name
    make.__doc__ = (
        f"Several {single_name}s at once: ``a, b = {plural_name}('a', 'b')``, "
        f"``{plural_name}('a, b')``, ``{plural_name}('ab')`` (a letter each) or ``{plural_name}(2)``."
    )
    return make


CONSTRUCTORS: dict[str, Callable] = {}
for _form, (_shape, _plural_name) in FORMS.items():
    for _prefix, _dtype in [("", None), *PREFIX_DTYPES.items()]:
        _one = _single(_form, _dtype)
        CONSTRUCTORS[_prefix + _form] = _one
        CONSTRUCTORS[_prefix + _plural_name] = _plural(
            _one, _prefix + _form, _prefix + _plural_name
        )

globals().update(CONSTRUCTORS)
__all__ = ["CONSTRUCTORS", "tensor", *CONSTRUCTORS]
