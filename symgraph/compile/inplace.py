"""Elementwise nodes computed into dead buffers: ``t2 -= y; t2 /= n`` for ``(t2 - y) / n``.

An elementwise node (an ``Elemwise`` row, or a ``Fused`` tree of members) may
write into the buffer of an input nobody reads afterwards. A *chain* follows
such an input up the member tree: the member reading it writes its result into
the input's buffer (``out=``, or ``+=`` where the template allows), the
member reading that result writes into the same buffer, and so on, for as long
as each member is one NumPy ufunc whose result has the buffer's dtype and
number of dimensions. The members off the chain stay expressions, evaluated
before the call that consumes them writes. Each member on a chain is one
temporary array NumPy does not allocate.

A node may hold several chains, one per free input: in the update
``w - 0.1 * (w * 0.02 + gw)`` the gradient ``gw`` takes ``+= w * 0.02`` and
``*= 0.1``, then ``w -= gw`` writes the shared variable's own buffer.

Safety rests on two facts. A chain's input is read nowhere else in the node but
inside the chain's first member, so no expression sees the buffer after it was
overwritten. Each write has the buffer itself as an operand, so the result
cannot be smaller than the buffer, and NumPy refuses a larger one before writing
anything (the function then falls back to a plan without in-place work).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from symgraph.graph.basic import Apply, Op, Variable, building_at
from symgraph.graph.syntax import AUGMENTED
from symgraph.tensor.elemwise import MAX_OPERANDS, Elemwise
from symgraph.tensor.fused import Fused, binary_members, literal_text
from symgraph.tensor.type import TensorType
from symgraph.tensor.variable import TensorVariable

#: arrays with fewer elements run slower in place (measured, see ``memory``)
MIN_INPLACE_SIZE = 2

#: a member of an elementwise node: its op and its arguments (see ``Fused``)
Member = tuple[Op, tuple]


def ufunc_path(op: object) -> str | None:
    """``'np.add'`` / ``'special.erf'``: the NumPy ufunc an Elemwise row applies, which
    accepts ``out=``; None for other ops."""
    return op.call if isinstance(op, Elemwise) and op.ufunc else None


def augmented_operator(op: object) -> str | None:
    """``'+'`` when the op is written ``a + b``, so ``a += b`` computes it in place."""
    symbol = getattr(op, "operator", None)
    return symbol if symbol in AUGMENTED and op.nin == 2 else None


def members(op: object, nin: int) -> tuple[Member, ...] | None:
    """The member tree of an elementwise node's op (an Elemwise row is one member), with
    n-ary sums and products as chains of two-operand members; None for other ops."""
    if isinstance(op, Fused):
        return op.binary_members
    if isinstance(op, Elemwise) and nin <= MAX_OPERANDS:  # a longer sum is written line by line
        return binary_members(((op, tuple(range(nin))),))
    return None


def can_hold_result(target: Variable, out: Variable) -> bool:
    """True when ``out`` may be written into ``target``'s buffer: same dtype and shape.

    A target dimension of static size 1 that the result broadcasts to more is
    excluded; unknown sizes are taken not to broadcast, the convention the
    gradient code relies on (``sum_to_shape``). When that fails at run time
    NumPy refuses before writing, and the function falls back to a plan without
    in-place work (see ``Function``).
    """
    if not isinstance(target.type, TensorType) or target.type.dtype != out.type.dtype:
        return False
    if target.type.ndim != out.type.ndim or target.type.ndim == 0:
        return False
    if any(t == 1 and o != 1 for t, o in zip(target.type.shape, out.type.shape)):
        return False
    shape = target.type.shape
    return None in shape or int(np.prod(shape, dtype=np.int64)) >= MIN_INPLACE_SIZE


@dataclass(frozen=True, eq=False)
class Chains:
    """Which members of an elementwise node write into which input's buffer.

    ``buffers`` maps a member's index to the position of the input whose buffer
    receives it; the node's result lands in ``target``'s buffer when the root
    member is on a chain.
    """

    buffers: dict[int, int]
    root: int

    @property
    def target(self) -> int | None:
        return self.buffers.get(self.root)


class MemberTree:
    """An elementwise node's members, who reads each, and which inputs they name: the facts
    the planner asks about one node, computed once."""

    def __init__(self, node: Apply) -> None:
        self.node = node
        self.members = members(node.op, len(node.inputs)) or ()
        self.reader: dict[int, int] = {}
        self.direct: dict[int, list[int]] = {}  # input position -> members naming it
        # a variable given at two positions (``add(a, b, b)``) is read at both: neither may
        # be a buffer, or the write through one would change what the other reads
        seen: dict[int, int] = {}
        for v in node.inputs:
            seen[id(v)] = seen.get(id(v), 0) + 1
        self.repeated = {p for p, v in enumerate(node.inputs) if seen[id(v)] > 1}
        for j, (_, refs) in enumerate(self.members):
            for r in refs:
                if isinstance(r, int):
                    self.direct.setdefault(r, []).append(j)
                elif r[0] == "member":
                    self.reader[r[1]] = j
        self._types: list[Variable] | None = None
        self._chains: dict[int, list[int]] = {}

    @property
    def root(self) -> int:
        return len(self.members) - 1

    def result(self, j: int) -> Variable:
        """A variable typed as member ``j``'s result (computed once for all members)."""
        if self._types is None:
            if len(self.members) > 1:
                results: list[Variable] = []
                with building_at(self.node.where):  # skip looking up the user's line
                    for op, refs in self.members:
                        args = [Fused._variable(r, self.node.inputs, results) for r in refs]
                        results.append(TensorVariable(op.infer_type(*args)))
                self._types = results
            else:
                self._types = list(self.node.outputs)
        return self._types[j]

    def writable(self, j: int, position: int) -> bool:
        """True when member ``j`` can be one ufunc call writing into input ``position``'s buffer."""
        buffer = self.node.inputs[position]
        return (
            ufunc_path(self.members[j][0]) is not None
            and self.members[j][0].in_place
            and isinstance(buffer.type, TensorType)
            and buffer.type.ndim > 0
            and can_hold_result(buffer, self.result(j))
        )

    def chain(self, position: int, taken: frozenset[int] = frozenset()) -> list[int]:
        """The members that can be computed into input ``position``'s buffer, innermost first.

        The first member names the input directly, and every other member naming
        it lies below that one (so the buffer is read before it is overwritten);
        the chain climbs through readers while they are writable and not ``taken``.
        """
        if position in self.repeated:
            return []
        if not taken and position in self._chains:
            return self._chains[position]
        users = self.direct.get(position, [])
        start = next((j for j in users if all(self._below(u, j) for u in users)), None)
        chain: list[int] = []
        j = start
        while j is not None and j not in taken and self.writable(j, position):
            chain.append(j)
            j = self.reader.get(j)
        if not taken:
            self._chains[position] = chain
        return chain

    def _below(self, j: int, top: int) -> bool:
        while j != top:
            if j not in self.reader:
                return False
            j = self.reader[j]
        return True

    def candidates(self) -> list[int]:
        """Inputs with at least one member that could be computed into their buffer."""
        return [p for p in self.direct if self.chain(p)]

    def targets(self) -> list[int]:
        """Inputs whose buffer could receive the node's result, preferred first.

        ``a += b`` (or ``b += a`` when commutative) reads best and runs fastest,
        then a root call with ``out=``, then longer chains.
        """
        if not self.members or len(self.node.outputs) != 1:
            return []
        root_op, root_refs = self.members[self.root]
        augmented = augmented_operator(root_op) is not None and len(root_refs) == 2
        commutative = getattr(root_op, "commutative", False)
        ranked = []
        for position in self.direct:
            chain = self.chain(position)
            if chain and chain[-1] == self.root:
                first = position in root_refs and (commutative or root_refs[0] == position)
                ranked.append((not (augmented and first), len(chain), position))
        return [position for *_, position in sorted(ranked)]

    def plan(self, target: int | None, free: Sequence[int]) -> Chains | None:
        """The chains: into ``target`` up to the root, and into each of ``free`` below it.

        ``free`` lists the other inputs whose buffers nobody reads after the node.
        """
        buffers: dict[int, int] = {}
        if target is not None:
            buffers.update(dict.fromkeys(self.chain(target), target))
        for position in free:
            if position != target:
                # only the target's chain may write the root: the result is in its buffer
                taken = frozenset((*buffers, self.root))
                buffers.update(dict.fromkeys(self.chain(position, taken), position))
        return Chains(buffers, self.root) if buffers else None


@dataclass(frozen=True)
class Call:
    """One in-place ufunc call: ``path(*args, out=buffer)``, ``args[carrier]`` being the buffer
    (an operator call like ``a += b`` has no leading arguments)."""

    path: str
    args: tuple[str, ...]
    carrier: int
    symbol: str | None

    def into(self, buffer: str) -> str:
        """``buffer -= other`` where the operator allows, else ``np.f(..., out=buffer)``."""
        if self.symbol is not None:
            return f"{buffer} {self.symbol}= {self.args[1 - self.carrier]}"
        return f"{self.path}({', '.join(self.args)}, out={buffer})"

    def assigned(self, out: str, buffer: str) -> str:
        """``out = np.f(..., out=buffer)``: the result in the buffer, under a new name."""
        return f"{out} = {self.path}({', '.join(self.args)}, out={buffer})"


def chain_calls(op: object, chains: Chains, names: Sequence[str]) -> list[tuple[int, Call]]:
    """The in-place calls of an elementwise node's chains in evaluation order, each with the
    input position whose buffer it writes; the last is the root's when the node has a target."""
    tree_members = members(op, len(names))
    given: dict[int, str] = {}  # member -> the buffer name holding its result
    latest: dict[int, tuple] = {}  # input position -> the ref its buffer goes by now
    calls = []
    for j, (member_op, refs) in enumerate(tree_members):
        position = chains.buffers.get(j)
        if position is None:
            continue
        args = tuple(_argument(tree_members, len(names), r, names, given) for r in refs)
        args = (*getattr(member_op, "leading", ()), *args)
        carrier = refs.index(latest.get(position, position))
        symbol = augmented_operator(member_op)
        commutative = getattr(member_op, "commutative", False)
        if not (symbol is not None and len(refs) == 2 and (carrier == 0 or commutative)):
            symbol = None
        calls.append((position, Call(ufunc_path(member_op), args, carrier, symbol)))
        given[j] = names[position]
        latest[position] = ("member", j)
    return calls


def root_expression(op: object, chains: Chains, names: Sequence[str]) -> str:
    """The root member's expression, reading chain results from their buffers."""
    tree_members = members(op, len(names))
    given = {j: names[p] for j, p in chains.buffers.items()}
    return _expression(tree_members, len(names), len(tree_members) - 1, names, given)


def _argument(tree_members, nin: int, ref, names: Sequence[str], given: dict[int, str]) -> str:
    if isinstance(ref, int):
        return names[ref]
    if ref[0] == "member":
        return given.get(ref[1]) or _expression(tree_members, nin, ref[1], names, given)
    return literal_text(ref[1])


def _expression(
    tree_members: Sequence[Member], nin: int, j: int, names: Sequence[str], given: dict[int, str]
) -> str:
    """Member ``j``'s expression, with the members in ``given`` read from those names."""
    extra: list[str] = []
    remapped = []
    for member_op, refs in tree_members[: j + 1]:
        new_refs = []
        for r in refs:
            if not isinstance(r, int) and r[0] == "member" and r[1] in given:
                extra.append(given[r[1]])
                r = nin + len(extra) - 1
            new_refs.append(r)
        remapped.append((member_op, tuple(new_refs)))
    return Fused(tuple(remapped), nin + len(extra)).code(*names, *extra)
