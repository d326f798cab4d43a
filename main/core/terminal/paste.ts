// "Copy to terminal" must put a command on the prompt without running it. Shells that enabled
// bracketed paste (bash ≥ 5.1, zsh, fish, PSReadLine) take the text as one literal paste; for
// the others each line break is preceded by a quoted-insert (Ctrl-V) so readline/zle keep it.

const BRACKET_ON = '\x1b[?2004h';
const BRACKET_OFF = '\x1b[?2004l';

/** Follows the shell's bracketed-paste mode switches across output chunks. */
export class BracketedPasteTracker {
  enabled = false;
  private tail = '';

  feed(chunk: string): void {
    const text = this.tail + chunk;
    const on = text.lastIndexOf(BRACKET_ON);
    const off = text.lastIndexOf(BRACKET_OFF);
    if (on > off) this.enabled = true;
    else if (off > on) this.enabled = false;
    // Keep enough to see a switch split across two reads.
    this.tail = text.slice(-(BRACKET_ON.length - 1));
  }
}

/** The bytes to write into the pty for `text`, never ending in a line break (which would run it). */
export function pasteSequence(text: string, bracketed: boolean, platform: NodeJS.Platform = process.platform): string {
  let body = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '');
  // A pasted end-of-paste marker would let the rest of the text escape the paste and run.
  body = body.replaceAll('\x1b[201~', '').replaceAll('\x1b[200~', '');
  if (bracketed) return `\x1b[200~${body.replace(/\n/g, '\r')}\x1b[201~`;
  if (platform === 'win32') return body.replace(/\n/g, '\r');
  return body.replace(/\n/g, '\x16\n');
}
