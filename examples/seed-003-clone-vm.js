'use strict';
// Seed 003: a child cloned with CLONE_VM|CLONE_FILES|SIGCHLD on a 1 MiB
// stack writes "I am the child!", and the parent waits for it.
const { clone, tasks } = require('linux-clone');

async function main() {
  const child = clone(tasks.write(1, 'I am the child!\n'), {
    flags: 'CLONE_VM|CLONE_FILES|SIGCHLD',
    stackSize: 1024 * 1024,
  });
  const exit = await child.wait();
  console.log(
    `parent: child ${exit.pid} exited with ${exit.exitCode} after writing ${exit.value} bytes`,
  );
}

main();
