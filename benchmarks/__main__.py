"""Entry point for ``python -m benchmarks`` (run from the repository root)."""

from benchmarks.run import main

raise SystemExit(main())
