// `npm run build`, after tsc: writes the policy validator as Ajv standalone code next to the
// compiled loader (src/schema/validator.ts says why and when it is used).
import { fileURLToPath } from 'node:url';
const { writePrebuilt, PREBUILT } = await import('../dist/schema/validator.js');
writePrebuilt(fileURLToPath(new URL(`../dist/schema/${PREBUILT}`, import.meta.url)));
