// A promise nobody awaited rejected: the process is in a state no code planned for. Log it
// as one JSON line (the logger may be what failed) and exit non-zero so the supervisor
// restarts a clean process, rather than serving on with a half-dead component.
export function onUnhandledRejection(
  binary: string,
  exit: (code: number) => void,
  write: (line: string) => void = (line) => process.stderr.write(line),
): (reason: unknown) => void {
  return (reason) => {
    const err = reason instanceof Error ? { message: reason.message, stack: reason.stack } : { message: String(reason) };
    write(`${JSON.stringify({ level: 'fatal', name: binary, time: Date.now(), msg: 'unhandled promise rejection; exiting', err })}\n`);
    exit(1);
  };
}
