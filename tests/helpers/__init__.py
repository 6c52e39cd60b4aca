"""Modules the tests share: histories with known figures, app and server fixtures, the
checks of the security tests, the index the tests open."""
