"""What an installed Varsel (`pip install .`, the Docker image) carries besides its Python code."""

from __future__ import annotations

import fnmatch
import os
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


def _dockerfile() -> list[str]:
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_the_image_serves_only_and_leaves_migrations_to_a_separate_command():
    lines = _dockerfile()
    runs = [line for line in lines if line.startswith(("CMD", "ENTRYPOINT"))]
    assert runs == ['CMD ["varsel", "serve", "--host", "0.0.0.0", "--port", "8000"]']


def test_the_image_copies_what_pip_install_needs():
    copied = " ".join(line for line in _dockerfile() if line.startswith("COPY"))
    needed = ["pyproject.toml", "setup.py", "README.md", "examples", *PYPROJECT["project"]["license-files"]]
    needed += [pattern.rstrip("*") for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert [name for name in needed if name not in copied] == []


def test_an_installed_package_carries_the_landlord_api_examples(tmp_path):
    """The image's `pip install .` builds through setup.py, which copies `examples/*.json` into the
    package: the OpenAPI request examples, the CSV template's row and the demo's copies need them.
    Built from what the Dockerfile copies, in a folder of its own (no earlier build/ to reuse)."""
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"
    for line in _dockerfile():
        if line.startswith("COPY"):
            *names, _target = line.split()[1:]
            for name in names:
                if (REPO / name).is_dir():
                    shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    source.mkdir(exist_ok=True)
                    shutil.copy(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "-w", str(tmp_path)],
                   check=True, capture_output=True, text=True)
    (wheel,) = tmp_path.glob("varsel-*.whl")
    examples = sorted((REPO / "examples").glob("*.json"))
    assert [p.name for p in examples] == ["batch.json", "event.json", "notice.json"]
    with zipfile.ZipFile(wheel) as archive:
        assert {p.name: archive.read(f"app/examples/{p.name}") for p in examples} == {
            p.name: p.read_bytes() for p in examples}
        archive.extractall(tmp_path / "site")
    # The installed copy is the one it reads, not a checkout's (none beside it here).
    found = subprocess.run(
        [sys.executable, "-c", "from app.demo import EXAMPLES_DIR, example_document; "
                               "print(EXAMPLES_DIR); print(example_document('notice.json')['kind'])"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        check=True, capture_output=True, text=True).stdout.split()
    assert found == [str(tmp_path / "site" / "app" / "examples"), "rent_arrears"]


def test_compose_runs_postgresql_the_web_process_and_a_mail_catcher():
    import yaml

    from app.config import Settings

    compose = yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "web", "mailpit"}
    web = services["web"]
    assert web["build"] == "."
    assert "command" not in web and "entrypoint" not in web  # the image's `varsel serve`, no migrations
    assert web["depends_on"]["db"] == {"condition": "service_healthy"}
    env = web["environment"]
    assert env["VARSEL_ENV"] == "production"
    assert env["VARSEL_DATABASE_URL"].startswith("postgresql+psycopg://") and "@db:5432/" in env["VARSEL_DATABASE_URL"]
    assert env["VARSEL_SMTP_HOST"] == "mailpit"
    # Secrets come from the operator's .env; compose stops with a message when they are missing.
    assert env["VARSEL_SECRET_KEY"].startswith("${VARSEL_SECRET_KEY:?")
    fields = {f"VARSEL_{name.upper()}" for name in Settings.model_fields}
    assert [name for name in env if name not in fields] == []
    assert services["db"]["image"].startswith("postgres:")
    assert "healthcheck" in services["db"]


def test_make_install_installs_python_packages_only(tmp_path):
    import subprocess

    dry_run = subprocess.run(["make", "-n", "-B", "install", f"VENV={tmp_path}/venv"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout
    assert "pip install" in dry_run
    assert "system-packages" not in dry_run and "apt-get" not in dry_run
    # CI still installs them (Pango for the PDF tests, Chromium for the browser tests).
    assert ".ci/system-packages" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
