// Runs a WASI preview 1 command under node's WASI (uvwasi), the reference runtime the
// expectations in tests/cli.rs were recorded with. Mirrors `spur run`'s options:
//   node --no-warnings tests/wasi/node-run.js [--dir HOST[::GUEST]]... [--env K=V]... FILE [ARGS...]
// argv[0] is FILE as given, stdio is inherited, the exit code is the program's.
'use strict';
const fs = require('node:fs');
const { WASI } = require('node:wasi');

const argv = process.argv.slice(2);
const preopens = {};
const env = {};
while (argv.length && argv[0].startsWith('--')) {
  const flag = argv.shift();
  const value = argv.shift();
  if (flag === '--dir') {
    const [host, guest] = value.includes('::') ? value.split('::') : [value, value];
    preopens[guest] = host;
  } else if (flag === '--env') {
    const i = value.indexOf('=');
    env[value.slice(0, i)] = value.slice(i + 1);
  } else {
    throw new Error(`unknown flag ${flag}`);
  }
}
const file = argv[0];
const wasi = new WASI({ version: 'preview1', args: argv, env, preopens, returnOnExit: true });
(async () => {
  const module = await WebAssembly.compile(fs.readFileSync(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  process.exitCode = wasi.start(instance);
})().catch((e) => {
  console.error(`node-run: ${e}`);
  process.exitCode = 134;
});
