"""The search language: words (all must match), "exact phrases", prefix*, -exclude, and
filters `name:value` (`kinds.SEARCH_FILTERS`).

A query is parsed here into terms and filters, checked, and only then turned into the
engine's own query objects (`index.fulltext`): the engine never sees the text a person typed,
so its syntax means nothing in a query, and a mistake is reported with its position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import cast

from claude_code_tracer.transcript.kinds import (
    SEARCH_FILTERS,
    SEARCH_KINDS,
    SearchFilter,
    spelled,
)

MAX_QUERY_CHARS = 1000
MAX_PARTS = 32  # words, phrases and filters together
FLAGS = ("error",)  # the values of `is:`
QUOTED_FILTER = re.compile(r'([A-Za-z]+):"')  # name:"a value with spaces"


class SearchSyntaxError(ValueError):
    """A query that cannot be read; `position` is the character (from 0) where it fails."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at character {position + 1})")
        self.reason = message
        self.position = position


@dataclass(frozen=True)
class Term:
    text: str
    phrase: bool = False  # "in quotes": the words in this order
    prefix: bool = False  # word*: any word starting so
    negated: bool = False  # -word: documents without it
    position: int = 0


@dataclass(frozen=True)
class Filter:
    name: SearchFilter
    value: str
    negated: bool = False
    position: int = 0


@dataclass(frozen=True)
class ParsedQuery:
    terms: tuple[Term, ...]
    filters: tuple[Filter, ...]

    def values(self, name: SearchFilter) -> list[str]:
        return [f.value for f in self.filters if f.name == name and not f.negated]

    @property
    def positive(self) -> bool:
        """Whether anything must match (a query of exclusions alone selects nothing)."""
        return any(not t.negated for t in self.terms) or any(not f.negated for f in self.filters)


def _check_chars(text: str) -> None:
    if len(text) > MAX_QUERY_CHARS:
        raise SearchSyntaxError(
            f"a search is at most {MAX_QUERY_CHARS:,} characters long", MAX_QUERY_CHARS
        )
    for i, ch in enumerate(text):
        if (ord(ch) < 32 and ch not in "\t\n\r") or 127 <= ord(ch) < 160:
            raise SearchSyntaxError("a control character cannot be searched for", i)


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The text between the quote at `start` and the next one, and the index after it."""
    end = text.find('"', start + 1)
    if end < 0:
        raise SearchSyntaxError("a quote is not closed", start)
    return text[start + 1 : end], end + 1


def _bare(text: str, start: int) -> tuple[str, int]:
    end = start
    while end < len(text) and not text[end].isspace():
        if text[end] == '"':
            raise SearchSyntaxError("a quote inside a word: put the phrase in quotes", end)
        end += 1
    return text[start:end], end


def _filter(name: SearchFilter, value: str, negated: bool, position: int) -> Filter:
    value = value.strip()
    if not value:
        raise SearchSyntaxError(f"{name}: needs a value", position)
    if name == "kind" and value.lower() not in SEARCH_KINDS:
        raise SearchSyntaxError(f"kind: is one of {spelled(SEARCH_KINDS)}", position)
    if name == "is" and value.lower() not in FLAGS:
        raise SearchSyntaxError(f"is: takes {spelled(FLAGS)}", position)
    if name in ("after", "before"):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise SearchSyntaxError(f"{name}: takes a date, YYYY-MM-DD", position) from None
    if name in ("kind", "is"):
        value = value.lower()
    return Filter(name, value, negated, position)


def parse(text: str) -> ParsedQuery:
    """Read a query; SearchSyntaxError says what is wrong and where."""
    _check_chars(text)
    terms: list[Term] = []
    filters: list[Filter] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        start = i
        if len(terms) + len(filters) >= MAX_PARTS:
            raise SearchSyntaxError(f"a search has at most {MAX_PARTS} words and filters", start)
        negated = text[i] == "-" and i + 1 < len(text) and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            phrase, i = _quoted(text, i)
            if phrase.strip():
                terms.append(Term(phrase, phrase=True, negated=negated, position=start))
        else:
            word_start = i
            quoted = QUOTED_FILTER.match(text, i)
            if quoted and quoted.group(1).lower() in SEARCH_FILTERS:
                word = quoted.group(1)
                value, i = _quoted(text, quoted.end() - 1)
                filters.append(_filter(cast(SearchFilter, word.lower()), value, negated, start))
                continue
            word, i = _bare(text, i)
            name, colon, value = word.partition(":")
            if colon and name.lower() in SEARCH_FILTERS:
                filters.append(_filter(cast(SearchFilter, name.lower()), value, negated, start))
            else:
                terms.append(_word(word, negated, start, word_start))
    if not terms and not filters:
        raise SearchSyntaxError("nothing to search for", 0)
    parsed = ParsedQuery(tuple(terms), tuple(filters))
    if not parsed.positive:
        raise SearchSyntaxError("a search needs a word or a filter besides exclusions", 0)
    return parsed


def _word(word: str, negated: bool, start: int, word_start: int) -> Term:
    star = word.find("*")
    if star >= 0:
        if star != len(word) - 1:
            raise SearchSyntaxError("'*' goes at the end of a word", word_start + star)
        if len(word) < 2:
            raise SearchSyntaxError("'*' needs the start of a word before it", word_start + star)
        return Term(word[:-1], prefix=True, negated=negated, position=start)
    return Term(word, negated=negated, position=start)
