"""The code blocks of the project's Markdown documents, and what each one is.

A reader copies the shell examples of README.md and docs/*.md into a terminal,
so ``tests/docs/test_examples.py`` runs them, and this module finds them. A
block is one of

* **indented**: after a blank line, lines indented four columns more than the
  text they belong to (inside a list item, four more than the item's text);
* **fenced**: between two ```` ``` ```` lines; the word after the opening fence
  (``python``, ``json``, ``sh``) is its language.

Each block is classified, in this order, into one :data:`Kind`:

1. ``skipped``: the line right above the block (blank lines aside) is a
   visible marker ``<!-- example: not run in CI: <why> -->``; the why is kept
   and counted, so the list of examples CI does not run stays short and known;
2. by the fence's language: ``sh``/``shell``/``bash``/``console`` are
   ``shell``, ``python`` is ``python``, any other language (``json``,
   ``text``) is ``text``;
3. by its lines, for indented and bare fenced blocks. A *command line* is a
   line that is neither blank, nor a comment, nor continues the line before it
   (ending in ``\\``). When every command line starts with a shell command
   (:data:`SHELL_COMMANDS`, ``NAME=value``, or ``$NAME``, a command kept in a
   variable), the block is ``shell``; when
   the first starts with an HTTP method and a path (``GET /api/v1/...``) and
   none is a shell command, it is ``http`` (requests with their header and
   body lines, to read, not run); when none does either, it is
   ``text`` (output, file contents, formats). A block mixing them is
   ``mixed``: the test refuses it, so that no command hides among lines it
   would not run.

In a ``shell`` block, ``make run`` starts the demo server: the test starts its
own demo instance instead (:data:`SERVER_COMMANDS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Kind = Literal["shell", "python", "http", "text", "mixed", "skipped"]

SHELL_COMMANDS = frozenset(
    {
        ".",
        ".venv/bin/python",
        "cat",
        "cd",
        "cp",
        "curl",
        "do",
        "done",
        "echo",
        "export",
        "for",
        "ls",
        "make",
        "manage.py",
        "mkdir",
        "python",
        "python3",
        "source",
    }
)
"""The first words of the shell commands (and loop keywords) the documents use."""

SERVER_COMMANDS = frozenset({"make run"})
"""Commands that start a long-running demo server; the test runs one instead."""

SKIP_MARKER = re.compile(r"<!--\s*example:\s*not run in CI:\s*(?P<why>.+?)\s*-->")
_FENCE = re.compile(r"^(?P<indent> *)```(?P<language>[\w+-]*)\s*$")
_LIST_ITEM = re.compile(r"^(?P<marker> *(?:[*+-]|\d+[.)]) +)\S")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_HTTP = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /")
_LANGUAGES: dict[str, Kind] = {
    "sh": "shell",
    "shell": "shell",
    "bash": "shell",
    "console": "shell",
    "python": "python",
}


@dataclass(frozen=True)
class Block:
    """One code block of a document: where it starts, its text and what it is."""

    document: Path
    line: int
    """The 1-based line of the block's first line in the document."""
    text: str
    kind: Kind
    why_skipped: str = ""

    @property
    def where(self) -> str:
        """``docs/citizen-api.md:31``, to name the block in a failure."""
        return f"{self.document}:{self.line}"


def command_lines(text: str) -> list[str]:
    """The lines that start a command: not blank, no comment, no continuation."""
    starts: list[str] = []
    continued = False
    for line in text.splitlines():
        stripped = line.strip()
        if not continued and stripped and not stripped.startswith("#"):
            starts.append(stripped)
        continued = stripped.endswith("\\")
    return starts


def is_shell_command(line: str) -> bool:
    """Whether a command line starts with a known shell command or a variable assignment."""
    first = line.split()[0].lstrip("(")  # a subshell: (cd folder && ...)
    # $AS_MARI: a command kept in a variable.
    return first in SHELL_COMMANDS or first.startswith("$") or bool(_ASSIGNMENT.match(first))


def classify(text: str, language: str | None = None) -> Kind:
    """What a block is, from its fence's language or else from its lines (module doc)."""
    if language:
        return _LANGUAGES.get(language, "text")
    starts = command_lines(text)
    shell = [is_shell_command(line) for line in starts]
    http = [bool(_HTTP.match(line)) for line in starts]
    if starts and all(shell):
        return "shell"
    if starts and http[0] and not any(shell):
        return "http"  # requests, each with its header and body lines
    if any(shell) or any(http):
        return "mixed"
    return "text"


def _dedent(lines: list[str], columns: int) -> str:
    return "\n".join(line[columns:] for line in lines).strip("\n") + "\n"


def blocks(document: Path, text: str) -> list[Block]:
    """Every code block of a Markdown document, in order, classified."""
    lines = text.splitlines()
    found: list[Block] = []
    list_indent = 0  # the columns of the current list item's text; 0 outside lists
    previous_blank = True
    marker = ""  # the why of a skip marker seen since the last text line
    index = 0
    while index < len(lines):
        line = lines[index]
        indent = len(line) - len(line.lstrip(" "))
        fence = _FENCE.match(line)
        if fence and len(fence["indent"]) <= list_indent + 3:
            end = index + 1
            while end < len(lines) and not lines[end].strip().startswith("```"):
                end += 1
            body = _dedent(lines[index + 1 : end], len(fence["indent"]))
            found.append(_block(document, index + 2, body, fence["language"], marker))
            index, previous_blank, marker = end + 1, False, ""
            continue
        if line.strip() and previous_blank and indent >= list_indent + 4:
            end = index
            while end < len(lines) and (
                not lines[end].strip() or _indent(lines[end]) >= list_indent + 4
            ):
                end += 1
            body = _dedent(lines[index:end], list_indent + 4)
            found.append(_block(document, index + 1, body, None, marker))
            index, previous_blank, marker = end, True, ""
            continue
        skip = SKIP_MARKER.search(line)
        if skip:
            marker = skip["why"]
        elif line.strip():
            marker = ""
            item = _LIST_ITEM.match(line)
            if item:
                list_indent = len(item["marker"])
            elif indent == 0:
                list_indent = 0
        previous_blank = not line.strip()
        index += 1
    return found


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block(document: Path, line: int, body: str, language: str | None, marker: str) -> Block:
    if marker:
        return Block(document, line, body, "skipped", marker)
    return Block(document, line, body, classify(body, language))
