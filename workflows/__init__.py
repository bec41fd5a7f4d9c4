"""One module per business process; deterministic code only, activities called by name."""
