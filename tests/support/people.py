"""Valid, made-up identity numbers for tests (computed, so their checksums are right)."""

from __future__ import annotations

from datetime import date


def luhn_digit(nine: str) -> str:
    total = 0
    for index, char in enumerate(nine):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return str((10 - total % 10) % 10)


def personnummer(born: date, serial: str = "123", *, coordination: bool = False) -> str:
    """'YYYYMMDD-NNNC' for someone born on `born` (samordningsnummer: day + 60)."""
    day = born.day + (60 if coordination else 0)
    yymmdd = f"{born.year % 100:02d}{born.month:02d}{day:02d}"
    check = luhn_digit(yymmdd + serial)
    return f"{born.year:04d}{born.month:02d}{day:02d}-{serial}{check}"
