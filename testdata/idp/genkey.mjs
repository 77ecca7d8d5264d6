// Prints a fresh signing key as {"jwk": private JWK, "pem": PKCS#8 private key,
// "public_pem": SPKI public key}. Usage: node genkey.mjs KID RS256|ES256
import { generateKeyPairSync } from 'node:crypto';

const [kid, alg] = process.argv.slice(2);
const { privateKey, publicKey } = alg === 'ES256'
  ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
  : generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
console.log(JSON.stringify({
  jwk,
  pem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
  public_pem: publicKey.export({ type: 'spki', format: 'pem' }),
}));
