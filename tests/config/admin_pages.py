"""What a reader of an admin page takes for its words, and which of them stayed English.

A page's *labels* are its column headers (the change list's, an inline's and
the small tables of a record's page), field labels, fieldset headings,
filter titles, command buttons and the page's title. The same page is asked
for in English and in Estonian: a label that reads the same in both is one
nobody translated (unless it is a word both languages share, :data:`SHARED`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Words the same in Estonian and English, or names and codes that are not words.
SHARED = frozenset({"ID", "ID:", "e-ID", "URL", "URL:", "number", "Number", "Number:"})
# A sorted column's header starts with its place in the sort order ("2 Number").
_SORT_PLACE = re.compile(r"^\d+ ")

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_LETTERS = re.compile(r"[A-Za-z]")


class _Labels(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.watched_depth: int | None = None
        self.text: list[str] = []
        self.labels: list[str] = []

    def _watched(self, tag: str, attrs: dict[str, str]) -> bool:
        classes = attrs.get("class", "").split()
        tags = [t for t, _ in self.stack]
        return (
            (tag == "th" and "thead" in tags)
            or tag in ("label", "title", "summary")
            or (tag == "h2" and "fieldset-heading" in classes)
            or "record-command" in classes
            or (tag == "a" and "addlink" in classes)
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        named = {key: value or "" for key, value in attrs}
        if self.watched_depth is None and self._watched(tag, named):
            self.watched_depth = len(self.stack)
            self.text = []
        self.stack.append((tag, named))

    def handle_endtag(self, tag: str) -> None:
        # Unclosed elements (<p> before a <div>) close with the next matching end tag.
        while self.stack:
            open_tag, _ = self.stack.pop()
            if self.watched_depth is not None and len(self.stack) == self.watched_depth:
                label = _SORT_PLACE.sub("", " ".join("".join(self.text).split()))
                if label:
                    self.labels.append(label)
                self.watched_depth = None
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.watched_depth is not None:
            self.text.append(data)


def labels(html: str) -> list[str]:
    """The page's labels, in the order they appear."""
    parser = _Labels()
    parser.feed(html)
    parser.close()
    return parser.labels


def untranslated(estonian: str, english: str) -> list[str]:
    """The Estonian page's labels that read exactly as on the English page."""
    in_english = set(labels(english))
    return sorted(
        {
            label
            for label in labels(estonian)
            if label in in_english and _LETTERS.search(label) and label not in SHARED
        }
    )
