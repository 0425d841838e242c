'use strict';
// The sample app: answers on $PORT, using a dependency installed by the buildpack. It greets
// with the GREETING config var, so `paas config:set GREETING=...` shows in its answer.
const http = require('http');
const ms = require('ms');

const port = Number(process.env.PORT || 5000);
const started = Date.now();
const greeting = process.env.GREETING || 'Hello';

const server = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(`${greeting} from node-hello (one day is ${ms('1d')} ms, up ${ms(Date.now() - started)})\n`);
});

server.listen(port, () => {
  console.log(`node-hello listening on port ${port} with node ${process.version}`);
});

// Stop promptly on the platform's SIGTERM instead of waiting for the SIGKILL.
process.on('SIGTERM', () => {
  console.log('node-hello stopping');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
