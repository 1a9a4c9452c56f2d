'use strict';
// Build step: ajv's standalone code for the schema validators, generated from the compiled
// rulebooks in the staging folder. Each module listed here compiles its schemas with ajv
// when run from source; its built .js is replaced by plain validation code exporting the
// same name, so the package loads neither ajv's compiler nor the cost of compiling at start.
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;

const STANDALONE = [
  {
    module: 'lib/protocol/request-validators.js',
    exportName: 'REQUEST_VALIDATORS',
    rulebook: 'lib/protocol/schemas.js',
    schemas: 'REQUEST_SCHEMAS',
    options: 'REQUEST_AJV_OPTIONS',
  },
];

function generate(outDir, spec) {
  const rulebook = require(path.join(outDir, spec.rulebook));
  const schemas = rulebook[spec.schemas];
  const options = rulebook[spec.options];
  if (!schemas || !options) throw new Error(`${spec.rulebook} must export ${spec.schemas} and ${spec.options}`);
  const ajv = new Ajv({ ...options, code: { source: true } });
  const names = Object.keys(schemas);
  for (const name of names) ajv.addSchema(schemas[name], name);
  const code = standaloneCode(ajv, Object.fromEntries(names.map((name) => [name, name])));
  return [
    '"use strict";',
    `// Generated at build from ${spec.rulebook} by scripts/build/validators.js (ajv standalone). Do not edit.`,
    'Object.defineProperty(exports, "__esModule", { value: true });',
    `exports.${spec.exportName} = Object.freeze((function (exports) {`,
    code,
    '; return exports;',
    '})({}));',
    '',
  ].join('\n');
}

/** Replaces each listed module in outDir (a compiled tree) with its standalone validators. */
function writeStandaloneValidators(outDir) {
  for (const spec of STANDALONE) {
    const target = path.join(outDir, spec.module);
    if (!fs.existsSync(target)) throw new Error(`${spec.module} was not compiled`);
    fs.writeFileSync(target, generate(outDir, spec));
  }
}

module.exports = { STANDALONE, writeStandaloneValidators };
