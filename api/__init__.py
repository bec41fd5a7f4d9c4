"""The HTTP layer: authentication, plain reads and edits, and workflow starts/signals."""
