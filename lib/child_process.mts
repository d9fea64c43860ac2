// The ESM entry of linux-clone/child_process: the same objects as the
// CommonJS one, and, as node:child_process has, the module as default export.
import childProcess from './child-process/index.js';

export {
  ChildProcess,
  exec,
  execFile,
  execFileSync,
  execSync,
  fork,
  spawn,
  spawnSync,
} from './child-process/index.js';
export type * from './child-process/index.js';
export default childProcess;
