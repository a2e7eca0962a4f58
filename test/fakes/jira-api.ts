/**
 * A local fake of the two Jira Cloud REST v3 calls Stint makes, enforcing their contract: `Authorization: Basic
 * base64(email:token)` (else 401), `GET /rest/api/3/issue/{key}?fields=summary,status` exactly (404 with Jira's
 * `errorMessages` for an unknown key) and `POST /rest/api/3/issue/{key}/comment` with an Atlassian Document Format
 * `{ body: { type: doc, version: 1, content } }` (201). Anything else is 400. Comments received are kept.
 */
import { startJsonFake, type Answer, type JsonFake, type RecordedCall } from '../oncall/fake-pager-server.ts';

export interface FakeJira extends JsonFake {
  email: string;
  token: string;
  /** Issues by key: summary and status name. */
  issues: Map<string, { summary: string; status: string }>;
  /** Comments accepted, in order: the ADF body and its text. */
  comments: Array<{ key: string; body: any; text: string }>;
}

const notFound: Answer = { status: 404, body: { errorMessages: ['Issue does not exist or you do not have permission to see it.'], errors: {} } };
const bad = (message: string): Answer => ({ status: 400, body: { errorMessages: [message], errors: {} } });

/** The text of an ADF document (paragraphs of text nodes), or null when it is not one. */
function adfText(doc: any): string | null {
  if (!doc || doc.type !== 'doc' || doc.version !== 1 || !Array.isArray(doc.content)) return null;
  const parts: string[] = [];
  for (const block of doc.content) {
    if (block?.type !== 'paragraph' || !Array.isArray(block.content)) return null;
    for (const node of block.content) {
      if (node?.type !== 'text' || typeof node.text !== 'string') return null;
      parts.push(node.text);
    }
  }
  return parts.join('\n');
}

export async function startFakeJira(options: { email?: string; token?: string } = {}): Promise<FakeJira> {
  const email = options.email ?? 'stint@example.com';
  const token = options.token ?? 'jira-api-token-0123456789';
  const issues = new Map<string, { summary: string; status: string }>();
  const comments: FakeJira['comments'] = [];
  const auth = `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`;

  const route = (call: RecordedCall): Answer => {
    if (call.headers.authorization !== auth) return { status: 401, body: { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} } };
    const issue = /^\/rest\/api\/3\/issue\/([^/]+)$/.exec(call.path);
    if (call.method === 'GET' && issue) {
      if ([...call.query.keys()].join(',') !== 'fields' || call.query.get('fields') !== 'summary,status') return bad('expected ?fields=summary,status');
      const key = decodeURIComponent(issue[1]!);
      const found = issues.get(key);
      if (!found) return notFound;
      return { status: 200, body: { id: '10001', key, self: `/rest/api/3/issue/10001`, fields: { summary: found.summary, status: { name: found.status, statusCategory: { key: 'indeterminate' } } } } };
    }
    const comment = /^\/rest\/api\/3\/issue\/([^/]+)\/comment$/.exec(call.path);
    if (call.method === 'POST' && comment) {
      if ([...call.query.keys()].length > 0) return bad('no query expected');
      const key = decodeURIComponent(comment[1]!);
      if (call.headers['content-type'] !== 'application/json') return bad('Content-Type must be application/json');
      const text = adfText(call.body?.body);
      if (text === null || Object.keys(call.body).length !== 1) return bad('Comment body is not valid Atlassian Document Format');
      if (!issues.has(key)) return notFound;
      comments.push({ key, body: call.body.body, text });
      return { status: 201, body: { id: String(10_000 + comments.length), body: call.body.body } };
    }
    return bad(`unexpected ${call.method} ${call.path}`);
  };
  const fake = await startJsonFake(route, () => {
    issues.clear();
    comments.length = 0;
  });
  return Object.assign(fake, { email, token, issues, comments });
}
