"""How long ``tsinspect.load_model`` takes compared with ``torch.jit.load`` alone.

load_model = sniff the zip + torch.jit.load + read each distinct method body once
(the summary: node counts per kind, the records the findings read) + the signature,
parameters and submodules + findings: what ``tsinspect graph`` and ``tsinspect report``
print. ``load_model(p).graph`` adds the inlined walk and the networkx graph, which
``--dot`` and ``--json`` need. The issue's target: about the time torch.jit.load
itself takes. Wall and CPU (``time.process_time``) times are both shown: on a busy
machine the CPU time is the steadier one.

Models: SimpleCNN (fixtures/models/simple_cnn.py), a ResNet-50-shaped network
written below (bottleneck blocks [3, 4, 6, 3], 25.6 M parameters) and a ViT-S/16-shaped
one (nn.TransformerEncoder, 22 M parameters); random weights, no torchvision, no
download. The ViT's inlined graph is ten times the ResNet's: each scripted
nn.MultiheadAttention call inlines F.multi_head_attention_forward and its checks,
but its twelve encoder layers share one body ("bodies": distinct method bodies read).
Each is scripted, saved to a temporary folder, then loaded REPEAT times by each
method, alternating; the table shows the best (minimum) times, which are the least
disturbed by other load on the machine, and their ratio to torch.jit.load.

Usage: ``python bench/graph_load.py [--repeat N] [--trace]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures"))

import build as fixture_build  # noqa: E402

from tsinspect.api.model import load_model  # noqa: E402


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int) -> None:
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module = nn.Identity()
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + self.downsample(x))


class ResNet50Like(nn.Module):
    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        layers = []
        in_channels = 64
        for index, (width, blocks) in enumerate(((64, 3), (128, 4), (256, 6), (512, 3))):
            stage = []
            for block in range(blocks):
                stride = 2 if index > 0 and block == 0 else 1
                stage.append(Bottleneck(in_channels, width, stride))
                in_channels = width * Bottleneck.expansion
            layers.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ViTSmallLike(nn.Module):
    """ViT-S/16-shaped: 12 pre-norm encoder layers, width 384, 6 heads (22 M parameters)."""

    def __init__(
        self, dim: int = 384, depth: int = 12, heads: int = 6, classes: int = 1000
    ) -> None:
        super().__init__()
        patches = (224 // 16) ** 2
        self.patch_embed = nn.Conv2d(3, dim, 16, stride=16)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, patches + 1, dim))
        layer = nn.TransformerEncoderLayer(
            dim, heads, dim * 4, dropout=0.0, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.head(self.norm(self.encoder(x)[:, 0]))


def _best_seconds(
    actions: list[Callable[[], object]], repeat: int
) -> tuple[list[float], list[float]]:
    """Minimum wall and CPU (process) time of each action over ``repeat`` rounds, run alternately."""
    wall = [float("inf")] * len(actions)
    cpu = [float("inf")] * len(actions)
    for _ in range(repeat):
        for index, action in enumerate(actions):
            start, start_cpu = time.perf_counter(), time.process_time()
            action()
            cpu[index] = min(cpu[index], time.process_time() - start_cpu)
            wall[index] = min(wall[index], time.perf_counter() - start)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--trace", action="store_true", help="trace instead of script")
    args = parser.parse_args()
    torch.manual_seed(0)
    models: list[tuple[str, nn.Module, tuple[torch.Tensor, ...]]] = [
        (
            "SimpleCNN",
            fixture_build.load_fixture("simple_cnn").build(),
            (torch.zeros(1, 1, 28, 28),),
        ),
        ("ResNet-50-like", ResNet50Like().eval(), (torch.zeros(1, 3, 224, 224),)),
        ("ViT-S/16-like", ViTSmallLike().eval(), (torch.zeros(1, 3, 224, 224),)),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, model, inputs in models:
            exported = torch.jit.trace(model, inputs) if args.trace else torch.jit.script(model)
            path = Path(folder) / f"{name.replace('/', '_')}.pt"
            exported.save(str(path))
            torch.jit.load(str(path), map_location="cpu")  # warm caches once
            loaded = load_model(path)
            (jit_wall, summary_wall, full_wall), (jit_cpu, summary_cpu, full_cpu) = _best_seconds(
                [
                    lambda p=path: torch.jit.load(str(p), map_location="cpu"),  # type: ignore[misc]
                    lambda p=path: load_model(p),  # type: ignore[misc]
                    lambda p=path: load_model(p).graph,  # type: ignore[misc]
                ],
                args.repeat,
            )
            rows.append(
                (
                    name,
                    f"{path.stat().st_size / 2**20:.1f} MiB",
                    f"{loaded.node_count:,}",
                    f"{loaded.summary.graphs_walked}",
                    f"{jit_wall * 1000:.0f} / {jit_cpu * 1000:.0f}",
                    f"{summary_wall * 1000:.0f} / {summary_cpu * 1000:.0f}",
                    f"{summary_wall / jit_wall:.2f}x / {summary_cpu / jit_cpu:.2f}x",
                    f"{full_wall * 1000:.0f} / {full_cpu * 1000:.0f}",
                    f"{full_wall / jit_wall:.2f}x / {full_cpu / jit_cpu:.2f}x",
                )
            )
    header = (
        "model",
        "archive",
        "graph nodes",
        "bodies",
        "jit.load ms",
        "load_model ms",
        "ratio",
        "+ .graph ms",
        "ratio",
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    mode = "traced" if args.trace else "scripted"
    print(
        f"torch {torch.__version__}, {mode}, best of {args.repeat}; "
        "times as wall / CPU (process_time)"
    )
    for row in [header, *rows]:
        print(
            "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )


if __name__ == "__main__":
    main()
