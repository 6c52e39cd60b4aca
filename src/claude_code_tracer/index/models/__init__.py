"""What the index answers: one pydantic model per API response (the Store's return types),
so that `/docs` documents every field. One module per family."""
