'use strict';
// Build step: ajv's standalone code for the schema validators, generated from the compiled
// rulebooks in the staging folder. Each module listed here compiles its schemas with ajv
// when run from source; its built .js is replaced by plain validation code exporting the
// same names, so the package loads neither ajv's compiler nor the cost of compiling at start.
const fs = require('node:fs');
const path = require('node:path');
const Ajv = require('ajv').default;
const standaloneCode = require('ajv/dist/standalone').default;

/** module: the built file replaced; exports: its export name → the rulebook's export of schemas (name → schema). */
const STANDALONE = [
  {
    module: 'lib/protocol/request-validators.js',
    rulebook: 'lib/protocol/schemas.js',
    options: 'REQUEST_AJV_OPTIONS',
    exports: { REQUEST_VALIDATORS: 'REQUEST_SCHEMAS', FIELD_VALIDATORS: 'FIELD_SCHEMAS' },
  },
  {
    module: 'lib/publish/receipt-validators.js',
    rulebook: 'lib/publish/schema.js',
    options: 'RECEIPT_AJV_OPTIONS',
    exports: { RECEIPT_VALIDATORS: 'RECEIPT_SCHEMAS' },
  },
  {
    module: 'lib/simulator/scenario-validators.js',
    rulebook: 'lib/simulator/scenario-schema.js',
    options: 'SCENARIO_AJV_OPTIONS',
    exports: { SCENARIO_VALIDATORS: 'SCENARIO_SCHEMAS' },
  },
];

function standaloneObject(schemas, options) {
  const ajv = new Ajv({ ...options, code: { source: true } });
  const names = Object.keys(schemas);
  for (const name of names) ajv.addSchema(schemas[name], name);
  const code = standaloneCode(ajv, Object.fromEntries(names.map((name) => [name, name])));
  return ['Object.freeze((function (exports) {', code, '; return exports;', '})({}))'].join('\n');
}

function generate(outDir, spec) {
  const rulebook = require(path.join(outDir, spec.rulebook));
  const options = rulebook[spec.options];
  if (!options) throw new Error(`${spec.rulebook} must export ${spec.options}`);
  const lines = [
    '"use strict";',
    `// Generated at build from ${spec.rulebook} by scripts/build/validators.js (ajv standalone). Do not edit.`,
    'Object.defineProperty(exports, "__esModule", { value: true });',
  ];
  for (const [exportName, schemasName] of Object.entries(spec.exports)) {
    const schemas = rulebook[schemasName];
    if (!schemas) throw new Error(`${spec.rulebook} must export ${schemasName}`);
    lines.push(`exports.${exportName} = ${standaloneObject(schemas, options)};`);
  }
  return `${lines.join('\n')}\n`;
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
