"""Settings: ``config.floatX``, ``config.optimizer``; ``SYMGRAPH_FLAGS`` sets them at import.

``SYMGRAPH_FLAGS="floatX=float32,optimizer=fast_compile"`` is read once, when
symgraph is imported, as Theano read ``THEANO_FLAGS``.
"""

from __future__ import annotations

import os

_CHOICES = {
    "floatX": ("float64", "float32"),
    "optimizer": ("fast_run", "fast_compile", "None"),
}


class Config:
    """Attributes with checked values; unknown names are an error, not a silent typo."""

    floatX: str = "float64"
    optimizer: str = "fast_run"

    def __setattr__(self, name: str, value: str) -> None:
        if name not in _CHOICES:
            raise AttributeError(f"config has no setting {name!r}; known: {sorted(_CHOICES)}")
        if value not in _CHOICES[name]:
            raise ValueError(f"config.{name} must be one of {_CHOICES[name]}, not {value!r}")
        object.__setattr__(self, name, value)

    def apply_flags(self, flags: str) -> None:
        """Apply ``name=value,name=value`` text, as found in ``SYMGRAPH_FLAGS``."""
        for item in filter(None, (part.strip() for part in flags.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"SYMGRAPH_FLAGS entry {item!r} is not of the form name=value")
            setattr(self, name.strip(), value.strip())


config = Config()
config.apply_flags(os.environ.get("SYMGRAPH_FLAGS", ""))
