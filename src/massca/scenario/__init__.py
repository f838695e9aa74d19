"""massca.scenario: the embedded default scenario (a real grid of N energy cells).

Belongs here: the grid, the SimBench profiles, the unit and results simulators, the mosaik
world that joins them with the MAS, running it into a run folder with plots, and the
scalability sweep. The CLI's ``massca run`` and ``massca scale`` call into here.
"""

from massca.scenario.config import ScenarioConfig, read_config_file
from massca.scenario.run import RunSummary, run_scenario

__all__ = ["RunSummary", "ScenarioConfig", "read_config_file", "run_scenario"]
