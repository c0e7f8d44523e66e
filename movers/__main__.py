"""`python -m movers ...` is the `movers` command."""

from movers.cli import main

raise SystemExit(main())
