"""The README's shell blocks run as pasted: valid shell, no placeholders, and every `varsel`
command in them exists with the options it is given."""

from __future__ import annotations

import re
import shlex
import subprocess

import typer

from app.cli import cli
from tests.conftest import REPO

BLOCKS = re.findall(r"```sh\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.S)


def _commands(command, path=()):
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield path, command


COMMANDS = dict(_commands(typer.main.get_command(cli)))


def _simple_commands(line: str) -> list[list[str]]:
    """The words of each command on a line, split at |, ; and &&, comments dropped."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars="|;&")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token and set(token) <= set("|;&"):
            commands.append([])
        else:
            commands[-1].append(token)
    return commands


def test_every_shell_block_is_valid_shell_without_placeholders():
    assert len(BLOCKS) >= 5
    for block in BLOCKS:
        checked = subprocess.run(["bash", "-n"], input=block, text=True, capture_output=True)
        assert checked.returncode == 0, (block, checked.stderr)
        assert "…" not in block and "NNNNNN" not in block, block


def test_every_varsel_command_in_the_readme_exists_with_its_options():
    seen = 0
    for block in BLOCKS:
        for line in block.splitlines():
            for words in _simple_commands(line):
                if "varsel" not in words:
                    continue
                words = words[words.index("varsel") + 1:]
                if words == ["--version"]:
                    continue
                path = next(p for n in range(len(words), 0, -1) if (p := tuple(words[:n])) in COMMANDS)
                options = {opt for param in COMMANDS[path].params for opt in getattr(param, "opts", [])}
                used = {w for w in words[len(path):] if w.startswith("--")}
                assert used <= options, (line, used - options)
                seen += 1
    assert seen >= 15
