// Looking up a loopback TCP connection in /proc/net/tcp{,6}: lets the benchmark see when the server
// closed a connection whose client is not reading (the close frame is stuck behind unread data).
// Reading these files costs a few ms of (kernel) CPU per read on this machine, so callers sample
// sparingly, and both ends of a connection are found with one read.
import { readFileSync } from 'node:fs';

const STATES = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** @typedef {{state: string, txQueue: number, rxQueue: number}} TcpEntry */

/** @param {number} port */
const hexPort = (port) => `:${port.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Both ends of the loopback connection between `serverPort` and `clientPort` (any address family).
 * @param {number} serverPort
 * @param {number} clientPort
 * @returns {{server: TcpEntry | null, client: TcpEntry | null}}
 */
export function findTcpPair(serverPort, clientPort) {
  const sp = hexPort(serverPort);
  const cp = hexPort(clientPort);
  /** @type {{server: TcpEntry | null, client: TcpEntry | null}} */
  const out = { server: null, client: null };
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes(cp)) continue;
      const f = line.trim().split(/\s+/);
      const local = f[1] ?? '';
      const remote = f[2] ?? '';
      const [tx, rx] = (f[4] ?? '0:0').split(':');
      const st = /** @type {keyof typeof STATES} */ (f[3]);
      const entry = {
        state: STATES[st] ?? st,
        txQueue: Number.parseInt(tx ?? '0', 16),
        rxQueue: Number.parseInt(rx ?? '0', 16),
      };
      if (local.endsWith(sp) && remote.endsWith(cp)) out.server = entry;
      else if (local.endsWith(cp) && remote.endsWith(sp)) out.client = entry;
    }
    if (out.server && out.client) break;
  }
  return out;
}
