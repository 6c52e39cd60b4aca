"""The JSON API: one router per family, each route one Store call answered as its model."""
