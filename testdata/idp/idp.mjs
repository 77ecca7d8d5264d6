// A real OpenID Connect provider (oidc-provider) for proof's OAuth2 contract tests.
// Client credentials grant, JWT access tokens (RFC 9068 at+jwt) for one audience.
//
// Environment:
//   IDP_PORT       port on 127.0.0.1
//   IDP_ISSUER     issuer URL, e.g. http://127.0.0.1:4444
//   IDP_AUDIENCE   the resource (API) audience, e.g. https://proof.test
//   IDP_KEYS       file with {"keys": [private JWKs with kid and alg]}; the first key of
//                  each kind signs, the rest are only published
//   IDP_FAIL_FILE  optional: while this file exists, /jwks and discovery answer 500, or
//                  never answer when the file says "hang"
//   IDP_MAX_AGE    optional: sent as Cache-Control: max-age on /jwks
//
// Clients (secret = id + "-secret"): svc-rs signs RS256, svc-es signs ES256.
// Scopes on offer: verify:run policy:compile policy:read.
import { Provider, errors } from 'oidc-provider';
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';

const PORT = Number(process.env.IDP_PORT);
const ISSUER = process.env.IDP_ISSUER;
const AUD = process.env.IDP_AUDIENCE;
const keys = JSON.parse(readFileSync(process.env.IDP_KEYS, 'utf8')).keys;
const FAIL = process.env.IDP_FAIL_FILE;
const MAX_AGE = process.env.IDP_MAX_AGE;
const SCOPES = 'verify:run policy:compile policy:read lists:write';

const client = (id) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
});

const provider = new Provider(ISSUER, {
  jwks: { keys },
  clients: [client('svc-rs'), client('svc-es')],
  scopes: SCOPES.split(' '),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => AUD,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource, c) => {
        if (resource !== AUD) throw new errors.InvalidTarget();
        return {
          scope: SCOPES,
          audience: AUD,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: c.clientId === 'svc-es' ? 'ES256' : 'RS256' } },
        };
      },
    },
  },
});

const callback = provider.callback();
http
  .createServer((req, res) => {
    const keyRoute = req.url.startsWith('/jwks') || req.url.startsWith('/.well-known');
    if (FAIL && existsSync(FAIL) && keyRoute) {
      if (readFileSync(FAIL, 'utf8').trim() === 'hang') return; // never answer
      res.statusCode = 500;
      res.end('{"error":"server_error"}');
      return;
    }
    if (MAX_AGE && req.url.startsWith('/jwks')) res.setHeader('Cache-Control', `max-age=${MAX_AGE}`);
    callback(req, res);
  })
  .listen(PORT, '127.0.0.1', () => console.log(`idp ready on ${PORT}`));
