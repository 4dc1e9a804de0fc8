"""`make run`'s terminal: every supervised program's output, each line prefixed with the program's name.

supervisord (scripts/supervisord.conf) keeps each program's output in VAR_DIR/log/<name>.log and also
sends it to this event listener as PROCESS_LOG events. The listener protocol: write READY, read a header
line whose `len` token gives the payload's size, read the payload (a line of tokens naming the program,
then the output itself), answer RESULT. The lines go to stderr, which supervisord passes to the terminal;
stdout belongs to the protocol.
"""

import sys


def tokens(line: bytes) -> dict[bytes, bytes]:
    pairs = (token.partition(b":") for token in line.split())
    return {key: value for key, _, value in pairs}


def main() -> None:
    events, answers, terminal = sys.stdin.buffer, sys.stdout.buffer, sys.stderr.buffer
    # Output arrives in chunks that may end inside a line: the rest waits for the program's next chunk.
    unfinished: dict[bytes, bytes] = {}
    while True:
        answers.write(b"READY\n")
        answers.flush()
        header = events.readline()
        if not header:
            return  # supervisord is gone
        payload = events.read(int(tokens(header)[b"len"]))
        about, _, output = payload.partition(b"\n")
        name = tokens(about).get(b"processname", b"?")
        *lines, unfinished[name] = (unfinished.get(name, b"") + output).split(b"\n")
        terminal.write(b"".join(b"[%s] %s\n" % (name, line) for line in lines))
        terminal.flush()
        answers.write(b"RESULT 2\nOK")
        answers.flush()


if __name__ == "__main__":
    main()
