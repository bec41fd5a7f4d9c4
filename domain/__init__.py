"""The shared vocabulary: pydantic models, enums, Money and pure business rules."""
