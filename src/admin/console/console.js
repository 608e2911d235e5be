// The console's script: fills the page from /api/console, follows /api/events and runs probes.
// Text only ever goes into the page as textContent, never as HTML.
'use strict';

(() => {
  const MAX_ROWS = 500;
  const $ = (id) => document.getElementById(id);

  function cell(text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  /** A fingerprint shortened on screen, whole in the title. */
  function fingerprintCell(fingerprint) {
    if (!fingerprint) return cell('none');
    const td = cell(`${fingerprint.slice(0, 11)}…${fingerprint.slice(-5)}`, 'fp');
    td.title = fingerprint;
    return td;
  }

  function expiryText(rule) {
    if (rule.daysLeft < 0) return `expired ${rule.validTo.slice(0, 10)}`;
    return `in ${rule.daysLeft} days (${rule.validTo.slice(0, 10)})`;
  }

  function renderState(state) {
    const body = $('rules').tBodies[0];
    body.replaceChildren();
    for (const rule of state.rules) {
      const tr = document.createElement('tr');
      tr.append(cell(String(rule.index)), cell(rule.host), cell(rule.ports), cell(rule.subject), fingerprintCell(rule.fingerprint256));
      const expires = cell(expiryText(rule), rule.expiry === 'ok' ? '' : rule.expiry);
      expires.title = rule.expiry === 'ok' ? rule.validTo : `${rule.validTo}: within warnExpiryDays (${state.warnExpiryDays})`;
      tr.append(expires);
      tr.title = `verified by ${rule.trust}`;
      body.append(tr);
    }
    $('no-rules').hidden = state.rules.length > 0;
    if (state.worker) {
      $('feed-worker').textContent = `Worker ${state.worker.id} of ${state.worker.of} serves this page: the feed shows the connections it was handed, not the other workers'.`;
      $('feed-worker').hidden = false;
    }
    const ca = $('ca');
    ca.textContent = `${state.ca.subject}, fingerprint256 ${state.ca.fingerprint256.slice(0, 11)}…, valid to ${state.ca.validTo.slice(0, 10)}`;
    ca.title = state.ca.fingerprint256;
    $('pages').replaceChildren(
      ...state.pages.map((page) => {
        const li = document.createElement('li');
        const a = document.createElement('a');
        a.href = page.path;
        a.textContent = page.path;
        li.append(a, ` ${page.summary}${page.open ? '' : ' (behind listen.auth when set)'}`);
        return li;
      }),
    );
  }

  function time(ms) {
    const d = new Date(ms);
    return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  }

  function authority(event) {
    return event.host.includes(':') ? `[${event.host}]:${event.port}` : `${event.host}:${event.port}`;
  }

  function feedRow(event) {
    const tr = document.createElement('tr');
    if (event.kind === 'request') {
      const failed = event.status === null || event.status >= 400;
      tr.append(
        cell(time(event.time)),
        cell(event.method),
        cell(authority(event)),
        cell(event.path, 'path'),
        cell(event.status === null ? (event.aborted ? 'aborted' : '—') : String(event.status), failed ? 'fail' : 'ok'),
        cell(event.rule ?? 'none'),
        fingerprintCell(event.clientCert),
        cell(''),
        cell(`${event.durationMs} ms`),
        cell(event.proxyStatus ?? '', 'fail'),
      );
    } else {
      const verdict = event.authorized ? 'authorized' : event.authorizationError;
      const server = cell(verdict, event.authorized ? 'ok' : 'fail');
      if (event.serverCert) server.title = `${event.serverCert.subject}\n${event.serverCert.fingerprint256}`;
      tr.append(
        cell(time(event.time)),
        cell(`${event.tlsVersion ?? 'TLS'} ${event.protocol}${event.reused ? ' (resumed)' : ''}`),
        cell(authority(event)),
        cell(''),
        cell(''),
        cell(event.rule ?? 'none'),
        fingerprintCell(event.clientCert),
        server,
        cell(''),
        cell(''),
      );
    }
    tr.className = event.kind === 'request' ? 'request' : 'tls';
    // The filter also finds what only the titles show: whole fingerprints, the server's subject.
    tr.dataset.search = [tr.textContent, event.clientCert, event.serverCert?.subject, event.serverCert?.fingerprint256].join(' ').toLowerCase();
    return tr;
  }

  function applyFilter(tr) {
    const query = $('filter').value.trim().toLowerCase();
    tr.hidden = query !== '' && !tr.dataset.search.includes(query);
  }

  function addEvent(event) {
    const body = $('feed').tBodies[0];
    const tr = feedRow(event);
    applyFilter(tr);
    body.prepend(tr);
    while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
  }

  function followFeed() {
    const source = new EventSource('/api/events');
    source.onopen = () => ($('feed-state').textContent = 'live');
    source.onerror = () => ($('feed-state').textContent = 'disconnected; retrying…');
    source.onmessage = (message) => addEvent(JSON.parse(message.data));
  }

  async function probe(submitEvent) {
    submitEvent.preventDefault();
    const out = $('probe-result');
    out.hidden = false;
    out.className = '';
    out.textContent = 'probing…';
    try {
      const res = await fetch(`/api/probe?target=${encodeURIComponent($('probe-target').value)}`, { headers: { 'X-Mtls-Proxy-Console': '1' } });
      const result = await res.json();
      out.className = result.ok ? 'ok' : 'fail';
      out.textContent = result.lines.join('\n');
    } catch (err) {
      out.className = 'fail';
      out.textContent = `The probe failed: ${err}`;
    }
  }

  $('filter').addEventListener('input', () => {
    for (const tr of $('feed').tBodies[0].rows) applyFilter(tr);
  });
  $('probe-form').addEventListener('submit', probe);
  fetch('/api/console')
    .then((res) => res.json())
    .then(renderState)
    .catch((err) => ($('no-rules').textContent = `Could not load the rules: ${err}`));
  followFeed();
})();
