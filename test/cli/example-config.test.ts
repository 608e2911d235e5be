/** config.example.yaml copied as it is: a new user's first run must name every file to provide, in one go. */
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, STACK_FRAME, tempDir } from '../helpers/cli.js';

const EXAMPLE = fileURLToPath(new URL('../../config.example.yaml', import.meta.url));

let dir: string;
let remove: () => void;

beforeAll(() => {
  ({ dir, remove } = tempDir('cli-example'));
  copyFileSync(EXAMPLE, path.join(dir, 'config.yaml'));
});
afterAll(() => remove());

function expectedErrors(): string {
  const at = (file: string): string => path.join(dir, file);
  return [
    `upstream.ca[0]: cannot read ${at('certs/internal-root.pem')}: no such file`,
    `clientCertificates[0].cert: cannot read ${at('certs/client.crt')}: no such file`,
    `clientCertificates[0].key: cannot read ${at('certs/client.key')}: no such file`,
    'clientCertificates[1].passphraseFile: cannot read "/run/secrets/partner_pass": no such file',
    `clientCertificates[1].pfx: cannot read ${at('certs/partner.p12')}: no such file`,
    `clientCertificates[1].ca[0]: cannot read ${at('certs/partner-root.pem')}: no such file`,
  ]
    .map((line) => `error: ${at('config.yaml')}: ${line}\n`)
    .join('');
}

describe('the unedited example config', () => {
  it('check reports the passphraseFile and every missing certificate file in one run', async () => {
    const result = await runCli(['check'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(expectedErrors());
  });

  it('start reports the same problems at once, through its config loading process', async () => {
    const result = await runCli(['start', '--port', '0'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(expectedErrors());
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});
