// What the live suite shares: the server Tests/client/run.sh started, and a way to restart it.
import { spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtrangeClient } from '../etrange.js';

export const baseUrl = process.env.ETRANGE_URL ?? null;
export const database = process.env.ETRANGE_CLIENT_DATABASE ?? 'inconnue';
const pidfile = process.env.ETRANGE_CLIENT_PIDFILE;
const server = process.env.ETRANGE_CLIENT_SERVER;
const workdir = process.env.ETRANGE_CLIENT_WORKDIR;
const port = process.env.ETRANGE_CLIENT_PORT;

/** Why the live tests cannot run here, or null. */
export const skipLive = baseUrl ? false : 'ETRANGE_URL is not set: run Tests/client/run.sh BINARY';
export const canRestart = Boolean(pidfile && server && workdir && port);

export function client(options = {}) {
  return new EtrangeClient({ baseUrl, ...options });
}

export function uniqueName(prefix) {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** A new account, signed in. */
export async function signedUp(prefix, displayName = null) {
  const api = client();
  const username = uniqueName(prefix);
  await api.register({ username, password: 'mot-de-passe-1', display_name: displayName });
  return { api, username, password: 'mot-de-passe-1' };
}

/** Resolves with the first value of `probe()` that is truthy, polling; rejects after `ms`. */
export async function eventually(probe, what, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function running(pid) {
  try {
    // A zombie (exited, not yet reaped by run.sh) no longer serves anything.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function healthy() {
  try {
    return (await fetch(`${baseUrl}/health`)).ok;
  } catch {
    return false;
  }
}

/** Stops the server (SIGTERM: it closes its live sockets with 1001) and waits until it is gone. */
export async function stopServer() {
  const pid = Number(readFileSync(pidfile, 'utf8').trim());
  process.kill(pid, 'SIGTERM');
  await eventually(() => !running(pid), `server ${pid} to stop`, 20000);
}

/** Starts the server again on the same port and database, and waits for its /health. */
export async function startServer() {
  const log = openSync(`${workdir}/server.log`, 'a');
  const child = spawn(server, ['serve', '--hostname', '127.0.0.1', '--port', port], {
    cwd: workdir, env: process.env, stdio: ['ignore', log, log], detached: true,
  });
  child.unref();
  writeFileSync(pidfile, `${child.pid}\n`);
  await eventually(healthy, 'the restarted server to answer /health', 30000);
}

export function serverLogTail() {
  const path = `${workdir}/server.log`;
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').slice(-20).join('\n') : '';
}

/** An MJ, a player seated with a character in a running session of their partie. */
export async function seatedTable() {
  const mj = await signedUp('mj');
  const player = await signedUp('joueur');
  const partie = await mj.api.createPartie({ name: 'La table' });
  await player.api.joinPartie({ invite_code: partie.invite_code });
  const character = await player.api.createCharacter({ name: 'Armand', partie_id: partie.id });
  const session = await mj.api.createSession({ partie_id: partie.id, name: 'Ce soir' });
  await mj.api.startSession(session.id);
  await player.api.joinSession(session.id, { character_id: character.id });
  return { mj, player, partie, character, session };
}
