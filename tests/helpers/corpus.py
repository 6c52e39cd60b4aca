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

# ccusage 20.0.24, `claude daily --instances --offline --json`, summed per project: it counts
# the responses known only from progress copies (two Haiku subagents without a file), which
# its `session` report misses, and does not apply the Task-result rule.
CCUSAGE_DAILY_PROJECTS = {
    "-Users-pete-git-moredip-session-share": (22, 12, 19357, 44332),
    "-Users-pete-tmp-claude-code-sessions": (76, 36, 56411, 203310),
    "-home-USER-projects-spotter-worktrees-spotter-4te": (2653, 49482, 377624, 16600744),
    "-home-USER-projects-spotter-worktrees-spotter-fum": (2575, 40352, 273050, 16011938),
    "-home-USER-projects-spotter-worktrees-spotter-gqc": (198, 38908, 394137, 14972534),
    "-home-marco-projects-spotter": (1603, 1606, 53962, 534144),
    "-path-to-Demo": (947, 55562, 185723, 3972113),
}

# Every billed response once (§6): ccusage's daily figures plus the Task-result rule (two
# responses corrected, two reconstructed). Totals 8,077 / 192,566 / 1,362,111 / 52,397,094.
CORPUS_PROJECTS = {
    "-Users-pete-git-moredip-session-share": (22, 12, 19357, 44332),
    "-Users-pete-tmp-claude-code-sessions": (76, 36, 56411, 203310),
    "-home-USER-projects-spotter-worktrees-spotter-4te": (2653, 50419, 377624, 16600744),
    "-home-USER-projects-spotter-worktrees-spotter-fum": (2575, 41897, 274005, 16040048),
    "-home-USER-projects-spotter-worktrees-spotter-gqc": (198, 39904, 394137, 14972534),
    "-home-marco-projects-spotter": (1606, 4736, 54854, 564013),
    "-path-to-Demo": (947, 55562, 185723, 3972113),
}
