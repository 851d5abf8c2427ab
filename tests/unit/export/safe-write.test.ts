import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp';
import { makeFixture, listFiles, type Fixture } from './fixtures';
import { ExportWriter, nodeIo, sanitizeFileName, withExportWriter, type WriterIo } from '../../../src/main/export/safe-write';
import { exportGenerations } from '../../../src/main/export/exporter';
import { AtelierError } from '../../../src/shared/errors';

let fx: Fixture | undefined;
afterEach(() => {
  fx?.db.close();
  fx = undefined;
});

describe('file names', () => {
  it.each([
    ['../../etc/passwd', 'etc_passwd'],
    ['..\\..\\windows\\system32.png', 'windows_system32.png'],
    ['/abs/path.png', 'abs_path.png'],
    ['a/b\\c:d*e?f"g<h>i|j.png', 'a_b_c_d_e_f_g_h_i_j.png'],
    ['..', 'export'],
    ['.hidden', 'hidden'],
    ['CON.png', '_CON.png'],
    ['nul', '_nul'],
    ['trailing dots... ', 'trailing dots'],
    ['tab\there\u0000nul.png', 'tab_here_nul.png'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('keeps the extension when cutting long names', () => {
    const long = sanitizeFileName(`${'ü'.repeat(200)}.png`);
    expect(long.endsWith('.png')).toBe(true);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(120);
  });

  it('path traversal names land inside the chosen folder, never outside, and never overwrite', async () => {
    const root = tempDir();
    const out = path.join(root, 'out');
    const w = new ExportWriter(out);
    await w.prepare();
    for (const name of ['../escape.png', '../../escape.png', '/tmp/escape.png', 'sub/../../escape.png', '..', 'ok.png', 'ok.png']) await w.write(name, 'x');
    expect(fs.readdirSync(root)).toEqual(['out']);
    expect(w.files.map((f) => f.name)).toEqual(['escape.png', 'escape-2.png', 'tmp_escape.png', 'sub_escape.png', 'export', 'ok.png', 'ok-2.png']);
    expect(listFiles(out).sort()).toEqual(w.files.map((f) => f.name).sort());
    for (const f of w.files) expect(path.dirname(f.path)).toBe(out);
  });

  it('refuses a symlink inside the folder that points outside it', async () => {
    const root = tempDir();
    const out = path.join(root, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(root, 'secret.png'), 'keep');
    fs.symlinkSync(path.join(root, 'secret.png'), path.join(out, 'link.png'));
    const w = new ExportWriter(out);
    // link.png exists (as a link), so the export picks another name rather than writing through it.
    const f = await w.write('link.png', 'new');
    expect(f.name).toBe('link-2.png');
    expect(fs.readFileSync(path.join(root, 'secret.png'), 'utf8')).toBe('keep');
  });
});

describe('a full disk', () => {
  it('an ENOSPC part-way through a multi-file export leaves nothing behind and says the disk is full', async () => {
    const dataDir = tempDir();
    fx = await makeFixture(dataDir);
    const out = path.join(tempDir(), 'out');
    let writes = 0;
    const fullAfterTwo: WriterIo = {
      ...nodeIo,
      async writeTemp(file, data) {
        writes++;
        if (writes <= 2) return nodeIo.writeTemp(file, data);
        // Half the bytes reach the disk, then it is full.
        fs.writeFileSync(file, data.subarray(0, data.length >> 1));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    const err = await exportGenerations({ db: fx.db, dataDir, appVersion: '0.1.0', io: fullAfterTwo }, out, { ids: fx.generationIds, format: 'png' }).catch((e) => e);
    expect(err).toBeInstanceOf(AtelierError);
    expect(err.code).toBe('disk_full');
    expect(err.message).toMatch(/disk is full/i);
    expect(writes).toBe(3);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('into a folder that already existed: the folder and its other files stay, ours go', async () => {
    const out = tempDir();
    fs.writeFileSync(path.join(out, 'mine.txt'), 'hello');
    const err = await withExportWriter(
      out,
      async (w) => {
        await w.write('a.png', 'aaaa');
        throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
      },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(listFiles(out)).toEqual(['mine.txt']);
  });

  it('on a real tiny filesystem (tmpfs, where it can be mounted) a too-large export leaves nothing', async () => {
    const mnt = tempDir('atelier-tmpfs-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      console.warn('tmpfs could not be mounted here (needs root); the injected-ENOSPC tests above cover this path');
      return;
    }
    try {
      const out = path.join(mnt, 'export');
      const big = Buffer.alloc(40 * 1024, 7);
      const err = await withExportWriter(out, async (w) => {
        await w.write('one.bin', big);
        await w.write('two.bin', big); // does not fit
      }).catch((e) => e);
      expect(err).toBeInstanceOf(AtelierError);
      expect(err.code).toBe('disk_full');
      expect(listFiles(mnt)).toEqual([]);
      expect(fs.readdirSync(mnt)).toEqual([]);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
