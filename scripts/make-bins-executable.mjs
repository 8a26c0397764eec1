// tsc does not preserve the executable bit; npm links bins from dist/, so set it after each build.
import { chmodSync, existsSync } from 'node:fs';

for (const bin of ['dist/cli/claudeman.js', 'dist/cli/sticky-overseer.js']) {
  if (existsSync(bin)) chmodSync(bin, 0o755);
}
