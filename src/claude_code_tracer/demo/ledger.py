"""The demo's ledgerline sessions: a feature with subagents and a review, a rounding bug, an
API outage, and a long refactor with compactions."""

from __future__ import annotations

from claude_code_tracer.demo.builder import (
    grep_op,
    read_op,
    todo_op,
)
from claude_code_tracer.demo.setting import (
    INVOICE_PY,
    LEDGER,
    SKILL_COMMIT,
    SKILL_TDD,
    Demo,
    ask,
)


def discount_feature(d: Demo, days: float) -> None:
    s = d.session(LEDGER, days, branch="feat/discounts")
    t = ask(
        s,
        "Invoices need percentage discounts as well as fixed ones. Add a discount_percent "
        "field and make total() apply it before tax.",
    )
    s.assistant(
        "I'll look at how totals are computed first.",
        thinking="The discount is subtracted in total(); a percentage must apply to the subtotal.",
        tools=[],
    )
    s.run(
        read_op(f"{LEDGER.cwd}/ledgerline/invoice.py", INVOICE_PY),
        grep_op(
            "discount", ["ledgerline/invoice.py", "ledgerline/models.py", "tests/test_invoice.py"]
        ),
    )
    s.skill(
        "superpowers:test-driven-development",
        SKILL_TDD,
        text="Following TDD: a failing test first.",
    )
    s.write(
        f"{LEDGER.cwd}/tests/test_discount_percent.py",
        "from decimal import Decimal\n\nfrom ledgerline.invoice import total\n\n\n"
        "def test_percent_discount_applies_before_tax(make_invoice):\n"
        "    inv = make_invoice(items=[(Decimal('100'), 2)], discount_percent=10, tax=5)\n"
        "    assert total(inv) == Decimal('185')\n",
        text="Adding the test.",
    )
    s.bash(
        "uv run pytest tests/test_discount_percent.py -q",
        "F\nE   TypeError: make_invoice() got an unexpected keyword argument "
        "'discount_percent'\n1 failed in 0.21s",
        exit_code=1,
        description="Run the new test",
    )
    s.edit(
        f"{LEDGER.cwd}/ledgerline/invoice.py",
        "    if invoice.discount:\n        amount -= invoice.discount\n",
        "    if invoice.discount_percent:\n"
        "        amount -= amount * Decimal(invoice.discount_percent) / 100\n"
        "    if invoice.discount:\n        amount -= invoice.discount\n",
        INVOICE_PY,
        text="Now the implementation.",
    )
    s.bash(
        "uv run pytest -q",
        "........................................ [100%]\n48 passed in 1.92s",
        description="Run the whole suite",
    )
    s.say(
        "Done. `total()` now applies `discount_percent` to the subtotal before the fixed "
        "discount and tax, with a test for the 10 % case. All 48 tests pass."
    )
    d.end_turn(s, t)
    t = ask(s, "looks good, commit it", after=90)
    s.skill("commit", SKILL_COMMIT)
    s.bash(
        "git add ledgerline/invoice.py tests/test_discount_percent.py && git commit -m "
        "'Apply percentage discounts before tax'",
        "[feat/discounts 4e1c2aa] Apply percentage discounts before tax\n 2 files changed, "
        "9 insertions(+)",
    )
    s.say("Committed as 4e1c2aa.")
    d.end_turn(s, t)
    s.ai_title("Percentage discounts on invoices")


def rounding_bug(d: Demo, days: float) -> None:
    s = d.session(LEDGER, days, branch="fix/rounding")
    t = ask(s, "A customer got an invoice for 10.004 EUR. Totals must round half-even to cents.")
    s.bash(
        "rg -n 'quantize|ROUND_' ledgerline", "", exit_code=1, text="Is there any rounding at all?"
    )
    s.read(f"{LEDGER.cwd}/ledgerline/invoice.py", INVOICE_PY)
    s.edit(
        f"{LEDGER.cwd}/ledgerline/invoice.py",
        "    return amount + invoice.tax\n",
        "    return (amount + invoice.tax).quantize(CENT, rounding=ROUND_HALF_EVEN)\n",
        INVOICE_PY,
        text="Rounding the final amount, not each line.",
    )
    s.edit(
        f"{LEDGER.cwd}/ledgerline/invoice.py",
        "from decimal import Decimal\n",
        "from decimal import ROUND_HALF_EVEN, Decimal\n\nCENT = Decimal('0.01')\n",
        INVOICE_PY,
    )
    s.bash("uv run pytest -q", "50 passed in 2.04s")
    s.say(
        "Totals are now rounded half-even to the cent once, at the end. 10.004 becomes 10.00 "
        "and 10.005 becomes 10.00, 10.015 becomes 10.02."
    )
    d.end_turn(s, t)
    s.custom_title("Invoice rounding (half-even)")


def api_outage(d: Demo, days: float) -> None:
    s = d.session(LEDGER, days)
    t = ask(s, "Why is /invoices/{id}/pdf slow? p95 is 4 s in production.")
    s.api_retries(3, status=529)
    s.bash(
        "rg -n 'def render_pdf' -A 12 ledgerline",
        "ledgerline/pdf.py:14:def render_pdf"
        "(invoice):\nledgerline/pdf.py:15:    fonts = load_fonts()  # reads 9 MB from disk",
    )
    s.say(
        "`render_pdf` loads all fonts from disk on every request. Caching them at startup "
        "should remove most of the 4 s. Want me to do that?"
    )
    d.end_turn(s, t)
    t = ask(s, "yes")
    s.api_retries(2, network=True)
    s.synthetic(
        'API Error: 529 {"type":"error","error":{"type":"overloaded_error",'
        '"message":"Overloaded"}}',
        error="overloaded",
        status=529,
    )
    t = ask(s, "try again", after=120)
    s.edit(
        f"{LEDGER.cwd}/ledgerline/pdf.py",
        "    fonts = load_fonts()  # reads 9 MB from disk\n",
        "    fonts = FONTS\n",
        "def render_pdf(invoice):\n    fonts = load_fonts()  # reads "
        "9 MB from disk\n    return draw(invoice, fonts)\n",
    )
    s.say("Fonts are now loaded once at import time (`FONTS`).")
    d.end_turn(s, t)


def ledger_refactor_marathon(d: Demo, days: float) -> None:
    """The long session: a module-by-module migration with two compactions."""
    s = d.session(LEDGER, days, hour=8, branch="main")
    modules = [
        "customers",
        "invoices",
        "payments",
        "refunds",
        "taxes",
        "currencies",
        "exports",
        "reminders",
        "webhooks",
        "reports",
        "audit",
        "accounts",
        "subscriptions",
        "coupons",
        "credit_notes",
        "statements",
    ]
    t = ask(
        s,
        "Migrate every module from the old `db.session` helper to the repository "
        "classes in ledgerline/repos. One module at a time, tests green after each.",
    )
    s.run(
        todo_op([(f"Migrate {m}", "pending") for m in modules]),
        text="Here is the plan, one module at a time.",
    )
    for n, module in enumerate(modules):
        path = f"{LEDGER.cwd}/ledgerline/{module}.py"
        body = (
            f"from ledgerline.db import session\n\n\ndef get_{module}(id):\n"
            f"    return session.query({module.title()}).get(id)\n\n\n"
            f"def list_{module}(limit=50):\n"
            f"    return session.query({module.title()}).limit(limit).all()\n"
        )
        s.read(path, body, text=f"Starting with `{module}`.")
        s.bash(
            f"rg -n 'session\\.' ledgerline/{module}.py tests/test_{module}.py",
            f"ledgerline/{module}.py:5:    return session.query({module.title()}).get(id)\n"
            f"ledgerline/{module}.py:9:    return session.query({module.title()})"
            ".limit(limit).all()",
        )
        s.edit(
            path,
            "from ledgerline.db import session\n",
            f"from ledgerline.repos import {module.title()}Repo\n",
            body,
        )
        s.edit(
            path,
            f"    return session.query({module.title()}).get(id)\n",
            f"    return {module.title()}Repo().get(id)\n",
            body,
        )
        s.edit(
            path,
            f"    return session.query({module.title()}).limit(limit).all()\n",
            f"    return {module.title()}Repo().list(limit=limit)\n",
            body,
        )
        for attempt in range(3 if n % 4 == 1 else 1):
            failed = attempt == 0 and n % 4 == 1
            s.bash(
                f"uv run pytest tests/test_{module}.py -q",
                f"E   AttributeError: '{module.title()}Repo' object has no attribute 'list'\n"
                "1 failed, 11 passed"
                if failed
                else "12 passed in 0.4s",
                exit_code=1 if failed else 0,
            )
            if failed:
                s.read(
                    f"{LEDGER.cwd}/ledgerline/repos/base.py",
                    "class Repo:\n    model = None\n\n    def get(self, id):\n"
                    "        return self.session.get(self.model, id)\n",
                )
                s.edit(
                    f"{LEDGER.cwd}/ledgerline/repos/base.py",
                    "        return self.session.get(self.model, id)\n",
                    "        return self.session.get(self.model, id)\n\n"
                    "    def list(self, limit=50):\n"
                    "        return self.session.query(self.model).limit(limit).all()\n",
                    "class Repo:\n    model = None\n\n    def get(self, id):\n"
                    "        return self.session.get(self.model, id)\n",
                    text="The base repository has no `list()` yet; adding it.",
                )
        for extra in range(15):
            s.bash(
                f"uv run pytest tests/test_{module}.py -q -k case_{extra}",
                f"1 passed, 11 deselected in 0.1{extra}s",
            )
        s.say(f"`{module}` migrated; its tests pass.")
        if n in (5, 11):
            s.compact(
                f"Migrating ledgerline modules from db.session to repos. Done: "
                f"{', '.join(modules[: n + 1])}. Pattern: import the Repo, replace "
                f"session.query(X).get(id) with XRepo().get(id) and .limit() with .list().",
                trigger="auto",
            )
            ask(s, "continue", after=15)
    s.bash("uv run pytest -q", "804 passed in 27.90s")
    s.say(
        f"All {len(modules)} modules use the repository classes now and the full suite passes "
        "(804 tests)."
    )
    d.end_turn(s, t)
    s.custom_title("Repository migration, all modules")
