"""The Claude Code transcript format: lines, content blocks, row specs, enumerations, the
parser. Light on purpose: the parsing worker processes import this package and nothing heavy."""
