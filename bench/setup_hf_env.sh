#!/usr/bin/env bash
# Create the virtual environment the Hugging Face transformers scripting oracle runs in.
#
# Unlike timm, transformers needs no torchvision for its text, vision and audio
# model code, and its only torch requirement is an extra (`transformers[torch]`:
# torch>=2.6). So the venv is made with --system-site-packages and reuses the
# system's torch 2.13.0+cpu: nothing of torch is downloaded, and the oracle scripts
# with the very torch the project's tests use. transformers is pinned so that the
# oracle's numbers stay comparable across re-runs (TSINSPECT_HF_TRANSFORMERS to
# choose another version; the results record it).
#
# No tokenizer, weight or config is fetched at run time: the oracle builds tiny
# models from config classes with random weights.
#
# Usage: bash bench/setup_hf_env.sh [VENV_DIR]      (default /tmp/tsinspect-hf-venv)
#        TSINSPECT_HF_VENV=/path bash bench/setup_hf_env.sh
set -euo pipefail

venv="${1:-${TSINSPECT_HF_VENV:-/tmp/tsinspect-hf-venv}}"
python_bin="${PYTHON:-python3}"
transformers_spec="${TSINSPECT_HF_TRANSFORMERS:-transformers==5.24.0}"

system_torch="$("$python_bin" -c 'import torch; print(torch.__version__)')"
echo "system torch: $system_torch"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "creating venv at $venv (--system-site-packages: reuses the system torch)"
    "$python_bin" -m venv --system-site-packages "$venv"
fi

# Plain `transformers`, never `transformers[torch]`: the extra would let pip
# consider a torch of its own. The constraint makes pip fail rather than replace
# the system torch, should a future transformers require a newer one.
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
echo "torch==$system_torch" >"$constraints"
"$venv/bin/python" -m pip install --quiet --constraint "$constraints" "$transformers_spec"

"$venv/bin/python" - "$system_torch" <<'EOF'
import sys

import torch
import transformers
from transformers import AutoModel, BertConfig

expected = sys.argv[1]
if torch.__version__ != expected:
    raise SystemExit(f"torch in the venv is {torch.__version__}, expected the system's {expected}")
if "site-packages" in torch.__file__ and sys.prefix in torch.__file__:
    raise SystemExit(f"pip installed a torch into the venv: {torch.__file__}")
config = BertConfig(
    vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37
)
model = AutoModel.from_config(config)
print(
    f"ok: torch {torch.__version__} (from {torch.__file__}), transformers {transformers.__version__}, "
    f"tiny BERT has {sum(p.numel() for p in model.parameters())} parameters"
)
EOF
echo "venv ready: $venv"
