"""`python -m dialectic` runs the command line."""

from dialectic.cli import main

main()
