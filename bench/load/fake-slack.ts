/**
 * A small fake of the Slack Web API and of response_url for the soak, living in the load generator's process:
 * it answers what Stint calls (chat.postMessage/update/postEphemeral, conversations.open, users.info, views.*)
 * with `ok:true`, checks Block Kit limits with the e2e fake's `checkBlocks` (a refused card counts as an
 * error), counts calls per method and hands each response_url post to whoever waits for its id. Unlike
 * test/fakes/slack-api.ts it keeps no call history, so a long run does not grow this process.
 */
import { createServer, type Server } from 'node:http';
import { checkBlocks, parseArgs, readBody } from '../../test/fakes/slack-api.ts';

export const SLACK_TOKEN = 'xoxb-soak-token';

export interface SoakSlack {
  url: string;
  /** For SLACK_API_URL. */
  apiUrl: string;
  responseUrl(id: string): string;
  /** Resolves with the text of the response_url post for `id` (or rejects after `timeoutMs`). */
  answer(id: string, timeoutMs: number): Promise<string>;
  callsByMethod: Map<string, number>;
  /** Calls refused as Slack would refuse them (bad blocks, missing arguments, unknown message). */
  refused: string[];
  close(): Promise<void>;
}

const REQUIRED: Record<string, string[]> = {
  'chat.postMessage': ['channel'],
  'chat.postEphemeral': ['channel', 'user'],
  'chat.update': ['channel', 'ts'],
  'conversations.open': ['users'],
  'users.info': ['user'],
};

export async function startSoakSlack(): Promise<SoakSlack> {
  const callsByMethod = new Map<string, number>();
  const refused: string[] = [];
  const answers = new Map<string, string>();
  const waiting = new Map<string, (text: string) => void>();
  let ts = 1_700_000_000_000;

  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const send = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '').split('?')[0]!;
      if (path.startsWith('/response/')) {
        const id = path.slice('/response/'.length);
        const text = String((raw ? (JSON.parse(raw) as { text?: unknown }) : {}).text ?? '');
        const waiter = waiting.get(id);
        if (waiter) {
          waiting.delete(id);
          waiter(text);
        } else answers.set(id, text);
        return send({ ok: true });
      }
      const method = path.replace(/^\/api\//, '');
      callsByMethod.set(method, (callsByMethod.get(method) ?? 0) + 1);
      const args = parseArgs(raw, req.headers['content-type']);
      const refuse = (error: string) => {
        if (refused.length < 1000) refused.push(`${method}: ${error}`);
        return send({ ok: false, error });
      };
      if (req.headers.authorization !== `Bearer ${SLACK_TOKEN}` && args.token !== SLACK_TOKEN) return refuse('invalid_auth');
      const missing = (REQUIRED[method] ?? []).filter((k) => args[k] === undefined || args[k] === '');
      if (missing.length > 0) return refuse(`invalid_arguments ${missing.join(',')}`);
      const blocks = checkBlocks(args.blocks ?? (typeof args.view === 'object' ? (args.view as { blocks?: unknown }).blocks : undefined));
      if (blocks) return refuse(`invalid_blocks ${blocks}`);
      switch (method) {
        case 'auth.test':
          return send({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', team: 'Soak', url: 'https://soak.slack.com/' });
        case 'users.info':
          return send({ ok: true, user: { id: args.user, is_email_confirmed: true, profile: { email: `${String(args.user).toLowerCase()}@example.com` } } });
        case 'conversations.open':
          return send({ ok: true, channel: { id: `D${String(args.users).split(',')[0]}` } });
        case 'chat.postMessage': {
          const stamp = `${Math.floor(++ts / 1000)}.${String(ts % 1_000_000).padStart(6, '0')}`;
          return send({ ok: true, channel: args.channel, ts: stamp, message: { ts: stamp } });
        }
        default:
          return send({ ok: true, channel: args.channel, ts: args.ts });
      }
    }, () => res.destroy());
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    url,
    apiUrl: `${url}/api/`,
    responseUrl: (id) => `${url}/response/${id}`,
    answer(id, timeoutMs) {
      const early = answers.get(id);
      if (early !== undefined) {
        answers.delete(id);
        return Promise.resolve(early);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`no response_url answer for ${id} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, (text) => {
          clearTimeout(timer);
          resolve(text);
        });
      });
    },
    callsByMethod,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
