"""Jinja2 templates of the generated files, one per file and named after it."""
