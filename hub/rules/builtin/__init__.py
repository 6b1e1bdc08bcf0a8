"""The built-in rules: a plugin like any other (entry point `hub.rules`)."""
