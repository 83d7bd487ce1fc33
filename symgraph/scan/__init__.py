"""Symbolic loops: ``scan`` and its shorthands, compiled to a Python ``for`` over NumPy arrays."""

from symgraph.scan.basic import foldl, foldr, map, reduce, scan
from symgraph.scan.op import Scan

__all__ = ["Scan", "foldl", "foldr", "map", "reduce", "scan"]
