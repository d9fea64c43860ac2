// The ESM entry: the same objects as the CommonJS one, so `instanceof`
// works across both.
export {
  Child,
  CloneError,
  CloneFlags,
  FLAG_BITS,
  FLAG_RULES,
  presets,
  run,
  spawn,
} from './index.js';
export type * from './index.js';
