"""Settings: ``config.floatX``, ``config.optimizer``, ...; ``SYMGRAPH_FLAGS`` sets them at import.

``SYMGRAPH_FLAGS="floatX=float32,optimizer=fast_compile,warn.round=False"`` is
read once, when symgraph is imported, as Theano read ``THEANO_FLAGS``. Every
setting has a fixed set of values; an unknown name or value is an error, not a
silent typo. Settings kept only so that Theano programs which set them run
unchanged say so in their description (``print(config)`` lists them all).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

_NO_EFFECT = "accepted for Theano programs; no effect in symgraph"


@dataclass(frozen=True)
class Setting:
    """One setting: its default, the values it may take, and what it does."""

    default: Any
    choices: tuple
    doc: str


_BOOL = (True, False)
_OLD_BUG = "warn about a bug of an old Theano version; symgraph never had it: " + _NO_EFFECT

#: Theano 1.0's ``warn.*`` flags, with its defaults (``warn.ignore_bug_before='0.9'``)
WARN = {
    "ignore_bug_before": Setting(
        "0.9",
        (
            "None",
            "all",
            "0.3",
            "0.4",
            "0.4.1",
            "0.5",
            "0.6",
            "0.7",
            "0.8",
            "0.8.1",
            "0.8.2",
            "0.9",
            "0.10",
            "1.0",
            "1.0.1",
            "1.0.2",
            "1.0.3",
            "1.0.4",
            "1.0.5",
        ),
        "the first Theano version whose bug warnings to skip; " + _NO_EFFECT,
    ),
    **{
        name: Setting(default, _BOOL, _OLD_BUG)
        for name, default in {
            "argmax_pushdown_bug": False,
            "gpusum_01_011_0111_bug": False,
            "sum_sum_bug": False,
            "sum_div_dimshuffle_bug": False,
            "subtensor_merge_bug": False,
            "gpu_set_subtensor1": False,
            "vm_gc_bug": False,
            "signal_conv2d_interface": False,
            "reduce_join": False,
            "inc_set_subtensor1": False,
            "round": True,
            "inc_subtensor1_opt": True,
            "identify_1pexp_bug": False,
        }.items()
    },
}

SETTINGS: dict[str, Setting | dict] = {
    "floatX": Setting(
        "float64", ("float64", "float32"), "dtype of float constructors and constants"
    ),
    "optimizer": Setting(
        "fast_run", ("fast_run", "fast_compile", "None"), "the rewrites of the default mode"
    ),
    "mode": Setting(
        "Mode",
        ("Mode", "FAST_RUN", "FAST_COMPILE", "DEBUG_MODE", "DebugMode"),
        "the mode of function() when none is given ('Mode': the optimizer setting decides)",
    ),
    "linker": Setting(
        "cvm",
        ("cvm", "cvm_nogc", "vm", "vm_nogc", "py", "c", "c|py", "c|py_nogc", "numpy"),
        "Theano's linkers; symgraph has one code generator (NumPy): " + _NO_EFFECT,
    ),
    "device": Setting("cpu", ("cpu",), "symgraph computes with NumPy on the CPU"),
    "compute_test_value": Setting(
        "off",
        ("off", "ignore"),
        "symgraph checks types and static shapes when a node is built, without test values",
    ),
    "exception_verbosity": Setting(
        "low",
        ("low", "high"),
        "symgraph's errors always name the op, shapes and line: " + _NO_EFFECT,
    ),
    "allow_gc": Setting(
        False,
        _BOOL,
        "True: a compiled function lets its intermediate arrays go after each call, as"
        " Theano's default does; False: it keeps them for the next call with the same shapes"
        " (its workspace: faster, and Function.free() lets them go)",
    ),
    "reoptimize_unpickled_function": Setting(
        False, _BOOL, "rewrite a function's graph again when it is unpickled"
    ),
    "warn": WARN,
}


class Config:
    """Attributes with checked values, and groups of them (``config.warn.round``)."""

    def __init__(self, settings: dict[str, Setting | dict], prefix: str = "") -> None:
        object.__setattr__(self, "_settings", settings)
        object.__setattr__(self, "_prefix", prefix)
        for name, setting in settings.items():
            value = (
                Config(setting, f"{prefix}{name}.")
                if isinstance(setting, dict)
                else setting.default
            )
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        setting = self._settings.get(name)
        if setting is None or isinstance(setting, dict):
            known = sorted(n for n, s in self._settings.items() if not isinstance(s, dict))
            raise AttributeError(f"config has no setting '{self._prefix}{name}'; known: {known}")
        if isinstance(value, str) and setting.choices == _BOOL:
            value = {"true": True, "1": True, "false": False, "0": False}.get(value.lower(), value)
        if value not in setting.choices or (setting.choices == _BOOL and type(value) is not bool):
            raise ValueError(
                f"config.{self._prefix}{name} must be one of {setting.choices}, not {value!r} "
                f"({setting.doc})"
            )
        object.__setattr__(self, name, value)

    def apply_flags(self, flags: str) -> None:
        """Apply ``name=value,group.name=value`` text, as found in ``SYMGRAPH_FLAGS``."""
        for item in filter(None, (part.strip() for part in flags.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"SYMGRAPH_FLAGS entry {item!r} is not of the form name=value")
            *groups, last = name.strip().split(".")
            target = self
            for group in groups:
                target = getattr(target, group)
            setattr(target, last, value.strip())

    def __str__(self) -> str:
        lines = []
        for name, setting in self._settings.items():
            value = getattr(self, name)
            if isinstance(setting, dict):
                lines.append(str(value))
            else:
                lines.append(f"{self._prefix}{name} = {value!r}  # {setting.doc}")
        return "\n".join(lines)


config = Config(SETTINGS)
config.apply_flags(os.environ.get("SYMGRAPH_FLAGS", ""))
