"""Grow a history of many small transcripts: `--files` files of about `--kb` KB each.

    uv run python bench/small_history.py OUT [--files 20000] [--kb 50] [--projects 40] [--seed 1]

Each file is a run of consecutive lines cut from a session of ../shared/corpus/claude, cloned by
make_corpus.py's `Clone` (fresh ids, timestamps moved by whole days, a new project root), so the
files hold real line shapes and no two share an id. The same arguments give the same output.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
MAKE_CORPUS = SHARED / "bench" / "make_corpus.py"
SOURCE = SHARED / "corpus" / "claude"
SESSION_ID = re.compile(rb"\"sessionId\":\"([0-9a-f-]{36})\"")


def load_make_corpus(path: Path = MAKE_CORPUS) -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chunks(lines: Sequence[bytes], size: int) -> list[list[bytes]]:
    """Consecutive runs of `lines` of about `size` bytes each (the last one may be smaller)."""
    out: list[list[bytes]] = []
    current: list[bytes] = []
    total = 0
    for line in lines:
        current.append(line)
        total += len(line)
        if total >= size:
            out.append(current)
            current, total = [], 0
    if current:
        out.append(current)
    return out


def build(
    out: Path, files: int, kb: int, *, projects: int = 40, seed: int = 1, source: Path = SOURCE
) -> int:
    """Write the history; the number of bytes written."""
    mc = load_make_corpus()
    rng = random.Random(seed)
    pieces: list[tuple[str, list[bytes]]] = []
    for main_file, _subs in mc.sessions(source):
        lines = [x for x in main_file.read_bytes().splitlines(keepends=True) if x.strip()]
        launch = next(
            (m.group(1).decode(errors="replace") for x in lines for m in [mc.CWD.search(x)] if m),
            "",
        )
        pieces += [(launch, piece) for piece in chunks(lines, kb * 1024) if len(piece) > 1]
    if not pieces:
        raise SystemExit(f"no session files under {source}/projects")
    roots = [f"/home/dev/src/small-{i:03d}" for i in range(projects)]
    written = 0
    for n in range(files):
        launch, piece = pieces[n % len(pieces)]
        clone = mc.Clone(rng, rng.randint(-360, 0), rng.choice(roots), launch)
        new_lines = [clone.line(x) for x in piece]
        found = next((m for x in new_lines for m in [SESSION_ID.search(x)] if m), None)
        name = found.group(1).decode() if found else f"{n:08d}-0000-4000-8000-000000000000"
        folder = out / "projects" / mc.encode(clone.root)
        folder.mkdir(parents=True, exist_ok=True)
        data = b"".join(new_lines)
        (folder / f"{name}.jsonl").write_bytes(data)
        written += len(data)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--kb", type=int, default=50)
    ap.add_argument("--projects", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if not MAKE_CORPUS.is_file() or not SOURCE.is_dir():
        print(f"small_history: {MAKE_CORPUS} and {SOURCE} are needed", file=sys.stderr)
        return 1
    written = build(a.out, a.files, a.kb, projects=a.projects, seed=a.seed)
    print(f"{a.files} files, {written / 1048576:.0f} MB under {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
