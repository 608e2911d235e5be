import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPackageScript, nodeHonoursEnvProxy, preloadProxy } from '../../src/clients/preload-decision.cjs';
import { tempDir } from '../helpers/cli.js';

const { dir, remove } = tempDir('preload');
afterAll(remove);
const dist = path.join(dir, 'pkg', 'dist');
mkdirSync(path.join(dist, 'config'), { recursive: true });
writeFileSync(path.join(dist, 'cli.js'), '');
writeFileSync(path.join(dist, 'config', 'load-child.js'), '');
writeFileSync(path.join(dir, 'app.js'), '');
mkdirSync(path.join(dir, 'bin'));
symlinkSync(path.join(dist, 'cli.js'), path.join(dir, 'bin', 'mtls-proxy'));

describe('nodeHonoursEnvProxy', () => {
  it.each([
    ['v20.19.0', false],
    ['v22.20.0', false],
    ['v22.21.0', true],
    ['v24.4.1', false],
    ['v24.5.0', true],
    ['v24.22.3', true],
    ['v25.0.0', true],
  ])('%s: %s', (version, honours) => {
    expect(nodeHonoursEnvProxy(version)).toBe(honours);
  });
});

describe('isPackageScript', () => {
  it('is true for the CLI (through the npm bin link too) and its config child, false for other programs', () => {
    expect(isPackageScript(path.join(dist, 'cli.js'), dist)).toBe(true);
    expect(isPackageScript(path.join(dir, 'bin', 'mtls-proxy'), dist)).toBe(true);
    expect(isPackageScript(path.join(dist, 'config', 'load-child.js'), dist)).toBe(true);
    expect(isPackageScript(path.join(dir, 'app.js'), dist)).toBe(false);
    expect(isPackageScript(undefined, dist)).toBe(false);
    expect(isPackageScript(path.join(dir, 'missing.js'), dist)).toBe(false);
  });
});

describe('preloadProxy', () => {
  const env = { HTTPS_PROXY: 'http://127.0.0.1:8080', NODE_USE_ENV_PROXY: '1' };
  const app = path.join(dir, 'app.js');

  it('Node 20 gets the proxy of HTTPS_PROXY (else https_proxy, HTTP_PROXY, http_proxy)', () => {
    expect(preloadProxy(env, 'v20.19.0', app, dist)?.href).toBe('http://127.0.0.1:8080/');
    expect(preloadProxy({ http_proxy: 'http://[::1]:3128' }, 'v20.19.0', app, dist)?.host).toBe('[::1]:3128');
  });

  it('defers to Node 24 when NODE_USE_ENV_PROXY=1, not when it is unset', () => {
    expect(preloadProxy(env, 'v24.22.3', app, dist)).toBeNull();
    expect(preloadProxy({ HTTPS_PROXY: env.HTTPS_PROXY }, 'v24.22.3', app, dist)?.port).toBe('8080');
  });

  it('does nothing inside mtls-proxy, without a proxy, or with one it cannot speak to', () => {
    expect(preloadProxy(env, 'v20.19.0', path.join(dist, 'cli.js'), dist)).toBeNull();
    expect(preloadProxy({}, 'v20.19.0', app, dist)).toBeNull();
    expect(preloadProxy({ HTTPS_PROXY: 'not a url' }, 'v20.19.0', app, dist)).toBeNull();
    expect(preloadProxy({ HTTPS_PROXY: 'socks5://127.0.0.1:1080' }, 'v20.19.0', app, dist)).toBeNull();
  });
});
