"""Pick the population register from the settings.

    url set        → HttpPopulationRegister (the protocol in `http.py`); wins over a file
    file_path set  → FilePopulationRegister (development and the demo)
    neither        → None: no register; households stay as the notice told them
                     (the households rules flag `household_unknown`).
"""

from __future__ import annotations

from integrations.population_register.http import HttpPopulationRegister
from integrations.population_register.local import FilePopulationRegister
from integrations.population_register.protocol import PopulationRegister

__all__ = ["population_register_from_settings"]


def population_register_from_settings(
    url: str | None,
    api_key: str | None,
    file_path: str | None,
    *,
    timeout: float = 5.0,
    retries: int = 2,
) -> PopulationRegister | None:
    if url:
        return HttpPopulationRegister(url, api_key, timeout=timeout, retries=retries)
    if file_path:
        return FilePopulationRegister(file_path)
    return None
