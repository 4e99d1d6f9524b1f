"""`python -m miedx_xl`: the same as the `miedx-xl` command."""

from miedx_xl.cli import main

raise SystemExit(main())
