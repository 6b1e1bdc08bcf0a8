"""`python -m hub` is the same as the `hub` command."""

from hub.cli import main

main()
