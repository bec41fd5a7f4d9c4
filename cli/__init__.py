"""The `esame` command."""
