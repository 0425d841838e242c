'use strict';
// Serves what the build script rendered; escape-html (a devDependency) must be pruned by now.
const fs = require('fs');
const http = require('http');
const ms = require('ms');

let pruned = false;
try {
  require.resolve('escape-html');
} catch {
  pruned = true;
}
const page = fs.readFileSync(`${__dirname}/dist/index.html`, 'utf8');
const port = Number(process.env.PORT || 5000);
const server = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`${page}<p>devDependencies pruned: ${pruned}; one minute is ${ms('1m')} ms</p>\n`);
});
server.listen(port, () => console.log(`node-build listening on port ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
