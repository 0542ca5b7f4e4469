# Runs a command on a new HOST pseudo-terminal (as a terminal emulator would: the command is a
# session leader with the pty as its controlling terminal) and plays a script against it.
# usage: python3 hostpty.py SCRIPT_JSON -- CMD [ARG...]
# The script is a list of steps:
#   ["send", text]          type text
#   ["wait", text, secs]    read until text appears on the screen (since the last wait)
#   ["sleep", secs]
#   ["winsize", rows, cols] TIOCSWINSZ on the master (the host kernel sends SIGWINCH)
# Prints one line per wait ("wait N: ok" / "wait N: FAIL <screen>") and the exit status as a
# shell reports it (128+N for a death by signal N).
import fcntl, json, os, pty, select, struct, sys, termios, time

steps = json.loads(sys.argv[1])
argv = sys.argv[sys.argv.index('--') + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
    os._exit(127)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
screen = b''
nwait = 0
failed = False
for st in steps:
    kind = st[0]
    if kind == 'send':
        os.write(fd, st[1].encode())
    elif kind == 'sleep':
        time.sleep(st[1])
    elif kind == 'winsize':
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', st[1], st[2], 0, 0))
    elif kind == 'wait':
        want = st[1].encode()
        end = time.time() + (st[2] if len(st) > 2 else 10)
        while want not in screen and time.time() < end:
            r, _, _ = select.select([fd], [], [], max(0, end - time.time()))
            if not r:
                break
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            screen += data
        nwait += 1
        if want in screen:
            print('wait %d: ok' % nwait)
            screen = screen[screen.index(want) + len(want):]
        else:
            print('wait %d (%r): FAIL %r' % (nwait, st[1], screen))
            failed = True
            break
    sys.stdout.flush()
if failed:
    os.kill(pid, 9)
end = time.time() + 10
status = None
while time.time() < end:
    p, s = os.waitpid(pid, os.WNOHANG)
    if p == pid:
        status = s
        break
    r, _, _ = select.select([fd], [], [], 0.1)
    if r:
        try:
            os.read(fd, 4096)
        except OSError:
            pass
if status is None:
    os.kill(pid, 9)
    print('exit: timeout')
else:
    code = os.waitstatus_to_exitcode(status)
    print('exit: %d' % (128 - code if code < 0 else code))  # as a shell reports a signal death
