"""One module per rule family or rule; every Rule subclass here is registered automatically."""
