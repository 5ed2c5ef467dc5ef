"""TS401 python-library-call."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import global_assignment_value
from tsinspect.lint.rule import Invalid, Phase, Rule, Valid

# Calls into these modules fail to script (measured on torch 2.13: numpy, random, time, os,
# sys, logging, functools, itertools, copy, json, re, operator, collections.defaultdict...).
# The rest of the list are modules whose functions are Python-only by nature.
PYTHON_ONLY_MODULES = frozenset(
    {
        "numpy",
        "random",
        "os",
        "sys",
        "time",
        "logging",
        "functools",
        "itertools",
        "copy",
        "pickle",
        "json",
        "re",
        "operator",
        "datetime",
        "subprocess",
        "shutil",
        "pathlib",
        "glob",
        "threading",
        "multiprocessing",
        "io",
        "csv",
        "inspect",
        "traceback",
        "pdb",
        "gc",
        "platform",
        "socket",
        "tempfile",
        "uuid",
        "hashlib",
        "base64",
        "PIL",
        "cv2",
        "scipy",
        "pandas",
        "sklearn",
        "matplotlib",
        "tqdm",
    }
)
# collections: these two script (OrderedDict() becomes a dict; a namedtuple type is a class).
COLLECTIONS_OK = frozenset({"collections.OrderedDict", "collections.namedtuple"})
# math functions TorchScript has no builtin for (measured one by one); the other common ones
# (sqrt, floor, ceil, log, exp, pow, fabs, erf, tanh, gcd, factorial, isnan...) script.
MATH_UNSUPPORTED = frozenset(
    {
        "math.prod",
        "math.isclose",
        "math.comb",
        "math.perm",
        "math.hypot",
        "math.isqrt",
        "math.log2",
        "math.trunc",
        "math.lcm",
        "math.dist",
        "math.fsum",
        "math.nextafter",
        "math.cbrt",
        "math.ulp",
    }
)
OTHER_UNSUPPORTED = frozenset({"typing.cast"})
GET_LOGGER = frozenset({"logging.getLogger"})


class PythonLibraryCallRule(Rule):
    """## What it does
    Reports a call from compiled code into a Python library TorchScript cannot compile:
    numpy, random, time, os, sys, logging (including a module-level
    `logger = logging.getLogger(...)`), functools, itertools, copy, json, re, operator,
    pickle, pathlib, PIL, scipy, pandas..., `collections.defaultdict`/`Counter`/`deque`,
    `typing.cast`, and the few `math` functions TorchScript lacks (`math.prod`,
    `math.isclose`, `math.log2`, `math.trunc`, `math.hypot`, `math.comb`...). Names are
    resolved through the imports, so `np.abs` after `import numpy as np` and `sqrt` after
    `from numpy import sqrt` are both found.

    ## Why is this bad?
    TorchScript compiles only torch operations and a small set of Python builtins.
    Scripting fails with "Python builtin ... is currently not supported", "attribute lookup
    is not defined on python value of type 'Logger'", or, for numpy and `os.getenv`, an
    internal error that names no line at all ("cannot create weak reference to
    'numpy.ufunc' object"). Module constants such as `math.pi`, `sys.maxsize` or `np.pi`
    are fine: only calls are reported.

    ## Example
    ```python
    import numpy as np

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * np.sqrt(x.shape[-1])
    ```

    ## Use instead
    The torch or `math` equivalent, or keep Python-only code under
    `if not torch.jit.is_scripting():` (not compiled) or in `__init__`:
    ```python
    import math

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * math.sqrt(x.shape[-1])
    ```
    """

    code = "TS401"
    function_local = True
    name = "python-library-call"
    message = "TorchScript cannot compile calls into this Python library"
    fix_hint = "Use the torch or math equivalent, or move the call under `if not torch.jit.is_scripting():`"
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            import math
            import sys
            import collections
            import numpy as np
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    scale = math.sqrt(x.shape[-1]) + math.floor(2.5) + math.log(2.0) + math.pi
                    cache = collections.OrderedDict()
                    cache["x"] = x
                    if not torch.jit.is_scripting():
                        print(np.abs(-1.0))
                    return cache["x"] * scale * np.pi + sys.maxsize * 0

                def to_numpy(self, x: torch.Tensor) -> float:
                    return float(np.mean(x.numpy()))
            """,
            label="math-constants-guarded-and-unreached",
        ),
    )
    INVALID = (
        Invalid(
            """
            import numpy as np
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x * float(np.sqrt(4.0))
            """,
            line=8,
            error_has_line=False,
            label="numpy-alias",
            message="TorchScript cannot compile calls into this Python library: `numpy.sqrt`",
        ),
        Invalid(
            """
            from numpy import sqrt
            import torch
            from torch import nn


            def scale(x: torch.Tensor) -> torch.Tensor:
                return x * float(sqrt(4.0))


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return scale(x)
            """,
            line=7,
            error_has_line=False,
            label="numpy-from-import-in-helper",
            message="TorchScript cannot compile calls into this Python library: `numpy.sqrt`",
        ),
        Invalid(
            """
            import random
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if self.training:
                        x = x * random.random()
                    return x
            """,
            label="random",
            message="TorchScript cannot compile calls into this Python library: `random.random`",
        ),
        Invalid(
            """
            import time
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    start = time.perf_counter()
                    return x * 2
            """,
            label="time",
            message="TorchScript cannot compile calls into this Python library: `time.perf_counter`",
        ),
        Invalid(
            """
            import os
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if os.getenv("DEBUG_MODEL") is not None:
                        print(x)
                    return x
            """,
            line=8,
            error_has_line=False,
            label="os-getenv",
            message="TorchScript cannot compile calls into this Python library: `os.getenv`",
        ),
        Invalid(
            """
            import logging
            import torch
            from torch import nn

            logger = logging.getLogger(__name__)


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    logger.debug("forward")
                    return x
            """,
            label="module-logger",
            message="TorchScript cannot compile calls into this Python library: `logger.debug` (a logging.Logger)",
        ),
        Invalid(
            """
            import logging
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    logging.info("forward")
                    return x
            """,
            line=8,
            error_has_line=False,
            label="logging-function",
            message="TorchScript cannot compile calls into this Python library: `logging.info`",
        ),
        Invalid(
            """
            import functools
            import torch
            import torch.nn.functional as F
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    act = functools.partial(F.leaky_relu, negative_slope=0.2)
                    return act(x)
            """,
            label="functools-partial",
            message="TorchScript cannot compile calls into this Python library: `functools.partial`",
        ),
        Invalid(
            """
            import itertools
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    for a, b in itertools.product([1, 2], [3]):
                        x = x + a * b
                    return x
            """,
            label="itertools",
            message="TorchScript cannot compile calls into this Python library: `itertools.product`",
        ),
        Invalid(
            """
            import copy
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    y = copy.deepcopy(x)
                    return y
            """,
            label="copy",
            message="TorchScript cannot compile calls into this Python library: `copy.deepcopy`",
        ),
        Invalid(
            """
            import math
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return x / math.prod(x.shape)
            """,
            label="math-prod",
            message="TorchScript cannot compile calls into this Python library: `math.prod`",
        ),
        Invalid(
            """
            import math
            import torch
            from torch import nn


            @torch.jit.script
            def fn(x: torch.Tensor) -> torch.Tensor:
                return x * math.log2(float(x.shape[-1]))
            """,
            label="math-log2-script-function",
            message="TorchScript cannot compile calls into this Python library: `math.log2`",
        ),
        Invalid(
            """
            from collections import defaultdict
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    groups = defaultdict(list)
                    return x
            """,
            label="collections-defaultdict",
            message="TorchScript cannot compile calls into this Python library: `collections.defaultdict`",
        ),
        Invalid(
            """
            import sys
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    if bool(x.isnan().any()):
                        sys.exit(1)
                    return x
            """,
            label="sys-exit",
            message="TorchScript cannot compile calls into this Python library: `sys.exit`",
        ),
        Invalid(
            """
            from typing import cast
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return cast(torch.Tensor, x * 2)
            """,
            label="typing-cast",
            message="TorchScript cannot compile calls into this Python library: `typing.cast`",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        names = self.context.qualified_names(func)
        for qualified in sorted(names):
            if _is_python_only(qualified):
                self.report(node, f"{self.message}: `{qualified}`")
                return
        # `logger.info(...)` on a module-level `logger = logging.getLogger(...)`
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            value = global_assignment_value(self.context, func.value)
            if isinstance(value, cst.Call) and self.context.matches(value.func, *GET_LOGGER):
                self.report(
                    node,
                    f"{self.message}: `{func.value.value}.{func.attr.value}` (a logging.Logger)",
                    fix_hint="Drop the log call from compiled code, or move it under `if not torch.jit.is_scripting():`",
                )


def _is_python_only(qualified: str) -> bool:
    root = qualified.split(".", 1)[0]
    if root in PYTHON_ONLY_MODULES and "." in qualified:
        return True
    if root == "collections" and "." in qualified:
        return qualified not in COLLECTIONS_OK
    return qualified in MATH_UNSUPPORTED or qualified in OTHER_UNSUPPORTED
