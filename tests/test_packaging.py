"""What an installed Varsel (`pip install .`, the Docker image) carries besides its Python code."""

from __future__ import annotations

import fnmatch
import tomllib

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_file_of_the_data_packs_is_installed_with_the_package():
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["*"]
    data = REPO / "app" / "routing" / "data"
    files = [p for p in data.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert any(p.suffix == ".geojson" for p in files)
    missing = [str(p.relative_to(REPO)) for p in files if not any(fnmatch.fnmatch(p.name, pat) for pat in patterns)]
    assert missing == []


def test_the_licence_is_an_spdx_expression_with_its_text_shipped():
    project = PYPROJECT["project"]
    assert project["license"] == "EUPL-1.2"
    assert project["license-files"] == ["LICENSE"]
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    # setuptools reads an SPDX `license` string from version 77 on; older ones would refuse it.
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]

