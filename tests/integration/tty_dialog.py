#!/usr/bin/env python3
"""Run a command on a pseudo-terminal and answer its prompts, as a user at
a terminal would: tty_dialog.py PROMPT ANSWER [PROMPT ANSWER...] -- CMD...
Each ANSWER (a line) is typed once PROMPT has appeared.  Prints what the
terminal showed and exits with the command's status."""
import os
import pty
import select
import sys

args = sys.argv[1:]
cut = args.index("--")
pairs, cmd = args[:cut], args[cut + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
seen = b""


def more():
    global seen
    r, _, _ = select.select([fd], [], [], 60)
    if not r:
        sys.exit("tty_dialog: no output for 60 s; so far: %r" % seen)
    try:
        d = os.read(fd, 4096)
    except OSError:
        d = b""
    seen += d
    return bool(d)


at = 0
for prompt, answer in zip(pairs[::2], pairs[1::2]):
    while prompt.encode() not in seen[at:]:
        if not more():
            sys.stdout.write(seen.decode(errors="replace"))
            sys.exit("tty_dialog: ended before %r" % prompt)
    at = seen.index(prompt.encode(), at) + len(prompt)
    os.write(fd, answer.encode() + b"\n")
while more():
    pass
sys.stdout.write(seen.decode(errors="replace"))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
