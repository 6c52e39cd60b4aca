"""claude-code-tracer: local analytics for Claude Code transcripts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("claude-code-tracer")
except PackageNotFoundError:  # running from a source tree without metadata
    __version__ = "0.0.0"
