"""A generated section of a hand-written document: the text between two marker lines, which a
command rewrites and a test compares, while the prose around it stays the author's."""

from __future__ import annotations


def _split(document: str, begin: str, end: str) -> tuple[str, str, str]:
    if document.count(begin) != 1 or document.count(end) != 1:
        raise ValueError(f"the document must hold each marker once: {begin!r} and {end!r}")
    head, rest = document.split(begin)
    inside, tail = rest.split(end)
    return head, inside, tail


def section(document: str, begin: str, end: str) -> str:
    """The text between the markers, without the line breaks that set it apart."""
    return _split(document, begin, end)[1].strip("\n")


def with_section(document: str, begin: str, end: str, content: str) -> str:
    """`document` with the text between the markers replaced by `content`, on lines of its own."""
    head, _, tail = _split(document, begin, end)
    return f"{head}{begin}\n{content.rstrip(chr(10))}\n{end}{tail}"
