"""``python -m massca``: the ``massca`` command (`massca.entry`)."""

import sys

from massca.entry import main

if __name__ == "__main__":
    sys.exit(main())
