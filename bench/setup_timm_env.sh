#!/usr/bin/env bash
# Create the separate virtual environment the timm scripting oracle runs in.
#
# Why a separate venv: timm needs torchvision, and the PyPI torchvision wheels do
# not import beside the system's torch 2.13.0+cpu ("operator torchvision::nms does
# not exist"). Installing torchvision or timm into the system Python would also
# pull a multi-GB CUDA torch over it. So the oracle gets its own environment with
# a matching torch/torchvision pair (torch 2.14.1 + torchvision 0.29.1, a CUDA
# build of about 5.5 GB: fine for a bench, never for CI).
#
# Usage: bash bench/setup_timm_env.sh [VENV_DIR]      (default /tmp/tsinspect-timm-venv)
#        TSINSPECT_TIMM_VENV=/path bash bench/setup_timm_env.sh
set -euo pipefail

venv="${1:-${TSINSPECT_TIMM_VENV:-/tmp/tsinspect-timm-venv}}"
python_bin="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "creating venv at $venv"
    "$python_bin" -m venv "$venv"
fi

# Versions pinned so the oracle's numbers are comparable across runs; timm floats
# (whatever the registry has) and its version is recorded in the results.
"$venv/bin/python" -m pip install --quiet "torch==2.14.1" "torchvision==0.29.1" timm

"$venv/bin/python" - <<'EOF'
import timm
import torch
import torchvision

model = timm.create_model("resnet18", pretrained=False)
print(
    f"ok: torch {torch.__version__}, torchvision {torchvision.__version__}, "
    f"timm {timm.__version__}, {len(timm.list_models())} models, "
    f"resnet18 has {sum(p.numel() for p in model.parameters())} parameters"
)
EOF
echo "venv ready: $venv"
