// probe() keeps the program's signal listeners (issue 14, item 16): it
// marked SIGURG's disposition and put the old one back, so a SIGURG
// listener added while a probe ran was silently dropped. The probe now
// marks a real-time signal, which JS cannot listen to.
import { runNodeScript } from './helpers';

const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';

describe('probe() keeps signal listeners (issue 14, item 16)', () => {
  it('SIGURG and SIGWINCH listeners added while a probe runs still fire after it', () => {
    const stdout = runNodeScript(`
      (async () => {
        const heard = [];
        const probing = lib.probe('CLONE_VM|CLONE_SIGHAND|SIGCHLD');
        await new Promise((r) => setImmediate(r));
        for (const signal of ['SIGURG', 'SIGWINCH']) process.on(signal, () => heard.push(signal));
        const report = await probing;
        process.kill(process.pid, 'SIGURG');
        process.kill(process.pid, 'SIGWINCH');
        await new Promise((r) => setTimeout(r, 100));
        console.log(report.signalHandlers, heard.sort().join(','));
      })();`);
    expect(lastLine(stdout)).toBe('shared SIGURG,SIGWINCH');
  });
});
