"""Setuptools' build step, extended: the landlord-API examples go into the package.

`examples/*.json` lie at the top of the repository, where integrators find and copy them. The
OpenAPI document shows them as the request examples and `varsel demo` dates copies of them today
(`app/demo.py`), so an installed Varsel (`pip install .`, the container image) needs them too:
they are copied into the built package as `app/examples/`. Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

EXAMPLES = Path(__file__).resolve().parent / "examples"


class BuildWithExamples(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "app" / "examples"
        self.mkpath(str(target))
        for source in sorted(EXAMPLES.glob("*.json")):
            self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildWithExamples})
