"""A small Claude history for the dashboard tests, with figures worked out by hand.

Prices (claude-opus-4-6 / claude-sonnet-4-5-20250929, dollars per million tokens, from the
bundled LiteLLM snapshot): input 5 / 3, output 25 / 15, cache write 5 m 6.25 / 3.75,
cache write 1 h 10 / 6, cache read 0.50 / 0.30.

shop (one session, "Fix the checkout total"):
  8 main-thread responses on Opus, each 100 in + 2,000 out + 10,000 1 h writes + 200,000 reads
      = 212,100 tokens, $0.2505 each -> 1,696,800 tokens, $2.004
  an Explore subagent on Sonnet, 2 responses of 50 in + 1,000 out + 4,000 5 m writes
      + 20,000 reads = 25,050 tokens, $0.03615 each -> 50,100 tokens, $0.0723
  a compaction on Opus: 500 out + 100,000 reads = 100,500 tokens, $0.0625
  session: 1,847,400 tokens (900 in, 18,500 out, 88,000 writes, 1,740,000 reads), $2.1388,
  of which subagents (the Explore agent and the compaction) $0.1348
blog (two sessions on Sonnet), each 10 in + 100 out + 1,000 5 m writes = 1,110 tokens, $0.00528
archive (one session 40 days back, outside the default 30 days): 1,110 tokens on Sonnet
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from claude_code_tracer.demo.builder import ClaudeDir, Session, Usage, folder_name

SHOP = "/home/dev/src/shop"
BLOG = "/home/dev/notes/blog"
ARCHIVE = "/home/dev/src/archive"
SHOP_HASH = folder_name(SHOP)
BLOG_HASH = folder_name(BLOG)
ARCHIVE_HASH = folder_name(ARCHIVE)
SHOP_SESSION = "5e550000-0000-4000-8000-000000000001"
BLOG_SESSION = "b1060000-0000-4000-8000-000000000002"
BLOG_SESSION_2 = "b1060000-0000-4000-8000-000000000004"
ARCHIVE_SESSION = "a2c40000-0000-4000-8000-000000000003"
SONNET = "claude-sonnet-4-5-20250929"

MAIN = Usage(input=100, output=2_000, cache_1h=10_000, cache_read=200_000)
SUB = Usage(input=50, output=1_000, cache_5m=4_000, cache_read=20_000)
COMPACT = Usage(input=0, output=500, cache_read=100_000)
SMALL = Usage(input=10, output=100, cache_5m=1_000)

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"

CART_BEFORE = "def total(a, b):\n    return a - b\n\n\ndef tax(x):\n    return x * 0.2\n"
NOTES = "# Notes\n\nThe checkout total is fixed.\n"
# 80 lines: more than a folded output shows (60)
PYTEST_OUTPUT = "FAILED tests/test_cart.py::test_total\n" + "\n".join(
    f"  cart.py:{n}: in total" for n in range(1, 80)
)
# 4,000+ characters: more than a timeline row holds
LONG_PROMPT = "also print the markup\n\n" + "Keep the output short. " * 200 + "THE END"


@dataclass
class History:
    root: Path
    shop: Session
    agent_id: str

    @property
    def claude(self) -> Path:
        return self.root


def build(root: Path, now: datetime | None = None) -> History:
    """Write the history under `root` (a CLAUDE_DIR); sessions end a little before `now`."""
    now = now or datetime.now(UTC)
    claude = ClaudeDir(root, seed=11)
    start = (now - timedelta(days=2)).replace(microsecond=0)

    s = claude.project(SHOP).session(SHOP_SESSION, start=start, git_branch="fix-total")
    s.custom_title("Fix the checkout total")
    s.prompt(f"Why does checkout fail? {XSS_SCRIPT}")
    s.assistant(
        f"Let me **look** at the failing test first.\n\n{XSS_IMG}\n\n"
        "See [the docs](https://docs.example.com/checkout) and [this](javascript:alert(1)).",
        thinking="The test suite is the place to start.",
        usage=MAIN,
    )
    s.bash("pytest -x", PYTEST_OUTPUT, exit_code=1, usage=MAIN)
    s.edit(f"{SHOP}/cart.py", "return a - b", "return a + b", CART_BEFORE, usage=MAIN)
    s.write(f"{SHOP}/NOTES.md", NOTES, usage=MAIN)
    agent = s.spawn(
        "Find other totals",
        "Look for other places where totals are computed.",
        subagent_type="Explore",
        usage=MAIN,
        model=SONNET,
    )
    agent.bash("grep -rn 'total' .", "cart.py:1:def total(a, b):", usage=SUB)
    agent.finish("Only **cart.py** computes totals.", usage=SUB)
    s.skill("commit-helper", "Write a short commit message.", usage=MAIN)
    s.compact("We fixed the checkout total in cart.py.", usage=COMPACT, pre_tokens=180_000)
    s.synthetic("API Error: 529 Overloaded", status=529)
    s.prompt(LONG_PROMPT)
    s.bash(f"echo '{XSS_SCRIPT}'", f"{XSS_SCRIPT}\n{XSS_IMG}", usage=MAIN)
    s.interrupt()
    s.command("review", "cart.py")
    s.say("Done: `total` adds now, and the tests pass.", usage=MAIN)
    s.turn_duration(61_000)
    assert agent.agent_id is not None

    b = claude.project(BLOG).session(BLOG_SESSION, start=start + timedelta(hours=3))
    b.prompt("Draft a post about caching")
    b.say("Here is a first draft.", usage=SMALL, model=SONNET)
    b2 = claude.project(BLOG).session(BLOG_SESSION_2, start=start + timedelta(hours=5))
    b2.prompt("Outline the talk on queues")
    b2.say("An outline in five parts.", usage=SMALL, model=SONNET)

    a = claude.project(ARCHIVE).session(ARCHIVE_SESSION, start=now - timedelta(days=40))
    a.prompt("Tidy the archive scripts")
    a.say("Tidied.", usage=SMALL, model=SONNET)
    return History(root=root, shop=s, agent_id=agent.agent_id)


def append_reply(history: History, text: str) -> None:
    """One more prompt and answer at the end of the shop session (a session still running)."""
    s = history.shop
    s.now = max(s.now, datetime.now(UTC) - timedelta(seconds=2))
    s.prompt(text)
    s.say(f"Answer to: {text}", usage=MAIN)
