"""``python -m massca.compat.mosaik HOST:PORT``: the MAS simulator in its own process."""

from massca.compat.mosaik import main

main()
