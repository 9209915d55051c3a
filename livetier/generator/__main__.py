"""``python -m livetier.generator`` is ``python -m livetier generate``."""

from livetier.generator import main

raise SystemExit(main())
