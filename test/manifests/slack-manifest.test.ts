/** The Slack app manifests a user pastes must point every Slack callback at the routes Stint serves. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SLACK_EVENTS_PATH } from '../../src/slack/fastify-receiver.ts';

const load = (file: string) => parse(readFileSync(new URL(`../../manifests/slack/${file}`, import.meta.url), 'utf8'));

describe('Slack app manifests', () => {
  const http = load('manifest.yaml');
  const socket = load('manifest.socket-mode.yaml');

  it('sends the slash command, interactivity, options and events to /slack/events (HTTP mode)', () => {
    const urls = [http.features.slash_commands[0].url, http.settings.interactivity.request_url, http.settings.interactivity.message_menu_options_url, http.settings.event_subscriptions.request_url];
    for (const url of urls) expect(new URL(url).pathname).toBe(SLACK_EVENTS_PATH);
    expect(http.settings.socket_mode_enabled).toBe(false);
  });

  it('declares /jit, the Home tab and the events and scopes Stint uses, in both variants', () => {
    for (const manifest of [http, socket]) {
      expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual(['/jit']);
      expect(manifest.features.app_home.home_tab_enabled).toBe(true);
      expect(manifest.settings.event_subscriptions.bot_events).toContain('app_home_opened');
      expect(manifest.settings.interactivity.is_enabled).toBe(true);
      expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['commands', 'chat:write', 'im:write', 'users:read', 'users:read.email']));
    }
  });

  it('has no callback URLs in the Socket Mode variant', () => {
    expect(socket.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(socket)).not.toContain('https://');
  });
});
