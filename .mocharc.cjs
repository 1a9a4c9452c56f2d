'use strict';
// Tests are TypeScript, run through tsx; node tests load the built package from dist/.
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  spec: ['test/**/*.test.ts'],
  timeout: 20000,
  exit: false,
  reporter: 'spec',
};
