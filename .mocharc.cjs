'use strict';
// Tests are TypeScript, run through tsx; node tests load the built package from dist/.
// No `spec` here, so `npx mocha test/some.test.ts` runs just that file; `npm test` names them all.
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  timeout: 30000,
  reporter: 'spec',
};
