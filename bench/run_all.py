"""Run every benchmark (bench/*/run.py) in turn; each prints its own summary and writes JSON."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

failed = []
for script in sorted(Path(__file__).parent.glob("*/run.py")):
    print(f"== {script.parent.name}", flush=True)
    if subprocess.run([sys.executable, str(script)]).returncode != 0:
        failed.append(script.parent.name)
if failed:
    sys.exit(f"benchmarks that failed: {', '.join(failed)}")
