"""The shell blocks of `docs/` run as pasted, as the README's do: valid shell without placeholders, and
every `varsel` command in them exists with the options it is given."""

from __future__ import annotations

import subprocess

import pytest

from tests.docs.conftest import DOCS, code_blocks
from tests.test_readme import COMMANDS, _simple_commands

BLOCKS = [(path.name, block) for path in sorted(DOCS.rglob("*.md")) for block in code_blocks(path, "sh")]


def test_the_operators_commands_are_in_shell_blocks():
    assert sum(1 for name, _ in BLOCKS if name == "operations.md") >= 6


@pytest.mark.parametrize(("name", "block"), BLOCKS, ids=[f"{n}:{i}" for i, (n, _) in enumerate(BLOCKS)])
def test_every_shell_block_is_valid_and_its_varsel_commands_exist(name, block):
    checked = subprocess.run(["bash", "-n"], input=block, text=True, capture_output=True)
    assert checked.returncode == 0, checked.stderr
    assert "…" not in block, "a placeholder in a block meant to be pasted"
    for line in block.splitlines():
        for words in _simple_commands(line):
            if "varsel" not in words:
                continue
            words = words[words.index("varsel") + 1:]
            path = next((p for n in range(len(words), 0, -1) if (p := tuple(words[:n])) in COMMANDS), None)
            assert path is not None, line
            options = {opt for param in COMMANDS[path].params for opt in getattr(param, "opts", [])}
            used = {w for w in words[len(path):] if w.startswith("--")}
            assert used <= options, (line, used - options)
