"""gunicorn's hooks for `make run` (scripts/supervisord.conf gives the other settings on the command line)."""

import ctypes
import os
import signal
import sys
from typing import Any

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def post_fork(server: Any, worker: Any) -> None:
    """A worker is told to stop (SIGTERM: it finishes its request, then exits) when its master dies.

    Otherwise a master killed with SIGKILL (as an out-of-memory kill does) leaves its workers serving for
    up to half of --timeout before they notice, holding the port that supervisord's new master must bind.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        server.log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    elif os.getppid() != server.pid:
        os.kill(os.getpid(), signal.SIGTERM)  # the master was gone before the call above
