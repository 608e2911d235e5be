/**
 * A Node program written with no thought of proxies: what `run -- node app.mjs` is
 * tested with. `fetch` or `https` to api.example.com; `own-agent` sends plain http
 * to `url` with an agent of its own; `agent` prints the https global agent's class.
 */
export const APP = `
import http from 'node:http';
import https from 'node:https';
const [mode, url] = process.argv.slice(2);
const read = (res) => new Promise((resolve) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(b)); });
if (mode === 'fetch') {
  const res = await fetch('https://api.example.com/via-fetch');
  process.stdout.write(await res.text());
} else if (mode === 'https' || mode === 'global-http' || mode === 'own-agent') {
  const get = mode === 'https' ? https.get : http.get;
  const target = mode === 'https' ? 'https://api.example.com/via-https' : url;
  const options = mode === 'own-agent' ? { agent: new http.Agent() } : {};
  get(target, options, async (res) => process.stdout.write(await read(res))).on('error', (err) => {
    process.stderr.write('app error: ' + err.message + '\\n');
    process.exitCode = 3;
  });
} else if (mode === 'agent') {
  process.stdout.write(https.globalAgent.constructor.name);
}
`;
