"""`python -m luna` is the same as the `luna` command."""

from luna.cli.main import main

main()
