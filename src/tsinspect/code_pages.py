"""The pages of the model side's codes (TS6xx archive, TS7xx Triton config): what a finding
means for a deployment, what to do about it, and the public sources it rests on.

``tsinspect rule CODE`` prints these pages and ``scripts/gen_docs.py`` writes them to
``docs/rules/``, like the lint rules' pages. The sources are cited by repository, commit, file
and line: Triton's PyTorch backend (PB), core (CORE), the model config schema (COMMON) and
the backend utilities (BACKEND), at the snapshots below, and torch at its release tag.
Plain data: no imports of ours.
"""

from __future__ import annotations

from dataclasses import dataclass

PB = "triton-inference-server/pytorch_backend@266fd386"
CORE = "triton-inference-server/core@73aad7c3"
COMMON = "triton-inference-server/common@83adf7cf"
BACKEND = "triton-inference-server/backend@3f57fb90"
TORCH = "pytorch@v2.13.0"
_INSTANCE = f"{PB}:src/pt/model_instance_state.cc"
_STATE = f"{PB}:src/pt/model_state.cc"
_PROTO = f"{COMMON}:protobuf/model_config.proto"
_CONFIG_UTILS = f"{CORE}:src/model_config_utils.cc"


@dataclass(frozen=True)
class CodePage:
    """One code's page. ``deployment``: what the finding means for a model served by Triton;
    ``fix``: what to do; ``sources``: public ``repo@commit:path:line`` citations (or URLs),
    each with what it shows."""

    deployment: str
    fix: str
    sources: tuple[str, ...]


PAGES: dict[str, CodePage] = {
    "TS601": CodePage(
        "The graph holds a device as a constant: `cuda:0` (a `.cuda()` or `device=` in the "
        "code, or any device baked in by tracing). The backend loads the model onto the "
        "instance's device and prepares the inputs there (the GPU of a KIND_GPU instance, the "
        "CPU for KIND_CPU and KIND_MODEL), and by default it starts one instance per GPU. A "
        "tensor created on the constant device then meets inputs on another: the request "
        "fails with a device mismatch on a CPU instance or on any GPU but the first.",
        "Create tensors on the device of an input (`torch.zeros(n, device=x.device)`, "
        "`x.new_zeros(n)`) and script the model instead of tracing it.",
        (
            f"`{_STATE}:236-243`: the archive is loaded with `torch::jit::load(stream, device)`,"
            " onto the instance's device (no device for KIND_MODEL)",
            f"`{_INSTANCE}:1164-1169`: input tensors are created on the instance's device",
            f"`{PB}:README.md:530-555`: where each instance kind places the inputs",
            f"`{PB}:README.md:622-640`: traced models and the device mismatch between instances",
        ),
    ),
    "TS602": CodePage(
        "The archive was made by `torch.jit.trace`, which records the operations one example "
        "input ran: an `if` on tensor data, a loop over a data-dependent count and a shape "
        "read as a Python int are frozen to what that input did. The server runs the frozen "
        "path for every request, without an error when a request should have taken another.",
        "Script the model (`torch.jit.script`), or check that forward has no data-dependent "
        "control flow and that the traced shapes are the ones clients send.",
        (
            f"`{TORCH}:torch/jit/_trace.py`: tracing records the operations run on the example"
            " inputs (and warns where Python values are frozen)",
            f"`{PB}:README.md:622-640`: the backend's advice to script rather than trace",
        ),
    ),
    "TS603": CodePage(
        "Forward calls operators from a namespace libtorch does not register (`torchvision::`, "
        "`torchaudio::`, your own library). The server's process knows only libtorch's "
        "operators: loading the model fails with an unknown builtin op unless the library that "
        "registers them is loaded into tritonserver.",
        "Preload the operator library into the server (`LD_PRELOAD=libyourops.so "
        "tritonserver ...`) in the image that serves the model, built against the same libtorch; "
        "or replace the operator with libtorch ones. tsinspect loads such an archive only when "
        "you trust it, with `--library`.",
        (
            f"`{_STATE}:236-243`: the model is loaded with libtorch's `torch::jit::load`, which"
            " resolves every operator of the archive",
            "[Triton: Custom Operations, PyTorch](https://github.com/triton-inference-server/"
            "server/blob/main/docs/user_guide/custom_operations.md): operator libraries are"
            " loaded with `LD_PRELOAD`",
        ),
    ),
    "TS604": CodePage(
        "The graph calls back into Python (`prim::PythonOp`), or calls a method compiled as an "
        "`@torch.jit.unused` stub that raises when reached. Triton's PyTorch backend runs the "
        "archive in C++ libtorch, with no Python interpreter: the Python call cannot run, and "
        "the stub raises on the first request that reaches it.",
        "Make the code TorchScript (see `tsinspect check` on the model's source) or move it out "
        "of forward; keep `@torch.jit.unused` only on paths served requests never take.",
        (
            f"`{_STATE}:236-243`: the archive runs under C++ libtorch (`torch::jit::load`)",
            f"`{TORCH}:torch/_jit_internal.py`: `@torch.jit.unused` compiles the method as a stub"
            " that raises",
        ),
    ),
    "TS605": CodePage(
        "Forward takes an argument the backend cannot feed: it accepts Tensor arguments, "
        "`List[str]` (from TYPE_STRING), or exactly one `Dict[str, Tensor]`. An "
        "`Optional[Tensor]`, an int, a float, a str, a tuple or a second dict fails when the "
        "model loads.",
        "Give forward Tensor arguments (an optional input becomes a tensor the client always "
        "sends, or a separate model); wrap the model in a module whose forward takes tensors.",
        (
            f"`{_INSTANCE}:1325-1358`: the argument kinds ValidateInputs accepts, and the load"
            " error 'An input of type ... was detected in the model'",
        ),
    ),
    "TS606": CodePage(
        "Forward returns something the backend cannot read: it accepts a Tensor, a "
        "`List[str]`, or a flat tuple of those. A dict, a `List[Tensor]`, a nested tuple, None "
        "or a Python number loads fine and fails on every request.",
        "Return a tensor or a flat tuple of tensors (`return logits, boxes`); name the outputs "
        "`output__0`, `output__1`... in their tuple order.",
        (
            f"`{_INSTANCE}:320-352`: after forward, 'output must be of type Tensor, List[str] or"
            " Tuple containing one of these two types'",
        ),
    ),
    "TS607": CodePage(
        "The model holds bfloat16 weights. The libtorch backend has no TYPE_BF16: a config "
        "cannot declare a bfloat16 input or output, so the model must take and return another "
        "dtype; on CPU instances bfloat16 kernels are also slower or missing.",
        "Take TYPE_FP32 or TYPE_FP16 inputs and convert inside forward "
        "(`x.to(torch.bfloat16)`, and back before returning), or save the model in float32.",
        (
            f"`{PB}:src/libtorch_utils.cc:105-139`: the config types the backend maps to torch"
            " (no BF16)",
            f"`{_PROTO}:76`: TYPE_BF16 exists in the schema, so only the backend refuses it",
        ),
    ),
    "TS608": CodePage(
        "The model holds float16 weights. TYPE_FP16 is served, but many CPU kernels lack "
        "float16: a KIND_CPU instance may fail or run slowly where a GPU instance works.",
        "Serve it on KIND_GPU instances, or save a float32 copy for CPU instances.",
        (
            f"`{PB}:src/libtorch_utils.cc:105-139`: TYPE_FP16 maps to `torch::kHalf`",
            f"`{PB}:README.md:530-555`: KIND_CPU instances run the model on the CPU",
        ),
    ),
    "TS609": CodePage(
        "Forward calls `print` (`prim::Print`): the server's process writes that text to its "
        "standard output on every request, interleaved with its own log.",
        "Remove the print, or guard it with a flag the served model leaves off.",
        (
            f"`{_INSTANCE}:299-318`: every request calls the module's forward in the server's"
            " process",
        ),
    ),
    "TS610": CodePage(
        "The module was saved with `training=True`. The backend never calls `eval()`: it "
        "runs the module as saved, so dropout stays active and batch norm uses (and updates) "
        "batch statistics, and served outputs differ from the model you evaluated.",
        "Call `model.eval()` before `torch.jit.script`/`trace` and `torch.jit.save`.",
        (
            f"`{_STATE}:183-250`: LoadModel loads the archive and does not change its training"
            " mode",
            f"`{_INSTANCE}:299-318`: forward runs under `NoGradGuard`, which turns off gradients"
            " but not training mode",
        ),
    ),
    "TS611": CodePage(
        "A class in the archive defines `__setstate__`: `torch.jit.load` runs it while "
        "loading, in the server's process, before any request. Code in an archive you did not "
        "write runs with the server's rights.",
        "Read the method in the archive's `code/` records; serve the model only if you trust "
        "it. tsinspect loads such an archive only when you say you trust it.",
        (
            f"`{TORCH}:torch/csrc/jit/serialization/import.cpp`: objects are restored by calling"
            " their `__setstate__` while the archive loads",
            f"`{_STATE}:236-243`: the server loads the archive with `torch::jit::load`",
        ),
    ),
    "TS612": CodePage(
        "Forward calls an operator that opens files by name (`torch.from_file`, `torch.save`, "
        "`torch.load`): served, it reads or writes files on the server's machine with the "
        "server's rights, on every request that reaches it.",
        "Remove the file access from the served path; serve the model only if you trust it.",
        (f"`{_INSTANCE}:299-318`: every request runs forward in the server's process",),
    ),
    "TS613": CodePage(
        "Forward calls an operator that talks to other processes or machines (distributed "
        "collectives, RPC): served, it opens connections from the server's process, or waits "
        "for peers that do not exist there.",
        "Remove the communication from the served model (save a single-process module); serve "
        "the model only if you trust it.",
        (f"`{_INSTANCE}:299-318`: every request runs forward in the server's process",),
    ),
    "TS700": CodePage(
        "Triton's protobuf schema (`model_config_pb2`, shipped by tritonclient) is not "
        "installed, so the check that the text parses as a ModelConfig, as the server parses "
        "it, was skipped. Every other check ran.",
        "Install the schema (`pip install 'tsinspect[triton]'`), or pass `validate --schema` to "
        "make its absence an error.",
        (
            f"`{_PROTO}:1973`: the ModelConfig message the server parses config.pbtxt into",
            f"`{CORE}:src/model_repository_manager/model_repository_manager.cc:1652`: the server"
            " reads config.pbtxt as protobuf text",
        ),
    ),
    "TS701": CodePage(
        "The text is not a valid ModelConfig in protobuf text format: an unknown field "
        "(`default_model_name`, `max_batchsize`), a bad enum name (`TYPE_FLOAT32`), a "
        "non-integer dim, or two oneof members. The server refuses to load the model "
        "('failed to read text proto').",
        "Fix the line the message names; field names and enum values are those of Triton's "
        "model_config.proto.",
        (
            f"`{CORE}:src/model_repository_manager/model_repository_manager.cc:1652`: the server"
            " reads config.pbtxt with ReadTextProto",
            f"`{CORE}:src/filesystem/api.cc:591-601`: a text that does not parse is 'failed to"
            " read text proto'",
            f"`{_PROTO}:1973`: the ModelConfig message",
        ),
    ),
    "TS702": CodePage(
        "`platform`/`backend` do not name the PyTorch backend with TorchScript: the server "
        "picks another backend, or refuses an unknown pair, and never runs the archive with "
        "libtorch.",
        'Write `platform: "pytorch_libtorch"` (or `backend: "pytorch"`); `torch_aoti` is the '
        "path for `.pt2` files, not TorchScript.",
        (
            f"`{CORE}:src/constants.h:56-63`: `pytorch_libtorch` (alias `libtorch`) and"
            " `torch_aoti` on backend `pytorch`",
            f"`{_CONFIG_UTILS}:1442-1476`: platform and backend must name a known, matching pair",
        ),
    ),
    "TS703": CodePage(
        "The config's `name` differs from the model's folder name in the repository: the "
        "server refuses to load the model ('directory name must equal model name').",
        "Make `name` the folder's name, or leave it out (the server then uses the folder's).",
        (
            f"`{CORE}:src/model_repository_manager/model_repository_manager.cc:1698-1709`: the"
            " name must equal the directory's",
        ),
    ),
    "TS704": CodePage(
        "An input or output has empty `dims`, a dim of 0 or below -1, or a `reshape` whose size "
        "differs from `dims`. Protobuf parses all of these; the server refuses the model when "
        "it loads.",
        "Give every tensor its dims without the batch dim when `max_batch_size > 0` (`-1` for a "
        "variable size); a tensor that is only the batch is `dims: [ 1 ]` with "
        "`reshape: { shape: [ ] }`.",
        (
            f"`{_CONFIG_UTILS}:296-341`: ValidateIOShape, 'must specify dims' and 'dimension must"
            " be integer >= 1, or -1'",
            f"`{_CONFIG_UTILS}:343-416`: reshape checks",
        ),
    ),
    "TS705": CodePage(
        "`max_batch_size` is negative (the server refuses the model), or it is above 0 while "
        "the model does not batch: the server then sends `[N, *dims]` and the model, which "
        "expects no batch dim, fails or computes across requests.",
        "Use `max_batch_size: 0` with full shapes in `dims` for a model that does not batch; "
        "otherwise make dim 0 of every input and output the batch.",
        (
            f"`{_CONFIG_UTILS}:1478-1482`: 'max_batch_size must be non-negative'",
            f"`{_PROTO}:2007-2024`: with `max_batch_size > 0`, dims leave out the batch dim",
        ),
    ),
    "TS706": CodePage(
        "A `dynamic_batching.preferred_batch_size` is 0 or below, or above `max_batch_size`: "
        "the server refuses to load the model.",
        "Keep preferred sizes within 1..max_batch_size, or leave them out.",
        (
            f"`{_CONFIG_UTILS}:1490-1506`: 'dynamic batching preferred size must be positive' and"
            " 'must be <= max batch size'",
        ),
    ),
    "TS707": CodePage(
        "A `parameters` key the C++ libtorch backend never reads: it is silently ignored, so "
        "the setting you meant has no effect (`ENABLE_NVFUSER` was removed; `NUM_THREADS`, "
        "`NUM_INTEROP_THREADS` and `TORCH_COMPILE_OPTIONAL_PARAMETERS` belong to the Python "
        "runtime).",
        "Use a key the backend reads (INTRA_OP_THREAD_COUNT, INTER_OP_THREAD_COUNT, "
        "INFERENCE_MODE, DISABLE_OPTIMIZED_EXECUTION...) or remove it.",
        (
            f"`{_STATE}:272-490`: ParseParameters, the keys the libtorch path reads",
            f"`{PB}:src/model.py:117-130`: the keys only the Python runtime reads",
        ),
    ),
    "TS708": CodePage(
        "A parameter value the backend cannot parse: a boolean other than true/on/1 or "
        "false/off/0, or a thread count that is not an integer. The model fails to load.",
        'Write `value: { string_value: "true" }` (or on/1/false/off/0) for switches and a '
        "decimal integer for counts.",
        (
            f"`{BACKEND}:src/backend_common.cc:1046-1075`: ParseBoolValue and ParseIntValue",
            f"`{PB}:src/libtorch_utils.cc:141-163`: the backend parses its parameters with them",
        ),
    ),
    "TS709": CodePage(
        "A data type the libtorch backend rejects: TYPE_BF16 or TYPE_UINT16/32/64. The schema "
        "has them, but the model fails to load ('unsupported datatype').",
        "Use TYPE_FP32/TYPE_FP16 or a signed integer type, and convert inside forward.",
        (
            f"`{PB}:src/libtorch_utils.cc:105-139`: the config types the backend maps to torch",
            f"`{_INSTANCE}:1395-1404`: 'unsupported datatype ... for input'",
            f"`{_INSTANCE}:1526-1535`: the same for outputs",
        ),
    ),
    "TS710": CodePage(
        "The config lists a different number of inputs than forward takes. Every argument "
        "counts, default-valued ones too: the backend always passes them all, and refuses the "
        "model at load ('configuration expects N inputs, model provides M').",
        "List one config input per forward argument (or drop the argument from forward).",
        (f"`{_INSTANCE}:1360-1369`: the count check of ValidateInputs",),
    ),
    "TS711": CodePage(
        "The input names are neither all forward argument names nor all `<name>__<index>`: "
        "the backend silently falls back to config order, so an input reaches the argument "
        "at its position in the file, whatever its name says.",
        "Name every input like a forward argument, or every one `input__<k>` for argument k.",
        (
            f"`{_INSTANCE}:399`: GetNamingConvention, the three conventions and the silent"
            " fallback",
            f"`{_INSTANCE}:179-215`: AddInputToMap, where each convention sends an input",
        ),
    ),
    "TS712": CodePage(
        "A `__<index>` name that maps wrongly: a duplicate or out-of-range index writes over "
        "another input or outside the argument list (the backend does not check), `a__b__0` is "
        "not an index name (the text after the first `__` is `b__0`), and `x__` counts as index 0.",
        "Use `input__0`, `input__1`... once each, one per forward argument, with a single `__`.",
        (
            f"`{_INSTANCE}:201-205`: the index is `atoi` of the text after the first `__`",
            f"`{_INSTANCE}:1072`: SetInputTensors writes inputs by that index, unchecked",
            f"`{_INSTANCE}:865`: ReadOutputTensors reads outputs by index",
        ),
    ),
    "TS713": CodePage(
        "Forward takes one `Dict[str, Tensor]`, so the config's input names are the dict's keys. "
        "A config name the model never reads is sent for nothing, and a key the model reads "
        "that the config lacks fails every request with a missing key.",
        "Name the config inputs exactly as the keys forward reads (`inputs['ids']` -> `ids`).",
        (
            f"`{_INSTANCE}:1330-1335`: a single Dict argument turns on dict mode",
            f"`{_INSTANCE}:308-315`: the inputs are passed as a dict keyed by their config names",
        ),
    ),
    "TS714": CodePage(
        "An input dtype the model cannot take: the backend builds the tensor in the config's "
        "dtype and forward fails on it (an embedding given floats, a conv given ints).",
        "Declare the dtype the model's first consumer needs (TYPE_INT64 for token ids, "
        "TYPE_FP32 for most weights).",
        (f"`{_INSTANCE}:1164-1169`: the input tensor is created in the config's dtype",),
    ),
    "TS715": CodePage(
        "Input dims the model cannot take: requests shaped as the config says fail inside "
        "forward (a size mismatch at the op tsinspect names). The server checks requests "
        "against the config, not the config against the model.",
        "Use the dims `tsinspect config` infers, or the sizes the named op needs.",
        (
            f"`{CORE}:src/infer_request.cc:1150-1180`: requests are checked against the config's"
            " dims only",
        ),
    ),
    "TS716": CodePage(
        "The config lists a different number of outputs than the model returns. The server "
        "does not check it at load; it finds out on the first request, reading outputs by "
        "index from what forward returned.",
        "List one output per returned tensor, `output__0`... in return order.",
        (f"`{_INSTANCE}:865`: ReadOutputTensors reads each config output by its index",),
    ),
    "TS717": CodePage(
        "An output dtype different from what the model returns: every request fails "
        "('configuration expects datatype TYPE_X for output ..., model provides TYPE_Y').",
        "Declare the dtype forward returns (or cast in forward).",
        (f"`{_INSTANCE}:899-910`: the output dtype check of every request",),
    ),
    "TS718": CodePage(
        "Output dims different from what the model returns. The server never compares them: "
        "clients get tensors shaped unlike the config, and anything that trusts the config "
        "(buffers, ensembles, clients) breaks.",
        "Declare the dims forward returns (`tsinspect config` infers them).",
        (f"`{_INSTANCE}:928-933`: the output shape is taken from the tensor forward returned",),
    ),
    "TS721": CodePage(
        "The model returns a 0-d tensor: every request fails ('output ... is a scalar which is "
        "not supported').",
        "Return `value.reshape(1)` (and declare `dims: [ 1 ]`).",
        (f"`{_INSTANCE}:930-940`: the scalar check of ReadOutputTensors",),
    ),
    "TS722": CodePage(
        "A TYPE_STRING input or output is a `List[str]`, one-dimensional including the batch "
        "dim. Other dims are refused when the model loads.",
        "When batching write `dims: [ 1 ]` with `reshape: { shape: [ ] }`; otherwise "
        "`dims: [ -1 ]`.",
        (
            f"`{_INSTANCE}:1409-1428`: 'Triton only supports 1 dimensional List of String as"
            " input'",
            f"`{_INSTANCE}:1537-1557`: the same for outputs",
            f"`{PB}:README.md:618-620`: string I/O is 1-D only",
        ),
    ),
    "TS723": CodePage(
        "tsinspect ran the model on the CPU with inputs of exactly the config's dtypes and dims, "
        "and forward failed. The server would run the same call for a request shaped like the "
        "config, and fail the same way.",
        "Read the error (it names the op and the source line) and fix the config's dims or "
        "dtypes, or the model.",
        (f"`{_INSTANCE}:299-318`: the server calls forward with the request's tensors",),
    ),
}
