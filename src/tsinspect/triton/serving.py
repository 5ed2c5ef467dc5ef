"""What Triton's PyTorch (libtorch) backend can serve: forward's argument and return types.

The backend feeds Tensors, ``List[str]`` (from TYPE_STRING) or one
``Dict[str, Tensor]`` argument, and reads a Tensor, ``List[str]`` or a flat
tuple of those (pytorch_backend src/pt/model_instance_state.cc: ValidateInputs
line 1311, Execute line 266, ReadOutputTensors line 865; see docs/triton.md).
These are archive findings (TS605, TS606): ``tsinspect graph`` reports them,
and ``tsinspect config`` refuses to write a config for such a model.
"""

from __future__ import annotations

from tsinspect.codes import finding
from tsinspect.diagnostics import Diagnostic
from tsinspect.ir.signature import Signature, TorchType


def _argument_blocker(argument_name: str, torch_type: TorchType, path: str) -> Diagnostic:
    if torch_type.kind == "Optional":
        hint = (
            f"make '{argument_name}' a plain Tensor (feed a placeholder when unused) or move the "
            "optional path into a separate model"
        )
    elif torch_type.kind in ("int", "float", "bool", "str"):
        hint = (
            f"pass '{argument_name}' as a Tensor (e.g. a 1-element TYPE_INT64/TYPE_FP32 input) "
            "and convert it inside forward"
        )
    elif torch_type.kind == "List":
        hint = f"stack '{argument_name}' into one Tensor, or use List[str] for strings"
    else:
        hint = f"change '{argument_name}' to a Tensor, List[str] or a single Dict[str, Tensor] argument"
    return finding(
        "TS605",
        f"forward argument '{argument_name}: {torch_type.text}' cannot be fed by the libtorch backend: "
        "only Tensor, List[str] or a single Dict[str, Tensor] are accepted (load fails with "
        "\"An input of type '...' was detected in the model\")",
        path,
        hint=hint,
    )


def _return_blocker(returns: TorchType, path: str) -> Diagnostic | None:
    def allowed(item: TorchType) -> bool:
        return item.kind == "Tensor" or item.is_str_list

    if allowed(returns):
        return None
    if returns.kind == "Tuple" and returns.args and all(allowed(item) for item in returns.args):
        return None
    if returns.kind == "Dict":
        hint = "return a tuple of tensors in a fixed order (name them output__0, output__1, ...)"
    elif returns.kind == "List":
        hint = "return a tuple of tensors (or torch.stack the list into one Tensor)"
    elif returns.kind == "Tuple":
        hint = "flatten the returned tuple so each element is a Tensor or List[str]"
    else:
        hint = "return a Tensor, List[str] or a tuple of those"
    return finding(
        "TS606",
        f"forward returns '{returns.text}', which the libtorch backend cannot read: outputs must be a "
        'Tensor, List[str] or a Tuple of those (the first request fails with "output must be of type '
        'Tensor, List[str] or Tuple")',
        path,
        hint=hint,
    )


def signature_blockers(signature: Signature, path: str) -> list[Diagnostic]:
    """What in forward's signature the libtorch backend cannot serve (TS605, TS606)."""
    blockers: list[Diagnostic] = []
    arguments = signature.arguments
    dicts = [argument for argument in arguments if argument.type.kind == "Dict"]
    if len(arguments) == 1 and dicts:
        if not arguments[0].type.is_str_tensor_dict:
            blockers.append(_argument_blocker(arguments[0].name, arguments[0].type, path))
    else:
        for argument in arguments:
            if argument.type.kind == "Dict":
                blockers.append(
                    finding(
                        "TS605",
                        f"forward argument '{argument.name}: {argument.type.text}' is a Dict next to other "
                        "arguments: the backend's dict mode needs a single Dict[str, Tensor] argument",
                        path,
                        hint="take one Dict[str, Tensor] as the only argument, or only Tensor arguments",
                    )
                )
            elif not (argument.type.is_tensor or argument.type.is_str_list):
                blockers.append(_argument_blocker(argument.name, argument.type, path))
    if not arguments:
        blockers.append(
            finding(
                "TS605",
                "forward takes no arguments; Triton needs at least one input",
                path,
                hint="add a Tensor argument",
            )
        )
    return_blocker = _return_blocker(signature.returns, path)
    if return_blocker is not None:
        blockers.append(return_blocker)
    return blockers
