"""Discovery: every transcript file under the data directories, with what its place says.

`<root>/projects/<folder>/<session>.jsonl` is a session's main file; `<session>/subagents/`
(and `subagents/workflows/<run>/`) holds its subagents' `agent-<id>.jsonl`, each with an
optional `.meta.json`; a flat `agent-<id>.jsonl` beside the sessions is a legacy agent file
(its lines name the parent session). Symlinks are followed, loops and devices are not.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from claude_code_tracer.transcript.kinds import FileKind


@dataclass(frozen=True)
class DiscoveredFile:
    path: str
    root: str
    project_hash: str
    session_id: str  # '' for legacy flat agents (their lines name the parent)
    agent_id: str  # '' for main session files
    kind: FileKind
    size: int
    mtime_ns: int
    meta_path: str = ""


@dataclass
class Discovery:
    files: list[DiscoveredFile]
    roots_missing: list[str]
    roots_seen: list[str]


def _scan(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:
            return list(it)
    except OSError:
        return []


def _regular_file(entry: os.DirEntry[str]) -> os.stat_result | None:
    """stat of a regular file (symlinks followed); None for dangling links, dirs, devices."""
    try:
        st = entry.stat(follow_symlinks=True)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:
        return False


def _agent_files(
    folder: str, root: str, project: str, session_id: str, seen: set[str]
) -> Iterator[DiscoveredFile]:
    """agent-*.jsonl in <session>/subagents/ and <session>/subagents/workflows/<run>/."""
    real = os.path.realpath(folder)
    if real in seen:  # symlink loop or the same folder reached twice
        return
    seen.add(real)
    for entry in _scan(folder):
        name = entry.name
        if name == "workflows" and _is_dir(entry):
            for run in _scan(entry.path):
                if _is_dir(run):
                    yield from _agent_files(run.path, root, project, session_id, seen)
            continue
        if not (name.startswith("agent-") and name.endswith(".jsonl")):
            continue
        st = _regular_file(entry)
        if st is None:
            continue
        stem = name[: -len(".jsonl")]
        meta = os.path.join(folder, stem + ".meta.json")
        yield DiscoveredFile(
            path=entry.path,
            root=root,
            project_hash=project,
            session_id=session_id,
            agent_id=stem[len("agent-") :],
            kind="subagent",
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            meta_path=meta if os.path.isfile(meta) else "",
        )


def discover(roots: tuple[Path, ...]) -> Discovery:
    """Every transcript under <root>/projects/<folder>/ of each data directory."""
    files: list[DiscoveredFile] = []
    missing: list[str] = []
    seen_roots: list[str] = []
    seen_dirs: set[str] = set()
    for root in roots:
        projects = root / "projects"
        if not projects.is_dir():
            missing.append(str(root))
            continue
        seen_roots.append(str(root))
        for folder in sorted(_scan(str(projects)), key=lambda e: e.name):
            if not _is_dir(folder):
                continue
            real = os.path.realpath(folder.path)
            if real in seen_dirs:
                continue
            seen_dirs.add(real)
            project = folder.name
            for entry in _scan(folder.path):
                name = entry.name
                if name.endswith(".jsonl"):
                    st = _regular_file(entry)
                    if st is None:
                        continue
                    stem = name[: -len(".jsonl")]
                    legacy = stem.startswith("agent-")
                    files.append(
                        DiscoveredFile(
                            path=entry.path,
                            root=str(root),
                            project_hash=project,
                            session_id="" if legacy else stem,
                            agent_id=stem[len("agent-") :] if legacy else "",
                            kind="legacy_agent" if legacy else "session",
                            size=st.st_size,
                            mtime_ns=st.st_mtime_ns,
                        )
                    )
                elif _is_dir(entry):
                    sub = os.path.join(entry.path, "subagents")
                    if os.path.isdir(sub):
                        files.extend(_agent_files(sub, str(root), project, name, seen_dirs))
    return Discovery(files=files, roots_missing=missing, roots_seen=seen_roots)
