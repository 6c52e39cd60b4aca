"""Reference figures of the public transcripts in ../shared/corpus (ccusage 20.0.24,
`CLAUDE_CONFIG_DIR=<corpus> npx ccusage claude session --offline --json`, summed per
projectPath)."""

from __future__ import annotations

# input, output, cache creation, cache read
CCUSAGE_PROJECTS = {
    "-Users-pete-git-moredip-session-share": (22, 12, 19357, 44332),
    "-Users-pete-tmp-claude-code-sessions": (76, 36, 56411, 203310),
    "-home-USER-projects-spotter-worktrees-spotter-4te": (2653, 49482, 377624, 16600744),
    "-home-USER-projects-spotter-worktrees-spotter-fum": (2481, 40320, 260451, 15740561),
    "-home-USER-projects-spotter-worktrees-spotter-gqc": (198, 38908, 394137, 14972534),
    "-home-marco-projects-spotter": (1579, 1599, 39677, 438801),
    "-path-to-Demo": (947, 55562, 185723, 3972113),
}
