/**
 * Child processes that connect to a Unix socket as a local application would, for the broker
 * tests: `node` itself (the allow-listed executable of the tests), `python3` (another
 * executable), or `node` that hands its connection to a `sleep` child as well (two holders).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const NODE_CLIENT = `
const net = require('node:net');
const [path, mode, line] = process.argv.slice(1);
let sharer;
process.on('SIGTERM', () => { if (sharer) sharer.kill('SIGKILL'); process.exit(0); });
const s = net.connect(path, () => {
  // An integer fd is dup'ed into the child; passing the Socket object would stop this process reading it.
  if (mode === 'share') sharer = require('node:child_process').spawn('sleep', ['30'], { stdio: ['ignore', s._handle.fd, 'ignore'] });
  if (line) s.write(line + '\\n');
  process.stdout.write('connected\\n');
});
let buf = '';
s.on('data', (d) => { buf += d; const nl = buf.indexOf('\\n'); if (nl >= 0) { process.stdout.write('answer ' + buf.slice(0, nl) + '\\n'); } });
s.on('error', (e) => { process.stdout.write('error ' + e.code + '\\n'); });
setTimeout(() => {}, 30000);
`;

const PYTHON_CLIENT = `
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
if len(sys.argv) > 2: s.sendall((sys.argv[2] + "\\n").encode())
print("connected", flush=True)
if len(sys.argv) > 2: print("answer " + s.makefile().readline().strip(), flush=True)
time.sleep(30)
`;

export interface PeerClient {
  readonly child: ChildProcess;
  /** The first line the agent answered (when a request line was sent). */
  answer(): Promise<string>;
  stop(): Promise<void>;
}

function wrap(child: ChildProcess): PeerClient {
  let out = '';
  const waiters: Array<() => void> = [];
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (d: string) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  return {
    child,
    answer: () =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = /^(answer|error) (.*)$/m.exec(out);
          if (m) resolve(m[1] === 'answer' ? (m[2] ?? '') : `error ${m[2] ?? ''}`);
          else if (child.exitCode !== null) reject(new Error(`client exited: ${out}`));
          else waiters.push(check);
        };
        check();
      }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}

export function nodeClient(path: string, opts: { line?: string; share?: boolean } = {}): PeerClient {
  return wrap(spawn(process.execPath, ['-e', NODE_CLIENT, path, opts.share ? 'share' : 'plain', opts.line ?? ''], { stdio: ['ignore', 'pipe', 'inherit'] }));
}

export function pythonClient(path: string, line?: string): PeerClient {
  return wrap(spawn('python3', ['-c', PYTHON_CLIENT, path, ...(line !== undefined ? [line] : [])], { stdio: ['ignore', 'pipe', 'inherit'] }));
}
