"""TS4xx: library calls and builtins TorchScript cannot compile."""
