/**
 * One `stint ssh` session on the gateway: make a key pair in memory, have the provider authorize its public half,
 * open the upstream shell with the private half (then drop it), pipe both ways while recording the output, and
 * when the session ends store the recording with its hash (audited) and end the grant as the requester ("done").
 * Expiry or a revoke that comes first closes the session with a line saying so.
 */
import ssh2, { type ServerChannel } from 'ssh2';
import { ulid } from 'ulid';
import type { Actor } from '../core/actor.ts';
import { endGrant } from '../core/end-grant.ts';
import { authorizeLaunchKey, checkLaunchLogin } from '../core/open-launch.ts';
import { isStintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import type { GatewayDeps } from './gateway-deps.ts';
import { keyFingerprint } from './host-key.ts';
import { generateSshKeyPair } from './ssh-keys.ts';
import { AsciicastRecorder } from './recorder.ts';
import { openUpstream, UpstreamError, type PtyShape, type Upstream } from './upstream.ts';

/** Why a session ended: the user or the target hung up, access ended first, or the gateway shuts down. */
export type EndReason = 'client' | 'upstream' | 'expired' | 'revoked' | 'shutdown';

export class LaunchSession {
  private upstream: Upstream | undefined;
  private recorder: AsciicastRecorder | undefined;
  private watch: NodeJS.Timeout | undefined;
  private exitStatus: number | null = null;
  private ending: Promise<void> | undefined;
  private startedAt = new Date(0);
  private resourceId = '';

  constructor(
    private readonly deps: GatewayDeps,
    private readonly actor: Actor,
    private readonly request: AccessRequest,
    private readonly channel: ServerChannel,
    private readonly pty: PtyShape,
    private readonly clientIp: string,
  ) {}

  /** Opens the upstream session; false (after telling the user why) when it could not be opened. */
  async open(): Promise<boolean> {
    const { deps, request } = this;
    try {
      // Read again: the grant may have ended between the login and the shell.
      checkLaunchLogin(this.actor, await deps.store.getRequest(request.id), request.id, deps.grants.clock.now());
      // The private key lives in this scope only: handed to the upstream client, never stored, logged or sent.
      const pair = (deps.generateKeyPair ?? generateSshKeyPair)();
      const { resourceId, target } = await authorizeLaunchKey(request, pair.public, { store: deps.store, providers: deps.grants.providers });
      this.resourceId = resourceId;
      this.upstream = await openUpstream(target, pair.private, this.pty);
      // The client hung up while the target was being reached: nothing was used, nothing to record.
      if (this.ending) {
        this.upstream.close();
        return false;
      }
      this.startedAt = deps.grants.clock.now();
      const publicBlob = ssh2.utils.parseKey(pair.public);
      await deps.store.appendAudit({
        actor: this.actor.id,
        action: 'session.started',
        requestId: request.id,
        data: {
          resourceId,
          host: target.host,
          port: target.port,
          username: target.username,
          clientIp: this.clientIp,
          sessionKey: publicBlob instanceof Error || Array.isArray(publicBlob) ? null : keyFingerprint(publicBlob.getPublicSSH()),
        },
        at: this.startedAt,
      });
    } catch (err) {
      const why = err instanceof UpstreamError || isStintError(err) ? err.message : 'an unexpected error on the gateway (see its log)';
      if (!(err instanceof UpstreamError) && !isStintError(err)) deps.logger.error({ err, requestId: request.id }, 'gateway: opening a launch session failed');
      await deps.store
        .appendAudit({ actor: this.actor.id, action: 'session.failed', requestId: request.id, data: { reason: why, clientIp: this.clientIp }, at: deps.grants.clock.now() })
        .catch(() => undefined);
      this.upstream?.close();
      this.say(`stint: ${why}.\r\nThe grant ${request.id} stays active: try again with \`stint ssh --request ${request.id}\`, or end it with \`stint done ${request.id}\`.\r\n`);
      this.closeChannel(1);
      return false;
    }
    this.pipe(this.upstream);
    return true;
  }

  /** A window change from the client: to the target's pty and into the recording. */
  resize(shape: { cols: number; rows: number; width: number; height: number }): void {
    this.upstream?.stream.setWindow(shape.rows, shape.cols, shape.height, shape.width);
    this.recorder?.resize(shape.cols, shape.rows);
  }

  /** Ends the session once, whoever asks first; resolves when the recording is stored and the grant ended. */
  end(reason: EndReason, notice?: string): Promise<void> {
    this.ending ??= this.finish(reason, notice);
    return this.ending;
  }

  private pipe(upstream: Upstream): void {
    const { stream } = upstream;
    const clock = this.deps.grants.clock;
    const startedMs = this.startedAt.getTime();
    // Event times from a monotonic clock: the wall clock (and a test's fixed one) may jump.
    const t0 = performance.now();
    this.recorder = new AsciicastRecorder(startedMs, this.pty.cols, this.pty.rows, this.pty.term, () => startedMs + (performance.now() - t0));
    stream.on('data', (chunk: Buffer) => {
      this.channel.write(chunk);
      this.recorder?.output(chunk);
    });
    stream.stderr.on('data', (chunk: Buffer) => {
      this.channel.stderr.write(chunk);
      this.recorder?.output(chunk);
    });
    stream.on('exit', (code: number | null) => {
      if (typeof code === 'number') this.exitStatus = code;
    });
    stream.on('close', () => void this.end('upstream'));
    this.channel.on('data', (chunk: Buffer) => stream.write(chunk));
    this.channel.on('close', () => void this.end('client'));
    // Access ends at expiry or on a revoke whichever comes first; read from the store, so an extension is honoured.
    this.watch = setInterval(() => {
      void this.deps.store.getRequest(this.request.id).then(
        (current) => {
          if (!current) return;
          if (current.status !== 'ACTIVE') return void this.end('revoked', `stint: access to ${this.resourceId} was ended (${current.revokeCause ?? current.status.toLowerCase()}); the session is closed.`);
          if (current.expiresAt && current.expiresAt.getTime() <= clock.now().getTime()) {
            return void this.end('expired', `stint: access to ${this.resourceId} expired at ${current.expiresAt.toISOString()}; the session is closed.`);
          }
        },
        (err: unknown) => this.deps.logger.warn({ err, requestId: this.request.id }, 'gateway: could not read the request to watch its expiry'),
      );
    }, this.deps.watchIntervalMs ?? 1000);
  }

  private async finish(reason: EndReason, notice: string | undefined): Promise<void> {
    clearInterval(this.watch);
    if (notice) this.say(`\r\n${notice}\r\n`);
    this.closeChannel(this.exitStatus ?? (notice ? 1 : 0));
    this.upstream?.close();
    if (!this.recorder) return;
    const { deps, request } = this;
    const endedAt = deps.grants.clock.now();
    const finished = this.recorder.finish();
    const recordingId = `rec_${ulid()}`;
    const store = deps.store
      .saveSessionRecording(
        {
          id: recordingId,
          requestId: request.id,
          resourceId: this.resourceId,
          personId: request.requesterId,
          startedAt: this.startedAt,
          endedAt,
          width: this.recorder.width,
          height: this.recorder.height,
          bytes: finished.bytes,
          sha256: finished.sha256,
          exitStatus: this.exitStatus,
          content: finished.content,
        },
        {
          actor: 'stint',
          action: 'session.recorded',
          requestId: request.id,
          data: { recordingId, resourceId: this.resourceId, sha256: finished.sha256, bytes: finished.bytes, durationMs: endedAt.getTime() - this.startedAt.getTime(), exitStatus: this.exitStatus, endedBy: reason },
          at: endedAt,
        },
      )
      .catch((err: unknown) => deps.logger.error({ err, requestId: request.id }, 'gateway: storing the session recording failed'));
    // The session was the access: when the user (or the target) ends it, the grant ends as if they said done — at
    // once, beside storing the recording, so the revoke does not wait for it. At a shutdown the grant stays, so the
    // user can reconnect to another gateway replica.
    const end =
      reason === 'client' || reason === 'upstream'
        ? endGrant(this.actor, { requestId: request.id, cause: 'done', comment: 'the stint ssh session ended' }, deps.grants).catch((err: unknown) =>
            deps.logger.error({ err, requestId: request.id }, 'gateway: ending the grant after the session failed; expiry still revokes it'),
          )
        : undefined;
    await Promise.all([store, end]);
  }

  private say(text: string): void {
    try {
      this.channel.stderr.write(text);
    } catch {
      // the client is gone: nothing to tell
    }
  }

  private closeChannel(status: number): void {
    try {
      this.channel.exit(status);
      this.channel.end();
    } catch {
      // already closed by the client
    }
  }
}
