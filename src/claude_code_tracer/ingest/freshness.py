"""Whether the index is in step with the data directories, without loading the indexer: the
files found against the files read (`ingest.sync` acts on the same comparison)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from claude_code_tracer.index.files import known_files
from claude_code_tracer.index.schema import Database
from claude_code_tracer.ingest.discovery import DiscoveredFile, discover

DERIVED_CLEAN = "derived_clean"  # meta key: the roll-ups match the facts


def changes(
    found: Sequence[DiscoveredFile], known: dict[str, tuple[int, int, int]]
) -> tuple[list[DiscoveredFile], list[int]]:
    """(files new or changed since they were read, ids of files that are gone)."""
    present = {f.path for f in found}
    removed = [fid for path, (fid, _, _) in known.items() if path not in present]
    changed = [f for f in found if f.path not in known or known[f.path][1:] != (f.size, f.mtime_ns)]
    return changed, removed


def is_current(db: Database, roots: Sequence[Path]) -> bool:
    """True when a sync would find nothing to do."""
    found = discover(tuple(roots)).files
    with db.reading() as cur:
        changed, removed = changes(found, known_files(cur))
    return not changed and not removed and db.get_meta(DERIVED_CLEAN) == "1"
