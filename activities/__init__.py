"""Activity classes: the side effects of the workflows, one module per concern."""
