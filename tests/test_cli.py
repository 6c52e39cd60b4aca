"""The `cctracer` command and its settings: options, precedence, messages, demo, packaging."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from claude_code_tracer import cli
from claude_code_tracer.config import DEFAULT_HOST, DEFAULT_PORT, Settings, parse_dir_list
from claude_code_tracer.ingest.sync import IndexStatus
from claude_code_tracer.terminal.progress import ProgressBar
from helpers.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--port",
        "--host",
        "--no-browser",
        "--reload",
        "--claude-dir",
        "--offline",
        "--no-watch",
        "--demo",
        "--version",
    ):
        assert option in out, option


def test_defaults_come_from_the_home_directory(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "TZ": "UTC"}
    s = Settings.from_env(env)
    # neither exists yet: both places Claude Code writes to are looked for
    assert s.claude_dirs == (tmp_path / ".claude", tmp_path / ".config" / "claude")
    assert s.cache_dir == tmp_path / ".cache" / "claude-code-tracer"
    assert s.db_path == tmp_path / ".cache" / "claude-code-tracer" / "index.duckdb"
    assert (s.host, s.port, s.offline, s.watch, s.demo) == (
        DEFAULT_HOST,
        DEFAULT_PORT,
        False,
        True,
        False,
    )
    assert s.host == "127.0.0.1"
    assert s.timezone == "UTC"


def test_environment_overrides_defaults_and_flags_override_the_environment(
    tmp_path: Path,
) -> None:
    env = {
        "HOME": str(tmp_path),
        "CLAUDE_DIR": f"{tmp_path}/a, {tmp_path}/b,,{tmp_path}/a",
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        "CCTRACER_OFFLINE": "yes",
        "TZ": "Europe/Paris",
    }
    s = Settings.from_env(env)
    assert s.claude_dirs == (tmp_path / "a", tmp_path / "b")
    assert s.cache_dir == tmp_path / "xdg" / "claude-code-tracer"
    assert (s.offline, s.port, s.timezone) == (True, DEFAULT_PORT, "Europe/Paris")
    args = cli.build_parser().parse_args(
        ["--claude-dir", str(tmp_path / "c"), "--port", "9100", "--no-watch"]
    )
    flagged = cli.settings_from_args(args, env)
    assert flagged.claude_dirs == (tmp_path / "c",)
    assert (flagged.port, flagged.watch, flagged.offline) == (9100, False, True)


def test_bad_port_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="port"):
        Settings.from_env({"HOME": str(tmp_path)}, port=70000)
    assert cli.main(["--port", "0", "--claude-dir", str(tmp_path)]) == 2


def test_dir_list_parsing() -> None:
    assert parse_dir_list(" /a ,/b,/a,, ") == (Path("/a"), Path("/b"))


def test_missing_data_directory_is_named_with_the_paths_looked_at(tmp_path: Path) -> None:
    (tmp_path / "empty" / "projects").mkdir(parents=True)
    s = Settings.from_env(
        {"HOME": str(tmp_path)}, claude_dirs=f"{tmp_path}/nowhere,{tmp_path}/empty"
    )
    lines, found = cli.describe_sources(s)
    assert found is False
    assert lines == [
        f"  {tmp_path}/nowhere/projects  (missing)",
        f"  {tmp_path}/empty/projects  (0 session files)",
    ]


def test_progress_bar_draws_on_a_terminal_and_summarises_elsewhere() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    bar = ProgressBar(tty)
    status = IndexStatus(files_total=4, files_done=2, bytes_total=4_000_000, bytes_done=1_000_000)
    bar(status)
    drawn = tty.getvalue()
    assert "indexing" in drawn and " 25%" in drawn and "2/4 files" in drawn and "1/4 MB" in drawn
    status.files_done, status.bytes_done = 4, 4_000_000
    bar(status)
    assert "100%" in tty.getvalue() and "4/4 files" in tty.getvalue()
    assert tty.getvalue().replace("\x1b[?25h", "").endswith("\n")  # the bar stays, a line
    quiet = io.StringIO()
    ProgressBar(quiet, summary=False)(status)
    assert quiet.getvalue() == ""
    plain = io.StringIO()
    ProgressBar(plain)(status)
    assert plain.getvalue() == "indexed 4 files (4.0 MB)\n"


def test_urls_shown_to_people() -> None:
    assert cli.url_for("127.0.0.1", 8420) == "http://localhost:8420/"
    assert cli.url_for("0.0.0.0", 80) == "http://0.0.0.0:80/"
    assert cli.url_for("fe80::1", 8420) == "http://[fe80::1]:8420/"


def test_demo_lives_apart_from_the_users_data(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    args = cli.build_parser().parse_args(["--demo", "--claude-dir", str(tmp_path / "mine")])
    s = cli.settings_from_args(args, env)
    demo_root = tmp_path / "xdg" / "claude-code-tracer" / "demo" / "claude"
    assert s.claude_dirs == (demo_root,)
    assert s.db_path.name == "demo.duckdb"
    assert s.watch is False
    assert any(demo_root.glob("projects/*/*.jsonl"))
    assert not (tmp_path / "mine").exists()
    stamp = (demo_root.parent / "built-with").stat().st_mtime
    cli.settings_from_args(args, env)  # fresh demo data is reused, not rebuilt
    assert (demo_root.parent / "built-with").stat().st_mtime == stamp


def test_settings_survive_the_reload_environment(tmp_path: Path) -> None:
    s = Settings.from_env(
        {"HOME": str(tmp_path)}, claude_dirs=f"{tmp_path}/x", port=9300, offline=True, watch=False
    )
    env = {"HOME": str(tmp_path), **cli.settings_env(s)}
    again = Settings.from_env(env, host=env[cli.RELOAD_HOST_ENV])
    assert (again.claude_dirs, again.offline, again.watch, again.host) == (
        s.claude_dirs,
        s.offline,
        s.watch,
        s.host,
    )


def test_the_environment_alone_never_changes_the_listening_address(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "CCTRACER_HOST": "0.0.0.0", "CCTRACER_PORT": "80"}
    s = Settings.from_env(env)
    assert (s.host, s.port) == ("127.0.0.1", DEFAULT_PORT)


def test_demo_command_serves_a_full_dashboard(tmp_path: Path) -> None:
    """`cctracer --demo --no-browser`, as a new user runs it."""
    port = free_port()
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        "CLAUDE_DIR": str(tmp_path / "nothing"),
    }
    command = ["-m", "claude_code_tracer.cli", "--demo", "--no-browser", "--offline"]
    proc = subprocess.Popen(
        [sys.executable, *command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{url}/health", timeout=1).json()
                if health["index"]["ready"]:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        assert health is not None and health["index"]["ready"], health
        assert health["demo"] is True
        assert 36 <= health["index"]["sessions"] <= 44
        assert health["index"]["projects"] == 6
        assert health["index"]["bad_lines"] == 0
        projects = httpx.get(f"{url}/api/projects").json()
        assert projects["total"] == 6
        assert projects["total_cost"] > 0
        page = httpx.get(url + "/", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=15)
    text = out.decode()
    assert "demo mode" in text
    assert f"http://localhost:{port}/" in text
    assert proc.returncode in (0, -15)


def test_wheel_carries_templates_static_files_and_the_price_snapshot(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("claude_code_tracer-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = z.read(meta_name).decode()
        entry_points = z.read(meta_name.replace("METADATA", "entry_points.txt")).decode()
    pkg = "claude_code_tracer/"
    assert pkg + "data/litellm_claude_prices.json" in names
    assert pkg + "py.typed" in names
    assert any(n.startswith(pkg + "web/templates/") and n.endswith(".html") for n in names)
    assert any(n.startswith(pkg + "web/static/") and n.endswith(".css") for n in names)
    assert any(n.startswith(pkg + "web/static/vendor/") and n.endswith(".js") for n in names)
    assert pkg + "web/static/docs-init.js" in names
    assert "cctracer = claude_code_tracer.cli:main" in entry_points
    assert "claude-code-tracer = claude_code_tracer.cli:main" in entry_points
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [r for r in requires if "extra ==" not in r]
    assert runtime, metadata
    assert all(">=" in r for r in runtime), runtime
    for dep in ("fastapi", "duckdb", "pydantic", "orjson", "httpx", "uvicorn", "jinja2"):
        assert any(r.split()[1].lower().startswith(dep) for r in runtime), dep
