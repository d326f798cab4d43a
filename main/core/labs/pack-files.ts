// Reads a lab pack (a folder or a .zip) into memory as relative path → bytes, refusing anything
// that could reach outside the pack: absolute paths, "..", symlinks, and archives that inflate to
// more than the limits below.
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { Problem } from './yaml-locate.ts';

export const LIMITS = { files: 2000, fileBytes: 4 * 1024 * 1024, totalBytes: 64 * 1024 * 1024, ratio: 200 };

export interface PackFiles {
  files: Map<string, Uint8Array>;
  problems: Problem[];
}

/** A safe pack-relative path, or a reason it is not. */
export function checkEntryName(name: string): string | null {
  if (name.includes('\0')) return 'contains a NUL byte';
  if (name.includes('\\')) return 'uses backslashes';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  if (name.split('/').some((seg) => seg === '..')) return 'escapes the pack ("..")';
  return null;
}

export async function readPackFolder(root: string): Promise<PackFiles> {
  const files = new Map<string, Uint8Array>();
  const problems: Problem[] = [];
  let total = 0;
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === 'node_modules' || e.name === '.git') continue;
      const st = await lstat(path.join(root, r));
      if (st.isSymbolicLink()) {
        problems.push({ file: r, line: 1, message: 'symbolic links are not allowed in a lab pack' });
      } else if (st.isDirectory()) {
        await walk(r);
      } else if (st.isFile()) {
        if (files.size >= LIMITS.files) throw new Error(`${root}: more than ${LIMITS.files} files; is this a lab pack?`);
        if (st.size > LIMITS.fileBytes) {
          problems.push({ file: r, line: 1, message: `file is larger than ${LIMITS.fileBytes} bytes` });
          continue;
        }
        total += st.size;
        if (total > LIMITS.totalBytes) throw new Error(`${root}: larger than ${LIMITS.totalBytes} bytes; is this a lab pack?`);
        files.set(r, await readFile(path.join(root, r)));
      }
    }
  };
  await walk('');
  return { files, problems };
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Central-directory facts fflate does not expose: the Unix mode (symlinks). */
function zipModes(zip: Uint8Array): Map<string, number> {
  const modes = new Map<string, number>();
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 65557); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)');
  const count = dv.getUint16(eocd + 10, true);
  let p = dv.getUint32(eocd + 16, true);
  const dec = new TextDecoder();
  for (let n = 0; n < count && p + 46 <= zip.length; n++) {
    if (dv.getUint32(p, true) !== 0x02014b50) break;
    const madeBy = dv.getUint16(p + 4, true) >> 8;
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    const external = dv.getUint32(p + 38, true);
    const name = dec.decode(zip.subarray(p + 46, p + 46 + nameLen));
    // 3 = Unix: the high 16 bits of the external attributes are st_mode.
    if (madeBy === 3) modes.set(name, external >>> 16);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return modes;
}

export function readPackZip(zip: Uint8Array, zipName: string): PackFiles {
  const problems: Problem[] = [];
  let modes: Map<string, number>;
  try {
    modes = zipModes(zip);
  } catch (err) {
    return { files: new Map(), problems: [{ file: zipName, line: 1, message: (err as Error).message }] };
  }
  let total = 0;
  let count = 0;
  let raw: Record<string, Uint8Array>;
  try {
    raw = unzipSync(zip, {
      filter: (f) => {
        const bad = checkEntryName(f.name);
        if (bad) {
          problems.push({ file: `${zipName}!${f.name}`, line: 1, message: `archive entry ${bad}; refused` });
          return false;
        }
        const mode = modes.get(f.name);
        if (mode !== undefined && (mode & S_IFMT) === S_IFLNK) {
          problems.push({ file: `${zipName}!${f.name}`, line: 1, message: 'archive entry is a symbolic link; refused' });
          return false;
        }
        if (f.name.endsWith('/')) return false;
        count++;
        total += f.originalSize;
        if (count > LIMITS.files || f.originalSize > LIMITS.fileBytes || total > LIMITS.totalBytes || (f.size > 0 && f.originalSize / f.size > LIMITS.ratio && f.originalSize > 1024 * 1024)) {
          problems.push({ file: `${zipName}!${f.name}`, line: 1, message: 'archive entry is too large or too compressed (possible zip bomb); refused' });
          return false;
        }
        return true;
      },
    });
  } catch (err) {
    return { files: new Map(), problems: [...problems, { file: zipName, line: 1, message: `cannot read the archive: ${(err as Error).message}` }] };
  }
  const files = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(raw)) {
    if (data.length > LIMITS.fileBytes) {
      problems.push({ file: `${zipName}!${name}`, line: 1, message: 'archive entry inflates beyond its declared size; refused' });
      continue;
    }
    files.set(name, data);
  }
  return { files: stripCommonFolder(files), problems };
}

/** A zip of a folder usually wraps everything in that folder; look inside it. */
function stripCommonFolder(files: Map<string, Uint8Array>): Map<string, Uint8Array> {
  const names = [...files.keys()];
  if (!names.length || names.some((n) => n === 'lab.yaml' || /^[^/]+\/lab\.yaml$/.test(n))) return files;
  const tops = new Set(names.map((n) => n.split('/')[0]));
  if (tops.size !== 1 || names.some((n) => !n.includes('/'))) return files;
  const [top] = tops;
  return new Map(names.map((n) => [n.slice(top.length + 1), files.get(n)!]));
}
