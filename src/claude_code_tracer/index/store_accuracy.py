"""Reads of the accuracy view: how every total was formed, from the usage rows the index keeps
(each with its source and whether it counts) and the files it read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from claude_code_tracer.index.models.accuracy import (
    Accuracy,
    BadLine,
    Collapsed,
    ModelPricing,
    PriceTableUsed,
    ReadFigures,
    Recovered,
    SkippedFile,
    VersionSeen,
)
from claude_code_tracer.index.models.system import DataDir
from claude_code_tracer.index.reads import ALL_TIME, Reader, TimeRange, row_tokens, tokens
from claude_code_tracer.transcript.kinds import (
    COLLAPSE_KINDS,
    NEWEST_KNOWN_VERSION,
    RECOVERY_KINDS,
    TASK_KEY_PREFIX,
    CollapseKind,
    version_key,
)

# usage rows in scope: project, session, time range (bound as ?, ?, ?, ?, start, start, end, end)
_USAGE_SCOPE = """
(? IS NULL OR u.project_hash = ?) AND (? IS NULL OR u.session_id = ?)
AND (? IS NULL OR u.ts >= ?) AND (? IS NULL OR u.ts < ?)
"""
_FILE_SCOPE = """
(? IS NULL OR f.project_hash = ?) AND (? IS NULL OR f.session_id = ?)
AND (? IS NULL OR f.last_ts >= ?) AND (? IS NULL OR f.first_ts < ?)
"""
_SUMS = """count(*) AS n, sum(u.input_tokens) AS input_tokens,
    sum(u.output_tokens) AS output_tokens, sum(u.cache_creation_tokens) AS cache_creation_tokens,
    sum(u.cache_read_tokens) AS cache_read_tokens"""

FILES_READ = f"""
SELECT count(*) AS files, coalesce(sum(f.lines), 0) AS lines, coalesce(sum(f.size), 0) AS bytes,
    coalesce(sum(f.bad_lines), 0) AS bad_lines
FROM files f WHERE {_FILE_SCOPE}
"""
VERSIONS = f"""
SELECT v AS version, count(DISTINCT f.file_id) AS files
FROM (SELECT f.*, unnest(f.versions) AS v FROM files f) f
WHERE {_FILE_SCOPE} AND v IS NOT NULL AND v <> ''
GROUP BY v
"""
UNKNOWN = f"""
SELECT f.unknown_types FROM files f
WHERE {_FILE_SCOPE} AND f.unknown_types IS NOT NULL AND f.unknown_types <> '{{}}'
"""
SKIPPED = f"""
SELECT f.path, f.session_id, f.bad_lines, f.bad_reasons, f.bad_line_list FROM files f
WHERE {_FILE_SCOPE} AND f.bad_lines > 0 ORDER BY f.bad_lines DESC, f.path
"""
USAGE_READ = f"""
SELECT count(*) AS responses, count(*) FILTER (WHERE u.counted) AS counted,
    sum(u.input_tokens) FILTER (WHERE u.counted) AS input_tokens,
    sum(u.output_tokens) FILTER (WHERE u.counted) AS output_tokens,
    sum(u.cache_creation_tokens) FILTER (WHERE u.counted) AS cache_creation_tokens,
    sum(u.cache_read_tokens) FILTER (WHERE u.counted) AS cache_read_tokens
FROM usage u WHERE {_USAGE_SCOPE}
"""
# the rows that do not count, by why (the roll-ups record it)
COLLAPSED = f"""
SELECT u.collapse AS kind, {_SUMS}
FROM usage u WHERE NOT u.counted AND {_USAGE_SCOPE}
GROUP BY kind ORDER BY kind
"""
# copies collapsed within a file as it was read
FILE_COLLAPSED = f"""
SELECT f.collapsed FROM files f
WHERE {_FILE_SCOPE} AND f.collapsed IS NOT NULL AND f.collapsed <> '{{}}'
"""
# counted rows not read from a real line, and the output the corrections added, per session
# and agent
RECOVERED = f"""
SELECT CASE
        WHEN u.source = 'progress' THEN 'progress_only'
        WHEN starts_with(u.usage_key, '{TASK_KEY_PREFIX}') THEN 'reconstructed'
        ELSE 'corrected'
    END AS kind, u.project_hash, u.session_id, u.agent_id, {_SUMS},
    sum(u.output_tokens - coalesce(u.recorded_output, 0)) AS added_output,
    sum(u.cost::DECIMAL(38, 18))::DOUBLE AS cost
FROM usage u WHERE u.counted AND u.source <> 'line' AND {_USAGE_SCOPE}
GROUP BY ALL ORDER BY kind, u.project_hash, u.session_id, u.agent_id
"""
# per model as the transcripts spell it (sessions counted per model first: cheaper than a
# distinct count over every row)
PRICING = f"""
WITH per_session AS (
    SELECT u.model, bool_and(u.priced) AS priced, {_SUMS}
    FROM usage u
    WHERE u.counted AND u.model IS NOT NULL AND {_USAGE_SCOPE}
    GROUP BY u.model, u.project_hash, u.session_id
)
SELECT s.model, p.price_key, bool_and(s.priced) AS priced, sum(s.n) AS n,
    sum(s.input_tokens) AS input_tokens, sum(s.output_tokens) AS output_tokens,
    sum(s.cache_creation_tokens) AS cache_creation_tokens,
    sum(s.cache_read_tokens) AS cache_read_tokens, count(*) AS sessions
FROM per_session s LEFT JOIN model_prices p ON p.model = s.model
GROUP BY ALL ORDER BY priced, s.model
"""

K = TypeVar("K", bound=str)
_TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")

NOTES = (
    "Subagent output is a lower bound: in Claude Code 2.1.x an agent's file records each "
    "response as a streaming snapshot (1 to 8 output tokens); only its last response's final "
    "output is on disk, in the Task result that ends it.",
    "Lines of one streamed response within a file are collapsed as they are read (the copy "
    "with the largest total is kept); with a date range, a file's streamed copies count where "
    "the file overlaps it.",
    "Calls Claude Code never writes to a transcript (titles, summaries, command safety checks, "
    "WebSearch side requests) cannot be counted by any tool that reads transcripts.",
)


class AccuracyReads(Reader):
    """How each total was formed."""

    def accuracy(
        self,
        project: str | None = None,
        session: str | None = None,
        rng: TimeRange = ALL_TIME,
        data_dirs: Sequence[DataDir] = (),
    ) -> Accuracy:
        if project is not None:
            self.project_path(project)
            if session is not None:
                self.require_session(project, session)
        scope: list[Any] = [project, project, session, session, *rng.params()]
        files = self._one(FILES_READ, scope) or {}
        used = self._one(USAGE_READ, scope) or {}
        newest = version_key(NEWEST_KNOWN_VERSION)
        versions = sorted(
            (
                VersionSeen(
                    version=str(r["version"]),
                    files=int(r["files"]),
                    newer_than_known=version_key(str(r["version"])) > newest,
                )
                for r in self._all(VERSIONS, scope)
            ),
            key=lambda v: version_key(v.version),
        )
        unknown: dict[str, int] = {}
        for r in self._all(UNKNOWN, scope):
            for what, n in json.loads(r["unknown_types"]).items():
                unknown[str(what)] = unknown.get(str(what), 0) + int(n)
        read = ReadFigures(
            files=int(files.get("files") or 0),
            lines=int(files.get("lines") or 0),
            bytes=int(files.get("bytes") or 0),
            bad_lines=int(files.get("bad_lines") or 0),
            responses=int(used.get("responses") or 0),
            counted_responses=int(used.get("counted") or 0),
            counted_tokens=row_tokens(used) if used else tokens(0, 0, 0, 0),
            versions=versions,
            newest_known_version=NEWEST_KNOWN_VERSION,
            unknown_types=dict(sorted(unknown.items())),
        )
        skipped = [
            SkippedFile(
                path=str(r["path"]),
                session_id=str(r["session_id"] or ""),
                bad_lines=int(r["bad_lines"]),
                reasons={str(k): int(v) for k, v in json.loads(r["bad_reasons"] or "{}").items()},
                lines=[
                    BadLine(line=int(n), reason=str(why))
                    for n, why in json.loads(r["bad_line_list"] or "[]")
                ],
            )
            for r in self._all(SKIPPED, scope)
        ]
        sums: dict[CollapseKind, list[int]] = {}
        for r in self._all(COLLAPSED, scope):
            sums[_one_of(r["kind"], COLLAPSE_KINDS)] = [
                int(r[c] or 0) for c in ("n", *_TOKEN_COLUMNS)
            ]
        for r in self._all(FILE_COLLAPSED, scope):
            for kind, counts in json.loads(r["collapsed"]).items():
                into = sums.setdefault(_one_of(kind, COLLAPSE_KINDS), [0, 0, 0, 0, 0])
                for i, n in enumerate(counts):
                    into[i] += int(n)
        collapsed = [
            Collapsed(kind=kind, rows=sums[kind][0], tokens=tokens(*sums[kind][1:]))
            for kind in COLLAPSE_KINDS
            if kind in sums
        ]
        recovered = []
        for r in self._all(RECOVERED, scope):
            kind = _one_of(r["kind"], RECOVERY_KINDS)
            recovered.append(
                Recovered(
                    kind=kind,
                    project_hash=str(r["project_hash"]),
                    session_id=str(r["session_id"]),
                    agent_id=str(r["agent_id"]),
                    responses=int(r["n"]),
                    tokens=(
                        tokens(0, r["added_output"], 0, 0) if kind == "corrected" else row_tokens(r)
                    ),
                    cost=float(r["cost"] or 0.0),
                )
            )
        pricing = [
            ModelPricing(
                model=str(r["model"]),
                price_key=None if r["price_key"] is None else str(r["price_key"]),
                priced=bool(r["priced"]),
                responses=int(r["n"]),
                sessions=int(r["sessions"]),
                tokens=row_tokens(r),
            )
            for r in self._all(PRICING, scope)
        ]
        return Accuracy(
            project_hash=project,
            session_id=session,
            since=rng.since,
            until=rng.until,
            timezone=rng.tz,
            data_dirs=list(data_dirs),
            read=read,
            skipped=skipped,
            collapsed=collapsed,
            recovered=recovered,
            price_table=None
            if self.prices is None
            else PriceTableUsed(
                source=self.prices.table.source,
                url=self.prices.table.url,
                fetched_at=self.prices.table.fetched_at,
                age_seconds=self.price_table_age(),
            ),
            pricing=pricing,
            notes=list(NOTES),
        )


def _one_of(value: object, kinds: tuple[K, ...]) -> K:
    """`value` as the member of an enumeration it equals (the SQL spells the kinds)."""
    for kind in kinds:
        if value == kind:
            return kind
    raise ValueError(f"{value!r} is none of {kinds}")
