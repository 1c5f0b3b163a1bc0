#!/usr/bin/env node
// Cross-check the committed .wasm kernels against MANIFEST using node's
// WebAssembly engine.
//   node check-node.js            # quick n of every kernel
//   node check-node.js --default  # quick and default n
//   node check-node.js NAME...    # only these kernels
'use strict';
const fs = require('fs');
const path = require('path');

const dir = __dirname;

// env.host_mix, exactly as defined in README.md:
//   uint32_t host_mix(uint32_t x) { x ^= x >> 15; x *= 0x2c1b3c6du; x ^= x >> 12; return x; }
function host_mix(x) {
  x >>>= 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x2c1b3c6d) >>> 0;
  x = (x ^ (x >>> 12)) >>> 0;
  return x | 0;
}

const args = process.argv.slice(2);
const withDefault = args.includes('--default');
const only = args.filter((a) => !a.startsWith('--'));

const rows = fs.readFileSync(path.join(dir, 'MANIFEST'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => {
    const [name, dn, qn, cd, cq] = l.trim().split(/\s+/);
    return { name, dn: Number(dn), qn: Number(qn), cd: BigInt(cd), cq: BigInt(cq) };
  })
  .filter((r) => only.length === 0 || only.includes(r.name));

async function main() {
  let passed = 0, failed = 0;
  for (const r of rows) {
    const bytes = fs.readFileSync(path.join(dir, r.name + '.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { env: { host_mix } });
    const cases = [['quick', r.qn, r.cq]];
    if (withDefault) cases.push(['default', r.dn, r.cd]);
    for (const [label, n, want] of cases) {
      const t0 = process.hrtime.bigint();
      const got = instance.exports.run(n);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const ok = got === want;
      if (ok) passed++; else failed++;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(12)} ${label.padEnd(7)} n=${String(n).padEnd(9)}` +
        ` ${ms.toFixed(1).padStart(8)} ms  ${got}${ok ? '' : ` (want ${want})`}`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
