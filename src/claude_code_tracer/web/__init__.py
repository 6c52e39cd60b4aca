"""The web stage: one request -> Store -> model -> JSON (`web.api`) or HTML (`web.pages`),
with the dependencies, guard, errors, templating and formatting they share."""
