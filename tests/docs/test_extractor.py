"""The docs test finds every code block of a Markdown document and tells what it is."""

from __future__ import annotations

from pathlib import Path

from tests.docs.examples import blocks, classify

DOC = Path("guide.md")


def test_an_indented_block_after_a_blank_line_is_found_with_its_first_line() -> None:
    text = "Sign in:\n\n    make run\n    ls var/demo-keys/\n\nThen more text.\n"
    [block] = blocks(DOC, text)
    assert (block.line, block.text, block.kind) == (3, "make run\nls var/demo-keys/\n", "shell")
    assert block.where == "guide.md:3"


def test_a_block_inside_a_list_item_is_indented_four_more_than_the_items_text() -> None:
    text = "* **Auditors** verify:\n\n      python -m chain.verify x.jsonl\n\n  continued.\n"
    [block] = blocks(DOC, text)
    assert block.text == "python -m chain.verify x.jsonl\n"
    # The item's own continuation lines are text, not a block.
    assert blocks(DOC, "* an item\n  continued\n\n  more of it\n") == []


def test_a_fenced_blocks_language_decides_its_kind() -> None:
    text = "```python\nmake run\n```\n\n```json\n{}\n```\n\n```\npython manage.py demo\n```\n"
    assert [(b.line, b.kind) for b in blocks(DOC, text)] == [
        (2, "python"),
        (6, "text"),
        (10, "shell"),
    ]


def test_a_visible_marker_right_above_skips_a_block_and_says_why() -> None:
    text = "<!-- example: not run in CI: needs RabbitMQ -->\n\n    python manage.py cluster\n"
    [block] = blocks(DOC, text)
    assert (block.kind, block.why_skipped) == ("skipped", "needs RabbitMQ")
    # A marker is for the next block only: text in between ends it.
    text = "<!-- example: not run in CI: needs RabbitMQ -->\n\nText.\n\n    make run\n"
    assert [b.kind for b in blocks(DOC, text)] == ["shell"]


def test_commands_requests_output_and_mixtures_are_told_apart() -> None:
    assert classify("MARI=$CITIZEN\n$AS_MARI me \\\n    person --verify\n") == "shell"
    assert classify("(cd verifier && python -m chain.verify ../chain.jsonl)\n") == "shell"
    assert classify("GET /api/v1/x/\nAuthorization: Token abc\n") == "http"
    assert classify("FAIL: block 57: missing supernode quorum\n") == "text"
    assert classify("python -m riik_client me\n... me person --verify\n") == "mixed"
    assert classify("python manage.py chain receipt business 17\nGET /api/v1/chain/\n") == "mixed"
