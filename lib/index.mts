// The ESM entry: the same objects as the CommonJS one, so `instanceof`
// works across both.
export {
  Child,
  clone,
  cloneSync,
  CloneError,
  CloneFlags,
  explain,
  NAMESPACES,
  probe,
  RESOURCES,
  FLAG_BITS,
  FLAG_RULES,
  presets,
  run,
  runSync,
  spawn,
  tasks,
} from './index.js';
export type * from './index.js';
