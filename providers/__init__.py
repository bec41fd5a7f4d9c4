"""External services behind Protocols: real adapters and local defaults."""
