// natpass: the command line, as `node --import tsx host/cli.ts ARGS`. The installed bin
// (host/natpass.js, what `npx natpass` runs) loads tsx itself and then this file. It always runs:
// there is no "invoked directly" guess, which a bin link defeats; the commands live in host/commands/.
import { main, report } from './commands/main.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => process.exit(report('natpass', e)),
);
