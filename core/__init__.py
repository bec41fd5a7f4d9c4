"""Settings, security helpers, logging and the Temporal client factory."""
