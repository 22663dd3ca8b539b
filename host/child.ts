// Long-lived child processes (QEMU, emulators, `natpass run` in the lab): start one, then race its
// readiness against its death, so a child that fails at boot is reported at once (its command line, exit
// code or signal, and the last lines of its stderr) instead of costing the caller's whole timeout.
// One-shot commands (run) go through @jsdevtools/ez-spawn, whose errors carry the same facts.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import ezSpawn from '@jsdevtools/ez-spawn';

/** How many lines of a child's stderr an error quotes. */
const STDERR_LINES = 12;
/** After 'exit', how long to wait for the stderr pipe's last bytes ('close') before reporting. */
const CLOSE_GRACE_MS = 200;
/** How often readiness is polled besides on output (readiness may be a file, not a line). */
const POLL_MS = 50;

export class ChildFailed extends Error {
  override name = 'ChildFailed';
}

/** Runs a one-shot command to completion and returns its stdout (text, or a Buffer with encoding
 *  'buffer'). On failure ez-spawn throws an error whose message is the command line, its exit status and
 *  its stderr; a command killed by a signal, which ez-spawn returns as a success, throws here too. */
export function run(command: string, args: string[], opts?: ezSpawn.Options): string;
export function run(command: string, args: string[], opts: ezSpawn.BufferOptions): Buffer;
export function run(command: string, args: string[], opts: ezSpawn.Options | ezSpawn.BufferOptions = {}): string | Buffer {
  const p = ezSpawn.sync(command, args, opts as ezSpawn.Options) as ezSpawn.Process<string | Buffer>;
  if (p.signal) throw new ChildFailed(`${p.toString()} was killed by ${p.signal}`);
  return p.stdout;
}

export class LongLivedChild {
  readonly proc: ChildProcess;
  readonly commandLine: string;
  /** Set once the child has exited ("exited with code 3", "killed by SIGKILL") or failed to start. */
  ended: string | null = null;
  private stderrText = '';
  private readonly endWaiters: (() => void)[] = [];

  /** Spawns with stdout and stderr piped (stdin per `stdin`); `echoStderr` copies stderr to ours. */
  constructor(command: string, args: string[], opts: { stdin?: 'pipe' | 'ignore'; echoStderr?: boolean; env?: SpawnOptions['env'] } = {}) {
    this.commandLine = [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
    this.proc = spawn(command, args, { stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'], env: opts.env });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.stderrText = (this.stderrText + d.toString()).slice(-16_384);
      if (opts.echoStderr) process.stderr.write(d);
    });
    let closed = false;
    const end = (why: string) => {
      if (this.ended) return;
      this.ended = why;
      this.endWaiters.splice(0).forEach((w) => w());
    };
    this.proc.on('error', (e) => end(`could not start: ${e.message}`));
    this.proc.on('close', () => (closed = true));
    this.proc.on('exit', (code, signal) => {
      const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      if (closed) end(why);
      else {
        const timer = setTimeout(() => end(why), CLOSE_GRACE_MS);
        this.proc.once('close', () => { clearTimeout(timer); end(why); });
      }
    });
  }

  /** The last lines of the child's stderr. */
  stderrTail(): string {
    return this.stderrText.trimEnd().split('\n').slice(-STDERR_LINES).join('\n');
  }

  /** Resolves once `isReady()` holds (checked on each output chunk and every POLL_MS); rejects with a
   *  ChildFailed as soon as the child exits or cannot start, or after `timeoutMs` (killing it then). */
  untilReady(isReady: () => boolean, timeoutMs: number, what = 'ready'): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const check = () => {
        if (settled) return;
        if (isReady()) { done(); resolve(); }
        else if (this.ended) { done(); reject(this.failure(`${this.ended} before it was ${what}`)); }
      };
      const poll = setInterval(check, POLL_MS);
      const timer = setTimeout(() => {
        done();
        this.proc.kill('SIGKILL');
        reject(this.failure(`was not ${what} after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const done = () => {
        settled = true;
        clearInterval(poll);
        clearTimeout(timer);
        this.proc.stdout!.off('data', check);
        this.proc.stderr!.off('data', check);
      };
      // Listeners run in order: the caller's, attached before this call, have seen the chunk first.
      this.proc.stdout!.on('data', check);
      this.proc.stderr!.on('data', check);
      this.endWaiters.push(check);
      check();
    });
  }

  private failure(how: string): ChildFailed {
    const tail = this.stderrTail();
    return new ChildFailed(`${this.commandLine} ${how}${tail ? `; its stderr ends:\n${tail}` : ' (no stderr)'}`);
  }
}
