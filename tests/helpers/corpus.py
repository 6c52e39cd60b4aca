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


# ccusage 20.0.24, `claude blocks --offline --json` on the corpus: id, start, end, and the four
# token counts (input, output, cache creation, cache read) of each block and gap.
CCUSAGE_BLOCKS = [
    (
        "2025-09-03T00:00:00.000Z",
        "2025-09-03T00:00:00.000Z",
        "2025-09-03T05:00:00.000Z",
        (818, 51933, 137976, 3647854),
    ),
    (
        "gap-2025-09-03T06:02:03.665Z",
        "2025-09-03T06:02:03.665Z",
        "2025-09-07T09:52:09.443Z",
        (0, 0, 0, 0),
    ),
    (
        "2025-09-07T09:00:00.000Z",
        "2025-09-07T09:00:00.000Z",
        "2025-09-07T14:00:00.000Z",
        (129, 3629, 47747, 324259),
    ),
    (
        "gap-2025-09-07T14:54:26.499Z",
        "2025-09-07T14:54:26.499Z",
        "2026-01-21T20:53:22.164Z",
        (0, 0, 0, 0),
    ),
    (
        "2026-01-21T20:00:00.000Z",
        "2026-01-21T20:00:00.000Z",
        "2026-01-22T01:00:00.000Z",
        (22, 12, 19357, 44332),
    ),
    (
        "gap-2026-01-22T01:54:14.060Z",
        "2026-01-22T01:54:14.060Z",
        "2026-01-22T19:38:15.488Z",
        (0, 0, 0, 0),
    ),
    (
        "2026-01-22T19:00:00.000Z",
        "2026-01-22T19:00:00.000Z",
        "2026-01-23T00:00:00.000Z",
        (76, 36, 56411, 203310),
    ),
    (
        "gap-2026-01-23T02:21:27.422Z",
        "2026-01-23T02:21:27.422Z",
        "2026-02-10T21:11:59.186Z",
        (0, 0, 0, 0),
    ),
    (
        "2026-02-10T21:00:00.000Z",
        "2026-02-10T21:00:00.000Z",
        "2026-02-11T02:00:00.000Z",
        (1579, 1599, 39677, 438801),
    ),
    (
        "gap-2026-02-11T03:03:51.679Z",
        "2026-02-11T03:03:51.679Z",
        "2026-02-11T20:36:53.585Z",
        (0, 0, 0, 0),
    ),
    (
        "2026-02-11T20:00:00.000Z",
        "2026-02-11T20:00:00.000Z",
        "2026-02-12T01:00:00.000Z",
        (2679, 79228, 654588, 30713095),
    ),
    (
        "gap-2026-02-12T03:54:29.802Z",
        "2026-02-12T03:54:29.802Z",
        "2026-02-12T14:12:02.971Z",
        (0, 0, 0, 0),
    ),
    (
        "2026-02-12T14:00:00.000Z",
        "2026-02-12T14:00:00.000Z",
        "2026-02-12T19:00:00.000Z",
        (2653, 49482, 377624, 16600744),
    ),
]

# What this project counts in those blocks beyond ccusage: in the block of 2026-02-10 21:00
# the Haiku agent known only from progress copies and the two Task results of marco's session;
# in 2026-02-11 20:00 fum's agent without a file; in 2026-02-12 14:00 a Task result's final
# output (see "Numbers you can trust").
CORPUS_BLOCK_EXTRA = {
    "2026-02-10T21:00:00.000Z": (27, 3137, 15177, 125212),
    "2026-02-11T20:00:00.000Z": (94, 2573, 13554, 299487),
    "2026-02-12T14:00:00.000Z": (0, 937, 0, 0),
}
