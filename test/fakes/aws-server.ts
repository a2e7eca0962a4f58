/**
 * A contract fake of the four AWS APIs the aws provider calls, on one HTTP server (the provider's `endpoint`):
 * SSO Admin and Identity Store over JSON 1.1 (`X-Amz-Target: SWBExternalService.*` / `AWSIdentityStore.*`,
 * `application/x-amz-json-1.1`, errors `{__type, message}`), IAM and STS over the query protocol (form body
 * `Action=…&Version=…`, XML answers, errors `<ErrorResponse><Error><Type>Sender</Type><Code>…`). Every request
 * must be SigV4-signed by a known key with a scope naming the right service and region, else it is answered
 * 400/403 and listed in `malformed`. Faults: throttle the next N calls, deny an operation for good.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { verifySigV4 } from './aws-sigv4.ts';
import { AwsFault, newSsoState, ssoOperation, type SsoState } from './aws-sso.ts';
import { iamOperation, newIamState, stsOperation, type IamState } from './aws-iam.ts';

export { addRole, sessionDenied, ACCOUNT_ID } from './aws-iam.ts';
export { assignmentKey, IDENTITY_STORE_ID, PERMISSION_SET_ARN, SSO_INSTANCE_ARN } from './aws-sso.ts';

export interface AwsCall {
  service: 'sso' | 'identitystore' | 'iam' | 'sts';
  /** `CreateAccountAssignment`, `GetUserId`, `PutRolePolicy`, `AssumeRole`, … */
  operation: string;
  params: Record<string, any>;
  /** What the fake answered: 200, or the error code. */
  outcome: string;
}

interface Fault {
  operation?: string;
  remaining: number;
  code?: string;
}

export interface FakeAws {
  url: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sso: SsoState;
  iam: IamState;
  calls: AwsCall[];
  /** Requests refused as malformed (bad signature, scope, content type, body): a test expects none. */
  malformed: string[];
  /** The next `n` calls (of `operation`, if given) are throttled: ThrottlingException (JSON) or Throttling (query). */
  throttleNext(n: number, operation?: string): void;
  /** The next `n` calls of `operation` fail with `code` (e.g. InternalServerException, ConflictException). */
  failNext(n: number, operation: string, code: string): void;
  /** Every call of `operation` is denied (AccessDeniedException / AccessDenied) until `allow`. */
  deny(operation: string): void;
  /** Drops injected faults not yet used. */
  clearFaults(): void;
  allow(operation: string): void;
  callsOf(operation: string): AwsCall[];
  close(): Promise<void>;
}

const JSON_SERVICES: Record<string, 'sso' | 'identitystore'> = { SWBExternalService: 'sso', AWSIdentityStore: 'identitystore' };
const STS_ACTIONS = new Set(['AssumeRole', 'GetCallerIdentity']);
const SERVER_CODES = new Set(['InternalServerException', 'InternalFailure', 'ServiceUnavailable', 'ServiceFailure']);

export async function startFakeAws(options: { region?: string } = {}): Promise<FakeAws> {
  const region = options.region ?? 'eu-west-1';
  const accessKeyId = 'AKIAFAKESTINT0000001';
  const secretAccessKey = randomBytes(20).toString('base64');
  const secrets = new Map([[accessKeyId, secretAccessKey]]);
  const sso = newSsoState();
  const iam = newIamState();
  const calls: AwsCall[] = [];
  const malformed: string[] = [];
  const faults: Fault[] = [];
  const denied = new Set<string>();

  function injected(operation: string): AwsFault | null {
    if (denied.has(operation)) return new AwsFault('AccessDenied', `User: arn:aws:iam::123456789012:user/stint is not authorized to perform: ${operation}`, 403);
    const fault = faults.find((f) => f.remaining > 0 && (!f.operation || f.operation === operation));
    if (!fault) return null;
    fault.remaining--;
    const code = fault.code ?? 'Throttling';
    return new AwsFault(code, code === 'Throttling' ? 'Rate exceeded' : `Injected ${code}`, SERVER_CODES.has(code) ? 500 : code === 'Throttling' ? 400 : 400);
  }

  // JSON services name throttling and denial with the Exception suffix.
  const wireCode = (fault: AwsFault, asJson: boolean) =>
    !asJson ? fault.code : fault.code === 'Throttling' ? 'ThrottlingException' : fault.code === 'AccessDenied' ? 'AccessDeniedException' : fault.code;

  function sendJsonError(res: ServerResponse, fault: AwsFault): void {
    const code = wireCode(fault, true);
    res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code, 'x-amzn-requestid': randomBytes(8).toString('hex') });
    res.end(JSON.stringify({ __type: code, message: fault.message }));
  }

  function sendXmlError(res: ServerResponse, fault: AwsFault): void {
    const type = fault.status >= 500 ? 'Receiver' : 'Sender';
    res.writeHead(fault.status, { 'content-type': 'text/xml' });
    res.end(`<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>${type}</Type><Code>${fault.code}</Code><Message>${fault.message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`);
  }

  function refuse(res: ServerResponse, asJson: boolean, reason: string, code = 'IncompleteSignature', status = 400): void {
    malformed.push(reason);
    const fault = new AwsFault(code, reason, status);
    if (asJson) sendJsonError(res, fault);
    else sendXmlError(res, fault);
  }

  function handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const target = typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined;
    const asJson = target !== undefined;
    if (req.method !== 'POST' || req.url !== '/') return refuse(res, asJson, `unexpected ${req.method} ${req.url}`, 'InvalidAction');
    let service: AwsCall['service'];
    let operation: string;
    let jsonParams: Record<string, any> = {};
    let form = new URLSearchParams();
    if (asJson) {
      const [prefix, name] = target.split('.');
      if (!prefix || !name || !JSON_SERVICES[prefix]) return refuse(res, true, `unknown X-Amz-Target ${target}`, 'UnknownOperationException');
      if (req.headers['content-type'] !== 'application/x-amz-json-1.1') return refuse(res, true, `content-type must be application/x-amz-json-1.1, got ${req.headers['content-type']}`, 'SerializationException');
      try {
        jsonParams = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        return refuse(res, true, 'body is not JSON', 'SerializationException');
      }
      service = JSON_SERVICES[prefix];
      operation = name;
    } else {
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return refuse(res, false, `content-type must be form-encoded, got ${req.headers['content-type']}`, 'InvalidParameterValue');
      form = new URLSearchParams(body.toString('utf8'));
      const action = form.get('Action');
      if (!action) return refuse(res, false, 'query request without Action', 'MissingAction');
      service = STS_ACTIONS.has(action) ? 'sts' : 'iam';
      operation = action;
    }
    const scope = verifySigV4({ method: req.method, path: req.url, headers: req.headers, body }, secrets);
    if ('reason' in scope) return refuse(res, asJson, `${operation}: ${scope.reason}`, scope.reason.startsWith('SignatureDoesNotMatch') ? 'SignatureDoesNotMatch' : 'IncompleteSignature', 403);
    if (scope.service !== service || scope.region !== region) {
      return refuse(res, asJson, `${operation}: credential scope ${scope.region}/${scope.service} but this is ${region}/${service}`, 'SignatureDoesNotMatch', 403);
    }
    const params = asJson ? jsonParams : Object.fromEntries(form);
    const call: AwsCall = { service, operation, params, outcome: '200' };
    calls.push(call);
    try {
      const fault = injected(operation);
      if (fault) throw fault;
      if (asJson) {
        const answer = ssoOperation(sso, target, jsonParams);
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomBytes(8).toString('hex') });
        res.end(JSON.stringify(answer));
      } else {
        const xml = service === 'sts' ? stsOperation(iam, operation, form) : iamOperation(iam, operation, form);
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(xml);
      }
    } catch (error) {
      if (!(error instanceof AwsFault)) throw error;
      call.outcome = wireCode(error, asJson);
      if (asJson) sendJsonError(res, error);
      else sendXmlError(res, error);
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, Buffer.concat(chunks), res);
      } catch (error) {
        malformed.push(`fake crashed: ${String(error)}`);
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('fake crashed');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    region,
    accessKeyId,
    secretAccessKey,
    sso,
    iam,
    calls,
    malformed,
    throttleNext(n, operation) {
      faults.push({ remaining: n, ...(operation ? { operation } : {}) });
    },
    failNext(n, operation, code) {
      faults.push({ remaining: n, operation, code });
    },
    deny(operation) {
      denied.add(operation);
    },
    clearFaults() {
      faults.length = 0;
    },
    allow(operation) {
      denied.delete(operation);
    },
    callsOf(operation) {
      return calls.filter((c) => c.operation === operation);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
