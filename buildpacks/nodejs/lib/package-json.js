'use strict';
// Reads what bin/compile needs from the app's package.json, run by the bootstrap node.
//   get FILE DOTTED.KEY          -> the string at that key, or nothing (e.g. engines.node)
//   has-script FILE NAME         -> exit 0 when scripts[NAME] is a non-empty string
//   package-manager FILE         -> "NAME VERSION [ALGO HEX]" from `packageManager`, or nothing
const fs = require('fs');

function die(message) {
  process.stderr.write(` !     ${message}\n`);
  process.exit(1);
}

function load(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return die(`package.json is not valid JSON: ${err.message}`);
  }
}

const [command, file, arg] = process.argv.slice(2);
const pkg = load(file) || {};
switch (command) {
  case 'get': {
    const value = arg.split('.').reduce((obj, key) => (obj && typeof obj === 'object' ? obj[key] : undefined), pkg);
    if (value !== undefined && typeof value !== 'string') die(`${arg} in package.json must be a string`);
    process.stdout.write((value || '').trim());
    break;
  }
  case 'has-script': {
    const script = pkg.scripts && pkg.scripts[arg];
    process.exit(typeof script === 'string' && script.trim() !== '' ? 0 : 1);
    break;
  }
  case 'package-manager': {
    // corepack's format: name@exact-version, optionally +algo.hexdigest of the tarball.
    const value = pkg.packageManager;
    if (value === undefined) break;
    const m = typeof value === 'string' && /^(npm|yarn|pnpm)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?:\+(sha1|sha224|sha256|sha512)\.([0-9a-f]+))?$/.exec(value.trim());
    if (!m) die(`packageManager in package.json must be npm@X.Y.Z, yarn@X.Y.Z or pnpm@X.Y.Z (optionally +sha512.HEX), got ${JSON.stringify(value)}`);
    process.stdout.write([m[1], m[2], ...(m[3] ? [m[3], m[4]] : [])].join(' '));
    break;
  }
  default:
    die(`package-json.js: unknown command "${command}"`);
}
