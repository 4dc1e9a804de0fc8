"""supervisord for `make run` (scripts/run.sh execs this), whose shutdown survives losing the terminal.

Ctrl-C on `make run 2>&1 | tee run.log` stops tee as well, so supervisord's next line to the terminal
fails with a broken pipe. supervisor reports a failed log write by printing the traceback to stderr:
the same broken pipe, whose error then escapes and kills supervisord, leaving the web server, worker
and beat running without it. Here a broken pipe is not reported, so supervisord goes on stopping
them all. Its log file (VAR_DIR/log/supervisord.log) and the programs' logs keep every line.
"""

import sys

from supervisor import loggers, supervisord

_report_failed_write = loggers.Handler.handleError


def _handle_error(self: loggers.Handler) -> None:
    if not isinstance(sys.exc_info()[1], BrokenPipeError):
        _report_failed_write(self)


loggers.Handler.handleError = _handle_error

if __name__ == "__main__":
    supervisord.main()
