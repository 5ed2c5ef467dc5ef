"""TS3xx: modules and attributes: what TorchScript makes of a module's class, attributes and submodules."""
