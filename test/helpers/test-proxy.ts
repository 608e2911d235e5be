import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startProxy, type Proxy } from '../../src/proxy/start.js';

export type LogLine = Record<string, unknown> & { msg: string; level: number };

export interface TestProxy {
  readonly port: number;
  readonly proxy: Proxy;
  readonly dir: string;
  readonly lines: LogLine[];
  /** The same lines as written, for what JSON.parse would hide (duplicate keys). */
  readonly rawLines: string[];
  /** Log lines with this msg. */
  logs(msg: string): LogLine[];
  /** Resolves with the first line (past or future) with this msg that passes `where`. */
  waitForLog(msg: string, where?: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  close(): Promise<void>;
}

/** Collects pino's JSON lines, as the contract's tools would read stdout. */
function sink(lines: LogLine[], rawLines: string[], onLine: () => void): { write(chunk: string): void } {
  return {
    write(chunk: string) {
      for (const text of chunk.split('\n')) {
        if (text.trim() === '') continue;
        rawLines.push(text);
        lines.push(JSON.parse(text) as LogLine);
      }
      onLine();
    },
  };
}

/**
 * Starts the proxy in-process from YAML text (listening on 127.0.0.1 port 0,
 * its CA in a temp folder unless the YAML says otherwise).
 */
export async function startTestProxy(yaml: string, options: { dir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<TestProxy> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'mtls-proxy-test-'));
  const file = join(dir, 'config.yaml');
  const base = `listen:\n  host: 127.0.0.1\n  port: 0\nca:\n  dir: ./ca\n`;
  writeFileSync(file, yaml.includes('listen:') ? yaml : base + yaml);
  const config = await loadConfig({ file, env: options.env ?? {}, cwd: dir });
  const lines: LogLine[] = [];
  const rawLines: string[] = [];
  const waiters = new Set<() => void>();
  const logger = createLogger({ level: 'debug', format: 'json', destination: sink(lines, rawLines, () => waiters.forEach((w) => w())) });
  const proxy = await startProxy(config, logger);
  const logs = (msg: string): LogLine[] => lines.filter((l) => l.msg === msg);
  return {
    port: proxy.port,
    proxy,
    dir,
    lines,
    rawLines,
    logs,
    waitForLog(msg, where = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = logs(msg).find(where);
          if (!hit) return false;
          waiters.delete(tryResolve);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const tryResolve = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(tryResolve);
          reject(new Error(`no "${msg}" log line within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(tryResolve);
      });
    },
    close: () => proxy.close(),
  };
}
