import sys

from mcwg_dashboard.cli import main

sys.exit(main())
