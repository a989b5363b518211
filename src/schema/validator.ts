/**
 * The JSON Schema validator of policy files (./load.ts, stage 2). Ajv compiles the composed schema
 * (./compose.ts) into a JavaScript function; compiling it took ~0.1 s of every `hbr plan` and
 * daemon start (README, issue 16). `npm run build` writes that function once, as Ajv's standalone
 * code (ajv/dist/standalone, https://ajv.js.org/standalone.html), to dist/schema/policy-validator.cjs
 * with the hash of the schema it was made from; the loader uses it when the hash is that of the
 * schema it composes now, else (tests run from src/, a stale build) it compiles as before. Both are
 * the same code from the same Ajv options, so the errors (and the messages ./wording.ts makes of
 * them) are the same: test/unit/schema-validator.test.ts compares them.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020 as AjvClass, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { composeSchema } from './compose.js';

const require = createRequire(import.meta.url);

/** The file `npm run build` writes next to this module in dist/. */
export const PREBUILT = 'policy-validator.cjs';

const OPTIONS: Options = { allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false };

function newAjv(extra: Options = {}): AjvClass {
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ ...OPTIONS, ...extra });
  // Editor-only annotations (VS Code / yaml-language-server): nothing to validate.
  ajv.addVocabulary(['patternErrorMessage', 'errorMessage', 'markdownDescription']);
  return ajv;
}

function schemaHash(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/** The validator compiled now, by Ajv (what the loader did at every start before issue 16). */
export function compileValidator(schema: object = composeSchema()): ValidateFunction {
  return newAjv().compile(schema);
}

/** The standalone module's source (CommonJS) for `schema`, with its hash as `schemaHash`. */
export function validatorSource(schema: object = composeSchema()): string {
  const ajv = newAjv({ code: { source: true } });
  const validate = ajv.compile(schema);
  const { default: standaloneCode } = require('ajv/dist/standalone/index.js') as { default: (ajv: AjvClass, v: ValidateFunction) => string };
  return `${standaloneCode(ajv, validate)}\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash(schema))};\n`;
}

/** Writes the standalone validator (run by `npm run build` on the compiled dist/schema/validator.js). */
export function writePrebuilt(file: string): void {
  writeFileSync(file, validatorSource());
}

let cached: ValidateFunction | undefined;

/** The validator of the composed schema: the prebuilt one when it was built from this schema, else compiled. */
export function schemaValidator(): ValidateFunction {
  if (cached) return cached;
  const schema = composeSchema();
  const hash = schemaHash(schema);
  // Beside this module in dist/; from src/ (tests, tools run through tsx), the one in dist/ when
  // it was built from this same schema.
  for (const at of [`./${PREBUILT}`, `../../dist/schema/${PREBUILT}`]) {
    let mod: (ValidateFunction & { default?: ValidateFunction; schemaHash?: string }) | undefined;
    try {
      mod = require(at) as typeof mod;
    } catch {
      continue; // not built: compile below
    }
    const fn = mod?.default ?? mod;
    if (mod?.schemaHash === hash && typeof fn === 'function') return (cached = fn);
  }
  return (cached = compileValidator(schema));
}
