"""Use cases: one file each, plain arguments in, plain JSON-safe values out; adapters passed in."""
