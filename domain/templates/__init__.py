"""Message templates in French and English, one module per area."""

Templates = dict[str, dict[str, tuple[str, str]]]
