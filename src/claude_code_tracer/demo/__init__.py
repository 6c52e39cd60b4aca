"""Synthetic Claude Code data, apart from the app: the transcript builder (`demo.builder`)
that the tests and the demo use, and the `--demo` history (`demo.history`)."""
