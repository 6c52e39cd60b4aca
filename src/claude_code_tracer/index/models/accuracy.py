"""The accuracy view: how each total was formed (what was read, skipped, collapsed, recovered
and priced)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from claude_code_tracer.index.models.common import Model, Tokens
from claude_code_tracer.index.models.metrics import PriceSource
from claude_code_tracer.index.models.system import DataDir
from claude_code_tracer.transcript.kinds import CollapseKind, RecoveryKind


class VersionSeen(Model):
    version: str
    files: int
    newer_than_known: bool = Field(
        description="newer than the newest Claude Code version the parser was written against"
    )


class ReadFigures(Model):
    files: int
    lines: int
    bytes: int
    bad_lines: int
    responses: int = Field(description="usage rows read (before de-duplication)")
    counted_responses: int
    counted_tokens: Tokens
    versions: list[VersionSeen]
    newest_known_version: str
    unknown_types: dict[str, int] = Field(
        description='line and content block types the parser does not know ("entry:<type>", '
        '"block:<type>"), counted and passed over'
    )


class BadLine(Model):
    line: int = Field(description="1-based line number in the file")
    reason: str


class SkippedFile(Model):
    path: str
    session_id: str
    bad_lines: int
    reasons: dict[str, int]
    lines: list[BadLine] = Field(description="the first 50 bad lines of the file")


class Collapsed(Model):
    kind: CollapseKind
    rows: int
    tokens: Tokens = Field(description="what these rows would have added, counted again")


class Recovered(Model):
    kind: RecoveryKind
    project_hash: str
    session_id: str
    agent_id: str
    responses: int
    tokens: Tokens = Field(description="for corrected: the output tokens the correction added")
    cost: float


class ModelPricing(Model):
    model: str = Field(description="the model id exactly as the transcripts name it")
    price_key: str | None = Field(description="the price table's key used, None: unpriced")
    priced: bool
    responses: int
    sessions: int
    tokens: Tokens


class PriceTableUsed(Model):
    source: PriceSource = Field(description="the shipped snapshot, the on-disk cache or live")
    url: str
    fetched_at: str
    age_seconds: float | None


class Accuracy(Model):
    project_hash: str | None
    session_id: str | None
    since: date | None
    until: date | None
    timezone: str
    data_dirs: list[DataDir] = Field(
        description="the data directories looked in; exists: false where one is absent"
    )
    read: ReadFigures
    skipped: list[SkippedFile]
    collapsed: list[Collapsed]
    recovered: list[Recovered]
    price_table: PriceTableUsed | None = Field(description="None: the index is read alone")
    pricing: list[ModelPricing]
    notes: list[str]
