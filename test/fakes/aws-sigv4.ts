/**
 * SigV4 verification for the AWS fakes: the `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/
 * <service>/aws4_request, SignedHeaders=…, Signature=…` header the SDK really sends is parsed, its scope checked
 * against the service and region the fake expects, and the signature recomputed from the request (canonical
 * request → string to sign → HMAC chain) with the fake's known secret. Anything off is reported as a reason.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SignedScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return value.trim().replace(/\s+/g, ' ');
}

/** Returns the signed scope, or a reason the request is not a well-formed, correctly signed SigV4 request. */
export function verifySigV4(
  request: { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer },
  secrets: ReadonlyMap<string, string>,
): SignedScope | { reason: string } {
  const authorization = headerValue(request.headers, 'authorization');
  const match = AUTH.exec(authorization);
  if (!match) return { reason: `missing or malformed SigV4 Authorization header: "${authorization.slice(0, 60)}"` };
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match as unknown as [string, string, string, string, string, string, string];
  const amzDate = headerValue(request.headers, 'x-amz-date');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(date)) return { reason: `x-amz-date "${amzDate}" missing or not matching the credential date ${date}` };
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || !signedHeaders.includes('x-amz-date')) return { reason: 'SignedHeaders must include host and x-amz-date' };
  const payloadHash = sha256(request.body);
  const declared = headerValue(request.headers, 'x-amz-content-sha256');
  if (declared && declared !== payloadHash) return { reason: 'x-amz-content-sha256 does not match the body' };
  const secret = secrets.get(accessKeyId);
  if (!secret) return { reason: `unknown access key id ${accessKeyId}` };

  const [path, query = ''] = request.path.split('?');
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .sort()
    .join('&');
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    signedHeaders.map((name) => `${name}:${headerValue(request.headers, name)}\n`).join(''),
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature) return { reason: 'SignatureDoesNotMatch: the recomputed SigV4 signature differs' };
  return { accessKeyId, date, region, service };
}
