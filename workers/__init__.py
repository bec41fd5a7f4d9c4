"""Builds the Temporal worker: which workflows and activities run on which task queue."""
