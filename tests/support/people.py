"""Valid, made-up identity numbers for tests."""

from app.identity import format_identity_number as personnummer

__all__ = ["personnummer"]
