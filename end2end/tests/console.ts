// Starts the console (demo mode, port 0) for a test and stops it afterwards.
import { spawn, ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const repo = path.resolve(__dirname, '..', '..');

export interface Console {
  url: string;
  stop(): Promise<void>;
}

/** `assets`: the built app to serve (default the repo's `dist/`). */
export async function startDemo(assets: string = path.join(repo, 'dist')): Promise<Console> {
  const bin = path.join(process.env.CARGO_TARGET_DIR ?? path.join(repo, 'target'), 'debug', 'rdqm-console');
  const child: ChildProcess = spawn(bin, ['demo', '--listen', '127.0.0.1:0', '--assets', assets], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`console did not start: ${seen}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`console exited with ${code}: ${seen}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
