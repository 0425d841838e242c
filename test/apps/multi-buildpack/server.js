'use strict';
// Serves what the second buildpack wrote at build time with the node the first one installed.
const http = require('http');
const info = require('./build-info.json');

const port = Number(process.env.PORT || 5000);
const server = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'application/json');
  res.end(`${JSON.stringify({ app: 'multi-buildpack', ...info })}\n`);
});
server.listen(port, () => console.log(`multi-buildpack listening on port ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
