"""The terminal side: `cctracer report ...` and `cctracer status` (the usage reports as tables
or JSON, from the same Store reads as the API, over the index brought up to date first or
asked of the server that holds it) and the indexing progress bar."""
