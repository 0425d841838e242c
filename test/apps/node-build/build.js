'use strict';
// The build step: renders dist/index.html with a devDependency, which is gone at run time.
const fs = require('fs');
const escapeHtml = require('escape-html');

fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/index.html', `<h1>${escapeHtml('Built by <node-build> & served')}</h1>\n`);
console.log('node-build: wrote dist/index.html');
