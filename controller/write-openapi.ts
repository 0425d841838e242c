/** `npm run openapi`: writes docs/openapi.json from the controller's route schemas. */
import fs from 'node:fs';
import path from 'node:path';
import { openApiDocument } from './openapi';

const file = path.resolve(__dirname, '..', '..', 'docs', 'openapi.json');
fs.writeFileSync(file, JSON.stringify(openApiDocument(), null, 2) + '\n');
process.stdout.write(`wrote ${file}\n`);
