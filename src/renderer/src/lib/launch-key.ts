import { LAUNCH_HEADER, LAUNCH_META, LAUNCH_PROTOCOL_PREFIX, SOCKET_PROTOCOL } from '../../../shared/web-door';

/**
 * The web host writes a per-launch key into the page it serves; the studio returns it on everything that
 * changes data, which is how the host tells this page from any other page on the machine (see
 * src/shared/web-door.ts). Absent in Electron, which talks over IPC.
 */
export function launchKey(): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${LAUNCH_META}"]`)?.content ?? '';
}

/** Headers for a POST to the web host. */
export function launchHeaders(contentType: string): Record<string, string> {
  return { 'content-type': contentType, [LAUNCH_HEADER]: launchKey() };
}

/** Subprotocols for the socket: the one the host answers with, and the key. */
export function socketProtocols(): string[] {
  return [SOCKET_PROTOCOL, `${LAUNCH_PROTOCOL_PREFIX}${launchKey()}`];
}
