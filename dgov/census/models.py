"""Models of the census app."""
