"""process.freeze_startup_objects, in a child process (freezing the suite's own heap would shape every
later test): garbage from start-up is collected first, what is alive leaves the collector's generations."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
import gc, weakref
from fortress.process import freeze_startup_objects

class Node:
    pass

garbage = Node(); garbage.me = garbage; dead = weakref.ref(garbage); del garbage  # a cycle, unreachable
kept = Node(); kept.me = kept  # a cycle still in use, as start-up's libraries and models are
assert gc.get_freeze_count() == 0
freeze_startup_objects()
print(dead() is None, gc.get_freeze_count() > 0, any(o is kept for o in gc.get_objects()))
"""


def test_start_up_garbage_is_collected_and_the_rest_is_frozen() -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=False
    )
    assert child.returncode == 0, child.stderr
    collected, frozen, still_walked = child.stdout.split()
    assert collected == "True"  # not frozen for the process's lifetime
    assert frozen == "True"
    assert still_walked == "False"  # in the permanent generation: full collections no longer walk it
