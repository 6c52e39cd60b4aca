"""Every enumeration is defined once (`transcript.kinds`, the allow-lists of `index.queries`);
the API's parameters and models, the pages' labels and the SQL that computes a kind agree
with it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import pytest

from claude_code_tracer.config import Settings
from claude_code_tracer.index import prompt_facts, queries, rollups, store_prompts
from claude_code_tracer.index.models.system import INDEX_STATES, IndexState
from claude_code_tracer.ingest.discovery import discover
from claude_code_tracer.ingest.sync import IndexStatus
from claude_code_tracer.main import create_app
from claude_code_tracer.transcript import kinds


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("kinds")
    settings = Settings(claude_dirs=(base / "claude",), cache_dir=base / "cache", offline=True)
    app = create_app(settings, start=False)
    try:
        return app.openapi()
    finally:
        app.state.runtime.stop()


def enum(schema: dict[str, Any], path: str, name: str) -> list[str]:
    (param,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name]
    options = param["schema"].get("anyOf", [param["schema"]])
    return next(o["enum"] for o in options if "enum" in o)


def test_the_allow_lists_are_the_types_of_their_keys() -> None:
    assert get_args(kinds.PromptSort) == tuple(store_prompts.PROMPT_SORTS)
    assert get_args(kinds.PromptSort) == tuple(store_prompts.DEFAULT_ORDER)
    assert get_args(queries.ProjectSort) == tuple(queries.PROJECT_SORTS)
    assert get_args(queries.SessionSort) == tuple(queries.SESSION_SORTS)
    assert get_args(queries.SortOrder) == tuple(queries.SORT_DIRECTIONS)


def test_the_api_takes_the_enumerations(schema: dict[str, Any]) -> None:
    messages = "/api/sessions/{path_hash}/{session_id}/messages"
    assert enum(schema, messages, "type") == list(kinds.KINDS)
    errors = "/api/sessions/{path_hash}/{session_id}/errors"
    assert enum(schema, errors, "category") == list(kinds.ERROR_CATEGORIES)
    assert enum(schema, "/api/projects", "sort") == list(queries.PROJECT_SORTS)
    sessions = "/api/projects/{path_hash}/sessions"
    assert enum(schema, sessions, "sort") == list(queries.SESSION_SORTS)
    assert enum(schema, sessions, "order") == list(queries.SORT_DIRECTIONS)
    for prompts in ("/api/prompts", "/api/projects/{path_hash}/prompts"):
        assert enum(schema, prompts, "sort") == list(kinds.PROMPT_SORTS)
        assert enum(schema, prompts, "order") == list(queries.SORT_DIRECTIONS)
    drivers = schema["components"]["schemas"]["CostDrivers"]["properties"]["largest"]
    assert next(o["enum"] for o in drivers["anyOf"] if "enum" in o) == list(kinds.COST_DRIVERS)
    assert set(kinds.COST_DRIVER_LABELS) == set(kinds.COST_DRIVERS)
    models = schema["components"]["schemas"]
    assert models["CommandEntry"]["properties"]["source"]["enum"] == list(kinds.COMMAND_SOURCES)
    assert models["CodeChange"]["properties"]["change_type"]["enum"] == list(kinds.CHANGE_TYPES)
    assert models["SessionSummary"]["properties"]["status"]["enum"] == list(kinds.SESSION_STATUSES)


def test_labels_and_sets() -> None:
    assert tuple(kinds.KIND_LABELS) == kinds.KINDS
    assert kinds.PATCH_TOOLS < kinds.EDIT_TOOLS
    assert get_args(IndexState) == INDEX_STATES
    assert IndexStatus().state in INDEX_STATES


def sql_values(sql: str) -> set[str]:
    return set(re.findall(r"(?:THEN|ELSE) '(\w+)'", sql))


def test_the_sql_computes_only_listed_kinds() -> None:
    case = re.search(r"CASE(.*?)END AS kind", rollups.INSERT_AGENTS, re.S)
    assert case is not None
    assert sql_values(case.group(1)) == set(kinds.AGENT_KINDS)
    assert sql_values(queries.STATUS_SQL) == set(kinds.SESSION_STATUSES)
    # a prompt's kind is its line's (a message kind), or the work before the first prompt
    lines = set(re.findall(r"m\.kind = '(\w+)'", prompt_facts.PROMPT_LINES))
    before = set(re.findall(r"NULL, '(\w+)'", prompt_facts.BUILD_PROMPTS))
    assert lines <= set(kinds.KINDS)
    assert lines | before == set(kinds.PROMPT_KINDS)


def test_discovery_names_every_file_kind(tmp_path: Path) -> None:
    project = tmp_path / "projects" / "p"
    for name in ("s1.jsonl", "agent-a1.jsonl", "s1/subagents/agent-b2.jsonl"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text("")
    found = discover((tmp_path,))
    assert sorted(f.kind for f in found.files) == sorted(kinds.FILE_KINDS)
