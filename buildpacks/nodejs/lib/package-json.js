'use strict';
// Reads what bin/compile needs from the app's package.json, run by the bootstrap node.
//   get FILE DOTTED.KEY          -> the string at that key, or nothing (e.g. engines.node)
//   has-script FILE NAME         -> exit 0 when scripts[NAME] is a non-empty string
//   has-dev-dependencies FILE    -> exit 0 when pruning could remove something (devDependencies, or workspaces)
//   package-manager FILE         -> "NAME VERSION [ALGO HEX]" from `packageManager`, or nothing
//   summary FILE                 -> six lines: engines.node, engines.npm, package-manager, and 1/0 for
//                                   has-script heroku-postbuild, has-script build, has-dev-dependencies
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

function get(pkg, dotted) {
  const value = dotted.split('.').reduce((obj, key) => (obj && typeof obj === 'object' ? obj[key] : undefined), pkg);
  if (value !== undefined && typeof value !== 'string') die(`${dotted} in package.json must be a string`);
  return (value || '').trim();
}

function hasScript(pkg, name) {
  const script = pkg.scripts && pkg.scripts[name];
  return typeof script === 'string' && script.trim() !== '';
}

function hasDevDependencies(pkg) {
  const dev = pkg.devDependencies;
  const some = dev !== null && typeof dev === 'object' && Object.keys(dev).length > 0;
  return some || pkg.workspaces !== undefined;
}

function packageManager(pkg) {
  // corepack's format: name@exact-version, optionally +algo.hexdigest of the tarball.
  const value = pkg.packageManager;
  if (value === undefined) return '';
  const m = typeof value === 'string' && /^(npm|yarn|pnpm)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?:\+(sha1|sha224|sha256|sha512)\.([0-9a-f]+))?$/.exec(value.trim());
  if (!m) die(`packageManager in package.json must be npm@X.Y.Z, yarn@X.Y.Z or pnpm@X.Y.Z (optionally +sha512.HEX), got ${JSON.stringify(value)}`);
  return [m[1], m[2], ...(m[3] ? [m[3], m[4]] : [])].join(' ');
}

const [command, file, arg] = process.argv.slice(2);
const pkg = load(file) || {};
switch (command) {
  case 'get':
    process.stdout.write(get(pkg, arg));
    break;
  case 'has-script':
    process.exit(hasScript(pkg, arg) ? 0 : 1);
    break;
  case 'has-dev-dependencies':
    process.exit(hasDevDependencies(pkg) ? 0 : 1);
    break;
  case 'package-manager':
    process.stdout.write(packageManager(pkg));
    break;
  case 'summary': {
    // One node start instead of one per question (each costs ~0.1 s in a build container).
    const lines = [get(pkg, 'engines.node'), get(pkg, 'engines.npm'), packageManager(pkg), ...['heroku-postbuild', 'build'].map((n) => (hasScript(pkg, n) ? '1' : '0')), hasDevDependencies(pkg) ? '1' : '0'];
    for (const [i, line] of lines.slice(0, 2).entries()) if (/[\r\n]/.test(line)) die(`${i === 0 ? 'engines.node' : 'engines.npm'} in package.json must be one line`);
    process.stdout.write(lines.join('\n') + '\n');
    break;
  }
  default:
    die(`package-json.js: unknown command "${command}"`);
}
