"""The only code touching ``torch._C``: a TorchScript graph -> frozen records + a networkx.DiGraph.

Modules: ``records`` (OpRecord, ValueRecord, GraphWalk and its DiGraph), ``flat`` (the walk
of an already inlined graph; scope, source and constant parsing), ``bodies`` (each distinct
method body, read once), ``summary`` (counts per body, times its call sites) and ``compose``
(the inlined walk, bodies copied at every call site).

Two readings of ``forward``, both built from the same method *bodies*
(:class:`_Bodies`): one per TorchScript type and method, since submodules of
one type share their code (ViT's twelve encoder layers are one body). A body
is a copy of the method's graph with its free-function calls inlined and the
clean-ups TorchScript's inliner applies to each callee (peephole, constant
propagation on immutable types, constant pooling); calls to submodules stay
``prim::CallMethod`` nodes on ``prim::GetAttr`` chains from ``self``.

- :func:`summarise_module` (the summary): reads each body once, counts its
  node kinds, and adds those counts once per call site, recursively; keeps
  only the few records the TS6xx findings read. Linear in the distinct code
  plus the number of call sites: no inlining, no per-node work per copy.
- :func:`walk_module` (``--dot``, ``--json``, ``LoadedModel.graph``): copies
  each body's records at every call site, as an inline pass would, into one
  record per node of the inlined graph; nodes inside ``prim::If`` and
  ``prim::Loop`` blocks are kept, with their block path. Values are looked up
  in dicts: linear in the graph size.

Both count exactly the same nodes (tests/model/test_summary.py checks it on
every fixture). Unlike ``torch._C._jit_pass_inline``, nothing is folded
across a call: a callee's ``is None`` checks stay even where its caller passes
``None``, and each copy keeps its own constants; that is what makes every copy
of a body the same. :func:`walk_graph` still walks any already inlined graph.

Where things come from (measured on torch 2.13):

- the submodule a node runs in: the attribute names of the ``prim::GetAttr``
  chain of each call, as the inline pass names inlined instances
  (``layer1.0.conv2``); a method of the same module adds nothing. (For an
  already inlined graph, :func:`walk_graph` reads ``Node.getModuleHierarchy()``,
  e.g. ``layer1(Sequential).0(BasicBlock).conv2(Conv2d).SELF(Conv2d)``, which
  is empty for ``prim::If``/``prim::Loop`` nodes and their blocks.)
- the source location: ``Node.sourceRange()``. Scripted archives keep
  ``File "path", line N`` ranges (of the innermost inlined function); traced
  archives keep the Python stack at trace time as ``path(N): function`` lines,
  of which we keep the first frame outside torch.

Graph attributes (documented in docs/graph.md):

nodes (int ids, in walk order)
    ``op``: ``input`` | ``output`` | ``constant`` | ``get_attr`` | ``call`` | ``control``;
    ``kind``: ``aten::conv2d``, ``prim::If``... (``input``/``output`` for the
    graph's ends); ``target``: the argument name, the attribute path
    (``conv1.weight``), the constant's value, or the op kind; ``scope``: the
    submodule path (``layer1.0.conv2``, ``""`` for the top module);
    ``module_type``: that submodule's class name; ``source``: ``file:line`` or
    ``""``; ``block``: ``""`` at top level, else the enclosing blocks as
    ``"<node id>.<block index>"`` joined by ``/``; ``types``: the output types;
    ``meta``: a dict for passes to add to (empty here).
edges (producer -> consumer)
    ``values``: the value names that flow; ``types``: their TorchScript types;
    ``role``: ``data``, or ``return`` for a block's result flowing back into its
    ``prim::If``/``prim::Loop``.
"""

from tsinspect.ir.walk.bodies import MethodBodies
from tsinspect.ir.walk.compose import walk_module
from tsinspect.ir.walk.flat import (
    block_nodes,
    constant_text,
    parse_module_hierarchy,
    parse_source_range,
    tensor_constant,
    walk_graph,
)
from tsinspect.ir.walk.records import (
    OP_CALL,
    OP_CONSTANT,
    OP_CONTROL,
    OP_GET_ATTR,
    OP_INPUT,
    OP_OUTPUT,
    GraphWalk,
    OpRecord,
    ValueRecord,
)
from tsinspect.ir.walk.summary import GraphSummary, summarise_module, summarise_walk

__all__ = [
    "OP_CALL",
    "OP_CONSTANT",
    "OP_CONTROL",
    "OP_GET_ATTR",
    "OP_INPUT",
    "OP_OUTPUT",
    "GraphSummary",
    "GraphWalk",
    "MethodBodies",
    "OpRecord",
    "ValueRecord",
    "block_nodes",
    "constant_text",
    "parse_module_hierarchy",
    "parse_source_range",
    "summarise_module",
    "summarise_walk",
    "tensor_constant",
    "walk_graph",
    "walk_module",
]
