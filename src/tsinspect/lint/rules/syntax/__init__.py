"""TS1xx: Python syntax TorchScript lacks (lambda, try, generators, sets, ...)."""
