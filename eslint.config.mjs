import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.dist-*/**', 'dist.old-*/**', 'node_modules/**', '.node-red/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // lib/ is the library: it knows nothing of Node-RED (no runtime, no msg, no status, no editor).
    files: ['lib/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(node-red|@node-red/|node-red-node-test-helper)', message: 'lib/ knows nothing of Node-RED: this belongs in nodes/.' },
            { regex: '(^|/)nodes(/|$)', message: 'lib/ never imports nodes/: the arrow points from nodes/ to lib/.' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "Identifier[name='_jpay'], Literal[value='_jpay']", message: 'msg._jpay is a Node-RED flow concept: keep it in nodes/.' },
        { selector: "Identifier[name='RED']", message: 'RED (the Node-RED API) belongs in nodes/.' },
        { selector: "Identifier[name=/^Node(Status|Message|MessageInFlow|API|Def|Initializer)$/]", message: 'Node-RED types belong in nodes/.' },
        { selector: "MemberExpression[object.name='msg'][property.name=/^(payload|topic|_msgid)$/]", message: 'msg.payload/topic are Node-RED flow concepts: keep them in nodes/.' },
        { selector: "Literal[value=/^JPAY_(OUTCOME_UNKNOWN|VALIDATION|CONNECTION|TIMEOUT|STATUS|PROTOCOL|CLOSED|NO_TERMINAL|BUSY|ERROR)$/]", message: 'Catch codes for flows (nodes/shared/errors.ts) belong in nodes/.' },
      ],
    },
  },
  {
    // A node's (plugin's) registration file loads the node's code (runtime.ts) with the first node of the type.
    files: ['nodes/*/jpay-*.ts', 'plugins/*/jpay-*.ts'],
    rules: { '@typescript-eslint/no-require-imports': ['error', { allow: ['^\\./runtime$'] }] },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['nodes/**/*.html.js', 'nodes/**/editor/*.js'],
    languageOptions: { sourceType: 'script', globals: { RED: 'readonly', $: 'readonly' } },
  },
);
