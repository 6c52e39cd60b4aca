"""The full-text index: every searchable document of the transcripts (`transcript.search_text`)
in a tantivy index beside the DuckDB index, in the cache directory.

Words are split at anything that is not a letter or digit, folded to lower case and to ASCII
(`café` finds `cafe`); Chinese, Japanese and Korean characters are words of their own (a
run of them is searched as a phrase); emoji are kept apart in a field of their own. A file's
documents are replaced whole when the file changes and leave with it; which files the index
holds, at which size and time, is kept beside it (`files.json`), so that a restart reads only
what changed. An index from another version, or one that cannot be opened, is rebuilt.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import tantivy

from claude_code_tracer.index.search_query import ParsedQuery, Term
from claude_code_tracer.transcript.kinds import SearchSort
from claude_code_tracer.transcript.search_text import SEP, DocRow, prepared

log = logging.getLogger(__name__)

SEARCH_VERSION = "3"  # bumped when the schema or the analysis changes: the index is rebuilt
TOKENIZER = "cctracer"
MAX_TOKEN_BYTES = 64  # longer "words" (hashes, base64) are not indexed
WRITER_HEAP = 96_000_000
SNIPPET_CHARS = 240
# raw (untokenized) fields; the first ones are fast fields, counted for facets
FACET_FIELDS = ("kind", "tool", "project", "session")
RAW_FIELDS = (*FACET_FIELDS, "model", "branch", "path")
# kept, not searched: a field of unique values costs the engine more than all of a text's words
STORED_FIELDS = ("agent", "uuid", "usage_key")


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("body", stored=True, tokenizer_name=TOKENIZER, index_option="position")
    sb.add_text_field("symbols", stored=False, tokenizer_name="whitespace", index_option="basic")
    for name in RAW_FIELDS:
        sb.add_text_field(name, stored=True, tokenizer_name="raw", fast=name in FACET_FIELDS)
    for name in STORED_FIELDS:
        sb.add_bytes_field(name, stored=True)
    sb.add_integer_field("line", stored=True)
    sb.add_integer_field("ts", stored=True, indexed=True, fast=True)
    sb.add_integer_field("error", stored=False, indexed=True)
    return sb.build()


def analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_BYTES))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


@dataclass(frozen=True)
class FileSource:
    """A transcript as the index knows it: where, what it is, and its size and time."""

    path: str
    size: int
    mtime_ns: int
    project_hash: str
    session_id: str
    agent_id: str


SEARCH_SOURCES = """
SELECT path, size, mtime_ns, project_hash, coalesce(nullif(session_id, ''), line_session_id, ''),
       agent_id
FROM files
"""


def search_sources(cur: duckdb.DuckDBPyConnection) -> list[FileSource]:
    """Every file the DuckDB index holds, as the search index compares it."""
    return [
        FileSource(str(p), int(size), int(mtime), str(ph), str(sid or ""), str(aid or ""))
        for p, size, mtime, ph, sid, aid in cur.execute(SEARCH_SOURCES).fetchall()
    ]


# lines the index counts elsewhere (a copy in a resumed or forked session): not searched twice
COPIED_LINES = """
SELECT f.path, list(DISTINCT u) AS uuids
FROM (SELECT file_id, unnest(uuids) AS u FROM messages WHERE dup) m
JOIN files f ON f.file_id = m.file_id
GROUP BY f.path
"""


def copied_lines(cur: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """path -> the uuids of its lines that copy a line the index holds elsewhere."""
    return {str(p): set(uuids) for p, uuids in cur.execute(COPIED_LINES).fetchall()}


@dataclass
class Hit:
    score: float
    ts: int
    kind: str
    tool: str
    model: str
    branch: str
    project_hash: str
    session_id: str
    agent_id: str
    uuid: str
    usage_key: str
    snippet: str
    highlights: list[tuple[int, int]]  # character ranges in `snippet`


@dataclass
class Found:
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    session_counts: dict[str, int] = field(default_factory=dict)


def _highlighted(snippet: tantivy.Snippet) -> tuple[str, list[tuple[int, int]]]:
    """The fragment without the CJK separators, and its highlights as character ranges."""
    raw = snippet.fragment().encode("utf-8")
    pieces: list[str] = []
    ranges: list[tuple[int, int]] = []
    at = 0
    length = 0
    for r in sorted(snippet.highlighted(), key=lambda r: r.start):
        if r.start < at:
            continue
        before = raw[at : r.start].decode("utf-8", "replace").replace(SEP, "")
        word = raw[r.start : r.end].decode("utf-8", "replace").replace(SEP, "")
        pieces += [before, word]
        length += len(before)
        ranges.append((length, length + len(word)))
        length += len(word)
        at = r.end
    pieces.append(raw[at:].decode("utf-8", "replace").replace(SEP, ""))
    return "".join(pieces), ranges


class FullText:
    """The tantivy index in `directory`; one writer (the search sync), any number of readers."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.schema = _schema()
        self.analyzer = analyzer()
        self.lock = threading.Lock()  # the writer's
        self._writer: tantivy.IndexWriter | None = None
        self.index = self._open()
        self.known: dict[str, tuple[int, int]] = self._read_state()

    # -- opening ------------------------------------------------------------------------------

    @property
    def _state_path(self) -> Path:
        return self.directory / "files.json"

    @property
    def _version_path(self) -> Path:
        return self.directory / "VERSION"

    def _open(self) -> tantivy.Index:
        index_dir = self.directory / "index"
        version = None
        with contextlib.suppress(OSError):
            version = self._version_path.read_text().strip()
        if version == SEARCH_VERSION and index_dir.is_dir():
            try:
                index = tantivy.Index(self.schema, path=str(index_dir), reuse=True)
            except (ValueError, OSError):
                log.warning("the search index cannot be opened: rebuilding it")
            else:
                index.register_tokenizer(TOKENIZER, self.analyzer)
                return index
        shutil.rmtree(self.directory, ignore_errors=True)
        index_dir.mkdir(parents=True, exist_ok=True)
        self._version_path.write_text(SEARCH_VERSION)
        index = tantivy.Index(self.schema, path=str(index_dir), reuse=False)
        index.register_tokenizer(TOKENIZER, self.analyzer)
        return index

    def _read_state(self) -> dict[str, tuple[int, int]]:
        try:
            raw = json.loads(self._state_path.read_text())
            return {str(p): (int(v[0]), int(v[1])) for p, v in raw.items()}
        except (OSError, ValueError, TypeError, IndexError, AttributeError):
            return {}

    def _write_state(self) -> None:
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({p: list(v) for p, v in self.known.items()}))
        os.replace(tmp, self._state_path)

    # -- writing ------------------------------------------------------------------------------

    def changes(self, files: Iterable[FileSource]) -> tuple[list[FileSource], list[str]]:
        """(files new or changed since they were indexed, paths that are gone)."""
        present: set[str] = set()
        changed: list[FileSource] = []
        for f in files:
            present.add(f.path)
            if self.known.get(f.path) != (f.size, f.mtime_ns):
                changed.append(f)
        return changed, [p for p in self.known if p not in present]

    def writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=2)
        return self._writer

    def replace(self, source: FileSource, docs: Iterable[DocRow]) -> None:
        """Put a file's documents in place of those it had (kept until `commit`)."""
        w = self.writer()
        add = w.add_document
        path, project, agent = source.path, source.project_hash, source.agent_id.encode()
        session = source.session_id
        w.delete_documents_by_term("path", path)
        for kind, body, symbols, line_no, uuid, ts, sid, tool, model, branch, error, key in docs:
            # field by field: much cheaper than the constructor's keyword arguments
            doc = tantivy.Document()
            doc.add_text("body", body)
            if symbols:
                doc.add_text("symbols", symbols)
            doc.add_text("kind", kind)
            doc.add_text("tool", tool)
            doc.add_text("project", project)
            doc.add_text("session", session or sid)
            doc.add_text("model", model)
            doc.add_text("branch", branch)
            doc.add_text("path", path)
            doc.add_bytes("agent", agent)
            doc.add_bytes("uuid", uuid.encode())
            doc.add_bytes("usage_key", key.encode())
            doc.add_integer("line", line_no)
            doc.add_integer("ts", ts or 0)
            doc.add_integer("error", int(error))
            add(doc)
        self.known[path] = (source.size, source.mtime_ns)

    def remove(self, path: str) -> None:
        self.writer().delete_documents_by_term("path", path)
        self.known.pop(path, None)

    def commit(self) -> None:
        if self._writer is None:
            return
        self._writer.commit()
        self._write_state()
        self.index.reload()

    def close(self) -> None:
        with self.lock:
            writer, self._writer = self._writer, None
            if writer is not None:
                with contextlib.suppress(ValueError):
                    writer.rollback()
                del writer

    def documents(self) -> int:
        return int(self.index.searcher().num_docs)

    # -- reading ------------------------------------------------------------------------------

    def _word_query(self, term: Term, searcher: tantivy.Searcher) -> tantivy.Query | None:
        """A word or phrase as the engine's query; None for one with nothing searchable."""
        body, symbols = prepared(term.text)
        tokens: list[str | tuple[int, str]] = [t for t in self.analyzer.analyze(body) if t]
        schema = self.schema
        if not tokens:
            emoji = symbols.split()
            if not emoji:
                return None
            if len(emoji) == 1:
                return tantivy.Query.term_query(schema, "symbols", emoji[0])
            words = [tantivy.Query.term_query(schema, "symbols", e) for e in emoji]
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in words])
        if term.prefix:
            *head, last = tokens
            expansions = [t for t, _ in searcher.terms_with_prefix("body", str(last), limit=200)]
            if not expansions:
                return tantivy.Query.empty_query()
            if not head:
                return tantivy.Query.term_set_query(schema, "body", expansions)
            return tantivy.Query.phrase_prefix_query(schema, "body", tokens)
        if len(tokens) == 1:
            return tantivy.Query.term_query(schema, "body", str(tokens[0]))
        return tantivy.Query.phrase_query(schema, "body", tokens)

    def _filter_query(
        self, name: str, value: str, tz: ZoneInfo, projects: dict[str, list[str]]
    ) -> tantivy.Query:
        schema = self.schema
        if name == "kind":
            return tantivy.Query.term_query(schema, "kind", value)
        if name == "is":
            return tantivy.Query.term_query(schema, "error", 1)
        if name == "project":
            hashes = projects.get(value, [])
            if not hashes:
                return tantivy.Query.empty_query()
            return tantivy.Query.term_set_query(schema, "project", hashes)
        if name in ("after", "before"):
            ms = _ms(datetime.combine(date.fromisoformat(value), time(), tz))
            return self._written(ms, None) if name == "after" else self._written(None, ms)
        pattern = _literal(value)
        if name == "session":
            return tantivy.Query.regex_query(schema, "session", f"(?i){pattern}.*")
        if name == "model":
            return tantivy.Query.regex_query(schema, "model", f"(?i).*{pattern}.*")
        return tantivy.Query.regex_query(schema, name, f"(?i){pattern}")  # tool, branch

    def _written(self, lower: int | None, upper: int | None) -> tantivy.Query:
        """Documents written in [lower, upper) (milliseconds; None: unbounded)."""
        return tantivy.Query.range_query(
            self.schema, "ts", tantivy.FieldType.Integer, lower, upper, include_upper=upper is None
        )

    def search(
        self,
        parsed: ParsedQuery,
        *,
        tz: ZoneInfo,
        projects: dict[str, list[str]],
        sort: SearchSort,
        limit: int,
        offset: int,
        between: tuple[datetime | None, datetime | None] = (None, None),
    ) -> Found:
        """The hits of a query, a page of them, with counts by kind, tool, project and by the
        sessions of the page. `projects` maps each `project:` value to the projects it names;
        `between` narrows to [start, end) (naive UTC)."""
        searcher = self.index.searcher()
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        highlight: list[tantivy.Query] = []
        for term in parsed.terms:
            q = self._word_query(term, searcher)
            if q is None:
                continue
            clauses.append((tantivy.Occur.MustNot if term.negated else tantivy.Occur.Must, q))
            if not term.negated:
                highlight.append(q)
        for f in parsed.filters:
            q = self._filter_query(f.name, f.value, tz, projects)
            clauses.append((tantivy.Occur.MustNot if f.negated else tantivy.Occur.Must, q))
        start, end = between
        if start is not None or end is not None:
            lower, upper = (None if t is None else _ms(t) for t in (start, end))
            clauses.append((tantivy.Occur.Must, self._written(lower, upper)))
        if not any(occur == tantivy.Occur.Must for occur, _ in clauses):
            return Found(0, [])
        query = tantivy.Query.boolean_query(clauses)
        if sort == "date":
            result = searcher.search(query, limit, count=True, order_by_field="ts", offset=offset)
            ranked = [(0.0, searcher.doc(addr)) for _, addr in result.hits]
        else:
            # relevance, then the newest first among equals
            result = searcher.search(query, offset + limit, count=True)
            scored = [(float(s), searcher.doc(addr)) for s, addr in result.hits]
            scored.sort(key=lambda h: (-round(h[0], 6), -_first(h[1], "ts", 0)))
            ranked = scored[offset:]
        hits = self._hits(searcher, ranked, highlight)
        facets = self._facets(searcher, query)
        counts = {
            sid: self._count_in(searcher, query, sid)
            for sid in dict.fromkeys(h.session_id for h in hits)
        }
        return Found(_count(result), hits, facets, counts)

    def _count_in(self, searcher: tantivy.Searcher, query: tantivy.Query, session: str) -> int:
        within = tantivy.Query.term_query(self.schema, "session", session)
        both = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, within)]
        )
        return _count(searcher.search(both, 1, count=True))

    def _hits(
        self,
        searcher: tantivy.Searcher,
        ranked: list[tuple[float, tantivy.Document]],
        highlight: list[tantivy.Query],
    ) -> list[Hit]:
        generator = None
        if highlight:
            hq = (
                highlight[0]
                if len(highlight) == 1
                else tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in highlight])
            )
            generator = tantivy.SnippetGenerator.create(searcher, hq, self.schema, "body")
            generator.set_max_num_chars(SNIPPET_CHARS)
        hits: list[Hit] = []
        for score, doc in ranked:
            snippet, ranges = "", list[tuple[int, int]]()
            if generator is not None:
                snippet, ranges = _highlighted(generator.snippet_from_doc(doc))
            if not snippet:
                body = str(_first(doc, "body", ""))
                snippet = body[: SNIPPET_CHARS * 2].replace(SEP, "")[:SNIPPET_CHARS]
            hits.append(
                Hit(
                    score=score,
                    ts=int(_first(doc, "ts", 0)),
                    kind=str(_first(doc, "kind", "")),
                    tool=str(_first(doc, "tool", "")),
                    model=str(_first(doc, "model", "")),
                    branch=str(_first(doc, "branch", "")),
                    project_hash=str(_first(doc, "project", "")),
                    session_id=str(_first(doc, "session", "")),
                    agent_id=bytes(_first(doc, "agent", b"")).decode(),
                    uuid=bytes(_first(doc, "uuid", b"")).decode(),
                    usage_key=bytes(_first(doc, "usage_key", b"")).decode(),
                    snippet=snippet,
                    highlights=ranges,
                )
            )
        return hits

    def _facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query
    ) -> dict[str, list[tuple[str, int]]]:
        spec = {
            name: {"terms": {"field": name, "size": 20}} for name in ("kind", "tool", "project")
        }
        answer: dict[str, Any] = searcher.aggregate(query, spec)
        facets: dict[str, list[tuple[str, int]]] = {}
        for name in spec:
            buckets = answer.get(name, {}).get("buckets", [])
            facets[name] = [(str(b["key"]), int(b["doc_count"])) for b in buckets if str(b["key"])]
        return facets


def _ms(moment: datetime) -> int:
    """Milliseconds since the epoch; a naive time is UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _count(result: tantivy.SearchResult) -> int:
    """The number of matching documents (searched with count=True)."""
    count: int | None = getattr(result, "count", None)
    return int(count or 0)


def _first(doc: tantivy.Document, name: str, default: Any) -> Any:
    value = doc.get_first(name)
    return default if value is None else value


def _literal(value: str) -> str:
    """A value matched as itself in the engine's regular expressions."""
    return "".join(ch if ch.isalnum() or ord(ch) > 127 else f"\\x{{{ord(ch):X}}}" for ch in value)
