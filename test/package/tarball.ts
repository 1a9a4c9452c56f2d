/**
 * The package as the registry would carry it: the tarball, its file list, and an install
 * of it into a fresh user directory (`npm i --omit=dev <tgz>`), as a Node-RED user does.
 *
 * The tarball is JPAY_PACKAGE_TARBALL when set (.ci/run packs the clean clone with a plain
 * `npm pack`, whose prepack builds dist/), else `npm pack --ignore-scripts` of the dist/
 * that `npm test` has just built.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const PACKAGE_NAME = '@jpaykit/node-red-jpay';

export interface PackageJson {
  name: string;
  version: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  engines: { node: string };
  exports: Record<string, string | { types: string; default: string }>;
  typesVersions: Record<string, Record<string, string[]>>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  'node-red': { version: string; nodes: Record<string, string>; plugins?: Record<string, string> };
}

export const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as PackageJson;

const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error'];

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, ...NPM_QUIET], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 170_000,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

export interface Packed {
  tarball: string;
  /** Paths inside the package (without tar's `package/` prefix). */
  files: string[];
  /** The tarball unpacked: the package's folder. */
  unpacked: string;
  cleanup(): void;
}

export function packTarball(): Packed {
  const given = process.env.JPAY_PACKAGE_TARBALL;
  const dir = mkdtempSync(path.join(tmpdir(), 'jpay-pack-'));
  let tarball: string;
  if (given) {
    tarball = path.resolve(given);
  } else {
    const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    const [{ filename }] = JSON.parse(out) as { filename: string }[];
    tarball = path.join(dir, path.basename(filename));
  }
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith('package/') && !line.endsWith('/'))
    .map((line) => line.slice('package/'.length));
  execFileSync('tar', ['-xzf', tarball, '-C', dir]);
  return { tarball, files, unpacked: path.join(dir, 'package'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Installed {
  /** The user directory: package.json, node_modules/ (Node-RED's userDir too). */
  dir: string;
  /** The installed package's folder. */
  packageDir: string;
  cleanup(): void;
}

/** `npm i --omit=dev <tarball>` into a new, empty user directory. */
export function installTarball(tarball: string): Installed {
  const dir = mkdtempSync(path.join(tmpdir(), 'jpay-user-'));
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'jpay-user', private: true }, null, 2)}\n`);
  npm(['install', '--omit=dev', '--prefer-offline', tarball], dir);
  return {
    dir,
    packageDir: path.join(dir, 'node_modules', ...PACKAGE_NAME.split('/')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs a script with this Node in `cwd`; returns its stdout (throws with stderr on failure). */
export function runNode(cwd: string, args: string[]): string {
  try {
    return execFileSync(process.execPath, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`node ${args.slice(0, 2).join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`, { cause: error });
  }
}
