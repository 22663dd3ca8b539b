// Validates a capture with tshark, checksum validation on (ShARED LAB.md's recipe): a clean capture
// prints nothing. Any bad checksum, malformed packet or error-level expert info fails the test.
import { run } from '../../host/child.ts';

const FILTER = 'ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || _ws.malformed || _ws.expert.severity >= "Error"';

export function checkPcap(path: string): void {
  const out = run('tshark', [
    '-r', path, '-n',
    '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
    '-Y', FILTER,
  ]);
  if (out.trim() !== '') throw new Error(`tshark found bad frames in ${path}:\n${out}`);
}
