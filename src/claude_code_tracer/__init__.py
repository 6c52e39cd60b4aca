"""claude-code-tracer: local analytics for Claude Code transcripts."""

__version__ = "0.1.0"
