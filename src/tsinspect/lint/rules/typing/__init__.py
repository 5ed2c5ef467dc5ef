"""TS2xx: typing: values, annotations and calls whose types TorchScript rejects or infers differently."""
