/**
 * Writes schema/hbr-policy.schema.json: the policy schema the loader validates with (the core's
 * part and each system's, composed by src/schema/compose.ts), for editors that speak
 * yaml-language-server. `npm run schema`; test/unit/systems.test.ts fails while the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { composeSchema } from '../src/schema/compose.js';

const file = new URL('../schema/hbr-policy.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(composeSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${file.pathname}\n`);
