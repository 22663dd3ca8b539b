// host/child.ts: a long-lived child that dies before it is ready is reported at once, with its command
// line, exit code and stderr, not after the caller's timeout; one-shot commands fail with the same facts.
import { describe, expect, it } from 'vitest';
import { ChildFailed, LongLivedChild, run } from '../host/child.ts';

const NODE = process.execPath;
/** Far longer than any rejection below may take: a rejection after it would mean the race was lost. */
const TIMEOUT_MS = 20_000;

async function failure(p: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const start = Date.now();
  const error = await p.then(() => { throw new Error('resolved'); }, (e: Error) => e);
  return { error, ms: Date.now() - start };
}

describe('a long-lived child racing readiness against its exit', () => {
  it('rejects at once when the child exits first, naming the command, code and stderr', async () => {
    const child = new LongLivedChild(NODE, ['-e', 'console.error("no such NIC: eth9"); process.exit(3)']);
    const { error, ms } = await failure(child.untilReady(() => false, TIMEOUT_MS));
    expect(error).toBeInstanceOf(ChildFailed);
    expect(error.message).toContain(`${NODE} -e 'console.error("no such NIC: eth9"); process.exit(3)' exited with code 3 before it was ready`);
    expect(error.message).toContain('no such NIC: eth9');
    expect(ms).toBeLessThan(5000);
  });

  it('rejects at once when QEMU refuses its command line', async () => {
    const child = new LongLivedChild('qemu-system-arm', ['-M', 'mps2-an385', '-nographic', '--no-such-option']);
    const { error, ms } = await failure(child.untilReady(() => false, TIMEOUT_MS, 'booted'));
    expect(error.message).toMatch(/^qemu-system-arm -M mps2-an385 -nographic --no-such-option exited with code 1 before it was booted/);
    expect(error.message).toContain('--no-such-option: invalid option');
    expect(ms).toBeLessThan(5000);
  });

  it('rejects when the command cannot be started at all', async () => {
    const child = new LongLivedChild('natpass-no-such-command', ['--x']);
    const { error } = await failure(child.untilReady(() => false, TIMEOUT_MS));
    expect(error.message).toMatch(/^natpass-no-such-command --x could not start: spawn natpass-no-such-command ENOENT/);
  });

  it('resolves on a line of output, and a later exit is the caller\'s business', async () => {
    const child = new LongLivedChild(NODE, ['-e', 'console.log("natpass: ready"); setTimeout(() => {}, 300)']);
    let out = '';
    child.proc.stdout!.on('data', (d) => (out += d));
    await child.untilReady(() => out.includes('natpass: ready'), TIMEOUT_MS);
    expect(child.ended).toBeNull();
    await new Promise((r) => child.proc.once('exit', r));
  });

  it('kills a child that is not ready in time and says so', async () => {
    const child = new LongLivedChild(NODE, ['-e', 'setInterval(() => {}, 1000)']);
    const { error } = await failure(child.untilReady(() => false, 300, 'booted'));
    expect(error.message).toContain('was not booted after 0.3 s');
    await new Promise((r) => (child.ended ? r(null) : child.proc.once('exit', r)));
    expect(child.proc.signalCode).toBe('SIGKILL');
  });
});

describe('a one-shot command', () => {
  it('returns its stdout', () => {
    expect(run(NODE, ['-e', 'process.stdout.write("42")'])).toBe('42');
  });

  it('fails with its command line, exit status and stderr', () => {
    expect(() => run(NODE, ['-e', 'console.error("tshark: capture.pcap: no such file"); process.exit(2)']))
      .toThrow(/exited with a status of 2\.\n\ntshark: capture\.pcap: no such file/);
  });

  it('fails when killed by a signal, which ez-spawn alone counts as success', () => {
    expect(() => run(NODE, ['-e', 'process.kill(process.pid, "SIGTERM")'])).toThrow(/was killed by SIGTERM/);
  });
});
