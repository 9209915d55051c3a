from livetier.cli import main

raise SystemExit(main())
