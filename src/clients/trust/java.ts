/**
 * Java's cacerts, through keytool. $MTLS_PROXY_JAVA_CACERTS names another
 * keystore (tests, or a JDK keytool cannot locate), $MTLS_PROXY_JAVA_STOREPASS
 * its password (default: changeit), handed to keytool as a variable, never as
 * an argument.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { runCommand, type StoreCommand, type TrustedCa, type TrustStore } from './store.js';

const PASSWORD_VARIABLE = 'MTLS_PROXY_JAVA_STOREPASS';

/** The cacerts of the JDK: $JAVA_HOME's, else the one beside the keytool found on PATH. */
export function javaCacerts(env: NodeJS.ProcessEnv, keytool: string | null): string | null {
  if (env.MTLS_PROXY_JAVA_CACERTS) return path.resolve(env.MTLS_PROXY_JAVA_CACERTS);
  if (env.JAVA_HOME) return path.join(env.JAVA_HOME, 'lib', 'security', 'cacerts');
  if (keytool === null) return null;
  return path.join(path.dirname(path.dirname(realpathSync(keytool))), 'lib', 'security', 'cacerts');
}

export function javaStore(ca: TrustedCa, cacerts: string, env: NodeJS.ProcessEnv): TrustStore {
  // keytool stores aliases in lower case.
  const alias = `mtls-proxy-${ca.short.toLowerCase()}`;
  const password = { [PASSWORD_VARIABLE]: env[PASSWORD_VARIABLE] ?? 'changeit' };
  const keytool = (...args: string[]): StoreCommand => ({
    argv: ['keytool', ...args, '-alias', alias, '-keystore', cacerts, '-storepass:env', PASSWORD_VARIABLE],
    env: password,
  });
  return {
    name: `java ${cacerts}`,
    tool: { command: 'keytool', package: 'a JDK such as openjdk-17-jre-headless' },
    isTrusted: async () => {
      const { code, stdout } = await runCommand(keytool('-list', '-v'));
      return code === 0 && stdout.includes(ca.fingerprint256);
    },
    trustCommands: () => [keytool('-importcert', '-noprompt', '-trustcacerts', '-file', ca.certPath)],
    untrustCommands: () => [keytool('-delete')],
  };
}
