/**
 * A viewer's terminal answers the queries it finds in what it draws: device attributes (`\e[c`,
 * `\e[>c`), the terminal's version (`\e[>q`), mode and setting reports, colours. The stored screen a
 * viewer replays holds the agent's old queries too, so every reload, second tab or `attach` answered
 * them again, and the answers reached the agent as keystrokes (Claude Code received
 * `^[[>0;276;0c/clear`). The agent's terminal is the server's (a PTY, or tmux, which answers for
 * itself), not any viewer's: these replies are dropped from what viewers type. None of them is a key
 * a person can press (keys with modifiers end in `~`, a letter other than `c`/`y`, or are SS3).
 */
const VIEWER_REPLY = new RegExp(
  [
    // DA1 / DA2 / DA3-as-CSI replies: CSI ? … c, CSI > … c, CSI = … c.
    String.raw`\x1b\[[?>=][0-9;]*c`,
    // DECRPM (mode reports): CSI ? Ps ; Pm $ y and CSI Ps ; Pm $ y.
    String.raw`\x1b\[\??[0-9]+;[0-9]+\$y`,
    // DCS replies: XTVERSION (>|), DA3 (!|), DECRQSS (0$r / 1$r), XTGETTCAP (0+r / 1+r), ended by ST or BEL.
    String.raw`\x1bP(?:>\||!\||[01]\$r|[01]\+r)[^\x1b\x07]*(?:\x1b\\|\x07)`,
    // OSC colour replies: OSC 4 / 10 / 11 / 12 … ;rgb:… ended by ST or BEL.
    String.raw`\x1b\](?:4;[0-9]+|1[0-2]);rgb:[0-9a-fA-F/]*(?:\x1b\\|\x07)`,
  ].join('|'),
  'g',
);

/** What a viewer typed, without its terminal's replies to queries. */
export function withoutViewerReplies(input: string): string {
  // Most input is a keystroke or a paste without ESC: nothing to scan.
  return input.includes('\x1b') ? input.replace(VIEWER_REPLY, '') : input;
}

/**
 * Focus reports (`CSI I`, `CSI O`, sent when the agent asked for them): a viewer's window gained or
 * lost focus. They still reach the agent, but they are not typing: switching windows must not take
 * the agent's size.
 */
const FOCUS_REPORT = new RegExp(`${'\x1b'}\\[[IO]`, 'g');

/** Whether `input` (already without viewer replies) holds anything a person typed. */
export function isTyping(input: string): boolean {
  return input !== '' && (!input.includes('\x1b') || input.replace(FOCUS_REPORT, '') !== '');
}
