"""Run a reference system (FasterRisk, TreeFARMS, dice-ml) in its own Python environment.

Reference systems often pin versions that clash with ours, so each benchmark keeps a
small script that runs in the reference's own interpreter and prints its answer as JSON
on its last line of output. Arrays travel in an ``.npz`` file whose path is the script's
first argument.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile


def run_reference(python: str, script: str, name: str, *, arrays: dict | None = None,
                  args=(), timeout: float = 3600):
    """Run ``script`` with ``python``; return ``(answer, "measured")`` or ``(None, reason)``.

    Parameters
    ----------
    python : str
        The reference environment's interpreter.
    script : str
        Python source; it prints its answer as JSON on the last line of its output.
    name : str
        The reference system's name, for the reason when it could not run.
    arrays : dict of str to ndarray, optional
        Saved to an ``.npz`` file passed as the script's first argument.
    args : sequence of str
        Further arguments of the script.
    timeout : float
        Seconds before the run is abandoned.
    """
    with tempfile.TemporaryDirectory() as folder:
        command = [python, "-c", script]
        if arrays is not None:
            path = os.path.join(folder, "data.npz")
            import numpy as np

            np.savez(path, **arrays)
            command.append(path)
        command += [str(a) for a in args]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return None, f"{name} not run ({type(error).__name__}: {error})"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return None, f"{name} not run (exit {done.returncode}: {last})"
    lines = done.stdout.strip().splitlines()
    if not lines:
        return None, f"{name} not run (it printed nothing)"
    return json.loads(lines[-1]), "measured"
