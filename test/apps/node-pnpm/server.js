'use strict';
// The node-pnpm sample app: answers on $PORT with a dependency installed by pnpm.
const http = require('http');
const ms = require('ms');

const port = Number(process.env.PORT || 5000);
const server = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`Hello from node-pnpm (one hour is ${ms('1h')} ms)\n`);
});
server.listen(port, () => console.log(`node-pnpm listening on port ${port} with node ${process.version}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
