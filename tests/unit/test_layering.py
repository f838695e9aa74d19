"""The layering rule: `massca.model` is pure and imports nothing from the layers above.

Checked two ways: statically (every import statement in the package's source) and at
run time (importing the model in a fresh interpreter loads no asyncio or logging).
"""

import ast
import subprocess
import sys
from pathlib import Path

import massca.model

MODEL_DIR = Path(massca.model.__file__).parent
FORBIDDEN = {
    "asyncio",
    "logging",
    "structlog",
    "time",
    "datetime",
    "random",
    "uuid",
    "os",
    "io",
    "socket",
    "threading",
    "mango",
    "mosaik",
    "mosaik_api_v3",
    "pandapower",
    "orjson",
}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_model_imports_only_itself_and_the_pure_standard_library() -> None:
    offences = []
    for path in sorted(MODEL_DIR.glob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in FORBIDDEN:
                offences.append(f"{path.name}: {module}")
            if top == "massca" and not module.startswith(("massca.model", "massca.errors")):
                offences.append(f"{path.name}: {module} (a layer above the model)")
    assert not offences, offences


def test_the_error_hierarchy_lies_below_every_layer() -> None:
    path = MODEL_DIR.parent / "errors.py"
    assert imported_modules(path) <= {"__future__"}, imported_modules(path)


def test_importing_the_model_loads_no_event_loop_and_no_logging() -> None:
    code = (
        "import sys, massca.model\n"
        "bad = {'asyncio', 'logging'} & set(sys.modules)\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
