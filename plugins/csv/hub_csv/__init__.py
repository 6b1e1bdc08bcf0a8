"""The CSV adapter: one file per canonical entity."""
