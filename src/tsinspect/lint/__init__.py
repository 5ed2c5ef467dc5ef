"""The source side: a libcst linter for code TorchScript compiles. Never imports torch."""
